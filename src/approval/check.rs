//! Verification of one commit, as pure logic: given the commit as it is now, the approvals its
//! message carries, the trusted policy and a way to verify a signature, say per named check
//! what passed and what failed, and why. Fails closed: a malformed, duplicated or stray
//! countersign trailer fails the commit, even next to a good approval.

use std::collections::HashSet;

use anyhow::{Context, Result};
use globset::GlobBuilder;

use super::digest::content_digest;
use super::record::ReviewRecord;
use super::trailer::{ApprovalSet, ParsedApprovals};
use super::verify_sig::{SignatureCheck, SignatureReport};
use crate::model::{Commit, FileChange};
use crate::policy::{Approval, PathRule};

/// Stable check names, used in text and JSON output.
pub mod names {
    pub const TRAILERS: &str = "trailers";
    pub const SIGNATURE: &str = "signature";
    pub const SIGNER_ALLOWED: &str = "signer-allowed";
    pub const CONTENT_DIGEST: &str = "content-digest";
    pub const TREES: &str = "trees";
    pub const HUNKS_APPROVED: &str = "hunks-approved";
    pub const SELF_APPROVAL: &str = "self-approval";
    pub const REVIEW_RECORD: &str = "review-record";
    pub const SIGNERS: &str = "signers";
    pub const PATH_RULE: &str = "path-rule";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Not applicable or not possible here (no review record fetched, policy allows it).
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    /// The reviewer (`Name <email>`) an approval-level check is about.
    pub reviewer: Option<String>,
    pub status: Status,
    /// One line: why it passed or failed.
    pub reason: String,
}

/// Every check made on one commit.
#[derive(Debug, Clone, Default)]
pub struct CommitCheck {
    pub checks: Vec<Check>,
    /// The distinct signers whose approvals passed every check (principals).
    pub signers: Vec<String>,
}

impl CommitCheck {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Failed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Failed)
    }

    fn push(&mut self, name: &'static str, reviewer: Option<&str>, status: Status, reason: String) {
        self.checks.push(Check {
            name,
            reviewer: reviewer.map(str::to_string),
            status,
            reason,
        });
    }
}

fn status(ok: bool) -> Status {
    if ok {
        Status::Passed
    } else {
        Status::Failed
    }
}

/// Checks one commit. `records` are the review records found for it in
/// `refs/notes/countersign` (empty when notes were not fetched: that check is then skipped).
/// Errors only when the commit can't be digested (hunks not loaded) or a policy glob is bad.
pub fn check_commit(
    commit: &Commit,
    approvals: &ParsedApprovals,
    policy: &Approval,
    records: &[ReviewRecord],
    verify: &mut dyn FnMut(&SignatureCheck<'_>) -> SignatureReport,
) -> Result<CommitCheck> {
    let mut out = CommitCheck::default();
    let current = content_digest(commit)?;
    for problem in &approvals.problems {
        let reviewer = problem.reviewer.as_deref();
        out.push(
            names::TRAILERS,
            reviewer,
            Status::Failed,
            problem.message.clone(),
        );
    }
    if approvals.sets.is_empty() && approvals.problems.is_empty() {
        out.push(
            names::TRAILERS,
            None,
            Status::Failed,
            "no Countersigned-by / Countersign-Approval / Countersign-Signature trailers".into(),
        );
    }
    let mut principals = HashSet::new();
    let mut keys = HashSet::new();
    for set in &approvals.sets {
        let before = out.checks.len();
        let signer = check_set(&mut out, commit, &current, set, policy, records, verify);
        let all_passed = out.checks[before..]
            .iter()
            .all(|c| c.status != Status::Failed);
        if let (true, Some((principal, key))) = (all_passed, signer) {
            // Distinct people with distinct keys: one key listed under two names, or one
            // approval pasted twice, counts once.
            if principals.insert(principal.to_ascii_lowercase()) && keys.insert(key) {
                out.signers.push(principal);
            }
        }
    }
    let have = out.signers.len();
    let need = policy.signers.max(1);
    out.push(
        names::SIGNERS,
        None,
        status(have >= need),
        format!("{have} of {need} required distinct signer(s)"),
    );
    check_paths(&mut out, commit, policy, have)?;
    Ok(out)
}

/// The checks of one approval set; returns the verified (principal, key) when there is one.
fn check_set(
    out: &mut CommitCheck,
    commit: &Commit,
    current: &super::Sha256Digest,
    set: &ApprovalSet,
    policy: &Approval,
    records: &[ReviewRecord],
    verify: &mut dyn FnMut(&SignatureCheck<'_>) -> SignatureReport,
) -> Option<(String, String)> {
    let who = set.reviewer.to_string();
    let who = Some(who.as_str());
    let payload = match set.payload() {
        Ok(p) => p.to_canonical(),
        Err(e) => {
            out.push(names::TRAILERS, who, Status::Failed, format!("{e:#}"));
            return None;
        }
    };
    let report = verify(&SignatureCheck {
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
            names::SIGNATURE,
            who,
            Status::Passed,
            format!(
                "valid {} signature over the approval",
                set.signature.scheme.as_str()
            ),
        ),
        Err(reason) => out.push(names::SIGNATURE, who, Status::Failed, reason.clone()),
    }
    let signer = match report.signer {
        Ok(s) => {
            let reason = format!("key {} is allowed for {}", s.key, s.principal);
            out.push(names::SIGNER_ALLOWED, who, Status::Passed, reason);
            Some((s.principal, s.key))
        }
        Err(reason) => {
            out.push(names::SIGNER_ALLOWED, who, Status::Failed, reason);
            None
        }
    };
    out.push(
        names::CONTENT_DIGEST,
        who,
        status(set.content == *current),
        if set.content == *current {
            "the commit's change is the one approved".into()
        } else {
            format!(
                "the change differs from the one approved (approved {}, now {current})",
                set.content
            )
        },
    );
    let trees_match = set.tree == commit.tree_id && set.parent_trees == commit.parent_tree_ids;
    let (tree_status, tree_reason) = match (trees_match, policy.strict) {
        (true, _) => (Status::Passed, "trees match the approval".to_string()),
        (false, true) => (
            Status::Failed,
            "the commit's or its parents' trees differ from the approved ones (rebased or \
             amended), and the policy is strict"
                .to_string(),
        ),
        (false, false) => (
            Status::Skipped,
            "trees differ from the approved ones (rebased); the policy accepts a matching \
             content digest"
                .to_string(),
        ),
    };
    out.push(names::TREES, who, tree_status, tree_reason);
    out.push(
        names::HUNKS_APPROVED,
        who,
        status(set.hunks.all_approved()),
        format!(
            "{} of {} hunks approved",
            set.hunks.approved, set.hunks.total
        ),
    );
    let author = &commit.author.email;
    let is_author = set.reviewer.email.eq_ignore_ascii_case(author)
        || signer
            .as_ref()
            .is_some_and(|(p, _)| p.eq_ignore_ascii_case(author));
    let (self_status, self_reason) = match (policy.forbid_self_approval, is_author) {
        (false, _) => (
            Status::Skipped,
            "the policy allows self-approval".to_string(),
        ),
        (true, false) => (
            Status::Passed,
            format!("the signer is not the author ({author})"),
        ),
        (true, true) => (
            Status::Failed,
            format!(
                "the signer is the commit's author ({author}); the policy forbids self-approval"
            ),
        ),
    };
    out.push(names::SELF_APPROVAL, who, self_status, self_reason);
    let (rec_status, rec_reason) = if records.is_empty() {
        (
            Status::Skipped,
            "no review record found (refs/notes/countersign not fetched?)".into(),
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
    out.push(names::REVIEW_RECORD, who, rec_status, rec_reason);
    signer
}

/// Path rules: a rule whose glob matches a changed path (old or new) needs its own number of
/// distinct signers. Globs match whole paths; `*` stays within a directory, `**` crosses.
fn check_paths(
    out: &mut CommitCheck,
    commit: &Commit,
    policy: &Approval,
    have: usize,
) -> Result<()> {
    let paths: Vec<&str> = commit.files.iter().flat_map(FileChange::paths).collect();
    for rule in &policy.paths {
        if let Some(path) = path_rule_hit(rule, &paths)? {
            let need = rule.signers.max(1);
            out.push(
                names::PATH_RULE,
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

/// The first of `paths` that `rule` applies to.
fn path_rule_hit<'p>(rule: &PathRule, paths: &[&'p str]) -> Result<Option<&'p str>> {
    let glob = GlobBuilder::new(&rule.glob)
        .literal_separator(true)
        .build()
        .with_context(|| format!("invalid path rule glob '{}' in the policy", rule.glob))?
        .compile_matcher();
    Ok(paths.iter().copied().find(|p| glob.is_match(p)))
}

/// How many distinct signers `policy` asks of a commit that changes `paths`: the policy's
/// number, or more where a path rule applies.
pub fn signers_needed(policy: &Approval, paths: &[&str]) -> Result<usize> {
    let mut need = policy.signers.max(1);
    for rule in &policy.paths {
        if path_rule_hit(rule, paths)?.is_some() {
            need = need.max(rule.signers.max(1));
        }
    }
    Ok(need)
}
