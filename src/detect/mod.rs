//! AI-assistance evidence: which commits and hunks an AI wrote, and how we know.
//!
//! Two steps, both pure (no git, no IO):
//! - [`Detector::commit_evidence`] reads one commit's message and identities: trailers, agent
//!   identities, "Generated with …" lines, the policy's markers and `--all`.
//! - [`attribute`] then decides every hunk's [`Origin`](crate::model::Origin), line by line when
//!   the commit has a git-ai authorship log (read with `git::notes::read_note`, parsed with
//!   [`gitai::parse`]), else from the commit's evidence.
//!
//! docs/evidence.md describes the sources, the built-in markers and the note format.

mod attribute;
pub mod gitai;
pub mod markers;
pub mod trailers;

#[cfg(test)]
mod tests;

pub use attribute::attribute;

use anyhow::{Context, Result};
use regex::Regex;

use crate::model::{Commit, Evidence, EvidenceSource, Person};
use crate::policy::Markers;
use markers::{Marker, Where};
use trailers::Trailer;

/// Commit-level evidence finder: the built-in markers and the policy's, compiled once.
#[derive(Debug)]
pub struct Detector {
    builtin: Vec<Marker>,
    policy_trailers: Vec<String>,
    /// Lower-cased substrings of an identity.
    policy_identities: Vec<String>,
    /// (pattern as written, compiled)
    policy_patterns: Vec<(String, Regex)>,
    /// Why everything counts as AI-touched, when it does.
    all: Option<&'static str>,
}

impl Detector {
    /// Compiles the built-in markers and the policy's. A bad policy pattern is an error that
    /// names it, never a silently ignored marker.
    pub fn new(markers: &Markers, all: bool) -> Result<Detector> {
        let builtin = markers::load(markers::BUILTIN, "built-in markers.toml")?;
        let policy_patterns = markers
            .message_patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if p.trim().is_empty() {
                    // An empty pattern matches every line: surely a mistake, not a wish.
                    anyhow::bail!("invalid policy marker message_patterns[{i}]: empty pattern");
                }
                markers::case_insensitive(p)
                    .map(|re| (p.clone(), re))
                    .with_context(|| format!("invalid policy marker message_patterns[{i}] '{p}'"))
            })
            .collect::<Result<Vec<_>>>()?;
        let all = if all {
            Some("--all: every hunk is treated as AI-touched")
        } else if markers.all {
            Some("policy markers.all: every hunk is treated as AI-touched")
        } else {
            None
        };
        Ok(Detector {
            builtin,
            policy_trailers: clean(&markers.trailers, false),
            policy_identities: clean(&markers.identities, true),
            policy_patterns,
            all,
        })
    }

    /// Commit-level evidence from trailers, author/committer identity, message lines, policy
    /// markers and `--all`. Strongest first (the order of [`EvidenceSource`]); one entry per
    /// thing seen, so the UI can quote each.
    pub fn commit_evidence(&self, commit: &Commit) -> Vec<Evidence> {
        let parsed = trailers::parse(&commit.message);
        let mut out = Vec::new();

        for trailer in &parsed.trailers {
            if let Some(hit) = self.trailer_hit(&trailer.key, &trailer.value) {
                out.push(evidence(EvidenceSource::Trailer, hit, trailer.line()));
            }
        }
        for (source, role, person) in [
            (EvidenceSource::Author, "author", &commit.author),
            (EvidenceSource::Committer, "committer", &commit.committer),
        ] {
            if let Some(hit) = self.identity_hit(person) {
                out.push(evidence(source, hit, format!("{role} {}", person.ident())));
            }
        }
        // The subject line is never a marker ("Ask Claude about…"); lines under it are, even
        // when the author left out the blank line that would make them git's body.
        let stray = stray_trailers(&parsed.body, &parsed.trailers);
        for line in parsed.subject.iter().skip(1).chain(&parsed.body) {
            let hit = self
                .builtin
                .iter()
                .filter(|m| m.source == Where::Message)
                .find_map(|m| m.hit(line))
                .or_else(|| {
                    // A trailer line outside git's trailer block (an agent's
                    // `Co-Authored-By: Claude <noreply@…>` above a separate `Signed-off-by:`
                    // paragraph): git does not read it as a trailer, so it proves no
                    // attribution, but an agent wrote it there, so it is message evidence.
                    let (_, key, value) = stray.iter().find(|(l, _, _)| l == line)?;
                    self.trailer_hit(key, value)
                });
            if let Some(hit) = hit {
                out.push(evidence(
                    EvidenceSource::Message,
                    hit,
                    line.trim().to_string(),
                ));
            }
        }
        self.policy_evidence(commit, &parsed, &mut out);
        if let Some(why) = self.all {
            out.push(Evidence {
                source: EvidenceSource::All,
                agent: None,
                model: None,
                detail: why.to_string(),
            });
        }

        // Sorting by source is stable, so within a source the message's order is kept.
        out.sort_by_key(|e| e.source);
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|e| seen.insert((e.source, e.detail.clone())));
        out
    }

    /// The first trailer marker of `key` that matches `value`.
    fn trailer_hit(&self, key: &str, value: &str) -> Option<markers::Hit> {
        self.builtin
            .iter()
            .filter(|m| m.source == Where::Trailer && m.applies_to_key(key))
            .find_map(|m| m.hit(value))
    }

    fn identity_hit(&self, person: &Person) -> Option<markers::Hit> {
        if person.name.is_empty() && person.email.is_empty() {
            return None;
        }
        let ident = person.ident();
        self.builtin
            .iter()
            .filter(|m| m.source == Where::Identity)
            .find_map(|m| m.hit(&ident))
    }

    fn policy_evidence(&self, commit: &Commit, parsed: &trailers::Parsed, out: &mut Vec<Evidence>) {
        let policy = |detail: String| Evidence {
            source: EvidenceSource::Policy,
            agent: None,
            model: None,
            detail,
        };
        for trailer in &parsed.trailers {
            let key_listed = self
                .policy_trailers
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&trailer.key));
            if key_listed && !trailer.value.is_empty() {
                out.push(policy(format!("policy trailer {}", trailer.line())));
            }
        }
        for (role, person) in [("author", &commit.author), ("committer", &commit.committer)] {
            let ident = person.ident().to_lowercase();
            if let Some(needle) = self.policy_identities.iter().find(|n| ident.contains(*n)) {
                out.push(policy(format!(
                    "policy identity '{needle}' in {role} {}",
                    person.ident()
                )));
            }
        }
        // The policy's patterns see every line, subject included: the policy says so.
        for line in parsed.subject.iter().chain(&parsed.body) {
            if let Some((pattern, _)) = self
                .policy_patterns
                .iter()
                .find(|(_, re)| re.is_match(line))
            {
                out.push(policy(format!(
                    "policy pattern '{pattern}' on \"{}\"",
                    line.trim()
                )));
            }
        }
    }
}

fn evidence(source: EvidenceSource, hit: markers::Hit, detail: String) -> Evidence {
    Evidence {
        source,
        agent: Some(hit.agent),
        model: hit.model,
        detail,
    }
}

/// Trims the policy's strings and drops empty ones, which would otherwise match everything.
fn clean(items: &[String], lowercase: bool) -> Vec<String> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if lowercase {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        })
        .collect()
}

/// (line, key, value) of the lines of the body's paragraphs made only of `Key: value` lines
/// (trailer blocks, wherever they stand), but for those of git's own trailer block: a trailer
/// quoted inside prose is not one of them.
fn stray_trailers<'a>(body: &[&'a str], block: &[Trailer]) -> Vec<(&'a str, &'a str, &'a str)> {
    let shaped = |l: &'a str| {
        let (k, v) = l.trim().split_once(':')?;
        let ok = !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && v.starts_with(' ');
        ok.then(|| (l, k, v.trim()))
    };
    let in_block = |l: &str| block.iter().any(|t| t.line() == l.trim());
    let mut out = Vec::new();
    for paragraph in body.split(|l| l.trim().is_empty()) {
        let lines: Option<Vec<_>> = paragraph.iter().map(|l| shaped(l)).collect();
        if let Some(lines) = lines {
            out.extend(lines.into_iter().filter(|(l, _, _)| !in_block(l)));
        }
    }
    out
}
