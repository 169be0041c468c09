//! How many colours the terminal shows, from the environment, and the nearest colour it has:
//! a theme's 24-bit colours sent to a 256- or 16-colour terminal come out wrong or not at all.

use ratatui::style::Color;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Ansi256,
    Ansi16,
    /// `TERM=dumb` or no TERM: no colours at all (as NO_COLOR), modifiers only.
    None,
}

impl Depth {
    /// `COLORTERM=truecolor|24bit` → 24-bit; a `TERM` with `256color` → 256; `TERM=dumb` or
    /// unset → none; any other terminal → the 16 ANSI colours.
    pub fn from_env() -> Depth {
        Depth::from_vars(
            std::env::var("COLORTERM").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        )
    }

    pub fn from_vars(colorterm: Option<&str>, term: Option<&str>) -> Depth {
        let colorterm = colorterm.unwrap_or("").to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return Depth::TrueColor;
        }
        match term.unwrap_or("") {
            "" | "dumb" => Depth::None,
            t if t.contains("256color") => Depth::Ansi256,
            t if t.contains("direct") || t.contains("truecolor") => Depth::TrueColor,
            _ => Depth::Ansi16,
        }
    }
}

/// The colour nearest `c` that a terminal of `depth` shows.
pub fn map(c: Color, depth: Depth) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    match depth {
        Depth::TrueColor | Depth::None => c,
        Depth::Ansi256 => Color::Indexed(to_256(r, g, b)),
        Depth::Ansi16 => to_16(r, g, b),
    }
}

/// xterm's 6×6×6 cube (16–231) or its grey ramp (232–255), whichever is nearer.
fn to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (lr, lg, lb) = (level(r), level(g), level(b));
    let cube = |l: u8| -> i32 {
        if l == 0 {
            0
        } else {
            55 + 40 * l as i32
        }
    };
    let cube_index = 16 + 36 * lr + 6 * lg + lb;
    let avg = (r as i32 + g as i32 + b as i32) / 3;
    let grey_level = ((avg - 8).max(0) / 10).min(23);
    let grey = 8 + 10 * grey_level;
    let dist = |a: (i32, i32, i32)| {
        (a.0 - r as i32).pow(2) + (a.1 - g as i32).pow(2) + (a.2 - b as i32).pow(2)
    };
    if dist((grey, grey, grey)) < dist((cube(lr), cube(lg), cube(lb))) {
        232 + grey_level as u8
    } else {
        cube_index
    }
}

fn to_16(r: u8, g: u8, b: u8) -> Color {
    const PALETTE: [(Color, (i32, i32, i32)); 16] = [
        (Color::Black, (0, 0, 0)),
        (Color::Red, (205, 0, 0)),
        (Color::Green, (0, 205, 0)),
        (Color::Yellow, (205, 205, 0)),
        (Color::Blue, (0, 0, 238)),
        (Color::Magenta, (205, 0, 205)),
        (Color::Cyan, (0, 205, 205)),
        (Color::Gray, (229, 229, 229)),
        (Color::DarkGray, (127, 127, 127)),
        (Color::LightRed, (255, 0, 0)),
        (Color::LightGreen, (0, 255, 0)),
        (Color::LightYellow, (255, 255, 0)),
        (Color::LightBlue, (92, 92, 255)),
        (Color::LightMagenta, (255, 0, 255)),
        (Color::LightCyan, (0, 255, 255)),
        (Color::White, (255, 255, 255)),
    ];
    let (r, g, b) = (r as i32, g as i32, b as i32);
    PALETTE
        .iter()
        .min_by_key(|(_, (pr, pg, pb))| (pr - r).pow(2) + (pg - g).pow(2) + (pb - b).pow(2))
        .map_or(Color::Reset, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_follows_colorterm_then_term() {
        assert_eq!(
            Depth::from_vars(Some("truecolor"), Some("xterm")),
            Depth::TrueColor
        );
        assert_eq!(
            Depth::from_vars(None, Some("xterm-256color")),
            Depth::Ansi256
        );
        assert_eq!(Depth::from_vars(None, Some("screen")), Depth::Ansi16);
        assert_eq!(Depth::from_vars(None, Some("dumb")), Depth::None);
        assert_eq!(Depth::from_vars(None, None), Depth::None);
    }

    #[test]
    fn colours_map_to_the_nearest_the_terminal_has() {
        assert_eq!(
            map(Color::Rgb(255, 0, 0), Depth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            map(Color::Rgb(128, 128, 128), Depth::Ansi256),
            Color::Indexed(244)
        );
        assert_eq!(map(Color::Rgb(250, 10, 10), Depth::Ansi16), Color::LightRed);
        assert_eq!(
            map(Color::Rgb(1, 2, 3), Depth::TrueColor),
            Color::Rgb(1, 2, 3)
        );
        assert_eq!(map(Color::Red, Depth::Ansi16), Color::Red);
    }
}
