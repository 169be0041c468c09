//! The verify report: what `countersign verify` prints, as data (stable JSON with a `version`,
//! documented in docs/scan-format.md's sibling docs/approval-format.md) and as text for a CI
//! log or a pusher's terminal.

use serde::Serialize;

use crate::approval::breakglass::Due;
use crate::approval::check::{Check, Coverage, Signer, Status};
use crate::approval::judge::{CommitStatus, CommitVerdict, RangeVerdict};
use crate::text::printable;

use super::Verbosity;

/// Bumped on any incompatible change to the JSON output (2: chain, routes, branch approvals).
/// Compatible additions keep it: the `break-glass` status and check, `sign-off` checks, a
/// signer's `person`, a commit's `break_glass` and `emergency`, the report's `countersign_due`.
pub const VERIFY_FORMAT_VERSION: u32 = 2;

#[derive(Serialize)]
pub struct VerifyReport {
    pub version: u32,
    pub range: String,
    pub base: String,
    pub tip: String,
    /// Where the policy and signer lists were read from.
    pub policy_ref: Option<String>,
    /// Why the range itself is refused (a first-parent chain that skips the base), if it is.
    pub chain: Option<String>,
    pub commits: Vec<CommitVerdict>,
    pub branch: Option<BranchReport>,
    /// Break-glass landings whose normal countersignature is still due (in the range, or
    /// already on the base); an `overdue` one fails the report.
    pub countersign_due: Vec<Due>,
    pub passed: bool,
}

#[derive(Serialize)]
pub struct BranchReport {
    pub signers: Vec<Signer>,
    pub checks: Vec<Check>,
}

impl VerifyReport {
    pub fn new(
        range: &str,
        base: &str,
        tip: &str,
        policy_ref: Option<String>,
        verdict: RangeVerdict,
        countersign_due: Vec<Due>,
    ) -> VerifyReport {
        let passed = verdict.passed() && !countersign_due.iter().any(|d| d.overdue);
        VerifyReport {
            version: VERIFY_FORMAT_VERSION,
            range: range.to_string(),
            base: base.to_string(),
            tip: tip.to_string(),
            policy_ref,
            chain: None,
            branch: verdict.branch.map(|c: Coverage| BranchReport {
                signers: c.signers,
                checks: c.checks,
            }),
            commits: verdict.commits,
            countersign_due,
            passed,
        }
    }

    /// A range refused as a whole: its tip's first-parent chain does not reach its base.
    pub fn broken_chain(range: &str, base: &str, tip: &str, why: String) -> VerifyReport {
        VerifyReport {
            version: VERIFY_FORMAT_VERSION,
            range: range.to_string(),
            base: base.to_string(),
            tip: tip.to_string(),
            policy_ref: None,
            chain: Some(why),
            commits: Vec::new(),
            branch: None,
            countersign_due: Vec::new(),
            passed: false,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn to_text(&self) -> String {
        self.to_text_at(Verbosity::Normal)
    }

    /// Quiet: only what fails (a refused range, the failing commits with their reasons,
    /// overdue break-glass countersignatures), no summary. Verbose: under every commit, each
    /// check with its outcome and each signer's key and time, and the branch approval's checks.
    pub fn to_text_at(&self, level: Verbosity) -> String {
        let quiet = level == Verbosity::Quiet;
        let verbose = level == Verbosity::Verbose;
        let mut s = String::new();
        if let Some(why) = &self.chain {
            s.push_str(&format!(
                "REFUSED {}: {}\n",
                printable(&self.range),
                printable(why)
            ));
            if !quiet {
                s.push_str(&format!(
                    "verify: {}: the range does not land on its base along first parents\n",
                    printable(&self.range)
                ));
            }
            return s;
        }
        let (mut ok, mut failed, mut not_required, mut glass) = (0, 0, 0, 0);
        for c in &self.commits {
            let short = &c.id[..c.id.len().min(10)];
            let summary = printable(&c.summary);
            match c.status {
                CommitStatus::NotRequired if quiet => not_required += 1,
                CommitStatus::Approved | CommitStatus::CoveredByBranch if quiet => ok += 1,
                CommitStatus::BreakGlass if quiet => glass += 1,
                CommitStatus::NotRequired => {
                    not_required += 1;
                    s.push_str(&format!(
                        "skip   {short} {summary} (the policy does not require a countersignature)\n"
                    ));
                }
                CommitStatus::Approved | CommitStatus::CoveredByBranch => {
                    ok += 1;
                    s.push_str(&format!(
                        "ok     {short} {summary} ({})\n",
                        signers_words(&c.signers, c.status)
                    ));
                }
                CommitStatus::BreakGlass => {
                    glass += 1;
                    let why = c
                        .emergency
                        .as_ref()
                        .map(|e| e.describe())
                        .unwrap_or_default();
                    s.push_str(&format!(
                        "BREAK-GLASS {short} {summary}: landed without its sign-off, {}\n",
                        printable(&why)
                    ));
                    for check in c.checks.iter().filter(|k| {
                        k.status == Status::Skipped && k.reason.starts_with("waived by break-glass")
                    }) {
                        s.push_str(&format!(
                            "       ! {}: {}\n",
                            check.name,
                            printable(&check.reason)
                        ));
                    }
                }
                CommitStatus::Failed => {
                    failed += 1;
                    s.push_str(&format!("FAILED {short} {summary}\n"));
                    for check in c.checks.iter().filter(|k| k.status == Status::Failed) {
                        let who = check
                            .reviewer
                            .as_deref()
                            .map(|w| format!(" ({})", printable(w)))
                            .unwrap_or_default();
                        s.push_str(&format!(
                            "       ✗ {}{who}: {}\n",
                            check.name,
                            printable(&check.reason)
                        ));
                    }
                    for check in c.checks.iter().filter(|k| {
                        !verbose && k.status == Status::Skipped && k.name.as_str() == "change"
                    }) {
                        s.push_str(&format!(
                            "       · {}: {}\n",
                            check.name,
                            printable(&check.reason)
                        ));
                    }
                }
            }
            if verbose {
                detail(&mut s, c);
            }
        }
        if let (true, Some(b)) = (verbose, &self.branch) {
            s.push_str("branch approval of the whole range:\n");
            for signer in &b.signers {
                s.push_str(&signer_line(signer));
            }
            for check in &b.checks {
                s.push_str(&check_line(check));
            }
        }
        let mut overdue = 0;
        for d in &self.countersign_due {
            let short = &d.id[..d.id.len().min(10)];
            if d.overdue {
                overdue += 1;
                s.push_str(&format!(
                    "OVERDUE {short} {}: {}\n",
                    printable(&d.summary),
                    printable(&d.describe())
                ));
            } else if !quiet {
                s.push_str(&format!(
                    "due    {short} {}: {}\n",
                    printable(&d.summary),
                    printable(&d.describe())
                ));
            }
        }
        if quiet {
            return s;
        }
        s.push_str(&format!(
            "verify: {} commit{} in {}: {ok} verified, {failed} failed, {not_required} not required{}{}\n",
            self.commits.len(),
            if self.commits.len() == 1 { "" } else { "s" },
            printable(&self.range),
            if glass > 0 {
                format!(", {glass} by break-glass")
            } else {
                String::new()
            },
            if overdue > 0 {
                format!("; {overdue} break-glass countersignature(s) overdue")
            } else {
                String::new()
            }
        ));
        s
    }
}

/// Every check of a commit (a failing commit's failed checks are already listed above it),
/// then each signer's key and time.
fn detail(s: &mut String, c: &CommitVerdict) {
    for check in &c.checks {
        if c.status == CommitStatus::Failed && check.status == Status::Failed {
            continue;
        }
        s.push_str(&check_line(check));
    }
    for signer in &c.signers {
        s.push_str(&signer_line(signer));
    }
}

fn check_line(check: &Check) -> String {
    let mark = match check.status {
        Status::Passed => "✓",
        Status::Failed => "✗",
        Status::Skipped => "·",
    };
    let who = check
        .reviewer
        .as_deref()
        .map(|w| format!(" ({})", printable(w)))
        .unwrap_or_default();
    format!(
        "       {mark} {}{who}: {}\n",
        check.name,
        printable(&check.reason)
    )
}

fn signer_line(signer: &Signer) -> String {
    format!(
        "       key {} of {} ({} approval found in the {}, signed {}; {})\n",
        printable(&signer.key),
        printable(&signer.principal),
        signer.scope,
        match signer.found {
            crate::approval::check::Found::Message => "message",
            crate::approval::check::Found::Store => "store",
        },
        crate::timefmt::rfc3339(signer.time),
        signer.route.describe()
    )
}

/// `countersigned by jane@example.com (commit approval)`.
pub fn signers_words(signers: &[Signer], status: CommitStatus) -> String {
    let who: Vec<String> = signers
        .iter()
        .map(|s| {
            format!(
                "{} ({} approval{})",
                printable(&s.principal),
                s.scope,
                if matches!(s.route, crate::approval::check::Route::CleanReplay) {
                    ", clean replay"
                } else {
                    ""
                }
            )
        })
        .collect();
    let via = if status == CommitStatus::CoveredByBranch {
        " through the branch approval"
    } else {
        ""
    };
    format!("countersigned by {}{via}", who.join(", "))
}
