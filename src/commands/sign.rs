//! Signing a finished review, for the review screen's `S`: a record and a signed payload per
//! commit, the trailers appended to the messages, the commits rewritten (same trees), and the
//! records written to `refs/notes/countersign`.

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::approval::sign::Signer;
use crate::approval::{append_approval, ApprovalSet, Payload, ReviewRecord};
use crate::error::UserError;
use crate::git::notes::{append_note, COUNTERSIGN_NOTES};
use crate::git::rewrite::{rewrite_messages, Plan, RewriteOptions};
use crate::git::signing_config;
use crate::model::Review;
use crate::policy::Policy;
use crate::session::Session;

/// The signer the reviewer's git setup names, and the identity it signs as; checked before the
/// reviewer is asked to confirm, so a missing setup is said up front.
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

/// Signs every commit of `review` and writes the approvals back. `plan` was taken when the
/// review started, so a branch that moved since is refused. Returns one line for the reviewer.
pub fn sign_review(
    repo: &Repository,
    review: &Review,
    session: &Session,
    mut plan: Plan,
    policy: &Policy,
    now: i64,
) -> Result<String> {
    let (signer, reviewer) = signer(repo)?;
    if signer.needs_touch() {
        println!(
            "countersign: touch your security key to sign ({})",
            signer.describe()
        );
    } else {
        println!(
            "countersign: signing as {reviewer} with {}",
            signer.describe()
        );
    }
    let mut records = Vec::new();
    for commit in &review.commits {
        let record = ReviewRecord::from_commit(commit, &reviewer, now, |h| {
            session.decision(&h.id).cloned()
        })?;
        let counts = record.counts();
        if !counts.all_approved() {
            return Err(UserError::new(format!(
                "commit {} has {} of {} AI-touched hunks approved",
                commit.short_id(),
                counts.approved,
                counts.total
            ))
            .into());
        }
        let payload = Payload::for_commit(commit, &record)?;
        let signature = signer
            .sign(payload.to_canonical().as_bytes())
            .with_context(|| format!("cannot sign the approval of {}", commit.short_id()))?;
        let set = ApprovalSet::new(&payload, signature);
        let message = append_approval(&commit.message, &set, policy.approval.reviewed_by_trailer)?;
        let oid = Oid::from_str(&commit.id).context("bad commit id")?;
        plan.set_message(oid, message);
        records.push((oid, record));
    }
    let outcome = rewrite_messages(repo, &plan, &RewriteOptions::default())?;
    let who = outcome.committer.to_git2()?;
    for (old, record) in &records {
        let new = outcome
            .new_id(*old)
            .context("a signed commit was not rewritten")?;
        append_note(
            repo,
            COUNTERSIGN_NOTES,
            new,
            &record.to_canonical_json(),
            &who,
        )?;
    }
    let mut msg = format!(
        "signed {} commit{} as {reviewer}; {} is now {} (undo: {})",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        outcome.refname.trim_start_matches("refs/heads/"),
        &outcome.new_tip.to_string()[..10],
        outcome.undo_hint
    );
    for w in &outcome.warnings {
        msg.push_str(&format!("; {w}"));
    }
    Ok(msg)
}
