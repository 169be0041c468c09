//! The refs a rewrite reads and moves: the target (with its compare-and-swap and reflog) and
//! the notes refs, which are put back if the target can't move.

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::graph::{short, short_ref};
use super::Target;
use crate::error::UserError;
use crate::git::notes;

/// The name of the ref to update: a symbolic branch (an alias) is followed to the real one.
pub fn resolved_refname(repo: &Repository, target: &Target) -> Result<String> {
    match target {
        Target::DetachedHead => Ok("HEAD".into()),
        Target::Branch(name) => {
            let r = repo.find_reference(name).map_err(|_| {
                UserError::new(format!("the branch {} no longer exists", short_ref(name)))
                    .hint("review again on the branch you want to approve")
            })?;
            let r = r.resolve().with_context(|| format!("resolving {name}"))?;
            Ok(r.name()
                .context("the branch name is not UTF-8")?
                .to_string())
        }
    }
}

fn moved(refname: &str, expected: Oid, now: &str) -> anyhow::Error {
    UserError::new(format!(
        "{} moved since the review started (was {}, now {now}); nothing was changed",
        short_ref(refname),
        short(expected)
    ))
    .hint("review the new commits, then approve again")
    .into()
}

pub fn ensure_not_moved(
    repo: &Repository,
    target: &Target,
    refname: &str,
    expected: Oid,
) -> Result<()> {
    if *target == Target::DetachedHead && !repo.head_detached().context("reading HEAD")? {
        return Err(moved(refname, expected, "on a branch"));
    }
    let current = repo
        .find_reference(refname)
        .with_context(|| format!("reading {refname}"))?
        .target();
    match current {
        Some(id) if id == expected => Ok(()),
        Some(id) => Err(moved(refname, expected, &short(id))),
        None => Err(moved(refname, expected, "not a commit")),
    }
}

pub fn snapshot_notes(repo: &Repository) -> Result<Vec<(&'static str, Option<Oid>)>> {
    notes::CARRIED_NOTES
        .iter()
        .map(|name| Ok((*name, ref_target(repo, name)?)))
        .collect()
}

fn ref_target(repo: &Repository, name: &str) -> Result<Option<Oid>> {
    match repo.find_reference(name) {
        Ok(r) => Ok(r.target()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {name}")),
    }
}

pub fn copy_notes(
    repo: &Repository,
    rewritten: &[(Oid, Oid)],
    who: &git2::Signature<'_>,
) -> Result<usize> {
    let mut copied = 0;
    for &(old, new) in rewritten {
        for notes_ref in notes::CARRIED_NOTES {
            match notes::copy_note(repo, notes_ref, old, new, who)? {
                notes::Copied::Copied | notes::Copied::Concatenated => copied += 1,
                notes::Copied::Nothing | notes::Copied::AlreadyThere => {}
            }
        }
    }
    Ok(copied)
}

/// Puts the notes refs back after a failed rewrite (only if nobody else moved them since), and
/// returns the error that caused it, with any trouble restoring added.
pub fn restore_notes(
    repo: &Repository,
    before: &[(&str, Option<Oid>)],
    cause: anyhow::Error,
) -> anyhow::Error {
    let mut trouble = Vec::new();
    for &(name, old) in before {
        let result = (|| -> Result<()> {
            let Some(now) = ref_target(repo, name)? else {
                return Ok(());
            };
            if Some(now) == old {
                return Ok(());
            }
            match old {
                Some(old) => {
                    repo.reference_matching(name, old, true, now, "countersign: undo notes copy")?;
                }
                None => repo.find_reference(name)?.delete()?,
            }
            Ok(())
        })();
        if let Err(e) = result {
            trouble.push(format!("{name}: {e}"));
        }
    }
    if trouble.is_empty() {
        cause
    } else {
        cause.context(format!(
            "and the copied notes could not be removed ({})",
            trouble.join("; ")
        ))
    }
}

/// Compare-and-swap: the ref moves only if it still points at `expected`, with a reflog entry
/// (created if the ref had no reflog, so the old tip stays reachable).
pub fn move_ref(
    repo: &Repository,
    refname: &str,
    new: Oid,
    expected: Oid,
    message: &str,
) -> Result<()> {
    repo.reference_ensure_log(refname)
        .with_context(|| format!("creating the reflog of {refname}"))?;
    match repo.reference_matching(refname, new, true, expected, message) {
        Ok(_) => Ok(()),
        Err(e) if e.code() == git2::ErrorCode::Modified => {
            let now = ref_target(repo, refname)?.map_or_else(|| "gone".to_string(), short);
            Err(moved(refname, expected, &now))
        }
        Err(e) if e.code() == git2::ErrorCode::Locked => Err(UserError::new(format!(
            "{refname} is locked by another git process; nothing was changed"
        ))
        .hint("wait for it to finish, then approve again")
        .into()),
        Err(e) => Err(e).with_context(|| format!("moving {refname}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_two_commits() -> (tempfile::TempDir, Repository, Oid, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let who = git2::Signature::new("A", "a@example.com", &git2::Time::new(0, 0)).unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let a = repo.commit(None, &who, &who, "a", &tree, &[]).unwrap();
        let b = repo.commit(None, &who, &who, "b", &tree, &[]).unwrap();
        repo.reference("refs/heads/topic", b, true, "test").unwrap();
        drop(tree);
        (dir, repo, a, b)
    }

    /// The last line of defence: the branch moved between the check and the update (another
    /// process committed), and the compare-and-swap refuses.
    #[test]
    fn compare_and_swap_refuses_a_moved_branch() {
        let (_dir, repo, a, b) = repo_with_two_commits();
        let err = move_ref(&repo, "refs/heads/topic", a, a, "countersign: test").unwrap_err();
        assert!(err.downcast_ref::<UserError>().is_some(), "{err:#}");
        assert!(
            err.to_string()
                .contains("topic moved since the review started"),
            "{err}"
        );
        assert_eq!(ref_target(&repo, "refs/heads/topic").unwrap(), Some(b));
        move_ref(&repo, "refs/heads/topic", a, b, "countersign: test").unwrap();
        assert_eq!(ref_target(&repo, "refs/heads/topic").unwrap(), Some(a));
        let log = repo.reflog("refs/heads/topic").unwrap();
        assert_eq!(
            log.get(0).unwrap().message().unwrap(),
            Some("countersign: test")
        );
    }

    #[test]
    fn notes_are_put_back_after_a_failure() {
        let (_dir, repo, a, b) = repo_with_two_commits();
        let who = git2::Signature::new("A", "a@example.com", &git2::Time::new(0, 0)).unwrap();
        notes::append_note(&repo, notes::AI_NOTES, a, "kept", &who).unwrap();
        let before = snapshot_notes(&repo).unwrap();
        copy_notes(&repo, &[(a, b)], &who).unwrap();
        notes::append_note(&repo, notes::COUNTERSIGN_NOTES, b, "new", &who).unwrap();
        let err = restore_notes(&repo, &before, anyhow::anyhow!("the cause"));
        assert_eq!(err.to_string(), "the cause");
        assert_eq!(snapshot_notes(&repo).unwrap(), before);
        assert!(notes::read_note(&repo, notes::AI_NOTES, b)
            .unwrap()
            .is_none());
        assert!(ref_target(&repo, notes::COUNTERSIGN_NOTES)
            .unwrap()
            .is_none());
    }
}
