//! The git-ai authorship log (`refs/notes/ai`): line-level attribution of a commit.
//!
//! Format (Git AI Standard v3.0.0, schema `authorship/3.0.0`, plus the compatible additions of
//! git-ai 1.4 — see docs/evidence.md for the sources):
//!
//! ```text
//! src/main.rs                        a file path at the start of a line ("quoted" if it has spaces)
//!   abcd1234abcd1234 1-10,15         an attestation: two spaces, a key, 1-based new-side lines
//!   s_9f8e7d6c5b4a32::t_01ab 20-22   a session key with a trace id (git-ai ≥ 1.4)
//!   h_a1b2c3d4e5f678 11-14           a known human (git-ai ≥ 1.3)
//! ---
//! {"schema_version": "authorship/3.0.0", "prompts": {…}, "sessions": {…}, "humans": {…}}
//! ```
//!
//! Keys route as git-ai routes them: `h_…` to `humans`, `s_…` (up to `::`) to `sessions`, any
//! other key to `prompts`. Where entries overlap, the later one wins, as in git-ai's blame.
//! The parser is tolerant (unknown JSON fields, blank lines, CRLF, tabs, spaces in ranges) but a
//! note that is not a log at all is a clear error, never a panic or a silently empty log.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The schema versions this parser reads: the 3.x line.
const SCHEMA_PREFIX: &str = "authorship/3.";

/// A parsed authorship log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorshipLog {
    pub schema_version: String,
    /// The commit the log was computed against, when the note says.
    pub base_commit: Option<String>,
    pub files: Vec<FileAttestation>,
    /// AI sessions by key: the note's `prompts` and `sessions` maps together (their keys never
    /// collide: session keys carry the `s_` prefix).
    pub sessions: BTreeMap<String, Session>,
    /// Known humans by key (`h_…`), with their `Name <email>` when the note gives it.
    pub humans: BTreeMap<String, Option<String>>,
}

/// One file's attestations, in the note's order (later entries win where they overlap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAttestation {
    pub path: String,
    pub entries: Vec<Entry>,
}

/// `  <key> <ranges>`: lines of the new side, inclusive 1-based ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub ranges: Vec<(u32, u32)>,
}

/// What the note says about an AI session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// The agent (`agent_id.tool`: "cursor", "claude", "codex"…).
    pub tool: Option<String>,
    pub model: Option<String>,
    /// The human who prompted it (`human_author`).
    pub human_author: Option<String>,
}

/// Who an attestation key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author<'a> {
    /// An AI session; `session` is None when the note has no metadata for the key (git-ai then
    /// looks in other notes; for us it is still an AI, of unknown make).
    Ai {
        key: &'a str,
        session: Option<&'a Session>,
    },
    Human {
        key: &'a str,
    },
}

impl AuthorshipLog {
    pub fn file(&self, path: &str) -> Option<&FileAttestation> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Routes an attestation key the way git-ai does.
    pub fn author<'a>(&'a self, key: &'a str) -> Author<'a> {
        if key.starts_with("h_") {
            return Author::Human { key };
        }
        // `s_<session>::t_<trace>`: the trace id is per checkpoint; the session carries the agent.
        let session_key = session_key(key);
        Author::Ai {
            key: session_key,
            session: self.sessions.get(session_key),
        }
    }

    /// The AI sessions the attestations use, in order of first appearance, with how many lines
    /// each attests and in how many files.
    pub fn ai_sessions(&self) -> Vec<(&str, Option<&Session>, u64, usize)> {
        let mut out: Vec<(&str, Option<&Session>, u64, usize)> = Vec::new();
        for file in &self.files {
            let mut seen_here: Vec<&str> = Vec::new();
            for entry in &file.entries {
                let Author::Ai { key, session } = self.author(&entry.key) else {
                    continue;
                };
                let lines: u64 = entry
                    .ranges
                    .iter()
                    .map(|&(a, b)| u64::from(b - a) + 1)
                    .sum();
                let first_in_file = !seen_here.contains(&key);
                if first_in_file {
                    seen_here.push(key);
                }
                match out.iter_mut().find(|s| s.0 == key) {
                    Some(s) => {
                        s.2 += lines;
                        s.3 += usize::from(first_in_file);
                    }
                    None => out.push((key, session, lines, 1)),
                }
            }
        }
        out
    }
}

/// The session part of a key (`s_x::t_y` → `s_x`); other keys are returned whole.
fn session_key(key: &str) -> &str {
    key.split("::").next().unwrap_or(key)
}

#[derive(Deserialize)]
struct Metadata {
    schema_version: String,
    #[serde(default)]
    base_commit_sha: Option<String>,
    #[serde(default)]
    prompts: BTreeMap<String, Record>,
    #[serde(default)]
    sessions: BTreeMap<String, Record>,
    #[serde(default)]
    humans: BTreeMap<String, Human>,
}

/// A prompt record (`prompts`) or a session record (`sessions`): only the agent matters here;
/// transcripts, statistics and any future field are skipped.
#[derive(Deserialize)]
struct Record {
    #[serde(default)]
    agent_id: Option<AgentId>,
    #[serde(default)]
    human_author: Option<String>,
}

#[derive(Deserialize)]
struct AgentId {
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

#[derive(Deserialize)]
struct Human {
    #[serde(default)]
    author: Option<String>,
}

/// Parses a note's text. Errors say what is wrong and on which line of the note.
pub fn parse(note: &str) -> Result<AuthorshipLog> {
    let note = note.strip_prefix('\u{feff}').unwrap_or(note);
    let mut attestation = Vec::new();
    let mut json_at = None;
    let mut offset = 0;
    for line in note.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        offset += line.len();
        if text.trim_end() == "---" {
            json_at = Some(offset);
            break;
        }
        attestation.push(text);
    }
    let json_at = json_at.context(
        "not a git-ai authorship log: no '---' line between the attestations and the metadata",
    )?;
    let files = parse_attestations(&attestation)?;
    let json = note.get(json_at..).unwrap_or("");
    let meta: Metadata = serde_json::from_str(json).map_err(|e| {
        anyhow::anyhow!(
            "git-ai authorship log: the metadata after '---' is not valid: {e} (line {} of the note)",
            attestation.len() + 1 + e.line()
        )
    })?;
    if !meta.schema_version.starts_with(SCHEMA_PREFIX) {
        bail!(
            "git-ai authorship log has schema_version '{}', countersign reads authorship/3.x",
            meta.schema_version
        );
    }
    let record = |r: Record| Session {
        tool: r.agent_id.as_ref().and_then(|a| non_empty(&a.tool)),
        model: r.agent_id.as_ref().and_then(|a| non_empty(&a.model)),
        human_author: non_empty(&r.human_author),
    };
    let mut sessions: BTreeMap<String, Session> = meta
        .prompts
        .into_iter()
        .map(|(k, r)| (k, record(r)))
        .collect();
    sessions.extend(meta.sessions.into_iter().map(|(k, r)| (k, record(r))));
    Ok(AuthorshipLog {
        schema_version: meta.schema_version,
        base_commit: non_empty(&meta.base_commit_sha),
        files,
        sessions,
        humans: meta
            .humans
            .into_iter()
            .map(|(k, h)| (k, non_empty(&h.author)))
            .collect(),
    })
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn parse_attestations(lines: &[&str]) -> Result<Vec<FileAttestation>> {
    let mut files: Vec<FileAttestation> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let at = || format!("git-ai authorship log, line {}", i + 1);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let entry = parse_entry(line.trim()).with_context(at)?;
            let Some(file) = files.last_mut() else {
                bail!("{}: an attestation before any file path", at());
            };
            file.entries.push(entry);
        } else {
            let path = match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(inner) => inner,
                None => line.trim_end(),
            };
            files.push(FileAttestation {
                path: path.to_string(),
                entries: Vec::new(),
            });
        }
    }
    // A path listed twice is one file: merge the later list into the first, keeping the order
    // (which decides overlaps) rather than letting one list hide the other.
    let mut merged: Vec<FileAttestation> = Vec::new();
    for file in files {
        match merged.iter_mut().find(|f| f.path == file.path) {
            Some(existing) => existing.entries.extend(file.entries),
            None => merged.push(file),
        }
    }
    Ok(merged)
}

/// `<key> <ranges>`, ranges like `1-5,9,12-14` (spaces tolerated).
fn parse_entry(text: &str) -> Result<Entry> {
    let (key, ranges) = text
        .split_once(char::is_whitespace)
        .with_context(|| format!("attestation '{text}' has no line ranges"))?;
    let ranges: String = ranges.chars().filter(|c| !c.is_whitespace()).collect();
    let ranges = parse_ranges(&ranges).with_context(|| format!("attestation for key {key}"))?;
    Ok(Entry {
        key: key.to_string(),
        ranges,
    })
}

fn parse_ranges(text: &str) -> Result<Vec<(u32, u32)>> {
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let number = |s: &str| {
            s.parse::<u32>()
                .ok()
                .filter(|&n| n >= 1)
                .with_context(|| format!("'{part}' is not a 1-based line or range"))
        };
        let (a, b) = (number(a)?, number(b)?);
        if b < a {
            bail!("range '{part}' runs backwards");
        }
        out.push((a, b));
    }
    if out.is_empty() {
        bail!("no line ranges");
    }
    Ok(out)
}

#[cfg(test)]
#[path = "gitai_tests.rs"]
mod tests;
