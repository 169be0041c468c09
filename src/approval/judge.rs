//! Judging what a range lands, commit by commit along its first-parent chain, as pure logic:
//! which commits need a countersignature (the policy's `require`, and every path and sign-off
//! rule that applies), whether each is covered by an approval of its own change or by a branch
//! approval of the whole range, or, failing both, let through by a break-glass approval within
//! the policy's terms; and the checks that run on every commit whatever its markers (the policy
//! and signer lists untouched, path and sign-off rules).

use anyhow::Result;
use globset::GlobBuilder;

use super::breakglass::{self, Emergency};
use super::check::{
    check_change, BreakGlassUse, Candidate, Check, CheckName, Coverage, Landing, Oracle, Signer,
    Status,
};
use super::record::ReviewRecord;
use super::signoff::{self, Subject};
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
    /// Let through by a break-glass approval within the policy's terms, without the sign-off
    /// it needs (said, with the reason, in `emergency`).
    BreakGlass,
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
    pub checks: Vec<Check>,
    /// Every break-glass approval of this change whose signature and signer are good, whether
    /// or not it was needed or within its terms.
    pub break_glass: Vec<BreakGlassUse>,
    /// The break-glass approval that let it land (status `break-glass`).
    pub emergency: Option<Emergency>,
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
/// when some commit is not covered on its own. `now` is the clock break-glass windows are
/// judged against.
pub fn judge<'a>(
    policy: &Approval,
    guarded: &[&str],
    commits: Vec<CommitInput<'a>>,
    branch: impl FnOnce() -> Result<Option<(Landing<'a>, Approvals)>>,
    oracle: &mut dyn Oracle,
    now: i64,
) -> Result<RangeVerdict> {
    let mut verdicts = Vec::new();
    let mut pending = Vec::new();
    let mut own = Vec::new();
    for input in &commits {
        let commit = input.commit;
        let mut coverage = check_change(
            &input.landing,
            &input.found.candidates,
            &input.found.problems,
            policy,
            &input.found.records,
            oracle,
        );
        policy_unchanged(&mut coverage, &input.landing.paths, guarded);
        let subject = subject(input, &coverage.signed_authors);
        // A sign-off rule that applies makes the commit need a countersignature whatever its
        // markers, as a path rule does: rules only ever add to what a change needs.
        let required = required(policy, commit, &input.landing.paths)?
            || !signoff::needs(policy, &subject)?.is_empty();
        let have = coverage.signers.len();
        let met = signoff::requirements(policy, &subject, &coverage.signers, "")?;
        let all_met = met.iter().all(|c| c.status != Status::Failed);
        let status = if !coverage.passed() {
            CommitStatus::Failed
        } else if have > 0 && all_met {
            coverage.checks.extend(met);
            CommitStatus::Approved
        } else if !required && have == 0 {
            CommitStatus::NotRequired
        } else if !required {
            coverage.checks.extend(met);
            CommitStatus::Failed
        } else {
            pending.push(verdicts.len());
            CommitStatus::Failed
        };
        verdicts.push(CommitVerdict {
            id: commit.id.clone(),
            summary: commit.summary.clone(),
            ai_assisted: commit.is_ai_assisted(),
            required,
            status,
            signers: coverage.signers.clone(),
            checks: std::mem::take(&mut coverage.checks),
            break_glass: coverage.break_glass.clone(),
            emergency: None,
        });
        own.push(coverage);
    }
    let mut branch_coverage = None;
    if !pending.is_empty() {
        let found = branch()?;
        let cov = found.map(|(landing, found)| {
            check_change(
                &landing,
                &found.candidates,
                &found.problems,
                policy,
                &found.records,
                oracle,
            )
        });
        for &i in &pending {
            let input = &commits[i];
            let mine = &own[i];
            let v = &mut verdicts[i];
            let mut authors = mine.signed_authors.clone();
            if let Some(c) = &cov {
                authors.extend(c.signed_authors.iter().cloned());
            }
            let subject = subject(input, &authors);
            if let Some(c) = cov.as_ref().filter(|c| !c.signers.is_empty()) {
                let through = "through the branch approval of the whole range";
                let met = signoff::requirements(policy, &subject, &c.signers, through)?;
                if met.iter().all(|k| k.status != Status::Failed) {
                    v.checks.extend(met);
                    v.signers = c.signers.clone();
                    v.status = CommitStatus::CoveredByBranch;
                    continue;
                }
            }
            // What is missing, said for the signers it has: its own, else the branch's.
            let (signers, how): (&[Signer], &str) = if !mine.signers.is_empty() {
                (&mine.signers, "")
            } else {
                match &cov {
                    Some(c) if !c.signers.is_empty() => (
                        &c.signers,
                        "through the branch approval of the whole range",
                    ),
                    Some(_) => (
                        &[],
                        "no approval of this commit's change, nor a branch approval of the whole range",
                    ),
                    None => (&[], "no approval of this commit's change"),
                }
            };
            let missing = signoff::requirements(policy, &subject, signers, how)?;
            let mut uses = mine.break_glass.clone();
            if let Some(c) = &cov {
                uses.extend(c.break_glass.iter().cloned());
            }
            v.break_glass = uses.clone();
            if uses.is_empty() {
                v.checks.extend(missing);
                continue;
            }
            match breakglass::judge(policy, &input.landing.paths, &uses, now) {
                Ok(emergency) => {
                    v.checks.push(Check {
                        name: CheckName::BreakGlass,
                        reviewer: None,
                        status: Status::Passed,
                        reason: emergency.describe(),
                    });
                    // What it landed without, kept for the audit.
                    v.checks.extend(missing.into_iter().map(|mut k| {
                        if k.status == Status::Failed {
                            k.status = Status::Skipped;
                            k.reason = format!("waived by break-glass: {}", k.reason);
                        }
                        k
                    }));
                    v.status = CommitStatus::BreakGlass;
                    v.emergency = Some(emergency);
                }
                Err(why) => {
                    v.checks.extend(missing);
                    v.checks.push(Check {
                        name: CheckName::BreakGlass,
                        reviewer: None,
                        status: Status::Failed,
                        reason: why,
                    });
                }
            }
        }
        branch_coverage = cov;
    }
    Ok(RangeVerdict {
        commits: verdicts,
        branch: branch_coverage,
    })
}

/// The commit as the requirements see it.
fn subject<'a>(input: &'a CommitInput<'_>, signed_authors: &[String]) -> Subject<'a> {
    let mut s = Subject::of_commit(input.commit, signed_authors);
    s.paths.clone_from(&input.landing.paths);
    s
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
        status_of(touched.is_empty()),
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

fn status_of(ok: bool) -> Status {
    super::check::status(ok)
}
