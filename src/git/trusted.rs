//! Files read from a trusted commit (the base branch), never from the change under review,
//! which could otherwise approve itself: the policy and the signer lists. The trusted commit is
//! named by an object id or a full refname only: a short name like `origin/main` resolves to a
//! tag of that name first, and anyone who can push can make one.

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::error::UserError;
use crate::policy::{Policy, POLICY_FILE};

/// The commit trusted files are read from, and how it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    pub commit: Oid,
    /// The refname or object id as given (for reports).
    pub name: String,
}

/// Resolves a `--policy-ref`: a full object id of a commit, or a full refname (`refs/…`).
pub fn resolve(git: &Repository, spec: &str) -> Result<Trusted> {
    let refuse = |why: &str| -> anyhow::Error {
        UserError::new(format!(
            "cannot use '{spec}' as the trusted policy ref: {why}"
        ))
        .hint("give a commit id or a full refname such as refs/remotes/origin/main")
        .into()
    };
    let is_hex = !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_hexdigit());
    let commit = if is_hex && (spec.len() == 40 || spec.len() == 64) {
        let oid = Oid::from_str(spec).map_err(|_| refuse("not an object id"))?;
        git.find_commit(oid)
            .map_err(|_| refuse("no such commit here"))?
            .id()
    } else if spec.starts_with("refs/") {
        let r = git
            .find_reference(spec)
            .map_err(|_| refuse("no such ref here"))?;
        r.peel_to_commit()
            .map_err(|_| refuse("it does not point at a commit"))?
            .id()
    } else {
        return Err(refuse(
            "a short or abbreviated name is ambiguous (a tag or branch of the same name wins)",
        ));
    };
    Ok(Trusted {
        commit,
        name: spec.to_string(),
    })
}

/// A file's bytes at `path` in the tree of the trusted commit, if it exists there.
pub fn read_at(git: &Repository, trusted: &Trusted, path: &str) -> Result<Option<Vec<u8>>> {
    let name = &trusted.name;
    let tree = git
        .find_commit(trusted.commit)
        .and_then(|c| c.tree())
        .with_context(|| format!("cannot read the tree of the trusted ref '{name}'"))?;
    let entry = match tree.get_path(std::path::Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {name}:{path}")),
    };
    let blob = entry
        .to_object(git)
        .and_then(|o| o.peel_to_blob())
        .with_context(|| format!("{name}:{path} is not a file"))?;
    Ok(Some(blob.content().to_vec()))
}

/// The policy at the trusted commit (the defaults when there is none, or no trusted ref).
pub fn policy(git: &Repository, trusted: Option<&Trusted>) -> Result<Policy> {
    let Some(trusted) = trusted else {
        return Ok(Policy::default());
    };
    match read_at(git, trusted, POLICY_FILE)? {
        Some(bytes) => {
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{}:{POLICY_FILE} is not UTF-8", trusted.name))?;
            Policy::parse(&text, &format!("{}:{POLICY_FILE}", trusted.name))
        }
        None => Ok(Policy::default()),
    }
}

/// The trusted commit for a review's own range: the base it was measured against (a full
/// refname), when there is one.
pub fn of_base(git: &Repository, base: Option<&str>) -> Result<Option<Trusted>> {
    base.map(|name| resolve(git, name)).transpose()
}
