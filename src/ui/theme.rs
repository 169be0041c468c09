//! Themes: TOML files naming styles by meaning ("line.added", "finding.critical"), inheriting
//! from a base theme. The built-in ones are part of the binary; the user's live in the config
//! directory's `themes/` folder.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[allow(dead_code)]
    name: Option<String>,
    inherits: Option<String>,
    syntax: Option<String>,
    #[serde(default)]
    styles: HashMap<String, StyleSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// A resolved theme: style by name, plus the syntect theme for code.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: HashMap<String, Style>,
    /// The syntect theme's name, or None for no syntax colours (NO_COLOR).
    pub syntax: Option<String>,
    pub color: bool,
}

impl Theme {
    /// Loads theme `name`: a user theme in `user_dir` first, else a built-in one.
    /// `color: false` (NO_COLOR) keeps only the modifiers.
    pub fn load(name: &str, user_dir: Option<&Path>, color: bool) -> Result<Theme> {
        let mut chain = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(n) = next.take() {
            if chain.iter().any(|(c, _): &(String, ThemeFile)| *c == n) || chain.len() > 8 {
                bail!("theme '{name}' inherits from itself");
            }
            let file = read_theme(&n, user_dir)?;
            next = file.inherits.clone();
            chain.push((n, file));
        }
        let mut styles = HashMap::new();
        let mut syntax = None;
        for (n, file) in chain.iter().rev() {
            if file.syntax.is_some() {
                syntax = file.syntax.clone();
            }
            for (key, spec) in &file.styles {
                let style = to_style(spec, color)
                    .with_context(|| format!("theme '{n}': style \"{key}\""))?;
                styles.insert(key.clone(), style);
            }
        }
        Ok(Theme {
            name: name.to_string(),
            styles,
            syntax: if color {
                Some(syntax.unwrap_or_else(|| "base16-ocean.dark".into()))
            } else {
                None
            },
            color,
        })
    }

    /// The same theme in the colours a terminal of `depth` has (nearest 256 or 16 colours);
    /// no colours at all for [`Depth::None`], as NO_COLOR.
    pub fn with_depth(mut self, depth: super::colors::Depth) -> Theme {
        use super::colors::{map, Depth};
        if depth == Depth::None {
            for style in self.styles.values_mut() {
                style.fg = None;
                style.bg = None;
            }
            self.syntax = None;
            self.color = false;
            return self;
        }
        for style in self.styles.values_mut() {
            style.fg = style.fg.map(|c| map(c, depth));
            style.bg = style.bg.map(|c| map(c, depth));
        }
        self
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// The style for `key`, falling back along its dotted prefix (`line.added.emph` →
    /// `line.added`), else the terminal's default.
    pub fn get(&self, key: &str) -> Style {
        let mut k = key;
        loop {
            if let Some(s) = self.styles.get(k) {
                return *s;
            }
            match k.rfind('.') {
                Some(i) => k = &k[..i],
                None => return Style::default(),
            }
        }
    }
}

fn read_theme(name: &str, user_dir: Option<&Path>) -> Result<ThemeFile> {
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read theme {}", path.display()))?;
            return toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "invalid theme {}: {}",
                    path.display(),
                    crate::policy::one_line(&e.to_string())
                )
            });
        }
    }
    let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
        bail!(
            "unknown theme '{name}' (built-in: {})",
            Theme::builtin_names().collect::<Vec<_>>().join(", ")
        );
    };
    toml::from_str(text).with_context(|| format!("built-in theme {name}"))
}

fn to_style(spec: &StyleSpec, color: bool) -> Result<Style> {
    let mut style = Style::default();
    if color {
        if let Some(fg) = &spec.fg {
            style = style.fg(parse_color(fg)?);
        }
        if let Some(bg) = &spec.bg {
            style = style.bg(parse_color(bg)?);
        }
    }
    let mut m = Modifier::empty();
    for (on, flag) in [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
    ] {
        if on {
            m |= flag;
        }
    }
    Ok(style.add_modifier(m))
}

fn parse_color(text: &str) -> Result<Color> {
    text.parse::<Color>()
        .map_err(|_| anyhow::anyhow!("unknown colour '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_loads_and_defines_the_core_styles() {
        for name in Theme::builtin_names() {
            let t = Theme::load(name, None, true).unwrap();
            for key in [
                "line.added",
                "line.removed",
                "finding.critical",
                "hidden",
                "status",
            ] {
                assert_ne!(t.get(key), Style::default(), "{name}: {key}");
            }
        }
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::load("dark", None, false).unwrap();
        let s = t.get("finding.critical");
        assert_eq!(s.fg, None);
        assert_eq!(s.bg, None);
        assert!(s.add_modifier.contains(Modifier::BOLD));
        assert_eq!(t.syntax, None);
    }

    #[test]
    fn light_inherits_and_overrides() {
        let t = Theme::load("light", None, true).unwrap();
        assert_eq!(t.syntax.as_deref(), Some("InspiredGitHub"));
        assert_eq!(t.get("line.added.emph.deeper"), t.get("line.added.emph"));
    }

    #[test]
    fn user_theme_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "[styles]\n\"x\" = { fg = 3 }\n",
        )
        .unwrap();
        let err = Theme::load("mine", Some(dir.path()), true).unwrap_err();
        assert!(err.to_string().contains("mine.toml"), "{err}");
        assert!(Theme::load("nope", None, true).is_err());
    }
}
