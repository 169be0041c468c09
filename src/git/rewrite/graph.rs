//! Which commits a rewrite recreates, and whether any of them is already shared.

use std::collections::HashSet;

use anyhow::{Context, Result};
use git2::{Oid, Repository, Sort};

use crate::error::UserError;

/// The commits to recreate, oldest first (parents before children): every reviewed commit and
/// every commit between it and the tip, merges included. Also returns the boundary: the
/// parents outside that set, which nothing in it is below.
pub fn commits_to_rewrite(
    repo: &Repository,
    tip: Oid,
    reviewed: &[Oid],
    target_name: &str,
) -> Result<(Vec<Oid>, Vec<Oid>)> {
    let mut boundary = Vec::new();
    for &id in reviewed {
        let commit = repo.find_commit(id).map_err(|_| {
            UserError::new(format!("commit {id} is not in the repository"))
                .hint("review again: the commits under review have changed")
        })?;
        for parent in commit.parent_ids() {
            // A parent that is itself reviewed, or above a reviewed commit, is rewritten too:
            // hiding it would hide that reviewed commit from the walk.
            let mut above_reviewed = false;
            for &r in reviewed {
                if parent == r || repo.graph_descendant_of(parent, r)? {
                    above_reviewed = true;
                    break;
                }
            }
            if !above_reviewed && !boundary.contains(&parent) {
                boundary.push(parent);
            }
        }
    }
    let mut walk = repo.revwalk().context("cannot walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(tip)?;
    for &b in &boundary {
        walk.hide(b)?;
    }
    let wanted: HashSet<Oid> = reviewed.iter().copied().collect();
    let mut affected: HashSet<Oid> = HashSet::new();
    let mut order = Vec::new();
    for id in walk {
        let id = id.context("cannot walk the history")?;
        let commit = repo.find_commit(id)?;
        if wanted.contains(&id) || commit.parent_ids().any(|p| affected.contains(&p)) {
            affected.insert(id);
            order.push(id);
        }
    }
    if let Some(missing) = reviewed.iter().find(|id| !affected.contains(id)) {
        return Err(UserError::new(format!(
            "commit {} is not on {} any more",
            short(*missing),
            short_ref(target_name)
        ))
        .hint("review again from the branch's current tip")
        .into());
    }
    Ok((order, boundary))
}

/// The refs a commit counts as shared through: every remote-tracking branch, and the branch's
/// upstream (which may be local).
fn shared_refs(repo: &Repository, branch: Option<&str>) -> Result<Vec<(String, Oid)>> {
    let mut refs = Vec::new();
    let remotes = repo
        .references_glob("refs/remotes/*")
        .context("listing remote-tracking branches")?;
    for r in remotes.flatten() {
        // `origin/HEAD` is symbolic; a dangling one points nowhere and shares nothing.
        let (Ok(name), Ok(resolved)) = (r.name().map(str::to_string), r.resolve()) else {
            continue;
        };
        if let Ok(commit) = resolved.peel_to_commit() {
            refs.push((name, commit.id()));
        }
    }
    if let Some(branch) = branch {
        if let Ok(up) = repo.branch_upstream_name(branch) {
            if let Ok(up) = up.as_str() {
                if let Ok(commit) = repo.revparse_single(up).and_then(|o| o.peel_to_commit()) {
                    refs.push((up.to_string(), commit.id()));
                }
            }
        }
    }
    Ok(refs)
}

/// Refuses when a commit about to be rewritten is already reachable from the upstream or a
/// remote-tracking branch: others may have it, and rewriting it forks their history.
pub fn refuse_shared(
    repo: &Repository,
    branch: Option<&str>,
    order: &[Oid],
    boundary: &[Oid],
) -> Result<()> {
    let refs = shared_refs(repo, branch)?;
    if refs.is_empty() {
        return Ok(());
    }
    let rewritten: HashSet<Oid> = order.iter().copied().collect();
    let mut walk = repo.revwalk().context("cannot walk the history")?;
    for (_, id) in &refs {
        walk.push(*id)?;
    }
    // Nothing rewritten is below the boundary, so the walk can stop there.
    for &b in boundary {
        walk.hide(b)?;
    }
    for id in walk {
        let id = id.context("cannot walk the history")?;
        if !rewritten.contains(&id) {
            continue;
        }
        let mut holder = String::from("a remote-tracking branch");
        for (name, tip) in &refs {
            if *tip == id || repo.graph_descendant_of(*tip, id)? {
                holder = short_ref(name).to_string();
                break;
            }
        }
        return Err(UserError::new(format!(
            "commit {} is already in {holder}: approving it would rewrite shared history",
            short(id)
        ))
        .hint("approve before pushing, or allow rewriting shared history explicitly")
        .into());
    }
    Ok(())
}

pub fn short(id: Oid) -> String {
    id.to_string().chars().take(12).collect()
}

pub fn short_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/")
        .or_else(|| name.strip_prefix("refs/remotes/"))
        .unwrap_or(name)
}
