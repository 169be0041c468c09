//! The log report: per landed commit, who approved it and by which route, or what is missing.
//! Text for a terminal, JSON (with a `version`) for tools.

use serde::Serialize;

use super::verify::VerifyReport;
use crate::approval::check::Status;
use crate::approval::judge::CommitStatus;
use crate::text::printable;

use super::Verbosity;

/// Bumped on any incompatible change to the JSON output.
pub const LOG_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct LogReport {
    pub version: u32,
    pub range: String,
    pub policy_ref: Option<String>,
    /// Why the range itself is refused (its history skips its base), if it is.
    pub refused: Option<String>,
    /// Newest first, as `git log` prints.
    pub commits: Vec<LoggedCommit>,
}

#[derive(Serialize)]
pub struct LoggedCommit {
    pub id: String,
    pub summary: String,
    pub status: CommitStatus,
    pub approvals: Vec<LoggedApproval>,
    /// The failed checks' reasons, when it is not covered.
    pub missing: Vec<String>,
    /// Its break-glass approvals: who broke the glass, when, why, and where its normal
    /// countersignature stands.
    pub break_glass: Vec<LoggedBreakGlass>,
}

#[derive(Serialize)]
pub struct LoggedBreakGlass {
    pub signer: String,
    pub person: String,
    pub time: String,
    pub reason: String,
    /// `landed` (it let the commit land and no normal approval covers it yet), `countersigned`
    /// (a normal approval covers the commit now) or `refused` (outside its terms).
    pub state: &'static str,
    /// When the normal countersignature is due, if the policy asks for one and it is missing.
    pub due: Option<String>,
    pub overdue: bool,
}

#[derive(Serialize)]
pub struct LoggedApproval {
    pub signer: String,
    pub key: String,
    pub time: String,
    /// `commit` (an approval of this commit's change), `squash` (a branch approval landed as
    /// this one commit) or `branch` (the branch approval of the whole range).
    pub route: &'static str,
    /// Where it was found: `message` or `store`.
    pub found: crate::approval::check::Found,
}

impl From<VerifyReport> for LogReport {
    fn from(r: VerifyReport) -> LogReport {
        let due = &r.countersign_due;
        let commits = r
            .commits
            .into_iter()
            .rev()
            .map(|c| LoggedCommit {
                break_glass: c
                    .break_glass
                    .iter()
                    .map(|u| {
                        let d = due.iter().find(|d| d.id == c.id);
                        LoggedBreakGlass {
                            signer: u.signer.principal.clone(),
                            person: u.signer.person.clone(),
                            time: crate::timefmt::rfc3339(u.signer.time),
                            reason: u.reason.clone(),
                            state: match c.status {
                                CommitStatus::BreakGlass => "landed",
                                CommitStatus::Approved | CommitStatus::CoveredByBranch => {
                                    "countersigned"
                                }
                                _ => "refused",
                            },
                            due: d.map(|d| crate::timefmt::rfc3339(d.due)),
                            overdue: d.is_some_and(|d| d.overdue),
                        }
                    })
                    .collect(),
                approvals: c
                    .signers
                    .iter()
                    .map(|s| LoggedApproval {
                        signer: s.principal.clone(),
                        key: s.key.clone(),
                        time: crate::timefmt::rfc3339(s.time),
                        route: match (c.status, s.scope) {
                            (CommitStatus::CoveredByBranch, _) => "branch",
                            (_, "branch") => "squash",
                            _ => "commit",
                        },
                        found: s.found,
                    })
                    .collect(),
                missing: c
                    .checks
                    .iter()
                    .filter(|k| k.status == Status::Failed)
                    .map(|k| format!("{}: {}", k.name, k.reason))
                    .collect(),
                id: c.id,
                summary: c.summary,
                status: c.status,
            })
            .collect();
        LogReport {
            version: LOG_FORMAT_VERSION,
            range: r.range,
            policy_ref: r.policy_ref,
            refused: r.chain,
            commits,
        }
    }
}

impl LogReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn to_text(&self) -> String {
        self.to_text_at(Verbosity::Normal)
    }

    /// Quiet: only the commits without the approvals the policy asks for (with what is
    /// missing), refused ranges and overdue break-glass countersignatures; no summary.
    /// Verbose: each commit's status, and where each approval was found.
    pub fn to_text_at(&self, level: Verbosity) -> String {
        let quiet = level == Verbosity::Quiet;
        let mut s = String::new();
        if let Some(why) = &self.refused {
            s.push_str(&format!(
                "REFUSED {}: {}\n",
                printable(&self.range),
                printable(why)
            ));
        }
        let mut missing = 0;
        for c in &self.commits {
            let short = &c.id[..c.id.len().min(10)];
            let overdue = c.break_glass.iter().any(|b| b.overdue);
            if quiet && c.status != CommitStatus::Failed && !overdue {
                continue;
            }
            s.push_str(&format!("{short} {}\n", printable(&c.summary)));
            if level == Verbosity::Verbose {
                let status = match c.status {
                    CommitStatus::Approved => "approved",
                    CommitStatus::CoveredByBranch => "covered by the branch approval",
                    CommitStatus::NotRequired => "not required",
                    CommitStatus::BreakGlass => "landed by break-glass",
                    CommitStatus::Failed => "not covered",
                };
                s.push_str(&format!("    status: {status}\n"));
            }
            for b in &c.break_glass {
                let state = match (b.state, &b.due, b.overdue) {
                    ("countersigned", _, _) => {
                        "countersigned since by a normal approval".to_string()
                    }
                    ("refused", _, _) => {
                        "refused: outside the policy's break-glass terms".to_string()
                    }
                    (_, Some(due), true) => format!("normal countersignature OVERDUE since {due}"),
                    (_, Some(due), false) => format!("normal countersignature due by {due}"),
                    _ => "landed without its sign-off".to_string(),
                };
                s.push_str(&format!(
                    "    !!! BREAK-GLASS by {} ({}) at {}: \"{}\"; {state}\n",
                    printable(&b.person),
                    printable(&b.signer),
                    b.time,
                    printable(&b.reason)
                ));
            }
            match c.status {
                CommitStatus::NotRequired => {
                    s.push_str("    not required by the policy\n");
                }
                CommitStatus::Failed => {
                    missing += 1;
                    for m in &c.missing {
                        s.push_str(&format!("    MISSING {}\n", printable(m)));
                    }
                }
                _ => {}
            }
            for a in c.approvals.iter().filter(|_| !quiet) {
                s.push_str(&format!(
                    "    approved by {} ({} approval, {}, key {}{})\n",
                    printable(&a.signer),
                    a.route,
                    a.time,
                    printable(&a.key),
                    match (level, a.found) {
                        (Verbosity::Verbose, crate::approval::check::Found::Message) => {
                            ", found in the message"
                        }
                        (Verbosity::Verbose, crate::approval::check::Found::Store) => {
                            ", found in the approvals store"
                        }
                        _ => "",
                    }
                ));
            }
        }
        if quiet {
            return s;
        }
        s.push_str(&format!(
            "log: {} commit{} in {}, {missing} without the approvals the policy asks for\n",
            self.commits.len(),
            if self.commits.len() == 1 { "" } else { "s" },
            printable(&self.range)
        ));
        s
    }
}
