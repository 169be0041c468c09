//! Verification of one landed change, as pure logic: given the change a commit (or a whole
//! range) lands, the approvals found for it, the trusted policy and a way to verify a
//! signature, say per named check what passed and what failed, and why.
//!
//! An approval covers a change when the approved trees are the landed ones, or when the landed
//! change is the approved one onto a base where every touched file is as the reviewer saw it
//! (equal content digests: the digest holds every touched file's blob ids before and after),
//! or, only where the policy allows it, when the approved change replays cleanly onto the new
//! base and gives exactly the landed tree. Approvals of other changes are listed and ignored;
//! a garbled countersign trailer fails the commit (it can't be told what it claims).

use std::collections::HashSet;
use std::fmt;

use anyhow::{Context, Result};
use globset::GlobBuilder;

use super::digest::Sha256Digest;
use super::payload::Scope;
use super::record::ReviewRecord;
use super::trailer::{ApprovalSet, TrailerProblem};
use super::verify_sig::{SignatureCheck, SignatureReport};
use crate::policy::{Approval, PathRule, Replay};

/// The checks verify makes, with their stable names in text and JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// The first-parent chain from the tip reaches the base.
    Chain,
    /// The commit changes neither the policy nor the signer lists.
    PolicyUnchanged,
    /// A countersign trailer could not be read.
    Trailers,
    /// The approval is for this change (trees, digest or clean replay).
    Change,
    Signature,
    SignerAllowed,
    HunksApproved,
    SelfApproval,
    ReviewRecord,
    /// Enough distinct signers for the policy.
    Signers,
    PathRule,
    /// A sign-off rule of the policy (a role, a tier, by path, author tier or risk).
    SignOff,
    /// An emergency approval, judged against the policy's break-glass terms.
    BreakGlass,
}

impl CheckName {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Chain => "chain",
            CheckName::PolicyUnchanged => "policy-unchanged",
            CheckName::Trailers => "trailers",
            CheckName::Change => "change",
            CheckName::Signature => "signature",
            CheckName::SignerAllowed => "signer-allowed",
            CheckName::HunksApproved => "hunks-approved",
            CheckName::SelfApproval => "self-approval",
            CheckName::ReviewRecord => "review-record",
            CheckName::Signers => "signers",
            CheckName::PathRule => "path-rule",
            CheckName::SignOff => "sign-off",
            CheckName::BreakGlass => "break-glass",
        }
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CheckName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    /// Not applicable or not possible here (no review record fetched, policy allows it).
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: CheckName,
    /// The reviewer (`Name <email>`) an approval-level check is about.
    pub reviewer: Option<String>,
    pub status: Status,
    /// One line: why it passed or failed.
    pub reason: String,
}

/// How an approval reached the change it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    /// The landed trees are the approved ones.
    ExactTrees,
    /// The same change onto a base where every touched file is as the reviewer saw it.
    UnchangedFiles,
    /// The approved change replays cleanly onto a changed base (only where the policy allows).
    CleanReplay,
}

impl Route {
    pub fn describe(self) -> &'static str {
        match self {
            Route::ExactTrees => "the trees are the approved ones",
            Route::UnchangedFiles => {
                "the same change onto a base where every touched file is as reviewed"
            }
            Route::CleanReplay => "the approved change replays cleanly onto the new base",
        }
    }
}

/// Where an approval was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Found {
    /// In the commit's own message.
    Message,
    /// In the approvals store (`refs/countersign/approvals/…`), by the content it approves.
    Store,
}

/// One approval found for a change, with where it came from.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub set: ApprovalSet,
    pub found: Found,
}

/// The change that lands, as verify judges it.
#[derive(Debug, Clone)]
pub struct Landing<'a> {
    pub digest: Sha256Digest,
    pub base_tree: &'a str,
    pub tree: &'a str,
    /// Every path the change touches (old and new).
    pub paths: Vec<&'a str>,
}

/// A signer whose approval passed every check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// The principal the key is allowed for: the reviewer's e-mail.
    pub principal: String,
    /// The person it belongs to: their name in the policy's `[people]`, else the principal.
    pub person: String,
    pub key: String,
    pub scope: &'static str,
    pub route: Route,
    pub found: Found,
    /// Seconds since the epoch, as the signer claims.
    pub time: i64,
}

/// A break-glass approval whose checks all passed (signature, signer, change): whether the
/// policy's terms let it through is judged by `approval::breakglass`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BreakGlassUse {
    #[serde(flatten)]
    pub signer: Signer,
    pub reason: String,
}

/// Every check made on one change.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub checks: Vec<Check>,
    /// The distinct signers (distinct people with distinct keys) whose approvals passed.
    pub signers: Vec<Signer>,
    /// Break-glass approvals that passed their checks; never counted among `signers`.
    pub break_glass: Vec<BreakGlassUse>,
    /// Every author and committer e-mail the approvals found sign for (what the reviewers
    /// saw), for the change's author tier.
    pub signed_authors: Vec<String>,
}

impl Coverage {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Failed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Failed)
    }

    pub fn push(
        &mut self,
        name: CheckName,
        reviewer: Option<&str>,
        status: Status,
        reason: String,
    ) {
        self.checks.push(Check {
            name,
            reviewer: reviewer.map(str::to_string),
            status,
            reason,
        });
    }
}

pub fn status(ok: bool) -> Status {
    if ok {
        Status::Passed
    } else {
        Status::Failed
    }
}

/// What verify can ask of git while judging (kept out of this pure module).
pub trait Oracle {
    /// Checks one signature.
    fn signature(&mut self, check: &SignatureCheck<'_>) -> SignatureReport;
    /// Whether the change from `set.base_tree` to `set.tree` applies cleanly onto `base` and
    /// gives exactly `tree`; `Err` when that can't be told (approved trees not fetched).
    fn replays(&mut self, set: &ApprovalSet, base: &str, tree: &str) -> Result<bool, String>;
    /// The paths where the approved change and the landed one differ (touched by one only, or
    /// with other contents before or after), when the approved trees are here.
    fn differing(&mut self, _set: &ApprovalSet, _base: &str, _tree: &str) -> Option<Vec<String>> {
        None
    }
}

/// Checks the approvals found for `landing`. `problems` are the countersign trailers of the
/// message that could not be read; `records` the review records found for the change.
pub fn check_change(
    landing: &Landing<'_>,
    candidates: &[Candidate],
    problems: &[TrailerProblem],
    policy: &Approval,
    records: &[ReviewRecord],
    oracle: &mut dyn Oracle,
) -> Coverage {
    let mut out = Coverage::default();
    for problem in problems {
        out.push(
            CheckName::Trailers,
            problem.reviewer.as_deref(),
            if problem.fatal {
                Status::Failed
            } else {
                Status::Skipped
            },
            problem.message.clone(),
        );
    }
    let mut principals = HashSet::new();
    let mut keys = HashSet::new();
    let mut seen = HashSet::new();
    for candidate in candidates {
        // The store and the message often hold the same approval; check it once.
        if !seen.insert(candidate.set.signature.blob.clone()) {
            continue;
        }
        out.signed_authors
            .extend(candidate.set.authors.iter().cloned());
        let before = out.checks.len();
        let Some(signer) = check_set(&mut out, landing, candidate, policy, records, oracle) else {
            continue;
        };
        let all_passed = out.checks[before..]
            .iter()
            .all(|c| c.status != Status::Failed);
        if !all_passed {
            continue;
        }
        if let Some(reason) = &candidate.set.break_glass {
            out.break_glass.push(BreakGlassUse {
                signer,
                reason: reason.clone(),
            });
            continue;
        }
        // Distinct people with distinct keys: one key listed under two names, or one person
        // with two keys or two e-mails (the policy's `[people]`), counts once.
        if !principals.contains(&signer.person) && !keys.contains(&signer.key) {
            principals.insert(signer.person.clone());
            keys.insert(signer.key.clone());
            out.signers.push(signer);
        }
    }
    out.signed_authors.sort();
    out.signed_authors.dedup();
    out
}

/// The checks of one approval; the signer when the approval is for this change and its
/// signature is good (the caller keeps it only if every check passed).
fn check_set(
    out: &mut Coverage,
    landing: &Landing<'_>,
    candidate: &Candidate,
    policy: &Approval,
    records: &[ReviewRecord],
    oracle: &mut dyn Oracle,
) -> Option<Signer> {
    let set = &candidate.set;
    let who = set.reviewer.to_string();
    let who = Some(who.as_str());
    let route = if set.base_tree == landing.base_tree && set.tree == landing.tree {
        Some(Route::ExactTrees)
    } else if set.content == landing.digest {
        Some(Route::UnchangedFiles)
    } else if policy.replay == Replay::Clean {
        match oracle.replays(set, landing.base_tree, landing.tree) {
            Ok(true) => Some(Route::CleanReplay),
            Ok(false) => None,
            Err(why) => {
                out.push(CheckName::Change, who, Status::Skipped, why);
                return None;
            }
        }
    } else {
        None
    };
    let route = match route {
        Some(r) if policy.strict && r != Route::ExactTrees => {
            out.push(
                CheckName::Change,
                who,
                Status::Skipped,
                "the policy is strict: the trees must be the approved ones (rebased or amended)"
                    .into(),
            );
            return None;
        }
        r => r,
    };
    let Some(route) = route else {
        // Approvals of other changes (a squash message quoting its commits' trailers, an
        // approval copied from elsewhere) cover nothing here; they are said, not counted.
        let which = match oracle.differing(set, landing.base_tree, landing.tree) {
            Some(paths) if !paths.is_empty() => {
                let shown: Vec<&str> = paths.iter().take(5).map(String::as_str).collect();
                let more = paths.len().saturating_sub(shown.len());
                format!(
                    ": it differs in {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            }
            _ => String::new(),
        };
        out.push(
            CheckName::Change,
            who,
            Status::Skipped,
            format!(
                "approves another change ({} {}), not this one ({}){which}",
                set.scope.as_str(),
                set.content,
                landing.digest
            ),
        );
        return None;
    };
    out.push(
        CheckName::Change,
        who,
        Status::Passed,
        route.describe().into(),
    );
    let payload = match set.payload() {
        Ok(p) => p.to_canonical(),
        Err(e) => {
            out.push(CheckName::Trailers, who, Status::Failed, format!("{e:#}"));
            return None;
        }
    };
    let report = oracle.signature(&SignatureCheck {
        payload: payload.as_bytes(),
        signature: &set.signature,
        reviewer: &set.reviewer,
        claimed_time: set.time,
        // Keys are judged now, never at the time the approval claims (a retired key would
        // otherwise go on signing "in the past").
        at: crate::timefmt::now(),
    });
    match &report.valid {
        Ok(()) => out.push(
            CheckName::Signature,
            who,
            Status::Passed,
            format!(
                "valid {} signature over the approval",
                set.signature.scheme.as_str()
            ),
        ),
        Err(reason) => {
            out.push(CheckName::Signature, who, Status::Failed, reason.clone());
            if let Err(why) = &report.signer {
                out.push(CheckName::SignerAllowed, who, Status::Failed, why.clone());
            }
            return None;
        }
    }
    let signer = match report.signer {
        Ok(s) => {
            let reason = format!("key {} is allowed for {}", s.key, s.principal);
            out.push(CheckName::SignerAllowed, who, Status::Passed, reason);
            s
        }
        Err(reason) => {
            out.push(CheckName::SignerAllowed, who, Status::Failed, reason);
            return None;
        }
    };
    if set.break_glass.is_some() {
        // An emergency approval may land before every hunk is reviewed; the normal
        // countersignature that the policy may ask for afterwards is the full review.
        out.push(
            CheckName::HunksApproved,
            who,
            Status::Skipped,
            format!(
                "break-glass: {} of {} hunks approved",
                set.hunks.approved, set.hunks.total
            ),
        );
    } else {
        out.push(
            CheckName::HunksApproved,
            who,
            status(set.hunks.all_approved()),
            format!(
                "{} of {} hunks approved",
                set.hunks.approved, set.hunks.total
            ),
        );
    }
    check_self_approval(out, who, set, &signer.principal, policy);
    let (rec_status, rec_reason) = if records.is_empty() {
        (
            Status::Skipped,
            "no review record found (refs/notes/countersign and refs/countersign/* not fetched?)"
                .into(),
        )
    } else if records.iter().any(|r| r.digest() == set.record) {
        (
            Status::Passed,
            format!("review record {} matches", set.record),
        )
    } else {
        (
            Status::Failed,
            format!("no review record matches the signed digest {}", set.record),
        )
    };
    out.push(CheckName::ReviewRecord, who, rec_status, rec_reason);
    Some(Signer {
        person: policy.org.person_of(&signer.principal),
        principal: signer.principal,
        key: signer.key,
        scope: set.scope.as_str(),
        route,
        found: candidate.found,
        time: set.time,
    })
}

/// The signer may be none of the people who wrote the change: the authors and committers of
/// the reviewed commits, signed into the approval. The landed commit's own author is not
/// asked: after a merge or a squash it is whoever pressed the button, often the reviewer.
fn check_self_approval(
    out: &mut Coverage,
    who: Option<&str>,
    set: &ApprovalSet,
    principal: &str,
    policy: &Approval,
) {
    if !policy.forbid_self_approval {
        out.push(
            CheckName::SelfApproval,
            who,
            Status::Skipped,
            "the policy allows self-approval".into(),
        );
        return;
    }
    // By person: under [people], a signer's other e-mail on the change is still their own.
    let org = &policy.org;
    let signer = [org.person_of(principal), org.person_of(&set.reviewer.email)];
    let wrote = set
        .authors
        .iter()
        .find(|a| signer.contains(&org.person_of(a)));
    match wrote {
        None => out.push(
            CheckName::SelfApproval,
            who,
            Status::Passed,
            "the signer is neither an author nor a committer of the change".into(),
        ),
        Some(a) => out.push(
            CheckName::SelfApproval,
            who,
            Status::Failed,
            format!(
                "the signer is an author or committer of the change ({a}); the policy forbids \
                 self-approval"
            ),
        ),
    }
}

/// The first of `paths` that `rule` applies to.
pub fn path_rule_hit<'p>(rule: &PathRule, paths: &[&'p str]) -> Result<Option<&'p str>> {
    let glob = GlobBuilder::new(&rule.glob)
        .literal_separator(true)
        .build()
        .with_context(|| format!("invalid path rule glob '{}' in the policy", rule.glob))?
        .compile_matcher();
    Ok(paths.iter().copied().find(|p| glob.is_match(p)))
}

/// Path rules: a rule whose glob matches a changed path (old or new) needs its own number of
/// distinct signers. Globs match whole paths; `*` stays within a directory, `**` crosses.
pub fn check_paths(
    out: &mut Coverage,
    paths: &[&str],
    policy: &Approval,
    have: usize,
) -> Result<()> {
    for rule in &policy.paths {
        if let Some(path) = path_rule_hit(rule, paths)? {
            let need = rule.signers.max(1);
            out.push(
                CheckName::PathRule,
                None,
                status(have >= need),
                format!(
                    "{} (e.g. {path}) needs {need} distinct signer(s), has {have}",
                    rule.glob
                ),
            );
        }
    }
    Ok(())
}

/// How many distinct signers `policy` asks of a change to `paths`: the policy's number, or
/// more where a path rule applies.
pub fn signers_needed(policy: &Approval, paths: &[&str]) -> Result<usize> {
    let mut need = policy.signers.max(1);
    for rule in &policy.paths {
        if path_rule_hit(rule, paths)?.is_some() {
            need = need.max(rule.signers.max(1));
        }
    }
    Ok(need)
}

/// Which scope an approval is, in words for reports.
pub fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::Commit => "commit approval",
        Scope::Branch => "branch approval",
    }
}
