//! Markers as data: the built-in list (`markers.toml`, embedded), each compiled into a regex
//! the first time it is needed.
//!
//! Keeping the list in a file rather than in code means a new agent, or a new spelling of an old
//! one, is a one-entry change with its own examples, and the examples are tested.

use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// The built-in list, embedded so the binary needs no data files.
pub const BUILTIN: &str = include_str!("markers.toml");

/// Where a marker looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Where {
    /// A parsed trailer's value, for the keys listed.
    Trailer,
    /// The author's and the committer's `Name <email>`.
    Identity,
    /// One line of the message body.
    Message,
}

/// One entry of the markers file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkerDef {
    pub id: String,
    pub agent: String,
    pub source: Where,
    #[serde(default)]
    pub keys: Vec<String>,
    pub pattern: String,
    #[serde(default)]
    pub example: Vec<String>,
    #[serde(default)]
    pub not: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkerFile {
    marker: Vec<MarkerDef>,
}

/// A marker, its pattern checked when loaded and compiled on first use: most commits meet few
/// markers (a trailer only tries the markers of its key), and compiling all of them up front
/// took half of a small review's first frame.
#[derive(Debug)]
pub struct Marker {
    pub id: String,
    pub agent: String,
    pub source: Where,
    /// Trailer keys, lower-cased.
    keys: Vec<String>,
    pattern: String,
    /// None only if a pattern that parsed fails to compile (beyond the size limit): the
    /// marker then matches everything it reads that holds one of its factors, erring towards
    /// more review, never less.
    regex: OnceLock<Option<Regex>>,
    /// Strings (lowercased) one of which every match contains (`risk::factors`): a text with
    /// none of them is no match, and the regex is neither compiled nor run for it. Most message
    /// lines meet no marker, so a review compiles few of them.
    factors: Option<Vec<Vec<u8>>>,
}

/// What a marker saw: the agent and, when the text says it, the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub agent: String,
    pub model: Option<String>,
}

impl Marker {
    /// Whether this marker reads trailers with this key.
    pub fn applies_to_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    /// Matches `text` (a trailer value, an identity or a line).
    pub fn hit(&self, text: &str) -> Option<Hit> {
        if let Some(fs) = &self.factors {
            let text = text.as_bytes();
            let holds = |f: &Vec<u8>| {
                f.len() <= text.len() && text.windows(f.len()).any(|w| w.eq_ignore_ascii_case(f))
            };
            if !fs.iter().any(holds) {
                return None;
            }
        }
        let regex = self
            .regex
            .get_or_init(|| case_insensitive(&self.pattern).ok());
        let Some(regex) = regex else {
            return Some(Hit {
                agent: self.agent.clone(),
                model: None,
            });
        };
        let caps = regex.captures(text.trim())?;
        let group = |name: &str| {
            caps.name(name)
                .map(|m| m.as_str().trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Some(Hit {
            agent: group("agent").unwrap_or_else(|| self.agent.clone()),
            model: group("model"),
        })
    }
}

/// Parses and compiles a markers file; `origin` names it in errors.
pub fn load(text: &str, origin: &str) -> Result<Vec<Marker>> {
    defs(text, origin)?
        .into_iter()
        .map(|def| compile(def).with_context(|| format!("invalid marker in {origin}")))
        .collect()
}

/// The entries of a markers file, uncompiled (tests check their examples).
pub fn defs(text: &str, origin: &str) -> Result<Vec<MarkerDef>> {
    let file: MarkerFile = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}", crate::policy::one_line(&e.to_string())))
        .with_context(|| format!("invalid markers file {origin}"))?;
    Ok(file.marker)
}

fn compile(def: MarkerDef) -> Result<Marker> {
    match (def.source, def.keys.is_empty()) {
        (Where::Trailer, true) => bail!("marker '{}' reads trailers but lists no keys", def.id),
        (Where::Identity | Where::Message, false) => {
            bail!("marker '{}' lists keys but does not read trailers", def.id)
        }
        _ => {}
    }
    // A built-in marker's factors were worked out when countersign was built (parsing them
    // all, with Unicode's case folding, took most of a millisecond before the first frame);
    // a policy's own marker is parsed here.
    let factors = match crate::risk::builtin_factors::marker(&def.pattern) {
        Some(known) => known.map(|fs| fs.iter().map(|f| f.to_vec()).collect()),
        None => pattern_factors(&def.pattern)
            .with_context(|| format!("marker '{}': bad pattern", def.id))?,
    };
    Ok(Marker {
        factors,
        keys: def.keys.iter().map(|k| k.to_ascii_lowercase()).collect(),
        id: def.id,
        agent: def.agent,
        source: def.source,
        pattern: def.pattern,
        regex: OnceLock::new(),
    })
}

/// A marker pattern's factors, from its case-insensitive tree, so that a letter Unicode folds
/// with a non-ASCII one (`k`, `s`) is no factor and the check stays exact.
fn pattern_factors(pattern: &str) -> Result<Option<Vec<Vec<u8>>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .map_err(|e| anyhow::anyhow!("{}", crate::policy::one_line(&e.to_string())))?;
    Ok(crate::risk::factors::factors(&hir))
}

/// Markers are case-insensitive everywhere: agents and people vary the case freely.
pub fn case_insensitive(pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        // A policy pattern is data from a repository: keep a hostile one from eating memory.
        .size_limit(1 << 20)
        .build()
        .map_err(|e| anyhow::anyhow!("{}", regex_error(&e)))
}

/// regex's syntax errors draw the pattern over several lines; keep the one that says what is
/// wrong, since errors reach the user as one line.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let reason = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid");
    format!(
        "regex parse error: {}",
        reason.trim_start_matches("error: ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::trailers;

    /// Runs every marker of the built-in file on one string of its own kind.
    fn fires(marker: &Marker, text: &str) -> bool {
        match marker.source {
            Where::Trailer => {
                let message = format!("subject\n\n{text}\n");
                trailers::parse(&message)
                    .trailers
                    .iter()
                    .any(|t| marker.applies_to_key(&t.key) && marker.hit(&t.value).is_some())
            }
            Where::Identity | Where::Message => marker.hit(text).is_some(),
        }
    }

    /// The table the build worked out holds every built-in marker, with the factors parsing it
    /// here gives, and nothing else.
    #[test]
    fn build_time_marker_factors_are_those_of_the_patterns() {
        let defs = defs(BUILTIN, "markers.toml").unwrap();
        let table = crate::risk::builtin_factors::marker_table();
        let distinct: std::collections::BTreeSet<&str> =
            defs.iter().map(|d| d.pattern.as_str()).collect();
        assert_eq!(table.len(), distinct.len());
        for def in &defs {
            let known = crate::risk::builtin_factors::marker(&def.pattern)
                .unwrap_or_else(|| panic!("{} is not in the build's table", def.id));
            let known = known.map(|fs| fs.iter().map(|f| f.to_vec()).collect::<Vec<_>>());
            assert_eq!(known, pattern_factors(&def.pattern).unwrap(), "{}", def.id);
        }
    }

    #[test]
    fn builtin_file_loads() {
        let markers = load(BUILTIN, "markers.toml").unwrap();
        assert!(markers.len() >= 20, "{}", markers.len());
        let mut ids: Vec<&str> = markers.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), markers.len(), "marker ids must be unique");
    }

    #[test]
    fn every_builtin_marker_matches_its_examples_and_not_its_near_misses() {
        let defs = defs(BUILTIN, "markers.toml").unwrap();
        let markers = load(BUILTIN, "markers.toml").unwrap();
        for (def, marker) in defs.iter().zip(&markers) {
            assert!(!def.example.is_empty(), "{} has no example", def.id);
            assert!(!def.not.is_empty(), "{} has no near miss", def.id);
            for example in &def.example {
                assert!(
                    fires(marker, example),
                    "{} should match {example:?}",
                    def.id
                );
            }
            for near_miss in &def.not {
                assert!(
                    !fires(marker, near_miss),
                    "{} must not match {near_miss:?}",
                    def.id
                );
            }
        }
    }

    #[test]
    fn docs_list_every_builtin_marker() {
        let docs = include_str!("../../docs/evidence.md");
        for def in defs(BUILTIN, "markers.toml").unwrap() {
            assert!(
                docs.contains(&format!("`{}`", def.id)),
                "docs/evidence.md lacks {}",
                def.id
            );
        }
    }

    #[test]
    fn model_and_agent_groups_fill_the_hit() {
        let markers = load(BUILTIN, "markers.toml").unwrap();
        let by_id = |id: &str| markers.iter().find(|m| m.id == id).unwrap();
        let claude = by_id("claude-code.co-author");
        assert_eq!(
            claude.hit("Claude <noreply@anthropic.com>"),
            Some(Hit {
                agent: "Claude Code".into(),
                model: None
            })
        );
        assert_eq!(
            claude
                .hit("Claude Opus 4.5 <noreply@anthropic.com>")
                .unwrap()
                .model,
            Some("Claude Opus 4.5".into())
        );
        let kernel = by_id("assisted-by.agent-model");
        let hit = kernel.hit("Claude:claude-3-opus coccinelle").unwrap();
        assert_eq!(
            (hit.agent.as_str(), hit.model.as_deref()),
            ("Claude", Some("claude-3-opus"))
        );
        let aider = by_id("aider.co-author");
        assert_eq!(
            aider
                .hit("aider (openai/gpt-4o) <aider@aider.chat>")
                .unwrap()
                .model,
            Some("openai/gpt-4o".into())
        );
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let err = load("[[marker]]\nid = 1\n", "extra.toml").unwrap_err();
        assert!(format!("{err:#}").contains("extra.toml"), "{err:#}");
        let bad = "[[marker]]\nid='x'\nagent='a'\nsource='message'\npattern='('\n";
        let err = load(bad, "extra.toml").unwrap_err();
        assert!(format!("{err:#}").contains("marker 'x'"), "{err:#}");
        let keyless = "[[marker]]\nid='x'\nagent='a'\nsource='trailer'\npattern='a'\n";
        assert!(load(keyless, "extra.toml").is_err());
    }
}
