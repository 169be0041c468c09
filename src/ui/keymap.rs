//! Keys as data: the built-in keymap (keymap.toml) with the user's `[keys]` layered over it.

use std::collections::HashMap;

use anyhow::{bail, Result};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

const DEFAULT: &str = include_str!("keymap.toml");

/// A key as the user writes it: `a`, `G`, `ctrl-d`, `pagedown`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key> {
        let (ctrl, rest) = match text.strip_prefix("ctrl-") {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, text),
        };
        let code = match rest.to_ascii_lowercase().as_str() {
            "down" => KeyCode::Down,
            "up" => KeyCode::Up,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pagedown" => KeyCode::PageDown,
            "pageup" => KeyCode::PageUp,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => bail!(
                        "unknown key '{text}' (use a character, ctrl-x, or a name like pagedown)"
                    ),
                }
            }
        };
        Ok(Key { code, ctrl })
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Down => "↓".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("C-{base}")
        } else {
            base
        }
    }
}

/// Key → action, and action → its keys (for help and hints).
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: HashMap<Key, Action>,
    keys: Vec<(Action, Vec<Key>)>,
}

impl Keymap {
    pub fn builtin() -> Keymap {
        // The built-in table is part of the binary and tested; it cannot fail at run time.
        Keymap::layered(&toml::Table::new()).expect("the built-in keymap is valid")
    }

    /// The built-in keymap with `user` (the config file's `[keys]` table) over it: an action the
    /// user names gets exactly the user's keys.
    pub fn layered(user: &toml::Table) -> Result<Keymap> {
        let defaults: toml::Table = toml::from_str(DEFAULT)?;
        let mut keys: Vec<(Action, Vec<Key>)> = Vec::new();
        for action in Action::ALL {
            let value = user
                .get(action.name())
                .or_else(|| defaults.get(action.name()));
            keys.push((action, parse_keys(action.name(), value)?));
        }
        for name in user.keys() {
            if Action::from_name(name).is_none() {
                bail!("unknown action '{name}' in [keys]");
            }
        }
        // `y` answers the confirmations (a critical hunk's approval, signing): bound to an
        // action too, a second `y` would approve the critical hunk it was meant to guard.
        for (action, ks) in &keys {
            if let Some(k) = ks
                .iter()
                .find(|k| k.code == KeyCode::Char('y') || k.code == KeyCode::Char('Y'))
            {
                bail!(
                    "key '{}' cannot be bound to {}: it confirms a critical hunk's approval and \
                     signing, and a second press would approve what it guards",
                    k.label(),
                    action.name()
                );
            }
        }
        let mut by_key = HashMap::new();
        for (action, ks) in &keys {
            for k in ks {
                if let Some(other) = by_key.insert(*k, *action) {
                    if other != *action {
                        bail!(
                            "key '{}' is bound to both {} and {}",
                            k.label(),
                            other.name(),
                            action.name()
                        );
                    }
                }
            }
        }
        Ok(Keymap { by_key, keys })
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        self.by_key.get(&key).copied().or_else(|| {
            // Terminals report shifted letters either as 'G' or as shift+'g'.
            match key.code {
                KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::SHIFT) => self
                    .by_key
                    .get(&Key {
                        code: KeyCode::Char(c.to_ascii_uppercase()),
                        ctrl: key.ctrl,
                    })
                    .copied(),
                _ => None,
            }
        })
    }

    pub fn keys_of(&self, action: Action) -> &[Key] {
        self.keys
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// `a` or `a/y`: the keys of an action as the status line shows them.
    pub fn label(&self, action: Action) -> String {
        self.keys_of(action)
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn parse_keys(action: &str, value: Option<&toml::Value>) -> Result<Vec<Key>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items: Vec<&str> = match value {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| anyhow::anyhow!("keys of '{action}' must be strings"))
            })
            .collect::<Result<_>>()?,
        _ => bail!("keys of '{action}' must be a string or a list of strings"),
    };
    items
        .into_iter()
        .map(|k| Key::parse(k).map_err(|e| anyhow::anyhow!("{action}: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn builtin_has_the_design_keys() {
        let km = Keymap::builtin();
        for (c, a) in [
            ('j', Action::Down),
            ('k', Action::Up),
            ('n', Action::NextHunk),
            ('p', Action::PrevHunk),
            ('N', Action::NextUndecided),
            ('a', Action::Approve),
            ('r', Action::Reject),
            ('x', Action::NeedsWork),
            ('c', Action::Comment),
            ('u', Action::Undo),
            ('/', Action::Search),
            ('s', Action::SideBySide),
            ('e', Action::Edit),
            ('S', Action::Sign),
            ('q', Action::Quit),
            ('?', Action::Help),
        ] {
            assert_eq!(km.action(&ev(c)), Some(a), "{c}");
        }
        assert_eq!(
            km.action(&KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        );
    }

    #[test]
    fn user_keys_replace_an_actions_defaults() {
        let user: toml::Table = toml::from_str("approve = [\"+\"]\n").unwrap();
        let km = Keymap::layered(&user).unwrap();
        assert_eq!(km.action(&ev('+')), Some(Action::Approve));
        assert_eq!(km.action(&ev('a')), None);
    }

    #[test]
    fn the_confirmation_key_cannot_approve() {
        for keys in ["approve = [\"a\", \"y\"]\n", "next-hunk = [\"Y\"]\n"] {
            let user: toml::Table = toml::from_str(keys).unwrap();
            let err = Keymap::layered(&user).unwrap_err().to_string();
            assert!(err.contains("cannot be bound"), "{err}");
        }
    }

    #[test]
    fn conflicts_and_unknown_names_are_errors() {
        let user: toml::Table = toml::from_str("approve = [\"r\"]\n").unwrap();
        assert!(Keymap::layered(&user)
            .unwrap_err()
            .to_string()
            .contains("bound to both"));
        let user: toml::Table = toml::from_str("aprove = [\"y\"]\n").unwrap();
        assert!(Keymap::layered(&user)
            .unwrap_err()
            .to_string()
            .contains("unknown action"));
        let user: toml::Table = toml::from_str("approve = [\"ctrl-\"]\n").unwrap();
        assert!(Keymap::layered(&user).is_err());
    }
}
