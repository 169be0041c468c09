//! Judging what a range lands, commit by commit along its first-parent chain, as pure logic:
//! which commits need a countersignature (the policy's `require`), whether each is covered by
//! an approval of its own change or by a branch approval of the whole range, and the checks
//! that run on every commit whatever its markers (the policy and signer lists untouched, path
//! rules).

use anyhow::Result;
use globset::GlobBuilder;

use super::check::{
    check_change, check_paths, signers_needed, status, Candidate, CheckName, Coverage, Landing,
    Oracle, Signer, Status,
};
use super::record::ReviewRecord;
use super::trailer::TrailerProblem;
use crate::model::Commit;
use crate::policy::{Approval, Require};

/// What verify found for one change: the approvals that might cover it.
#[derive(Debug, Clone, Default)]
pub struct Approvals {
    pub candidates: Vec<Candidate>,
    pub problems: Vec<TrailerProblem>,
    pub records: Vec<ReviewRecord>,
}

/// One commit of the chain, with the change it lands and what was found for it.
pub struct CommitInput<'a> {
    pub commit: &'a Commit,
    pub landing: Landing<'a>,
    pub found: Approvals,
}

/// A commit's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitStatus {
    /// Covered by an approval of its own change (a commit approval, or a branch approval of
    /// exactly what it lands, as after a squash merge).
    Approved,
    /// Covered by the branch approval of the whole range.
    CoveredByBranch,
    /// The policy does not ask for a countersignature here, and the checks that run on every
    /// commit passed.
    NotRequired,
    Failed,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CommitVerdict {
    pub id: String,
    pub summary: String,
    pub ai_assisted: bool,
    pub required: bool,
    pub status: CommitStatus,
    pub signers: Vec<Signer>,
    pub checks: Vec<super::check::Check>,
}

/// The whole range's outcome.
#[derive(Debug, Clone)]
pub struct RangeVerdict {
    pub commits: Vec<CommitVerdict>,
    /// The branch approval's checks, when some commit needed it.
    pub branch: Option<Coverage>,
}

impl RangeVerdict {
    pub fn passed(&self) -> bool {
        self.commits
            .iter()
            .all(|c| c.status != CommitStatus::Failed)
    }
}

/// Whether `policy` asks for a countersignature on `commit`, which touches `paths`.
pub fn required(policy: &Approval, commit: &Commit, paths: &[&str]) -> Result<bool> {
    if policy.require == Require::All || commit.is_ai_assisted() {
        return Ok(true);
    }
    // A path rule names paths that need more care, never less: it applies whatever the markers.
    for rule in &policy.paths {
        if super::check::path_rule_hit(rule, paths)?.is_some() {
            return Ok(true);
        }
    }
    for glob in &policy.require_paths {
        let matcher = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| anyhow::anyhow!("invalid require_paths glob '{glob}' in the policy: {e}"))?
            .compile_matcher();
        if paths.iter().any(|p| matcher.is_match(p)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Judges every commit of the chain. `guarded` are the trusted files no commit may change;
/// `branch` yields the range's combined change and what was found for it, asked for only
/// when some commit is not covered on its own.
pub fn judge<'a>(
    policy: &Approval,
    guarded: &[&str],
    commits: Vec<CommitInput<'a>>,
    branch: impl FnOnce() -> Result<Option<(Landing<'a>, Approvals)>>,
    oracle: &mut dyn Oracle,
) -> Result<RangeVerdict> {
    let mut verdicts = Vec::new();
    let mut pending = Vec::new();
    for input in &commits {
        let commit = input.commit;
        let paths = &input.landing.paths;
        let required = required(policy, commit, paths)?;
        let mut coverage = check_change(
            &input.landing,
            &input.found.candidates,
            &input.found.problems,
            policy,
            &input.found.records,
            oracle,
        );
        policy_unchanged(&mut coverage, paths, guarded);
        let need = signers_needed(policy, paths)?;
        let have = coverage.signers.len();
        let own_checks_ok = coverage.passed();
        let status = if !own_checks_ok {
            CommitStatus::Failed
        } else if have >= need {
            CommitStatus::Approved
        } else if !required {
            CommitStatus::NotRequired
        } else {
            pending.push(verdicts.len());
            CommitStatus::Failed
        };
        if status != CommitStatus::Failed {
            check_paths(&mut coverage, paths, policy, have)?;
            if required || have > 0 {
                signers_check(&mut coverage, have, need);
            }
        }
        verdicts.push(CommitVerdict {
            id: commit.id.clone(),
            summary: commit.summary.clone(),
            ai_assisted: commit.is_ai_assisted(),
            required,
            status: if coverage.passed() {
                status
            } else {
                CommitStatus::Failed
            },
            signers: coverage.signers,
            checks: coverage.checks,
        });
    }
    let mut branch_coverage = None;
    if !pending.is_empty() {
        if let Some((landing, found)) = branch()? {
            let cov = check_change(
                &landing,
                &found.candidates,
                &found.problems,
                policy,
                &found.records,
                oracle,
            );
            let branch_have = cov.signers.len();
            for &i in &pending {
                let input = &commits[i];
                let need = signers_needed(policy, &input.landing.paths)?;
                let v = &mut verdicts[i];
                if cov.signers.is_empty() {
                    signers_check_into(&mut v.checks, 0, need, "no approval of this commit's change, nor a branch approval of the whole range");
                    continue;
                }
                let mut c = Coverage {
                    checks: std::mem::take(&mut v.checks),
                    signers: Vec::new(),
                };
                check_paths(&mut c, &input.landing.paths, policy, branch_have)?;
                signers_check_into(
                    &mut c.checks,
                    branch_have,
                    need,
                    "through the branch approval of the whole range",
                );
                v.checks = c.checks;
                v.signers = cov.signers.clone();
                if v.checks.iter().all(|k| k.status != Status::Failed) {
                    v.status = CommitStatus::CoveredByBranch;
                }
            }
            branch_coverage = Some(cov);
        } else {
            for &i in &pending {
                let need = signers_needed(policy, &commits[i].landing.paths)?;
                signers_check_into(
                    &mut verdicts[i].checks,
                    0,
                    need,
                    "no approval of this commit's change",
                );
            }
        }
    }
    Ok(RangeVerdict {
        commits: verdicts,
        branch: branch_coverage,
    })
}

fn signers_check(coverage: &mut Coverage, have: usize, need: usize) {
    signers_check_into(&mut coverage.checks, have, need, "");
}

fn signers_check_into(checks: &mut Vec<super::check::Check>, have: usize, need: usize, how: &str) {
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" ({how})")
    };
    checks.push(super::check::Check {
        name: CheckName::Signers,
        reviewer: None,
        status: status(have >= need),
        reason: format!("{have} of {need} required distinct signer(s){how}"),
    });
}

/// The policy and the signer lists are read from the trusted ref, so an edit in the range
/// cannot approve anything; it still fails, because a change that rewrites its own checkpoint
/// must land on the trusted branch on its own, where a human sees it.
fn policy_unchanged(coverage: &mut Coverage, paths: &[&str], guarded: &[&str]) {
    let mut touched: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| guarded.contains(p))
        .collect();
    touched.dedup();
    coverage.push(
        CheckName::PolicyUnchanged,
        None,
        status(touched.is_empty()),
        if touched.is_empty() {
            "the policy and signer lists are untouched".into()
        } else {
            format!(
                "the commit edits {}; policy changes must land on the trusted branch on their own",
                touched.join(", ")
            )
        },
    );
}
