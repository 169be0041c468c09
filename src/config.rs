//! The user's config file (`~/.config/countersign/config.toml`): theme and keys. A broken file
//! is an error naming the file and the line, never silently ignored.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name: built-in (dark, light, colorblind) or a file in `themes/` beside the config.
    pub theme: Option<String>,
    /// Mouse clicks and the wheel in the review screen (on unless set to false: a terminal's
    /// own text selection then needs Shift held).
    pub mouse: Option<bool>,
    /// Action name → keys, over the built-in keymap.
    #[serde(default)]
    pub keys: toml::Table,
}

/// The config directory (`$XDG_CONFIG_HOME/countersign`), if a home directory is known.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("COUNTERSIGN_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "countersign").map(|d| d.config_dir().to_path_buf())
}

impl Config {
    /// Reads the config file if there is one.
    pub fn load() -> Result<Config> {
        let Some(dir) = config_dir() else {
            return Ok(Config::default());
        };
        let path = dir.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Config::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "invalid config {origin}: {}",
                crate::policy::one_line(&e.to_string())
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_line() {
        let err = Config::parse("theme = \"dark\"\n[keys\n", "/x/config.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/x/config.toml"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn parses_theme_and_keys() {
        let c = Config::parse("theme = \"light\"\n[keys]\napprove = \"y\"\n", "c").unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert!(c.keys.contains_key("approve"));
    }
}
