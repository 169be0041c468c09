//! The scan report: what `countersign scan` prints, as data (stable JSON, documented in
//! docs/scan-format.md) and as text for a CI log.

pub mod log;
pub mod sarif;
pub mod verify;

use serde::Serialize;

/// How much a text report says: `-q` only what failed, `-v` the detail behind every line.
/// JSON and SARIF always carry everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

use crate::model::{Commit, Evidence, Finding, Severity};
use crate::text::printable;

/// Bumped on any incompatible change to the JSON.
pub const SCAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct ScanReport {
    pub version: u32,
    pub range: String,
    pub commits: Vec<CommitReport>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct CommitReport {
    pub id: String,
    pub summary: String,
    pub author: String,
    pub ai_assisted: bool,
    pub evidence: Vec<Evidence>,
    pub hunks: Vec<HunkReport>,
}

#[derive(Debug, Serialize)]
pub struct HunkReport {
    pub file: String,
    pub old_file: Option<String>,
    pub id: String,
    pub old_start: u32,
    pub new_start: u32,
    pub ai_touched: bool,
    pub findings: Vec<FindingReport>,
    pub findings_omitted: usize,
}

#[derive(Debug, Serialize)]
pub struct FindingReport {
    pub rule: String,
    pub severity: Severity,
    pub category: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub commits: usize,
    pub ai_assisted: usize,
    pub hunks: usize,
    pub ai_touched: usize,
    /// Findings in AI-touched hunks, per severity.
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl Summary {
    fn count(&mut self, sev: Severity) {
        match sev {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }

    /// The worst finding in an AI-touched hunk.
    pub fn worst(&self) -> Option<Severity> {
        [
            (self.critical, Severity::Critical),
            (self.high, Severity::High),
            (self.medium, Severity::Medium),
            (self.low, Severity::Low),
        ]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, s)| s)
    }
}

fn finding(f: &Finding) -> FindingReport {
    FindingReport {
        rule: f.rule.clone(),
        severity: f.severity,
        category: f.category.clone(),
        line: f.line_no,
        column: f.column,
        message: f.message.clone(),
    }
}

impl ScanReport {
    pub fn new(range: &str, commits: &[Commit]) -> ScanReport {
        let mut summary = Summary::default();
        let mut out = Vec::new();
        for c in commits {
            summary.commits += 1;
            summary.ai_assisted += usize::from(c.is_ai_assisted());
            let mut hunks = Vec::new();
            for file in &c.files {
                for h in &file.hunks {
                    summary.hunks += 1;
                    let ai = h.needs_review();
                    // The risk engine puts file-level findings on the file's first hunk (and
                    // critical ones on every hunk), so a hunk's findings are complete.
                    let findings: Vec<FindingReport> = h.findings.iter().map(finding).collect();
                    if ai {
                        summary.ai_touched += 1;
                        for f in &findings {
                            summary.count(f.severity);
                        }
                    }
                    hunks.push(HunkReport {
                        file: file.path().to_string(),
                        old_file: file.old_path.clone().filter(|o| o != file.path()),
                        id: h.id.to_hex(),
                        old_start: h.old_start,
                        new_start: h.new_start,
                        ai_touched: ai,
                        findings,
                        findings_omitted: h.findings_omitted,
                    });
                }
            }
            out.push(CommitReport {
                id: c.id.clone(),
                summary: c.summary.clone(),
                author: c.author.ident(),
                ai_assisted: c.is_ai_assisted(),
                evidence: c.evidence.clone(),
                hunks,
            });
        }
        ScanReport {
            version: SCAN_FORMAT_VERSION,
            range: range.to_string(),
            commits: out,
            summary,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Text for a CI log: one block per commit, one line per finding, a summary line last.
    pub fn to_text(&self) -> String {
        self.to_text_at(Verbosity::Normal, None)
    }

    /// Quiet: only the findings in AI-touched hunks (at `fail_on` or worse when given), one
    /// line each with its commit. Verbose: also every piece of AI evidence and every hunk.
    pub fn to_text_at(&self, level: Verbosity, fail_on: Option<Severity>) -> String {
        let mut s = String::new();
        for c in &self.commits {
            let short = &c.id[..c.id.len().min(10)];
            if level == Verbosity::Quiet {
                for h in c.hunks.iter().filter(|h| h.ai_touched) {
                    for f in h
                        .findings
                        .iter()
                        .filter(|f| fail_on.is_none_or(|t| f.severity >= t))
                    {
                        s.push_str(&format!(
                            "{short} {:<8} {}:{} {} [{}]\n",
                            f.severity.as_str().to_uppercase(),
                            printable(&h.file),
                            f.line.unwrap_or(h.new_start),
                            printable(&f.message),
                            f.rule
                        ));
                    }
                }
                continue;
            }
            let ai = match c.evidence.first() {
                Some(e) => format!(
                    "AI-assisted: {}",
                    printable(&e.agent.clone().unwrap_or_else(|| e.detail.clone()))
                ),
                None => "no AI evidence".to_string(),
            };
            s.push_str(&format!(
                "commit {short} {} ({ai})\n",
                printable(&c.summary)
            ));
            if level == Verbosity::Verbose {
                s.push_str(&format!("  author {}\n", printable(&c.author)));
                for e in &c.evidence {
                    s.push_str(&format!("  evidence: {}\n", printable(&e.detail)));
                }
            }
            for h in &c.hunks {
                if level == Verbosity::Verbose {
                    s.push_str(&format!(
                        "  hunk {}:{} ({}), {} finding{}\n",
                        printable(&h.file),
                        h.new_start,
                        if h.ai_touched {
                            "AI-touched"
                        } else {
                            "human-written"
                        },
                        h.findings.len() + h.findings_omitted,
                        if h.findings.len() + h.findings_omitted == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ));
                }
                for f in &h.findings {
                    let line = f.line.unwrap_or(h.new_start);
                    s.push_str(&format!(
                        "  {:<8} {}:{} {} [{}]{}\n",
                        f.severity.as_str().to_uppercase(),
                        printable(&h.file),
                        line,
                        printable(&f.message),
                        f.rule,
                        if h.ai_touched { "" } else { " (human-written)" }
                    ));
                }
                if h.findings_omitted > 0 {
                    s.push_str(&format!(
                        "  … {} more findings in {}:{}\n",
                        h.findings_omitted,
                        printable(&h.file),
                        h.new_start
                    ));
                }
            }
        }
        if level == Verbosity::Quiet {
            return s;
        }
        let m = &self.summary;
        s.push_str(&format!(
            "scan: {} commit{} ({} AI-assisted), {} hunks ({} AI-touched); findings in AI-touched hunks: {} critical, {} high, {} medium, {} low\n",
            m.commits,
            if m.commits == 1 { "" } else { "s" },
            m.ai_assisted,
            m.hunks,
            m.ai_touched,
            m.critical,
            m.high,
            m.medium,
            m.low
        ));
        s
    }
}
