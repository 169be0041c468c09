//! The export as Markdown, for a pull-request comment or a message to an agent: a header with
//! the outcome and counts, then per commit one section per hunk to act on, with the comment,
//! the findings and a ```diff block.
//!
//! Everything that came from the repository (subjects, paths, authors) is escaped, so a commit
//! message can't inject links, HTML or headings into the comment; the reviewer's own comments
//! are kept as Markdown, since that is how they were written.

use super::{CommitExport, Counts, Export, HunkExport, SourceKind, MARKDOWN_DIFF_LINES};
use crate::model::Verdict;
use crate::text::printable;

pub fn render(export: &Export) -> String {
    let mut s = String::new();
    let n = export.commits.len();
    s.push_str(&format!(
        "# countersign review of {} ({n} commit{})\n\n",
        code(&printable(&export.range)),
        plural(n)
    ));
    s.push_str(&format!(
        "**Outcome: {}.** {}\n",
        export.summary.outcome(),
        counts(&export.summary)
    ));
    for c in &export.commits {
        commit(&mut s, c);
    }
    s
}

fn commit(s: &mut String, c: &CommitExport) {
    let short = &c.id[..c.id.len().min(10)];
    s.push_str(&format!(
        "\n## {} {}\n\n",
        code(short),
        text(&printable(&c.subject))
    ));
    s.push_str(&format!("- Author: {}\n", text(&printable(&c.author))));
    let reviewers = if c.source.reviewers.is_empty() {
        "unknown reviewer".to_string()
    } else {
        c.source
            .reviewers
            .iter()
            .map(|r| text(&printable(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let from = match (c.source.kind, &c.source.time) {
        (SourceKind::Session, _) => "local review session, not signed".to_string(),
        (SourceKind::Notes, Some(t)) => format!("review record of {t} in refs/notes/countersign"),
        (SourceKind::Notes, None) => "review record in refs/notes/countersign".to_string(),
    };
    s.push_str(&format!("- Reviewed by: {reviewers} ({from})\n"));
    s.push_str(&format!("- {}\n", counts(&c.summary)));
    if c.hunks.is_empty() {
        s.push_str(
            "\nNothing to act on: no hunk was rejected, marked as needing work, or commented.\n",
        );
    }
    for (i, h) in c.hunks.iter().enumerate() {
        hunk(s, i + 1, h);
    }
}

fn hunk(s: &mut String, n: usize, h: &HunkExport) {
    let verdict = match h.verdict {
        Some(Verdict::Rejected) => "rejected",
        Some(Verdict::NeedsWork) => "needs work",
        Some(Verdict::Approved) => "approved, with a comment",
        None => "comment",
    };
    let where_ = match h.lines {
        None => "whole file".to_string(),
        Some(span) => {
            let side = if span.side == super::Side::Old {
                "old "
            } else {
                ""
            };
            if span.start == span.end {
                format!("{side}line {}", span.start)
            } else {
                format!("{side}lines {}–{}", span.start, span.end)
            }
        }
    };
    let path = match &h.old_file {
        Some(old) => format!("{} → {}", code(&printable(old)), code(&printable(&h.file))),
        None => code(&printable(&h.file)),
    };
    let human = if h.ai_touched { "" } else { " (human-written)" };
    s.push_str(&format!("\n### {n}. {path} {where_}: {verdict}{human}\n\n"));
    if !h.comment.is_empty() {
        for line in h.comment.lines() {
            if line.is_empty() {
                s.push_str(">\n");
            } else {
                s.push_str(&format!("> {line}\n"));
            }
        }
        s.push('\n');
    }
    if !h.findings.is_empty() {
        s.push_str("Findings:\n");
        for f in &h.findings {
            let at = f.line.map(|l| format!(", line {l}")).unwrap_or_default();
            s.push_str(&format!(
                "- **{}** {}{at}: {}\n",
                f.severity,
                code(&printable(&f.rule)),
                text(&f.message)
            ));
        }
        s.push('\n');
    }
    if h.diff.is_empty() {
        s.push_str(&format!("{}\n", text(&h.header)));
        return;
    }
    let body = diff_body(h);
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    s.push_str(&format!("{fence}diff\n{body}{fence}\n"));
}

/// The `@@` line and the hunk's lines, cut at `MARKDOWN_DIFF_LINES` (a PR comment has a size
/// limit; the JSON carries every line).
pub(super) fn diff_body(h: &HunkExport) -> String {
    let mut body = format!("{}\n", h.header);
    let total = h.diff.lines().count();
    for line in h.diff.lines().take(MARKDOWN_DIFF_LINES) {
        body.push_str(line);
        body.push('\n');
    }
    if total > MARKDOWN_DIFF_LINES {
        body.push_str(&format!(
            "… {} more lines (run `countersign export --format json` for all of them)\n",
            total - MARKDOWN_DIFF_LINES
        ));
    }
    body
}

fn counts(c: &Counts) -> String {
    let mut s = format!(
        "{} hunk{} to review: {} approved, {} rejected, {} need{} work, {} undecided",
        c.to_review,
        plural(c.to_review),
        c.approved,
        c.rejected,
        c.needs_work,
        if c.needs_work == 1 { "s" } else { "" },
        c.undecided
    );
    if c.commented > 0 {
        s.push_str(&format!("; {} with a comment", c.commented));
    }
    s.push('.');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Plain text from the repository, with the characters Markdown or HTML would act on escaped.
pub(super) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An inline code span that holds `s` whatever backticks it contains (CommonMark: a longer
/// run of backticks around it, and a space when it starts or ends with one).
pub(super) fn code(s: &str) -> String {
    let ticks = "`".repeat(longest_run(s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

pub(super) fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}
