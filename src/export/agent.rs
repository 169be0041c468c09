//! The review as work for the agent that wrote the change: per rejected or needs-work hunk,
//! the file, the lines as they are now, the verdict, the comment, the findings and the round,
//! as versioned JSON (`agent-json`) or as Markdown that reads as instructions (`agent`).
//! Documented in docs/export-format.md; built from the same [`Export`] as the other formats, so
//! the two can never disagree about what the reviewer said.

use serde::Serialize;

use super::markdown::{code, diff_body, longest_run, text};
use super::{Export, HunkExport};
use crate::model::Verdict;
use crate::text::printable;

/// Identifies the JSON for a program that reads several formats.
pub const AGENT_FORMAT: &str = "countersign-agent-review";
/// Bumped on any incompatible change to the agent JSON.
pub const AGENT_FORMAT_VERSION: u32 = 1;

/// What the agent is asked, at the top of both formats.
const INSTRUCTIONS: &str = "A human reviewer went through your change with countersign and asks \
for the changes below. For each task: make the change its comment asks for, in the file and lines \
given (they are the lines as they are in the reviewed version). Do not change code no task names. \
When done, amend the commits or add commits on the same branch; the reviewer's next round shows \
what changed since this one.";

#[derive(Debug, Serialize)]
pub struct AgentReview<'a> {
    pub format: &'static str,
    pub version: u32,
    /// What was reviewed (`HEAD`, `main..topic`).
    pub range: String,
    /// The reviewer's latest round of this change, if rounds were kept.
    pub round: Option<u32>,
    /// `changes requested`, `review not finished` or `approved`.
    pub outcome: &'static str,
    pub instructions: &'static str,
    /// Rejected or needs-work hunks: the work to do.
    pub tasks: Vec<Task<'a>>,
    /// Comments on hunks that were approved (or not decided): to read, not necessarily to act
    /// on.
    pub notes: Vec<Task<'a>>,
}

/// One hunk to act on: the export's hunk (file, lines now, verdict, comment, round, findings,
/// diff) and the commit it is in.
#[derive(Debug, Serialize)]
pub struct Task<'a> {
    pub commit: &'a str,
    #[serde(flatten)]
    pub hunk: &'a HunkExport,
}

impl<'a> AgentReview<'a> {
    /// The tasks and notes of `export`; `round` is the reviewer's latest round.
    pub fn new(export: &'a Export, round: Option<u32>) -> AgentReview<'a> {
        let mut tasks = Vec::new();
        let mut notes = Vec::new();
        for c in &export.commits {
            for h in &c.hunks {
                let task = Task {
                    commit: &c.id,
                    hunk: h,
                };
                match h.verdict {
                    Some(Verdict::Rejected) | Some(Verdict::NeedsWork) => tasks.push(task),
                    _ => notes.push(task),
                }
            }
        }
        AgentReview {
            format: AGENT_FORMAT,
            version: AGENT_FORMAT_VERSION,
            range: export.range.clone(),
            round,
            outcome: export.summary.outcome(),
            instructions: INSTRUCTIONS,
            tasks,
            notes,
        }
    }

    pub fn to_json(&self) -> String {
        super::json_text(self)
    }

    /// Markdown for a prompt: the instructions, then one numbered task per hunk.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let round = self
            .round
            .map(|r| format!(", round {r}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "# Review of {}: {}{round}\n\n{INSTRUCTIONS}\n",
            code(&printable(&self.range)),
            self.outcome
        ));
        if self.tasks.is_empty() {
            s.push_str("\nNo task: nothing was rejected or marked as needing work.\n");
        }
        for (i, t) in self.tasks.iter().enumerate() {
            task(&mut s, i + 1, t);
        }
        if !self.notes.is_empty() {
            s.push_str("\n## Comments on approved code (read; change only if they ask)\n");
            for (i, t) in self.notes.iter().enumerate() {
                task(&mut s, i + 1, t);
            }
        }
        s
    }
}

fn task(s: &mut String, n: usize, t: &Task) {
    let h = t.hunk;
    let verdict = match h.verdict {
        Some(Verdict::Rejected) => "rejected: replace or remove this change",
        Some(Verdict::NeedsWork) => "needs work: fix this change",
        Some(Verdict::Approved) => "approved",
        None => "not decided",
    };
    let round = h.round.map(|r| format!(" (round {r})")).unwrap_or_default();
    let short = &t.commit[..t.commit.len().min(10)];
    s.push_str(&format!(
        "\n## {n}. {} in commit {}: {verdict}{round}\n\n",
        code(&printable(&h.location)),
        code(short)
    ));
    if let Some(l) = h.comment_lines {
        let side = if l.side == super::Side::Old {
            " (lines it removes)"
        } else {
            ""
        };
        let lines = if l.start == l.end {
            format!("line {}", l.start)
        } else {
            format!("lines {}-{}", l.start, l.end)
        };
        s.push_str(&format!("The comment is about {lines}{side}.\n\n"));
    }
    if h.comment.trim().is_empty() {
        s.push_str("The reviewer left no comment: read the findings and the diff.\n");
    } else {
        for line in h.comment.lines() {
            s.push_str(&format!("> {line}\n"));
        }
    }
    if !h.findings.is_empty() {
        s.push_str("\nWhat countersign's risk rules found here:\n\n");
        for f in &h.findings {
            let at = f.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            s.push_str(&format!(
                "- {} {}{at}: {}\n",
                f.severity.as_str(),
                code(&printable(&f.rule)),
                text(&f.message)
            ));
        }
    }
    if h.diff.is_empty() {
        s.push_str(&format!("\n{}\n", text(&h.header)));
        return;
    }
    let body = diff_body(h);
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    s.push_str(&format!(
        "\nThe hunk as reviewed:\n\n{fence}diff\n{body}{fence}\n"
    ));
}
