//! The approval record of one commit, as `countersign show` prints it: the approval trailers in
//! its message and the review records in `refs/notes/countersign`. Nothing here is verified (no
//! signature is checked, no key looked up): that is `countersign verify`'s job, and the text
//! says so. JSON is documented in docs/export-format.md.
//!
//! Pure: the caller reads the commit and its note.

use serde::Serialize;

use crate::approval::record::HunkRecord;
use crate::approval::trailer::TrailerProblem;
use crate::approval::{parse_approvals, ApprovalSet, ReviewRecord, Scheme};
use crate::export::{json_text, latest_per_reviewer, Counts};
use crate::model::{Commit, Verdict};
use crate::text::printable;

/// Bumped on any incompatible change to the JSON.
pub const SHOW_FORMAT_VERSION: u32 = 1;

/// The records in a commit's countersign note, read line by line so that one damaged line does
/// not hide the others.
#[derive(Debug, Default)]
pub struct NoteRecords {
    pub records: Vec<ReviewRecord>,
    /// `line N: why` for every line that is not a record.
    pub errors: Vec<String>,
}

impl NoteRecords {
    pub fn parse(text: &str) -> NoteRecords {
        let mut out = NoteRecords::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match ReviewRecord::from_json(line) {
                Ok(r) => out.records.push(r),
                Err(e) => {
                    out.errors
                        .push(format!("line {}: {}", i + 1, crate::error::one_line(&e)))
                }
            }
        }
        out
    }
}

#[derive(Debug, Serialize)]
pub struct ShowReport {
    pub version: u32,
    pub commit: String,
    pub subject: String,
    pub author: String,
    /// Approval trailers that parse, in message order. Not verified.
    pub approvals: Vec<ApprovalView>,
    /// Countersign trailers that are missing a part, duplicated or garbled.
    pub trailer_problems: Vec<ProblemView>,
    /// The latest review record of each reviewer.
    pub records: Vec<RecordView>,
    /// Older records of the same reviewers, not shown.
    pub superseded_records: usize,
    /// Lines of the note that are not review records.
    pub note_errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ApprovalView {
    pub reviewer: String,
    pub time: String,
    pub hunks_approved: usize,
    pub hunks_total: usize,
    pub content_digest: String,
    /// `commit` or `branch`.
    pub scope: String,
    pub base_tree: String,
    pub tree: String,
    /// The authors and committers of the reviewed commits, as signed.
    pub authors: Vec<String>,
    pub record_digest: String,
    /// A record with that digest is in the commit's note.
    pub record_in_notes: bool,
    /// `ssh` or `openpgp`.
    pub scheme: String,
    /// For ssh: the key type and fingerprint the signature names (not checked here).
    pub key_type: Option<String>,
    pub fingerprint: Option<String>,
    /// A break-glass approval's signed reason.
    pub break_glass: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProblemView {
    pub reviewer: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct RecordView {
    pub reviewer: String,
    pub time: String,
    /// The commits as they were reviewed (before the approval was written into their messages).
    pub reviewed_commits: Vec<String>,
    pub content_digest: String,
    /// `sha256:…` of the record, as an approval trailer names it.
    pub digest: String,
    pub counts: Counts,
    /// The hunks with a verdict or a comment, as recorded.
    pub decided: Vec<HunkRecord>,
    /// The review round the approval closed (null for a record from before rounds).
    pub round: Option<u32>,
}

impl ShowReport {
    /// The report for `commit` and the text of its `refs/notes/countersign` note, if any.
    pub fn new(commit: &Commit, note: Option<&str>) -> ShowReport {
        let parsed = parse_approvals(&commit.message);
        let notes = note.map(NoteRecords::parse).unwrap_or_default();
        let digests: Vec<String> = notes
            .records
            .iter()
            .map(|r| r.digest().to_string())
            .collect();
        let latest = latest_per_reviewer(&notes.records);
        ShowReport {
            version: SHOW_FORMAT_VERSION,
            commit: commit.id.clone(),
            subject: commit.summary.clone(),
            author: commit.author.ident(),
            approvals: parsed
                .sets
                .iter()
                .map(|s| approval_view(s, &digests))
                .collect(),
            trailer_problems: parsed.problems.iter().map(problem_view).collect(),
            superseded_records: notes.records.len() - latest.len(),
            records: latest.into_iter().map(record_view).collect(),
            note_errors: notes.errors,
        }
    }

    /// Neither an approval trailer nor a review record (nor a broken attempt at one).
    pub fn is_empty(&self) -> bool {
        self.approvals.is_empty()
            && self.records.is_empty()
            && self.trailer_problems.is_empty()
            && self.note_errors.is_empty()
    }

    pub fn to_json(&self) -> String {
        json_text(self)
    }

    /// Readable text; every string from the repository made printable.
    pub fn to_text(&self) -> String {
        let p = printable;
        let mut s = format!("commit {} {}\n", self.commit, p(&self.subject));
        s.push_str(&format!("author {}\n", p(&self.author)));
        if self.is_empty() {
            s.push_str("\nno approval: no countersign trailers and no review record.\n");
            return s;
        }
        s.push_str(&format!(
            "\napprovals in the message: {} (not verified; `countersign verify` checks them)\n",
            self.approvals.len()
        ));
        for a in &self.approvals {
            s.push_str(&format!(
                "  {}  {}  {} approval, hunks {}/{}\n",
                p(&a.reviewer),
                a.time,
                a.scope,
                a.hunks_approved,
                a.hunks_total
            ));
            if let Some(reason) = &a.break_glass {
                s.push_str(&format!("    BREAK-GLASS: \"{}\"\n", p(reason)));
            }
            s.push_str(&format!("    content {}\n", a.content_digest));
            let key = match (&a.key_type, &a.fingerprint) {
                (Some(t), Some(f)) => format!(" {} {}", p(t), p(f)),
                _ => String::new(),
            };
            s.push_str(&format!("    signature {}{key}\n", a.scheme));
            let found = if a.record_in_notes {
                "in refs/notes/countersign"
            } else {
                "not in refs/notes/countersign"
            };
            s.push_str(&format!("    record {} ({found})\n", a.record_digest));
        }
        for problem in &self.trailer_problems {
            s.push_str(&format!("  problem: {}\n", p(&problem.message)));
        }
        s.push_str(&format!(
            "\nreview records in refs/notes/countersign: {}",
            self.records.len()
        ));
        if self.records.is_empty() && self.note_errors.is_empty() {
            s.push_str(
                " (notes travel apart from commits: git fetch origin 'refs/notes/*:refs/notes/*')",
            );
        }
        if self.superseded_records > 0 {
            s.push_str(&format!(
                " (and {} older, superseded by a later review of the same reviewer)",
                self.superseded_records
            ));
        }
        s.push('\n');
        for r in &self.records {
            record_text(&mut s, r);
        }
        for e in &self.note_errors {
            s.push_str(&format!("  unreadable note {}\n", p(e)));
        }
        s
    }
}

fn record_text(s: &mut String, r: &RecordView) {
    let p = printable;
    let c = &r.counts;
    s.push_str(&format!(
        "  {}  {}  reviewed {}\n",
        p(&r.reviewer),
        r.time,
        r.reviewed_commits
            .iter()
            .map(|c| &c[..c.len().min(10)])
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&format!(
        "    {} hunks to review: {} approved, {} rejected, {} needs work, {} undecided; {} commented\n",
        c.to_review, c.approved, c.rejected, c.needs_work, c.undecided, c.commented
    ));
    if let Some(round) = r.round {
        s.push_str(&format!("    closed review round {round}\n"));
    }
    for h in &r.decided {
        let verdict = h.verdict.map(Verdict::as_str).unwrap_or("comment");
        let human = if h.needs_review {
            ""
        } else {
            " (human-written)"
        };
        // "approved after two rejections" reads off the history.
        let after: Vec<String> = h
            .history
            .iter()
            .map(|e| format!("{} in round {}", e.verdict.as_str(), e.round))
            .collect();
        let after = if after.is_empty() {
            String::new()
        } else {
            format!(" (after: {})", after.join(", "))
        };
        s.push_str(&format!(
            "    {verdict:<10}  {}:{}{human}{after}\n",
            p(&h.file),
            h.new_start
        ));
        for line in h.comment.lines() {
            s.push_str(&format!("                | {}\n", p(line)));
        }
        for f in &h.findings {
            let at = f.line.map(|l| format!(" line {l}")).unwrap_or_default();
            s.push_str(&format!(
                "                {} {}{at}: {}\n",
                f.severity.as_str().to_uppercase(),
                p(&f.rule),
                p(&f.message)
            ));
        }
    }
}

fn approval_view(set: &ApprovalSet, record_digests: &[String]) -> ApprovalView {
    let record = set.record.to_string();
    let info = match set.signature.scheme {
        Scheme::Ssh => set.signature.ssh_info().ok(),
        Scheme::OpenPgp => None,
    };
    ApprovalView {
        reviewer: set.reviewer.to_string(),
        time: crate::timefmt::rfc3339(set.time),
        hunks_approved: set.hunks.approved,
        hunks_total: set.hunks.total,
        content_digest: set.content.to_string(),
        tree: set.tree.clone(),
        scope: set.scope.as_str().to_string(),
        base_tree: set.base_tree.clone(),
        authors: set.authors.clone(),
        break_glass: set.break_glass.clone(),
        record_in_notes: record_digests.contains(&record),
        record_digest: record,
        scheme: set.signature.scheme.as_str().to_string(),
        key_type: info.as_ref().map(|i| i.key_type.clone()),
        fingerprint: info.map(|i| i.fingerprint),
    }
}

fn problem_view(p: &TrailerProblem) -> ProblemView {
    ProblemView {
        reviewer: p.reviewer.clone(),
        message: p.message.clone(),
    }
}

fn record_view(r: &ReviewRecord) -> RecordView {
    let mut counts = Counts::default();
    for h in &r.hunks {
        if h.needs_review {
            counts.to_review += 1;
            match h.verdict {
                Some(Verdict::Approved) => counts.approved += 1,
                Some(Verdict::Rejected) => counts.rejected += 1,
                Some(Verdict::NeedsWork) => counts.needs_work += 1,
                None => counts.undecided += 1,
            }
        }
        counts.commented += usize::from(!h.comment.trim().is_empty());
    }
    RecordView {
        reviewer: r.reviewer.clone(),
        time: r.time.clone(),
        reviewed_commits: r.commits.clone(),
        content_digest: r.content_digest.clone(),
        digest: r.digest().to_string(),
        counts,
        round: r.round,
        decided: r
            .hunks
            .iter()
            .filter(|h| h.verdict.is_some() || !h.comment.trim().is_empty())
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::digest::tests::{commit_with, text_file};
    use crate::model::{Decision, Origin};

    fn commit(message: &str) -> Commit {
        let mut c = commit_with(vec![text_file("a.rs", 1, &["x"], &["y"])]);
        c.files[0].hunks[0].origin = Origin::Ai;
        c.summary = message.lines().next().unwrap_or("").into();
        c.message = message.into();
        c
    }

    #[test]
    fn broken_trailers_and_note_lines_are_shown_not_hidden() {
        let c = commit("Subject\n\nCountersigned-by: Jane Doe <jane@example.com>\n");
        let record = ReviewRecord::from_commit(&c, "Jane Doe <jane@example.com>", 0, |_| {
            Some(Decision {
                verdict: Some(Verdict::Rejected),
                comment: "no\u{1b}[2J".into(),
                ..Decision::default()
            })
        })
        .unwrap();
        let note = format!("{}\nnot json\n", record.to_canonical_json());
        let report = ShowReport::new(&c, Some(&note));
        assert!(!report.is_empty());
        assert_eq!(report.approvals.len(), 0);
        assert_eq!(report.trailer_problems.len(), 1);
        assert_eq!(report.records.len(), 1);
        assert_eq!(report.note_errors.len(), 1);
        assert!(report.note_errors[0].starts_with("line 2: "));
        let text = report.to_text();
        assert!(text.contains("  problem: line 3: approval by Jane Doe <jane@example.com> has no Countersign-Approval\n"), "{text}");
        assert!(
            text.contains("    rejected    a.rs:1\n                | no␛[2J\n"),
            "{text}"
        );
        assert!(text.contains("  unreadable note line 2: "), "{text}");
    }

    #[test]
    fn a_commit_with_nothing_says_so() {
        let report = ShowReport::new(&commit("Subject"), None);
        assert!(report.is_empty());
        assert!(report
            .to_text()
            .ends_with("\nno approval: no countersign trailers and no review record.\n"));
    }
}
