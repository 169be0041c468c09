//! Replaying an approved change onto another base, for a policy that accepts any clean replay.

use anyhow::{Context, Result};
use git2::{Oid, Repository};

/// Whether the change `approved_base → approved_tree` applies cleanly onto `base` and gives
/// exactly `tree`. `Err` when the approved trees are not in the repository.
pub fn replays(
    git: &Repository,
    approved_base: &str,
    approved_tree: &str,
    base: &str,
    tree: &str,
) -> Result<bool> {
    let find = |id: &str| -> Result<git2::Tree<'_>> {
        let oid = Oid::from_str(id).with_context(|| format!("'{id}' is not a tree id"))?;
        git.find_tree(oid).with_context(|| {
            format!(
                "the approved tree {id} is not here (fetch refs/countersign/* to replay the \
                 approved change)"
            )
        })
    };
    let (old, new, onto) = (find(approved_base)?, find(approved_tree)?, find(base)?);
    let diff = git
        .diff_tree_to_tree(Some(&old), Some(&new), None)
        .context("diffing the approved change")?;
    let mut index = match git.apply_to_tree(&onto, &diff, None) {
        Ok(index) => index,
        Err(_) => return Ok(false),
    };
    if index.has_conflicts() {
        return Ok(false);
    }
    let result = index
        .write_tree_to(git)
        .context("writing the replayed tree")?;
    Ok(result.to_string() == tree)
}
