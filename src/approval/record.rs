//! The review record: every hunk's identity, decision, comment and findings, the reviewer and
//! the time. It is stored in `refs/notes/countersign` for audit, and its digest is part of the
//! signed payload, so the record can't be edited after signing without it showing.
//!
//! Canonical form: serde_json's compact output of these structs, fields in declaration order,
//! no trailing newline. The digest is SHA-256 over exactly those bytes. A record read back from
//! a note is parsed and re-serialised before hashing, so whitespace a note tool adds does not
//! matter; unknown fields are rejected rather than silently dropped from the digest.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::digest::{content_digest, Sha256Digest};
use crate::model::{Commit, Decision, Hunk, HunkId, Severity, Verdict};
use crate::timefmt;

/// The record format's version (2: scope and the commits covered; 3: the review rounds).
pub const RECORD_VERSION: u32 = 3;
/// The oldest version still read (a version-2 record has no rounds, and means the same).
const OLDEST_READ: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRecord {
    pub version: u32,
    /// `commit` or `branch`, as in the payload.
    pub scope: String,
    /// `Jane Doe <jane@example.com>`, as in the `Countersigned-by` trailer.
    pub reviewer: String,
    /// RFC 3339 UTC, as in the payload.
    pub time: String,
    /// The commits as they were reviewed (before the approval was written into their
    /// messages): the one commit, or every commit of the branch, oldest first.
    pub commits: Vec<String>,
    /// `sha256:<hex>`, the content digest of that commit.
    pub content_digest: String,
    pub hunks: Vec<HunkRecord>,
    /// The review round the approval closed (the reviewer's sittings on a change that moved
    /// between them: 1 for an approval at first sight). Absent before version 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
}

/// The verdict an earlier version of a hunk got, in an earlier round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundVerdict {
    pub round: u32,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HunkRecord {
    /// The file's path (its new path; the old one for a deletion).
    pub file: String,
    /// The old path when the file was renamed or copied, else null.
    pub old_path: Option<String>,
    pub hunk: HunkId,
    pub old_start: u32,
    pub new_start: u32,
    /// The hunk is AI-touched (or of unknown origin) and needed a decision.
    pub needs_review: bool,
    pub verdict: Option<Verdict>,
    /// Approved by the reviewer without every line having been on screen (they confirmed it).
    pub unseen: bool,
    pub comment: String,
    pub findings: Vec<FindingRecord>,
    /// The round the hunk's decision was made in. Absent before version 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// The verdicts earlier versions of the hunk got, oldest first: "approved after two
    /// rejections" is two entries here. Absent when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<RoundVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRecord {
    pub rule: String,
    pub severity: Severity,
    /// The line number in the file, when the finding points at one.
    pub line: Option<u32>,
    pub message: String,
}

/// How many of the hunks that needed a decision were approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HunkCounts {
    pub approved: usize,
    pub total: usize,
}

impl HunkCounts {
    pub fn all_approved(&self) -> bool {
        self.approved == self.total
    }
}

impl ReviewRecord {
    /// The record of a review of `commit` by `reviewer` at `time` (seconds since the epoch);
    /// `decision` gives the reviewer's decision on a hunk, if any (usually a lookup by hunk id
    /// in the session store).
    pub fn from_commit(
        commit: &Commit,
        reviewer: &str,
        time: i64,
        decision: impl Fn(&Hunk) -> Option<Decision>,
    ) -> Result<ReviewRecord> {
        ReviewRecord::of("commit", &[commit], &commit.files, reviewer, time, decision)
    }

    /// The record of a branch approval: the combined change `files` of `commits`, each of
    /// which was reviewed hunk by hunk (their hunks and decisions are the record's).
    pub fn for_branch(
        commits: &[&Commit],
        files: &[crate::model::FileChange],
        reviewer: &str,
        time: i64,
        decision: impl Fn(&Hunk) -> Option<Decision>,
    ) -> Result<ReviewRecord> {
        ReviewRecord::of("branch", commits, files, reviewer, time, decision)
    }

    fn of(
        scope: &str,
        commits: &[&Commit],
        files: &[crate::model::FileChange],
        reviewer: &str,
        time: i64,
        decision: impl Fn(&Hunk) -> Option<Decision>,
    ) -> Result<ReviewRecord> {
        Ok(ReviewRecord {
            version: RECORD_VERSION,
            scope: scope.into(),
            reviewer: reviewer.to_string(),
            time: timefmt::rfc3339(time),
            commits: commits.iter().map(|c| c.id.clone()).collect(),
            content_digest: content_digest(files)?.to_string(),
            hunks: commits
                .iter()
                .flat_map(|c| hunk_records(c, &decision))
                .collect(),
            round: None,
        })
    }

    pub fn counts(&self) -> HunkCounts {
        let needing: Vec<_> = self.hunks.iter().filter(|h| h.needs_review).collect();
        HunkCounts {
            approved: needing
                .iter()
                .filter(|h| h.verdict == Some(Verdict::Approved))
                .count(),
            total: needing.len(),
        }
    }

    /// The canonical JSON text (compact, fields in a fixed order, no trailing newline).
    pub fn to_canonical_json(&self) -> String {
        // Serialising plain structs of strings, numbers and enums cannot fail; fall back to an
        // empty object rather than panic, which can only make a digest not match.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Says which round the approval closed and, per hunk, the round of its decision and the
    /// verdicts its earlier versions got (from the reviewer's session).
    pub fn with_rounds(
        mut self,
        round: u32,
        history: impl Fn(HunkId) -> Vec<(u32, Verdict)>,
    ) -> Self {
        self.round = (round > 0).then_some(round);
        for h in &mut self.hunks {
            h.history = history(h.hunk)
                .into_iter()
                .map(|(round, verdict)| RoundVerdict { round, verdict })
                .collect();
        }
        self
    }

    /// SHA-256 over the canonical JSON.
    pub fn digest(&self) -> Sha256Digest {
        Sha256Digest::of(self.to_canonical_json().as_bytes())
    }

    /// The note text of `refs/notes/countersign` holds one canonical record per line (one
    /// line per reviewer); this appends this record to an existing note's text.
    pub fn append_to_note(&self, existing: &str) -> String {
        let mut out = existing.trim_end_matches('\n').to_string();
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&self.to_canonical_json());
        out.push('\n');
        out
    }

    /// Every record in a note's text (one per non-empty line).
    pub fn parse_note(text: &str) -> Result<Vec<ReviewRecord>> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                ReviewRecord::from_json(l).with_context(|| format!("line {} of the note", i + 1))
            })
            .collect()
    }

    /// Parses a record as stored in a note (any JSON whitespace accepted).
    pub fn from_json(text: &str) -> Result<ReviewRecord> {
        let record: ReviewRecord =
            serde_json::from_str(text.trim()).context("invalid countersign review record")?;
        if !(OLDEST_READ..=RECORD_VERSION).contains(&record.version) {
            anyhow::bail!(
                "unsupported countersign review record version {} (this countersign reads {} to {})",
                record.version,
                OLDEST_READ,
                RECORD_VERSION
            );
        }
        Ok(record)
    }
}

fn hunk_records(commit: &Commit, decision: &impl Fn(&Hunk) -> Option<Decision>) -> Vec<HunkRecord> {
    let mut hunks = Vec::new();
    for file in &commit.files {
        let old_path = match (&file.old_path, &file.new_path) {
            (Some(old), Some(new)) if old != new => Some(old.clone()),
            _ => None,
        };
        for hunk in &file.hunks {
            let d = decision(hunk).unwrap_or_default();
            hunks.push(HunkRecord {
                file: file.path().to_string(),
                old_path: old_path.clone(),
                hunk: hunk.id,
                old_start: hunk.old_start,
                new_start: hunk.new_start,
                needs_review: hunk.needs_review(),
                verdict: d.verdict,
                unseen: d.unseen,
                round: (d.round > 0).then_some(d.round),
                history: Vec::new(),
                comment: d.comment,
                findings: hunk
                    .findings
                    .iter()
                    .map(|f| FindingRecord {
                        rule: f.rule.clone(),
                        severity: f.severity,
                        line: f.line_no,
                        message: f.message.clone(),
                    })
                    .collect(),
            });
        }
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::digest::tests::{commit_with, text_file};
    use crate::model::{Finding, Origin};

    fn record(verdict: Option<Verdict>) -> ReviewRecord {
        let mut c = commit_with(vec![text_file("src/a.rs", 3, &["old"], &["new"])]);
        c.files[0].hunks[0].origin = Origin::Ai;
        c.files[0].hunks[0].findings.push(Finding {
            rule: "security.unsafe".into(),
            severity: Severity::High,
            category: "security".into(),
            line_index: Some(2),
            line_no: Some(4),
            column: None,
            message: "Adds an unsafe block.".into(),
        });
        ReviewRecord::from_commit(&c, "Jane Doe <jane@example.com>", 1_795_294_800, |_| {
            Some(Decision {
                verdict,
                comment: "ok \"quoted\"\n".into(),
                ..Decision::default()
            })
        })
        .unwrap()
    }

    #[test]
    fn canonical_json_is_stable_and_round_trips() {
        let r = record(Some(Verdict::Approved));
        let json = r.to_canonical_json();
        assert!(json.starts_with("{\"version\":3,\"scope\":\"commit\",\"reviewer\":\"Jane Doe <jane@example.com>\",\"time\":\"2026-11-21T21:00:00Z\",\"commits\":["), "{json}");
        assert!(json.contains("\"findings\":[{\"rule\":\"security.unsafe\",\"severity\":\"high\",\"line\":4,\"message\":\"Adds an unsafe block.\"}]"), "{json}");
        let pretty = serde_json::to_string_pretty(&r).unwrap();
        let back = ReviewRecord::from_json(&format!("{pretty}\n")).unwrap();
        assert_eq!(back.digest(), r.digest());
        assert_eq!(
            r.counts(),
            HunkCounts {
                approved: 1,
                total: 1
            }
        );
    }

    #[test]
    fn notes_hold_one_record_per_line() {
        let a = record(Some(Verdict::Approved));
        let mut b = a.clone();
        b.reviewer = "Bob <bob@example.com>".into();
        let note = b.append_to_note(&a.append_to_note(""));
        assert_eq!(note.lines().count(), 2);
        assert_eq!(ReviewRecord::parse_note(&note).unwrap(), vec![a, b]);
        assert!(ReviewRecord::parse_note("{\"x\":1}\n").is_err());
    }

    #[test]
    fn any_edit_changes_the_digest() {
        let r = record(Some(Verdict::Approved));
        let mut edited = r.clone();
        edited.hunks[0].comment.push(' ');
        assert_ne!(r.digest(), edited.digest());
        assert_eq!(record(Some(Verdict::Rejected)).counts().approved, 0);
    }

    #[test]
    fn unknown_fields_and_versions_are_refused() {
        let json = record(None).to_canonical_json();
        let extra = json.replacen('{', "{\"extra\":1,", 1);
        assert!(ReviewRecord::from_json(&extra).is_err());
        let v1 = json.replacen("\"version\":3", "\"version\":1", 1);
        assert!(ReviewRecord::from_json(&v1).is_err());
        let v4 = json.replacen("\"version\":3", "\"version\":4", 1);
        assert!(ReviewRecord::from_json(&v4).is_err());
        // A version-2 record (no rounds) still reads, and hashes as it was written.
        let v2 = json.replacen("\"version\":3", "\"version\":2", 1);
        let old = ReviewRecord::from_json(&v2).unwrap();
        assert_eq!(old.to_canonical_json(), v2);
    }

    #[test]
    fn the_rounds_are_in_the_record_and_in_its_digest() {
        let r = record(Some(Verdict::Approved));
        let id = r.hunks[0].hunk;
        let with = r.clone().with_rounds(3, |h| {
            if h == id {
                vec![(1, Verdict::Rejected), (2, Verdict::Rejected)]
            } else {
                Vec::new()
            }
        });
        let json = with.to_canonical_json();
        assert!(json.contains("\"history\":[{\"round\":1,\"verdict\":\"rejected\"},{\"round\":2,\"verdict\":\"rejected\"}]"), "{json}");
        assert!(json.ends_with(",\"round\":3}"), "{json}");
        assert_ne!(with.digest(), r.digest());
        assert_eq!(ReviewRecord::from_json(&json).unwrap(), with);
    }
}
