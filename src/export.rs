//! The review handed back to the author or the agent: every hunk that was rejected, needs work
//! or carries a comment, with where it is, what the reviewer said, the diff and the findings.
//! Markdown reads well in a pull-request comment; JSON is stable and documented in
//! docs/export-format.md.
//!
//! Pure: the caller loads the commits and says where the decisions come from, so the review
//! screen exports its live session and `countersign export` a signed record the same way.

use serde::Serialize;

use crate::approval::ReviewRecord;
use crate::model::{Commit, Decision, FileChange, Finding, Hunk, LineKind, Verdict};
use crate::text::{printable, visibility, Visibility};

pub mod agent;
mod markdown;
mod records;

pub use records::{decisions_from_records, latest_per_reviewer};

/// Bumped on any incompatible change to the JSON.
pub const EXPORT_FORMAT_VERSION: u32 = 1;
/// Diff lines shown per hunk in Markdown: a pull-request comment has a size limit (65,536
/// characters on GitHub), and the JSON carries every line anyway.
pub const MARKDOWN_DIFF_LINES: usize = 200;

/// Where a commit's decisions came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The reviewer's local session: their own review, not signed (yet).
    Session,
    /// Review records in `refs/notes/countersign`, written when the commit was signed.
    Notes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub kind: SourceKind,
    /// `Name <email>` of each reviewer whose decisions are in the report.
    pub reviewers: Vec<String>,
    /// RFC 3339 time of the latest review record (none for a session, which has no one time).
    pub time: Option<String>,
}

impl Source {
    pub fn session(reviewer: Option<String>) -> Source {
        Source {
            kind: SourceKind::Session,
            reviewers: reviewer.into_iter().collect(),
            time: None,
        }
    }

    /// The source for the latest record of each reviewer (see `decisions_from_records`).
    pub fn notes(records: &[&ReviewRecord]) -> Source {
        Source {
            kind: SourceKind::Notes,
            reviewers: records.iter().map(|r| r.reviewer.clone()).collect(),
            time: records.iter().map(|r| r.time.clone()).max(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Export {
    pub version: u32,
    /// What was exported (`HEAD`, `main..topic`).
    pub range: String,
    pub summary: Counts,
    pub commits: Vec<CommitExport>,
}

/// Decisions on the hunks that needed one (AI-touched or of unknown origin); hunks a human
/// wrote are reported when the reviewer said something about them, but not counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub to_review: usize,
    pub approved: usize,
    pub rejected: usize,
    pub needs_work: usize,
    pub undecided: usize,
    /// Hunks with a comment, whatever their verdict (human-written ones included).
    pub commented: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.to_review += other.to_review;
        self.approved += other.approved;
        self.rejected += other.rejected;
        self.needs_work += other.needs_work;
        self.undecided += other.undecided;
        self.commented += other.commented;
    }

    /// One word for the whole review, for headlines.
    pub fn outcome(&self) -> &'static str {
        if self.rejected + self.needs_work > 0 {
            "changes requested"
        } else if self.undecided > 0 {
            "review not finished"
        } else {
            "approved"
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommitExport {
    pub id: String,
    pub subject: String,
    pub author: String,
    pub source: Source,
    pub summary: Counts,
    /// The hunks to act on, in file order.
    pub hunks: Vec<HunkExport>,
}

#[derive(Debug, Serialize)]
pub struct HunkExport {
    pub file: String,
    /// The path before a rename or copy, else null.
    pub old_file: Option<String>,
    /// The hunk's identity (hex), as in the session and the review record.
    pub id: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    /// The changed lines, or null for a whole-file change (binary, mode, rename).
    pub lines: Option<LineSpan>,
    /// `path:12-18`, for people and editors.
    pub location: String,
    pub ai_touched: bool,
    pub verdict: Option<Verdict>,
    pub comment: String,
    /// git's `@@ … @@` line, or what a whole-file change is ("binary file changed").
    pub header: String,
    /// The hunk's lines with their `+`/`-`/` ` sign, one per line, each made printable.
    pub diff: String,
    pub findings: Vec<FindingExport>,
    /// The review round the decision was made in (absent for a session or record without
    /// rounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Where the lines the comment is about are in this version of the hunk (absent when the
    /// comment is on the whole hunk, or has no anchor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_lines: Option<LineSpan>,
}

/// First and last changed line, on the new side, or on the old side when the hunk only removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineSpan {
    pub side: Side,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Old,
    New,
}

#[derive(Debug, Serialize)]
pub struct FindingExport {
    pub rule: String,
    pub severity: crate::model::Severity,
    pub category: String,
    pub line: Option<u32>,
    pub message: String,
}

impl Export {
    pub fn new(range: &str, commits: Vec<CommitExport>) -> Export {
        let mut summary = Counts::default();
        for c in &commits {
            summary.add(&c.summary);
        }
        Export {
            version: EXPORT_FORMAT_VERSION,
            range: range.to_string(),
            summary,
            commits,
        }
    }

    /// Pretty JSON, with every control or invisible character escaped (`\u202e`), so the
    /// text is exact for a program and harmless on a terminal.
    pub fn to_json(&self) -> String {
        json_text(self)
    }

    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// Keeps only the hunks decided in review round `n` (`--round`, `--since-last`); the
    /// counts stay those of the whole review.
    pub fn keep_round(&mut self, n: u32) {
        for c in &mut self.commits {
            c.hunks.retain(|h| h.round == Some(n));
        }
    }
}

impl CommitExport {
    /// The report of one commit, its decisions looked up by `decision`.
    pub fn new(
        commit: &Commit,
        source: Source,
        decision: impl Fn(&Hunk) -> Option<Decision>,
    ) -> CommitExport {
        let mut summary = Counts::default();
        let mut hunks = Vec::new();
        for file in &commit.files {
            for (i, hunk) in file.hunks.iter().enumerate() {
                let d = decision(hunk).unwrap_or_default();
                let ai = hunk.needs_review();
                if ai {
                    summary.to_review += 1;
                    match d.verdict {
                        Some(Verdict::Approved) => summary.approved += 1,
                        Some(Verdict::Rejected) => summary.rejected += 1,
                        Some(Verdict::NeedsWork) => summary.needs_work += 1,
                        None => summary.undecided += 1,
                    }
                }
                let comment = d.comment.trim().to_string();
                summary.commented += usize::from(!comment.is_empty());
                let to_act_on = matches!(
                    d.verdict,
                    Some(Verdict::Rejected) | Some(Verdict::NeedsWork)
                );
                if to_act_on || !comment.is_empty() {
                    // File-level findings (deleted file, mode change…) go with the first hunk.
                    let file_findings: &[Finding] = if i == 0 { &file.findings } else { &[] };
                    hunks.push(hunk_export(file, hunk, file_findings, &d, comment));
                }
            }
        }
        CommitExport {
            id: commit.id.clone(),
            subject: commit.summary.clone(),
            author: commit.author.ident(),
            source,
            summary,
            hunks,
        }
    }
}

/// One source for every commit: the review screen's "export instead of sign".
pub fn build(
    range: &str,
    commits: &[Commit],
    source: &Source,
    decision: impl Fn(&Hunk) -> Option<Decision>,
) -> Export {
    let commits = commits
        .iter()
        .map(|c| CommitExport::new(c, source.clone(), &decision))
        .collect();
    Export::new(range, commits)
}

pub fn markdown(
    range: &str,
    commits: &[Commit],
    source: &Source,
    decision: impl Fn(&Hunk) -> Option<Decision>,
) -> String {
    build(range, commits, source, decision).to_markdown()
}

pub fn json(
    range: &str,
    commits: &[Commit],
    source: &Source,
    decision: impl Fn(&Hunk) -> Option<Decision>,
) -> String {
    build(range, commits, source, decision).to_json()
}

fn hunk_export(
    file: &FileChange,
    hunk: &Hunk,
    file_findings: &[Finding],
    decision: &Decision,
    comment: String,
) -> HunkExport {
    let verdict = decision.verdict;
    let comment_lines = decision
        .anchor
        .as_ref()
        .and_then(|a| a.locate(file.path(), hunk).map(|l| (a.side, l)))
        .map(|(side, l)| LineSpan {
            side: match side {
                crate::model::Side::Old => Side::Old,
                crate::model::Side::New => Side::New,
            },
            start: l.start,
            end: l.end,
        });
    let path = file.path().to_string();
    let lines = line_span(hunk);
    let location = match lines {
        None => path.clone(),
        Some(s) => {
            let old = if s.side == Side::Old { " (old)" } else { "" };
            if s.start == s.end {
                format!("{path}:{}{old}", s.start)
            } else {
                format!("{path}:{}-{}{old}", s.start, s.end)
            }
        }
    };
    let header = if hunk.is_file_level() {
        printable(&hunk.header)
    } else {
        let context = if hunk.header.is_empty() {
            String::new()
        } else {
            format!(" {}", printable(hunk.header.trim()))
        };
        format!(
            "@@ -{},{} +{},{} @@{context}",
            hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines
        )
    };
    let mut diff = String::new();
    for line in &hunk.lines {
        diff.push(line.kind.sign());
        diff.push_str(&printable(&line.text()));
        diff.push('\n');
        if line.missing_newline {
            diff.push_str("\\ No newline at end of file\n");
        }
    }
    HunkExport {
        file: path,
        old_file: file.old_path.clone().filter(|o| o != file.path()),
        id: hunk.id.to_hex(),
        old_start: hunk.old_start,
        old_lines: hunk.old_lines,
        new_start: hunk.new_start,
        new_lines: hunk.new_lines,
        lines,
        location,
        ai_touched: hunk.needs_review(),
        verdict,
        comment: comment
            .lines()
            .map(printable)
            .collect::<Vec<_>>()
            .join("\n"),
        header,
        diff,
        findings: file_findings
            .iter()
            .chain(&hunk.findings)
            .map(|f| FindingExport {
                rule: f.rule.clone(),
                severity: f.severity,
                category: f.category.clone(),
                line: f.line_no,
                message: printable(&f.message),
            })
            .collect(),
        round: (decision.round > 0).then_some(decision.round),
        comment_lines,
    }
}

/// The changed lines' span: what the author has to look at, without the context around it.
fn line_span(hunk: &Hunk) -> Option<LineSpan> {
    let span = |kind: LineKind, side: Side| {
        let numbers = hunk
            .lines
            .iter()
            .filter(|l| l.kind == kind)
            .filter_map(|l| {
                if side == Side::New {
                    l.new_no
                } else {
                    l.old_no
                }
            });
        let (lo, hi) = numbers.fold(None, |acc: Option<(u32, u32)>, n| match acc {
            None => Some((n, n)),
            Some((lo, hi)) => Some((lo.min(n), hi.max(n))),
        })?;
        Some(LineSpan {
            side,
            start: lo,
            end: hi,
        })
    };
    span(LineKind::Added, Side::New).or_else(|| span(LineKind::Removed, Side::Old))
}

/// Pretty JSON of `value` that is safe on a terminal: serde_json escapes C0 controls in
/// strings but writes C1 controls, bidi and zero-width characters raw; those become `\uXXXX`
/// too, which decodes to the same text. Used by every JSON output of the reports.
pub fn json_text(value: &impl Serialize) -> String {
    let raw = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        // A raw newline is structure (serde escapes those inside strings).
        if c == '\n' || visibility(c) == Visibility::Plain {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
