//! Files read from a trusted ref (the base branch), never from the change under review, which
//! could otherwise approve itself: the policy and the allowed-signers file.

use anyhow::{Context, Result};
use git2::Repository;

use crate::policy::{Policy, POLICY_FILE};

/// A file's bytes at `path` in the tree of `refname`, if it exists there.
pub fn read_at(git: &Repository, refname: &str, path: &str) -> Result<Option<Vec<u8>>> {
    let obj = git
        .revparse_single(refname)
        .with_context(|| format!("cannot find the trusted ref '{refname}'"))?;
    let tree = obj
        .peel_to_tree()
        .with_context(|| format!("'{refname}' has no tree"))?;
    let entry = match tree.get_path(std::path::Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {refname}:{path}")),
    };
    let blob = entry
        .to_object(git)
        .and_then(|o| o.peel_to_blob())
        .with_context(|| format!("{refname}:{path} is not a file"))?;
    Ok(Some(blob.content().to_vec()))
}

/// The policy at `refname` (the defaults when there is none, or no trusted ref at all).
pub fn policy(git: &Repository, refname: Option<&str>) -> Result<Policy> {
    let Some(refname) = refname else {
        return Ok(Policy::default());
    };
    match read_at(git, refname, POLICY_FILE)? {
        Some(bytes) => {
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{refname}:{POLICY_FILE} is not UTF-8"))?;
            Policy::parse(&text, &format!("{refname}:{POLICY_FILE}"))
        }
        None => Ok(Policy::default()),
    }
}
