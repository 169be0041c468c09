//! Writing an approval back: the reviewed commits get their new messages (same trees, same
//! authors, committer updated, re-signed when `commit.gpgsign` is set), every commit above
//! them up to the tip is re-parented (merges stay merges), and the branch moves with a
//! compare-and-swap against the tip the review started from, leaving a reflog entry.
//!
//! The index and the working tree are never touched: every tree stays the same, so moving the
//! branch HEAD is on changes nothing a `git status` could see. Notes in `refs/notes/ai` and
//! `refs/notes/countersign` follow the commits to their new ids.

mod commit_object;
mod commit_sign;
mod graph;
mod identity;
mod refs;

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};
use git2::{ObjectType, Oid, Repository, RepositoryState};

pub use commit_sign::CommitSigner;
pub use identity::{parse_git_date, Ident};

use crate::error::UserError;
use graph::short;
use refs::{
    copy_notes, ensure_not_moved, move_ref, resolved_refname, restore_notes, snapshot_notes,
};

/// The ref a rewrite moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A branch (`refs/heads/topic`); HEAD follows it when it is checked out there.
    Branch(String),
    /// HEAD itself, detached.
    DetachedHead,
}

impl Target {
    /// The full ref name to update.
    pub fn refname(&self) -> &str {
        match self {
            Target::Branch(name) => name,
            Target::DetachedHead => "HEAD",
        }
    }
}

/// What to rewrite: taken when the review starts ([`Plan::at_head`]), messages added when the
/// reviewer signs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    /// The target's tip when the review started; the rewrite is refused if it moved since.
    pub expected_tip: Oid,
    /// The reviewed commits with their new messages, oldest first.
    pub messages: Vec<(Oid, String)>,
    /// Review records to append to `refs/notes/countersign`, by reviewed (old) commit id:
    /// written on the new commits before the branch moves, so that a kill at any moment
    /// leaves the old tip, or the new tip with its records.
    pub records: Vec<(Oid, String)>,
    /// Approvals to file in the approvals store, also before the branch moves.
    pub stored: Vec<StoreWrite>,
}

/// One approval for the store (`git::store`).
#[derive(Debug, Clone)]
pub struct StoreWrite {
    pub digest_hex: String,
    pub trailers: String,
    pub record_json: String,
    pub trees: Vec<String>,
}

impl Plan {
    /// HEAD as it is now: the branch it is on (or a detached HEAD) and its commit.
    pub fn at_head(repo: &Repository) -> Result<Plan> {
        let head = repo.head().map_err(|e| {
            if e.code() == git2::ErrorCode::UnbornBranch {
                anyhow!(UserError::new("the repository has no commits yet"))
            } else {
                anyhow!(e).context("cannot read HEAD")
            }
        })?;
        let tip = head.peel_to_commit().context("HEAD is not a commit")?.id();
        let target = if head.is_branch() {
            let name = head.name().context("the branch name is not UTF-8")?;
            Target::Branch(name.to_string())
        } else {
            Target::DetachedHead
        };
        Ok(Plan {
            target,
            expected_tip: tip,
            messages: Vec::new(),
            records: Vec::new(),
            stored: Vec::new(),
        })
    }

    /// Amending HEAD's message.
    pub fn amend_head(repo: &Repository, message: impl Into<String>) -> Result<Plan> {
        let mut plan = Plan::at_head(repo)?;
        plan.messages.push((plan.expected_tip, message.into()));
        Ok(plan)
    }

    /// Gives `commit` a new message (replacing one given before).
    pub fn set_message(&mut self, commit: Oid, message: impl Into<String>) {
        let message = message.into();
        match self.messages.iter_mut().find(|(id, _)| *id == commit) {
            Some(slot) => slot.1 = message,
            None => self.messages.push((commit, message)),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RewriteOptions {
    /// Rewrite even when HEAD is detached (the new tip is then only in HEAD and its reflog).
    pub allow_detached: bool,
    /// Rewrite commits that are already in the upstream or a remote-tracking branch.
    pub allow_shared: bool,
    /// The committer of the new commits and notes; by default the one git would use.
    pub committer: Option<Ident>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// The ref that moved (`refs/heads/topic`, or `HEAD`).
    pub refname: String,
    pub old_tip: Oid,
    pub new_tip: Oid,
    /// Every recreated commit, old id → new id, oldest first: the reviewed commits and all
    /// commits above them.
    pub rewritten: Vec<(Oid, Oid)>,
    /// How many notes were carried over to the new commits.
    pub notes_copied: usize,
    /// The key the new commits were signed with, when `commit.gpgsign` is set.
    pub signed_with: Option<String>,
    /// Things the user should know that did not stop the rewrite.
    pub warnings: Vec<String>,
    /// The command that puts the ref back where it was.
    pub undo_hint: String,
    /// Who committed the new commits, and when: the review records written next (with
    /// [`notes::append_note`](crate::git::notes::append_note)) use the same identity.
    pub committer: Ident,
}

impl Outcome {
    /// The new id of a commit that was rewritten.
    pub fn new_id(&self, old: Oid) -> Option<Oid> {
        self.rewritten
            .iter()
            .find(|(o, _)| *o == old)
            .map(|(_, n)| *n)
    }
}

/// The undo command: `update-ref` moves the ref back without touching the index or the working
/// tree (which `reset --keep` would refresh), works whether HEAD is on the branch or not, and,
/// given the new tip as the old value, refuses if the branch moved again since.
const UNDO: &str = "git update-ref -m 'countersign: undo approval'";

/// The reflog message of a rewrite.
pub fn reflog_message(approved: usize) -> String {
    let s = if approved == 1 { "" } else { "s" };
    format!("countersign: approve {approved} commit{s}")
}

/// Rewrites the planned commits with their new messages and moves the target (see the module
/// documentation). Refused, with the reason, when the target moved since the review started,
/// when HEAD is detached (unless allowed), when a commit is already shared (unless allowed),
/// when a reviewed commit is no longer on the target, and in the middle of a rebase or merge.
///
/// With `commit.gpgsign` set this runs ssh-keygen or gpg once per new commit, which may ask
/// for a passphrase or a touch: a terminal UI should leave its alternate screen first.
pub fn rewrite_messages(repo: &Repository, plan: &Plan, opts: &RewriteOptions) -> Result<Outcome> {
    check_plan(plan)?;
    check_state(repo)?;
    if plan.target == Target::DetachedHead && !opts.allow_detached {
        return Err(
            UserError::new("HEAD is detached: the approved commits would be on no branch")
                .hint(
                    "switch to the branch first (`git switch <branch>`), or allow a detached HEAD",
                )
                .into(),
        );
    }
    let refname = resolved_refname(repo, &plan.target)?;
    ensure_not_moved(repo, &plan.target, &refname, plan.expected_tip)?;

    let reviewed: Vec<Oid> = plan.messages.iter().map(|(id, _)| *id).collect();
    let (order, boundary) =
        graph::commits_to_rewrite(repo, plan.expected_tip, &reviewed, &refname)?;
    if !opts.allow_shared {
        let branch = matches!(plan.target, Target::Branch(_)).then_some(refname.as_str());
        graph::refuse_shared(repo, branch, &order, &boundary)?;
    }
    let committer = match &opts.committer {
        Some(c) => c.clone(),
        None => Ident::committer(repo)?,
    };
    let signer = CommitSigner::for_repo(repo)?;

    let messages: HashMap<Oid, &str> = plan
        .messages
        .iter()
        .map(|(id, m)| (*id, m.as_str()))
        .collect();
    let mut map: HashMap<Oid, Oid> = HashMap::new();
    let mut rewritten = Vec::with_capacity(order.len());
    let mut warnings = Vec::new();
    for old in order {
        let new = write_commit(
            repo,
            old,
            messages.get(&old).copied(),
            &map,
            &committer,
            signer.as_ref(),
            &mut warnings,
        )
        .with_context(|| format!("rewriting commit {}", short(old)))?;
        map.insert(old, new);
        rewritten.push((old, new));
    }
    let new_tip = *map
        .get(&plan.expected_tip)
        .ok_or_else(|| anyhow!("the tip {} was not rewritten", short(plan.expected_tip)))?;

    // Notes first, so a failure leaves the branch as it was; undone if the branch can't move.
    let who = committer.to_git2()?;
    let notes_before = snapshot_notes(repo)?;
    let notes_copied = match copy_notes(repo, &rewritten, &who) {
        Ok(n) => n,
        Err(e) => return Err(restore_notes(repo, &notes_before, e)),
    };
    if let Err(e) = write_records(repo, plan, &map, &who) {
        return Err(restore_notes(repo, &notes_before, e));
    }
    if let Err(e) = move_ref(
        repo,
        &refname,
        new_tip,
        plan.expected_tip,
        &reflog_message(plan.messages.len()),
    ) {
        return Err(restore_notes(repo, &notes_before, e));
    }
    let undo_hint = match plan.target {
        Target::Branch(_) => format!("{UNDO} {refname} {} {new_tip}", plan.expected_tip),
        Target::DetachedHead => format!("{UNDO} --no-deref HEAD {} {new_tip}", plan.expected_tip),
    };
    Ok(Outcome {
        refname,
        old_tip: plan.expected_tip,
        new_tip,
        rewritten,
        notes_copied,
        signed_with: signer.map(|s| s.describe()),
        warnings,
        undo_hint,
        committer,
    })
}

/// The review records on the new commits, and the approvals in the store. Store entries
/// written before a failure stay: they are filed by the content they approve and only say
/// what was signed.
fn write_records(
    repo: &Repository,
    plan: &Plan,
    map: &HashMap<Oid, Oid>,
    who: &git2::Signature<'_>,
) -> Result<()> {
    for (old, record) in &plan.records {
        let new = map
            .get(old)
            .ok_or_else(|| anyhow!("the reviewed commit {} was not rewritten", short(*old)))?;
        crate::git::notes::append_note(
            repo,
            crate::git::notes::COUNTERSIGN_NOTES,
            *new,
            record,
            who,
        )?;
    }
    for w in &plan.stored {
        let trees: Vec<&str> = w.trees.iter().map(String::as_str).collect();
        crate::git::store::add(repo, &w.digest_hex, &w.trailers, &w.record_json, &trees)?;
    }
    Ok(())
}

fn check_plan(plan: &Plan) -> Result<()> {
    if plan.messages.is_empty() {
        bail!("nothing to rewrite: the plan has no commits");
    }
    for (i, (id, message)) in plan.messages.iter().enumerate() {
        if plan.messages[..i].iter().any(|(other, _)| other == id) {
            bail!("commit {} is planned twice", short(*id));
        }
        if message.trim().is_empty() {
            bail!("the new message of commit {} is empty", short(*id));
        }
        if message.contains('\0') {
            bail!(
                "the new message of commit {} contains a NUL byte",
                short(*id)
            );
        }
    }
    Ok(())
}

/// A rebase, merge or cherry-pick in progress owns HEAD and the branch; moving them under it
/// would lose its work.
fn check_state(repo: &Repository) -> Result<()> {
    let state = repo.state();
    if state == RepositoryState::Clean {
        return Ok(());
    }
    Err(
        UserError::new(format!("a git operation is in progress ({state:?})"))
            .hint("finish or abort it (`git status` says how), then approve")
            .into(),
    )
}

/// Writes one recreated commit; returns its id.
fn write_commit(
    repo: &Repository,
    old: Oid,
    new_message: Option<&str>,
    parents: &HashMap<Oid, Oid>,
    committer: &Ident,
    signer: Option<&CommitSigner>,
    warnings: &mut Vec<String>,
) -> Result<Oid> {
    let odb = repo.odb().context("opening the object database")?;
    let object = odb.read(old).context("reading the commit object")?;
    let data = object.data();
    // The header ends at the first blank line; the message is every byte after it.
    let (header, message) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..=at], &data[at + 2..]),
        None => (data, &b""[..]),
    };
    let was_signed = commit_object::is_signed(header);
    let unsigned = commit_object::rebuild(&commit_object::Rebuild {
        raw_header: header,
        message: new_message.map_or(message, str::as_bytes),
        new_message: new_message.is_some(),
        parents,
        committer: &committer.header_value(),
    })?;
    let bytes = match signer {
        Some(signer) => {
            let field = if old.as_bytes().len() > 20 {
                "gpgsig-sha256"
            } else {
                "gpgsig"
            };
            commit_object::insert_signature(&unsigned, field, &signer.sign(&unsigned)?)?
        }
        None => {
            if was_signed {
                warnings.push(format!(
                    "commit {} was signed; its rewrite is not (commit.gpgsign is off)",
                    short(old)
                ));
            }
            unsigned
        }
    };
    let new = odb
        .write(ObjectType::Commit, &bytes)
        .context("writing the new commit")?;
    // Read it back: libgit2 must parse it, and the tree must be the one reviewed.
    let (old_tree, new_tree) = (
        repo.find_commit(old)?.tree_id(),
        repo.find_commit(new)?.tree_id(),
    );
    if old_tree != new_tree {
        bail!("the rewritten commit has tree {new_tree}, not {old_tree}");
    }
    Ok(new)
}
