//! What lands on a protected branch: the first-parent chain from a tip down to the base. A
//! merge whose first parent lies outside that chain is a fast-forward that can quietly drop
//! what the base gained (its first parent an old commit, the base merged in as a side parent),
//! so it is refused by name rather than judged by its diff.

use std::collections::HashSet;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

/// The first-parent chain of a range, oldest first, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    Commits(Vec<Oid>),
    /// `commit` is on the tip's first-parent chain, but its first parent `parent` is not in
    /// the range nor the base: landing the tip would land a history that skips the base.
    Broken {
        commit: Oid,
        parent: Option<Oid>,
    },
}

/// The first-parent chain from `tip` down to (not including) `base`.
pub fn first_parent_chain(git: &Repository, base: Oid, tip: Oid) -> Result<Chain> {
    // The range's commits in one walk: asking "is this parent inside?" of the graph for each
    // step walked the range again every time, most of the time of a 1,000-commit push.
    let inside = range_commits(git, base, tip)?;
    let mut out = Vec::new();
    let mut at = tip;
    while at != base {
        let commit = git
            .find_commit(at)
            .with_context(|| format!("cannot read commit {at}"))?;
        let parent = commit.parent_ids().next();
        match parent {
            Some(p) if p == base || inside.contains(&p) => {
                out.push(at);
                at = p;
            }
            _ => return Ok(Chain::Broken { commit: at, parent }),
        }
    }
    out.reverse();
    Ok(Chain::Commits(out))
}

/// Every commit reachable from `tip` and not from `base`.
fn range_commits(git: &Repository, base: Oid, tip: Oid) -> Result<HashSet<Oid>> {
    let mut walk = git.revwalk().context("walking the range")?;
    walk.push(tip)
        .with_context(|| format!("walking the history of {tip}"))?;
    walk.hide(base)
        .with_context(|| format!("walking the history of {base}"))?;
    walk.map(|oid| oid.context("walking the range")).collect()
}

/// Whether `commit` lies inside `base..tip` (reachable from the tip, not from the base).
pub fn in_range(git: &Repository, commit: Oid, base: Oid, tip: Oid) -> Result<bool> {
    if commit == base {
        return Ok(false);
    }
    let from_tip = commit == tip || git.graph_descendant_of(tip, commit)?;
    let from_base = git.graph_descendant_of(base, commit)?;
    Ok(from_tip && !from_base)
}
