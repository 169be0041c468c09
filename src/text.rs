//! What reviewed text may and may not do on a terminal. Content is data: no byte of it may reach
//! the terminal as a control sequence, and nothing in it may be invisible to the reviewer.

/// How a character must be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Drawn as itself.
    Plain,
    /// A control character (C0, DEL, C1): drawn as a visible symbol instead.
    Control,
    /// Invisible or direction-changing (bidi controls, zero-width, tag characters…): drawn as
    /// its code point.
    Invisible,
}

/// Context-free on purpose: the screen shows every invisible character, while the risk engine
/// (`risk::hidden`) judges them in context (a zero-width joiner inside an emoji is no finding)
/// and so keeps its own, narrower tests.
pub fn visibility(c: char) -> Visibility {
    match c {
        '\t' => Visibility::Plain,
        '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}' => Visibility::Control,
        '\u{00ad}'
        | '\u{034f}'
        | '\u{061c}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{2800}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}' => Visibility::Invisible,
        _ => Visibility::Plain,
    }
}

/// What to draw for a character that is not `Plain`: the Control Pictures symbol for C0 and
/// DEL (`␛` for ESC), else the code point (`<U+202E>`).
pub fn visible_form(c: char) -> String {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32)
            .map(String::from)
            .unwrap_or_else(|| format!("<U+{:04X}>", c as u32)),
        '\u{7f}' => "␡".to_string(),
        _ => format!("<U+{:04X}>", c as u32),
    }
}

/// Text safe to print on one line of a terminal (for CLI output and headers): every control or
/// invisible character replaced by its visible form.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match visibility(c) {
            Visibility::Plain if c != '\t' => out.push(c),
            Visibility::Plain => out.push(' '),
            _ => out.push_str(&visible_form(c)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a␛[2Jb");
        assert_eq!(printable("x\u{7f}\u{9b}"), "x␡<U+009B>");
        assert_eq!(printable("\u{202e}evil"), "<U+202E>evil");
        assert_eq!(printable("zero\u{200b}width"), "zero<U+200B>width");
        assert_eq!(printable("tag\u{e0041}"), "tag<U+E0041>");
        assert_eq!(printable("blank\u{2800}"), "blank<U+2800>");
        assert_eq!(printable("plain café ✓"), "plain café ✓");
    }

    #[test]
    fn nothing_printable_contains_a_control_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = printable(&all);
        assert!(!out.chars().any(|c| c.is_control()));
    }
}
