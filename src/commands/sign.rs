//! Signing a finished review, for the review screen's `S`: a record and a signed payload per
//! commit, and when the review is a branch of several commits one more for the branch as a
//! whole (what a squash merge lands); the trailers appended to the messages, the commits
//! rewritten (same trees), and the records and approvals written before the branch moves.

use crate::git::{Oid, Repository};
use anyhow::{Context, Result};

use crate::approval::payload::Reviewed;
use crate::approval::sign::Signer;
use crate::approval::{append_approval, content_digest, ApprovalSet, Payload, ReviewRecord, Scope};
use crate::error::UserError;
use crate::git::rewrite::{rewrite_messages, Plan, RewriteOptions, StoreWrite};
use crate::git::signing_config;
use crate::load::{self, Analysis};
use crate::model::{Commit, Review};
use crate::policy::Policy;
use crate::session::Session;

/// The signer the reviewer's git setup names, and the identity it signs as. Programs and key
/// commands come from the reviewer's global and system config only (see
/// `git::signing_config`); nothing here runs until the reviewer asks to sign.
pub fn signer(repo: &Repository) -> Result<(Signer, String)> {
    let config = signing_config::read(repo)?;
    let signer = Signer::from_config(&config)?;
    let name = config.user_name.clone().unwrap_or_default();
    let email = config.user_email.clone().unwrap_or_default();
    if name.is_empty() || email.is_empty() {
        return Err(UserError::new("no reviewer identity: user.name and user.email are not set")
            .hint("git config --global user.name 'Jane Doe' && git config --global user.email jane@example.com")
            .into());
    }
    Ok((signer, format!("{name} <{email}>")))
}

/// Who will sign and with what, in words, read from the settings alone: nothing runs (no key
/// command, no agent), so opening a review runs no program.
pub fn signing_as(repo: &Repository) -> Option<String> {
    let c = signing_config::read(repo).ok()?;
    let who = format!("{} <{}>", c.user_name?, c.user_email?);
    let ssh = c
        .format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("ssh"));
    let key = match (&c.signing_key, ssh) {
        (Some(k), true) => format!("SSH key {k}"),
        (None, true) => "the SSH key gpg.ssh.defaultKeyCommand names".to_string(),
        (Some(k), false) => format!("OpenPGP key {k}"),
        (None, false) => "gpg's default key".to_string(),
    };
    Some(format!("{who} with {key}"))
}

/// Whether the review's commits are one first-parent chain, oldest first: only then is their
/// combined change a branch one reviewer saw whole.
fn is_chain(commits: &[Commit]) -> bool {
    commits
        .windows(2)
        .all(|w| w[1].parent_ids.first() == Some(&w[0].id))
}

/// What is signed: a finished review, or an emergency approval with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    Review,
    /// Signed without every hunk approved; lands only within the policy's break-glass terms.
    BreakGlass {
        reason: &'a str,
    },
}

/// Signs every commit of `review` and writes the approvals back. `plan` was taken when the
/// review started, so a branch that moved since is refused. Returns one line for the reviewer.
pub fn sign_review(
    repo: &Repository,
    review: &Review,
    session: &Session,
    plan: Plan,
    policy: &Policy,
    now: i64,
) -> Result<String> {
    sign_as(repo, review, session, plan, policy, now, Kind::Review)
}

/// [`sign_review`] for either kind of approval.
pub fn sign_as(
    repo: &Repository,
    review: &Review,
    session: &Session,
    mut plan: Plan,
    policy: &Policy,
    now: i64,
    kind: Kind<'_>,
) -> Result<String> {
    let (signer, reviewer) = signer(repo)?;
    let decision = |h: &crate::model::Hunk| session.decision(&h.id).cloned();
    let history = |id| session.history(&session.subject, id);
    let mut messages: Vec<(Oid, String)> = Vec::new();
    let mut signed = 0;
    for commit in &review.commits {
        let record = ReviewRecord::from_commit(commit, &reviewer, now, decision)?
            .with_rounds(session.round, history);
        let counts = record.counts();
        if kind == Kind::Review && !counts.all_approved() {
            return Err(UserError::new(format!(
                "commit {} has {} of {} AI-touched hunks approved",
                commit.short_id(),
                counts.approved,
                counts.total
            ))
            .into());
        }
        let commits = [commit];
        let change = Reviewed {
            scope: Scope::Commit,
            files: &commit.files,
            base_tree: commit.base_tree(),
            tree: &commit.tree_id,
            commits: &commits,
        };
        let set = sign_one(&signer, &change, &record, kind)?;
        let oid = crate::git::oid(&commit.id)?;
        let message = append_approval(&commit.message, &set, policy.approval.reviewed_by_trailer)?;
        messages.push((oid, message));
        file(&mut plan, oid, &change, &set, &record)?;
        signed += 1;
    }
    let mut branch = false;
    if review.commits.len() > 1 && is_chain(&review.commits) {
        let (first, last) = (
            &review.commits[0],
            &review.commits[review.commits.len() - 1],
        );
        let old = crate::git::oid(first.base_tree())?;
        let new = crate::git::oid(&last.tree_id)?;
        let analysis = Analysis::new(policy, false)?;
        let files = load::tree_change(repo, &analysis, Some(old), new)?;
        let commits: Vec<&Commit> = review.commits.iter().collect();
        let record = ReviewRecord::for_branch(&commits, &files, &reviewer, now, decision)?
            .with_rounds(session.round, history);
        let change = Reviewed {
            scope: Scope::Branch,
            files: &files,
            base_tree: first.base_tree(),
            tree: &last.tree_id,
            commits: &commits,
        };
        let set = sign_one(&signer, &change, &record, kind)?;
        let tip = crate::git::oid(&last.id)?;
        if let Some((_, message)) = messages.iter_mut().find(|(id, _)| *id == tip) {
            *message = append_approval(message, &set, false)?;
        }
        file(&mut plan, tip, &change, &set, &record)?;
        branch = true;
    }
    for (oid, message) in messages {
        plan.set_message(oid, message);
    }
    let outcome = rewrite_messages(repo, &plan, &RewriteOptions::default())?;
    let mut msg =
        format!(
        "signed {}{signed} commit{}{} as {reviewer}; {} is now {} (undo: {}); share the approval \
         with: git push origin {} 'refs/notes/countersign' 'refs/countersign/*'",
        if matches!(kind, Kind::BreakGlass { .. }) {
            "a BREAK-GLASS approval of "
        } else {
            ""
        },
        if signed == 1 { "" } else { "s" },
        if branch { " and the branch as a whole" } else { "" },
        outcome.refname.trim_start_matches("refs/heads/"),
        &outcome.new_tip.to_string()[..10],
        outcome.undo_hint,
        outcome.refname.trim_start_matches("refs/heads/"),
    );
    for w in &outcome.warnings {
        msg.push_str(&format!("; {w}"));
    }
    Ok(msg)
}

fn sign_one(
    signer: &Signer,
    change: &Reviewed<'_>,
    record: &ReviewRecord,
    kind: Kind<'_>,
) -> Result<ApprovalSet> {
    let payload = match kind {
        Kind::Review => Payload::for_change(change, record)?,
        Kind::BreakGlass { reason } => Payload::for_break_glass(change, record, reason)
            .map_err(|e| UserError::new(format!("{e:#}")))?,
    };
    let signature = signer
        .sign(payload.to_canonical().as_bytes())
        .with_context(|| format!("cannot sign the {} approval", change.scope.as_str()))?;
    Ok(ApprovalSet::new(&payload, signature))
}

/// Files an approval's record (on the commit it is written into) and the approval itself (in
/// the store, by the content it approves) with the rewrite.
fn file(
    plan: &mut Plan,
    commit: Oid,
    change: &Reviewed<'_>,
    set: &ApprovalSet,
    record: &ReviewRecord,
) -> Result<()> {
    let json = record.to_canonical_json();
    plan.records.push((commit, json.clone()));
    plan.stored.push(StoreWrite {
        digest_hex: content_digest(change.files)?.to_hex(),
        trailers: set.to_trailers(false),
        record_json: json,
        trees: vec![change.base_tree.to_string(), change.tree.to_string()],
    });
    Ok(())
}
