//! The committer of rewritten commits and notes, found as git finds it: `GIT_COMMITTER_NAME`,
//! `GIT_COMMITTER_EMAIL` and `GIT_COMMITTER_DATE` first, then `committer.name` /
//! `committer.email`, then `user.name` / `user.email` (and `EMAIL`), the current time last.
//! libgit2's own `Repository::signature` reads only `user.*`, which would make
//! `GIT_COMMITTER_DATE=… git countersign` behave unlike git.

use anyhow::{Context, Result};

use crate::error::UserError;

/// A committer identity with its time, as it goes into a commit header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub time: i64,
    /// The time zone as minutes east of UTC (`+0100` is 60).
    pub offset_minutes: i32,
}

impl Ident {
    /// The identity git would commit as in `repo`, right now.
    pub fn committer(repo: &git2::Repository) -> Result<Ident> {
        let config = repo
            .config()
            .and_then(|mut c| c.snapshot())
            .context("reading git config")?;
        let get = |key: &str| config.get_string(key).ok();
        Ident::resolve(get, |key| std::env::var(key).ok(), local_offset_minutes())
    }

    /// The resolution itself, with config and environment passed in so it can be tested.
    pub fn resolve(
        config: impl Fn(&str) -> Option<String>,
        env: impl Fn(&str) -> Option<String>,
        local_offset: i32,
    ) -> Result<Ident> {
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let who_hint = "set it with `git config --global user.name \"Your Name\"` and \
                        `git config --global user.email you@example.com`";
        // `committer.*` (git 2.22) overrides `user.*` for the committer only.
        let name = non_empty(env("GIT_COMMITTER_NAME"))
            .or_else(|| non_empty(config("committer.name")))
            .or_else(|| non_empty(config("user.name")))
            .ok_or_else(|| UserError::new("no committer name is configured").hint(who_hint))?;
        let email = non_empty(env("GIT_COMMITTER_EMAIL"))
            .or_else(|| non_empty(config("committer.email")))
            .or_else(|| non_empty(config("user.email")))
            .or_else(|| non_empty(env("EMAIL")))
            .ok_or_else(|| UserError::new("no committer email is configured").hint(who_hint))?;
        // git strips these from identities; a header with them in would not parse.
        for (what, value) in [("name", &name), ("email", &email)] {
            if value.contains(['<', '>', '\n', '\0']) {
                return Err(UserError::new(format!(
                    "the committer {what} '{}' contains '<', '>' or a line break",
                    value.escape_debug()
                ))
                .hint("fix user.name / user.email or GIT_COMMITTER_NAME / GIT_COMMITTER_EMAIL")
                .into());
            }
        }
        let (time, offset_minutes) = match non_empty(env("GIT_COMMITTER_DATE")) {
            Some(date) => parse_git_date(&date, local_offset).ok_or_else(|| {
                UserError::new(format!(
                    "GIT_COMMITTER_DATE '{date}' is not a date countersign reads"
                ))
                .hint("use '<unix seconds> +0000', '@<unix seconds>', ISO 8601 or RFC 2822")
            })?,
            None => (now(), local_offset),
        };
        Ok(Ident {
            name: name.trim().to_string(),
            email: email.trim().to_string(),
            time,
            offset_minutes,
        })
    }

    /// `Name <email> 1795294800 +0000`, the value of a commit's `committer` header.
    pub fn header_value(&self) -> String {
        format!(
            "{} <{}> {} {}",
            self.name,
            self.email,
            self.time,
            format_offset(self.offset_minutes)
        )
    }

    /// The same as a git2 signature (for notes commits).
    pub fn to_git2(&self) -> Result<git2::Signature<'static>> {
        let when = git2::Time::new(self.time, self.offset_minutes);
        git2::Signature::new(&self.name, &self.email, &when)
            .with_context(|| format!("'{} <{}>' is not a valid identity", self.name, self.email))
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The local time zone now, as libgit2 works it out (no date crate needed for one number).
fn local_offset_minutes() -> i32 {
    git2::Signature::now("countersign", "countersign@localhost")
        .map(|s| s.when().offset_minutes())
        .unwrap_or(0)
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// `+0100`, `-05:30`, `Z` → minutes east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// The date formats git documents for `GIT_COMMITTER_DATE`: its internal format
/// (`1795294800 +0000`, or `@1795294800`), ISO 8601 and RFC 2822. A date without a zone is
/// taken in the local zone, as git does (at today's offset).
pub fn parse_git_date(s: &str, local_offset: i32) -> Option<(i64, i32)> {
    let s = s.trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    // Internal format: seconds, then an optional zone.
    let secs = |w: &str| -> Option<i64> {
        let w = w.strip_prefix('@').unwrap_or(w);
        (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
            .then(|| w.parse().ok())
            .flatten()
    };
    match words[..] {
        [t] if t.starts_with('@') => return Some((secs(t)?, 0)),
        [t, zone] if secs(t).is_some() => return Some((secs(t)?, parse_offset(zone)?)),
        _ => {}
    }
    parse_iso(s, local_offset).or_else(|| parse_rfc2822(&words, local_offset))
}

/// `2026-11-21T21:00:00Z`, `2026-11-21 22:00:00 +0100`, `2026-11-21T22:00:00.5+01:00`.
fn parse_iso(s: &str, local_offset: i32) -> Option<(i64, i32)> {
    let b = s.as_bytes();
    if b.len() < 19 || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let (date, time) = (s.get(..10)?, s.get(11..19)?);
    let base = crate::timefmt::parse_rfc3339(&format!("{date}T{time}Z"))?;
    let mut rest = s.get(19..)?.trim_start();
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
    }
    let offset = if rest.is_empty() {
        local_offset
    } else {
        parse_offset(rest)?
    };
    Some((base - i64::from(offset) * 60, offset))
}

/// `Sat, 21 Nov 2026 22:00:00 +0100` (the weekday is optional).
fn parse_rfc2822(words: &[&str], local_offset: i32) -> Option<(i64, i32)> {
    let words = match words.first() {
        Some(w) if w.ends_with(',') => &words[1..],
        _ => words,
    };
    let (day, month, year, time, zone) = match words {
        [d, m, y, t] => (d, m, y, t, None),
        [d, m, y, t, z] => (d, m, y, t, Some(z)),
        _ => return None,
    };
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = month.to_ascii_lowercase();
    let m = MONTHS.iter().position(|name| lower.starts_with(name))? + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    let iso = format!("{year:04}-{m:02}-{day:02}T{time}");
    let offset = match zone {
        Some(z) => parse_offset(z)?,
        None => local_offset,
    };
    let (t, _) = parse_iso(&iso, 0)?;
    Some((t - i64::from(offset) * 60, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_795_294_800; // 2026-11-21T21:00:00Z

    #[test]
    fn git_date_formats() {
        assert_eq!(parse_git_date("1795294800 +0000", 0), Some((T, 0)));
        assert_eq!(parse_git_date("1795294800 -0130", 0), Some((T, -90)));
        assert_eq!(parse_git_date("@1795294800", 60), Some((T, 0)));
        assert_eq!(parse_git_date("2026-11-21T21:00:00Z", 60), Some((T, 0)));
        assert_eq!(
            parse_git_date("2026-11-21 22:00:00 +0100", 0),
            Some((T, 60))
        );
        assert_eq!(
            parse_git_date("2026-11-21T22:00:00.25+01:00", 0),
            Some((T, 60))
        );
        assert_eq!(parse_git_date("2026-11-21T22:00:00", 60), Some((T, 60)));
        assert_eq!(
            parse_git_date("Sat, 21 Nov 2026 22:00:00 +0100", 0),
            Some((T, 60))
        );
        assert_eq!(
            parse_git_date("21 Nov 2026 21:00:00 +0000", 0),
            Some((T, 0))
        );
        assert_eq!(parse_git_date("yesterday", 0), None);
        assert_eq!(parse_git_date("1795294800 +01", 0), None);
    }

    #[test]
    fn environment_wins_over_config() {
        let config = |k: &str| match k {
            "user.name" => Some("Config Name".to_string()),
            "user.email" => Some("config@example.com".to_string()),
            _ => None,
        };
        let env = |k: &str| match k {
            "GIT_COMMITTER_NAME" => Some("Env Name".to_string()),
            "GIT_COMMITTER_DATE" => Some("1795294800 +0200".to_string()),
            _ => None,
        };
        let ident = Ident::resolve(config, env, 0).unwrap();
        assert_eq!(
            ident.header_value(),
            "Env Name <config@example.com> 1795294800 +0200"
        );
        let plain = Ident::resolve(config, |_| None, -300).unwrap();
        assert_eq!(plain.email, "config@example.com");
        let committer_config = |k: &str| match k {
            "committer.email" => Some("committer@example.com".to_string()),
            other => config(other),
        };
        let ident = Ident::resolve(committer_config, |_| None, 0).unwrap();
        assert_eq!(ident.email, "committer@example.com");
        assert_eq!(plain.offset_minutes, -300);
        assert!(plain.header_value().ends_with(" -0500"));
    }

    #[test]
    fn missing_or_broken_identities_are_refused() {
        let err = Ident::resolve(|_| None, |_| None, 0).unwrap_err();
        assert!(
            err.to_string().contains("git config --global user.name"),
            "{err}"
        );
        let bad = |k: &str| (k == "user.name").then(|| "A <b>".to_string());
        let env = |k: &str| (k == "EMAIL").then(|| "a@b".to_string());
        assert!(Ident::resolve(bad, env, 0).is_err());
        let date = |k: &str| match k {
            "GIT_COMMITTER_DATE" => Some("soon".to_string()),
            "EMAIL" => Some("a@b".to_string()),
            "GIT_COMMITTER_NAME" => Some("A".to_string()),
            _ => None,
        };
        let err = Ident::resolve(|_| None, date, 0).unwrap_err();
        assert!(err.to_string().contains("GIT_COMMITTER_DATE"), "{err}");
    }
}
