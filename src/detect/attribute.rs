//! Per-hunk origin: line-level from a git-ai log when the commit has one, else commit-level.

use std::collections::HashMap;

use super::gitai::{Author, AuthorshipLog, FileAttestation};
use crate::model::{Commit, Evidence, EvidenceSource, Hunk, LineKind, Origin};

/// Sets every hunk's origin and evidence, and `commit.has_line_attribution`. Call after
/// `commit.evidence` and the hunks are set.
///
/// - `all`, or an [`EvidenceSource::All`] entry in the commit's evidence (which the detector adds
///   for `--all` and for the policy's `markers.all`): every hunk is AI-touched (line evidence is
///   still filled in, for the UI).
/// - With a log: a hunk whose added lines touch an AI session's lines is [`Origin::Ai`], with one
///   [`EvidenceSource::Notes`] evidence per session naming its agent and model; one whose added
///   lines are all attested to known humans is [`Origin::Human`]; otherwise (some added line has
///   no entry) [`Origin::Unknown`], which still needs review. A hunk with no added line (a pure
///   deletion, a binary or mode-only change) cannot be attributed by lines — git-ai does not
///   record who deleted what — so it is AI-touched when the commit carries any AI evidence, and
///   Unknown otherwise.
/// - Without a log: every hunk is AI-touched when the commit carries evidence, else Human.
///
/// With a log, the commit also gets one Notes evidence per AI session the log attests (first, as
/// the strongest); calling this again replaces them rather than adding duplicates.
/// `trust_notes`: a hunk the notes call human-written needs no review. Off by default (the
/// policy's `trust_attribution_notes`): anyone who can push can write `refs/notes/ai`, so a
/// note is advice and such hunks stay of unknown origin, to be reviewed.
pub fn attribute(commit: &mut Commit, log: Option<&AuthorshipLog>, all: bool, trust_notes: bool) {
    let all = all
        || commit
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::All);
    commit
        .evidence
        .retain(|e| e.source != EvidenceSource::Notes);
    commit.has_line_attribution = log.is_some();
    if let Some(log) = log {
        let notes = session_evidence(log);
        commit.evidence.splice(0..0, notes);
    }
    let commit_is_ai = !commit.evidence.is_empty();
    // Looked up once per changed file: a large commit has hundreds of both.
    let by_path: HashMap<&str, &FileAttestation> = log
        .map(|l| l.files.iter().map(|f| (f.path.as_str(), f)).collect())
        .unwrap_or_default();
    for file in &mut commit.files {
        // None when the log does not mention the file: its added lines are of unknown origin.
        let attested = file
            .new_path
            .as_deref()
            .and_then(|p| by_path.get(p).copied())
            .map(|f| (f, LineIndex::new(f)));
        for hunk in &mut file.hunks {
            let (origin, evidence) = match log {
                Some(log) => match judge(hunk, log, attested.as_ref(), commit_is_ai) {
                    (Origin::Human, evidence) if !trust_notes => (Origin::Unknown, evidence),
                    judged => judged,
                },
                None if commit_is_ai => (Origin::Ai, Vec::new()),
                None => (Origin::Human, Vec::new()),
            };
            hunk.origin = if all { Origin::Ai } else { origin };
            hunk.evidence = evidence;
        }
    }
}

/// One Notes evidence per AI session of the log, for the commit.
fn session_evidence(log: &AuthorshipLog) -> Vec<Evidence> {
    log.ai_sessions()
        .into_iter()
        .map(|(key, session, lines, files)| {
            let plural =
                |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            Evidence {
                source: EvidenceSource::Notes,
                agent: session.and_then(|s| s.tool.clone()),
                model: session.and_then(|s| s.model.clone()),
                detail: format!(
                    "git-ai note: session {key} wrote {} in {}",
                    plural(lines, "line"),
                    plural(files as u64, "file")
                ),
            }
        })
        .collect()
}

fn added_lines(hunk: &Hunk) -> impl Iterator<Item = Option<u32>> + '_ {
    hunk.lines
        .iter()
        .filter(|l| l.kind == LineKind::Added)
        .map(|l| l.new_no)
}

fn judge(
    hunk: &Hunk,
    log: &AuthorshipLog,
    attested: Option<&(&FileAttestation, LineIndex)>,
    commit_is_ai: bool,
) -> (Origin, Vec<Evidence>) {
    let mut sessions: Vec<(&str, Vec<u32>)> = Vec::new();
    let (mut any, mut unknown) = (false, false);
    for line in added_lines(hunk) {
        any = true;
        let owner = attested.zip(line).and_then(|((file, index), n)| {
            let entry = index.owner(n)?;
            Some((n, file.entries[entry].key.as_str()))
        });
        let Some((n, entry_key)) = owner else {
            unknown = true;
            continue;
        };
        match log.author(entry_key) {
            Author::Human { .. } => {}
            Author::Ai { key, .. } => match sessions.iter_mut().find(|(k, _)| *k == key) {
                Some((_, lines)) => lines.push(n),
                None => sessions.push((key, vec![n])),
            },
        }
    }
    if !any {
        let origin = if commit_is_ai {
            Origin::Ai
        } else {
            Origin::Unknown
        };
        return (origin, Vec::new());
    }
    let origin = match (sessions.is_empty(), unknown) {
        (false, _) => Origin::Ai,
        (true, true) => Origin::Unknown,
        (true, false) => Origin::Human,
    };
    let evidence = sessions
        .into_iter()
        .map(|(key, lines)| {
            let session = match log.author(key) {
                Author::Ai { session, .. } => session,
                Author::Human { .. } => None,
            };
            let whose = match session {
                Some(_) => format!("session {key}"),
                None => format!("session {key} (no metadata in the note)"),
            };
            Evidence {
                source: EvidenceSource::Notes,
                agent: session.and_then(|s| s.tool.clone()),
                model: session.and_then(|s| s.model.clone()),
                detail: format!("git-ai note: lines {} by {whose}", ranges(&lines)),
            }
        })
        .collect();
    (origin, evidence)
}

/// `3-5, 9, 12-14`, shortened after a few ranges so a huge hunk keeps a readable detail.
fn ranges(lines: &[u32]) -> String {
    const SHOWN: usize = 6;
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &n in lines {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(n) => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(SHOWN)
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if runs.len() > SHOWN {
        parts.push(format!("… ({} more)", runs.len() - SHOWN));
    }
    parts.join(", ")
}

/// A file's attestations flattened into disjoint, sorted segments, each owned by the entry that
/// wins there (the latest, as in git-ai's blame), so each line is a binary search away however
/// many entries and ranges the note has.
struct LineIndex {
    starts: Vec<u32>,
    ends: Vec<u32>,
    owners: Vec<usize>,
}

impl LineIndex {
    fn new(file: &FileAttestation) -> LineIndex {
        // (position, opens?, entry); a range a-b is open on [a, b+1). Closing sorts first.
        let mut events: Vec<(u64, bool, usize)> = Vec::new();
        for (i, entry) in file.entries.iter().enumerate() {
            for &(a, b) in &entry.ranges {
                events.push((u64::from(a), true, i));
                events.push((u64::from(b) + 1, false, i));
            }
        }
        events.sort_unstable();
        let mut index = LineIndex {
            starts: Vec::new(),
            ends: Vec::new(),
            owners: Vec::new(),
        };
        let mut active: std::collections::BTreeMap<usize, u32> = Default::default();
        let mut pos = 0u64;
        for (at, opens, entry) in events {
            if at > pos {
                if let Some((&owner, _)) = active.last_key_value() {
                    // Positions come from u32 lines, so `at - 1` fits in a u32.
                    index.push(pos as u32, (at - 1) as u32, owner);
                }
                pos = at;
            }
            if opens {
                *active.entry(entry).or_default() += 1;
            } else if let Some(count) = active.get_mut(&entry) {
                *count -= 1;
                if *count == 0 {
                    active.remove(&entry);
                }
            }
        }
        index
    }

    fn push(&mut self, start: u32, end: u32, owner: usize) {
        let extends = self.owners.last() == Some(&owner)
            && self.ends.last().and_then(|e| e.checked_add(1)) == Some(start);
        if extends {
            if let Some(last) = self.ends.last_mut() {
                *last = end;
            }
        } else {
            self.starts.push(start);
            self.ends.push(end);
            self.owners.push(owner);
        }
    }

    /// The winning entry for a line, if any covers it.
    fn owner(&self, line: u32) -> Option<usize> {
        let i = self.starts.partition_point(|&s| s <= line).checked_sub(1)?;
        (self.ends[i] >= line).then(|| self.owners[i])
    }
}

#[cfg(test)]
#[path = "attribute_tests.rs"]
mod tests;
