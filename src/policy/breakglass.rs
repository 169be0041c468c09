//! Break-glass: the policy's terms for a signed emergency approval that lets a change land
//! without the sign-off it would need, with a named reason, by a role the policy allows, for
//! the paths it allows, within a window after it was signed; and, optionally, the time by
//! which a normal countersignature of the same change must follow.
//!
//! ```toml
//! [approval.break_glass]
//! roles = ["oncall"]
//! paths = ["services/**", "infra/prod/**"]
//! window = "4h"                 # lands within 4 hours of its signed time (verify's clock)
//! countersign_within = "2d"     # a normal approval of the same change must follow within 2 days
//! ```

use anyhow::Result;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::org::Org;
use super::{invalid, Lines};

/// `[approval.break_glass]` as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassSpec {
    /// The roles whose members may break the glass.
    pub roles: Spanned<Vec<Spanned<String>>>,
    /// Globs: every path the change touches must match one.
    pub paths: Spanned<Vec<String>>,
    /// How long after its signed time a break-glass approval lets its change land.
    pub window: Spanned<String>,
    /// How long after its signed time a normal approval of the same change must exist.
    #[serde(default)]
    pub countersign_within: Option<Spanned<String>>,
}

/// The checked terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlass {
    pub line: usize,
    pub roles: Vec<String>,
    pub paths: Vec<String>,
    /// Seconds.
    pub window: i64,
    /// Seconds.
    pub countersign_within: Option<i64>,
}

impl BreakGlass {
    pub fn resolve(
        spec: &Spanned<BreakGlassSpec>,
        org: &Org,
        lines: &Lines<'_>,
    ) -> Result<BreakGlass> {
        let s = spec.get_ref();
        let line = lines.of(spec.span());
        if s.roles.get_ref().is_empty() {
            return Err(invalid(
                lines,
                lines.of(s.roles.span()),
                "approval.break_glass.roles is empty: name the roles that may break the glass"
                    .into(),
            ));
        }
        let mut roles = Vec::new();
        for r in s.roles.get_ref() {
            let name = r.get_ref().trim();
            if !org.roles.contains_key(name) {
                return Err(invalid(
                    lines,
                    lines.of(r.span()),
                    format!(
                        "approval.break_glass names role '{name}', which [roles] does not define"
                    ),
                ));
            }
            roles.push(name.to_string());
        }
        if s.paths.get_ref().is_empty() {
            return Err(invalid(
                lines,
                lines.of(s.paths.span()),
                "approval.break_glass.paths is empty: name the paths it may land (\"**\" for any)"
                    .into(),
            ));
        }
        for glob in s.paths.get_ref() {
            super::compile_glob(glob).map_err(|e| {
                invalid(
                    lines,
                    lines.of(s.paths.span()),
                    format!("approval.break_glass.paths: {e}"),
                )
            })?;
        }
        let duration = |d: &Spanned<String>, key: &str| -> Result<i64> {
            parse_duration(d.get_ref()).ok_or_else(|| {
                invalid(
                    lines,
                    lines.of(d.span()),
                    format!(
                        "approval.break_glass.{key} = '{}' is not a duration (e.g. \"30m\", \"4h\", \"2d\", \"1w\")",
                        d.get_ref()
                    ),
                )
            })
        };
        let window = duration(&s.window, "window")?;
        let countersign_within = s
            .countersign_within
            .as_ref()
            .map(|d| {
                let secs = duration(d, "countersign_within")?;
                if secs < window {
                    return Err(invalid(
                        lines,
                        lines.of(d.span()),
                        "approval.break_glass.countersign_within is shorter than its window: a change could land already overdue".into(),
                    ));
                }
                Ok(secs)
            })
            .transpose()?;
        Ok(BreakGlass {
            line,
            roles,
            paths: s.paths.get_ref().clone(),
            window,
            countersign_within,
        })
    }
}

/// `90m`, `4h`, `2d`, `1w`, or a sum of them (`1h30m`); positive, whole units.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (digits.is_empty() && total > 0).then_some(total)
}

/// Seconds in the largest whole units: `4h`, `2d`, `1h30m`.
pub fn duration_words(secs: i64) -> String {
    let mut out = String::new();
    let mut rest = secs;
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if rest >= unit {
            out.push_str(&format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("4h"), Some(4 * 3600));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("2d"), Some(2 * 86_400));
        assert_eq!(parse_duration("1w"), Some(7 * 86_400));
        for bad in ["", "4", "h", "4x", "-4h", "0h", "4 h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(duration_words(5400), "1h30m");
        assert_eq!(duration_words(2 * 86_400), "2d");
    }
}
