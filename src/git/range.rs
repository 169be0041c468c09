//! Which commits a review covers: a commit, a range (`A..B`, `A...B`), or the default range.

use anyhow::{Context, Result};
use git2::{Oid, Repository, Sort};

use super::Repo;
use crate::error::UserError;

/// The commits under review, oldest first.
#[derive(Debug, Clone)]
pub struct Range {
    /// What the reviewer asked for, or how the default was chosen (`main..HEAD`).
    pub spec: String,
    pub commits: Vec<Oid>,
    /// The reviewer named the range: review it whether or not it shows signs of AI.
    pub explicit: bool,
    /// The branch the range's tip is on (`refs/heads/topic`), when HEAD is on it.
    pub branch: Option<String>,
    /// The base the default range was measured against (upstream or default branch), which is
    /// also the trusted ref the policy is read from.
    pub base: Option<String>,
}

/// Resolves what the reviewer typed (or nothing) into commits.
pub fn resolve(repo: &Repo, spec: Option<&str>) -> Result<Range> {
    let git = &repo.git;
    let head = head_commit(git)?;
    let branch = current_branch(git);
    let base = base_ref(git, branch.as_deref());
    match spec {
        Some(spec) => resolve_spec(git, spec, branch, base),
        None => {
            if let Some((name, base_oid)) = &base {
                let commits = walk(git, &[head], &[*base_oid])?;
                if !commits.is_empty() {
                    return Ok(Range {
                        spec: format!("{}..HEAD", short_ref(name)),
                        commits,
                        explicit: false,
                        branch,
                        base: Some(name.clone()),
                    });
                }
            }
            Ok(Range {
                spec: "HEAD".into(),
                commits: vec![head],
                explicit: false,
                branch,
                base: base.map(|(name, _)| name),
            })
        }
    }
}

fn resolve_spec(
    git: &Repository,
    spec: &str,
    branch: Option<String>,
    base: Option<(String, Oid)>,
) -> Result<Range> {
    let unknown = || {
        UserError::new(format!("unknown revision or range '{spec}'"))
            .hint("give a commit, a branch, or a range such as main..HEAD")
    };
    let rs = git.revparse(spec).map_err(|_| unknown())?;
    let peel = |obj: &git2::Object| -> Result<Oid> {
        Ok(obj.peel_to_commit().map_err(|_| unknown())?.id())
    };
    let commits = if rs.mode().contains(git2::RevparseMode::SINGLE) {
        let from = rs.from().ok_or_else(unknown)?;
        vec![peel(from)?]
    } else {
        let from = rs.from().map(peel).transpose()?;
        let to = rs.to().map(peel).transpose()?;
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) => (f, t),
            _ => return Err(unknown().into()),
        };
        if rs.mode().contains(git2::RevparseMode::MERGE_BASE) {
            let mb = git
                .merge_base(from, to)
                .context("no common ancestor in the range")?;
            walk(git, &[from, to], &[mb])?
        } else {
            walk(git, &[to], &[from])?
        }
    };
    if commits.is_empty() {
        return Err(UserError::new(format!("the range '{spec}' has no commits"))
            .hint("is the range the right way round? (base..tip)")
            .into());
    }
    Ok(Range {
        spec: spec.to_string(),
        commits,
        explicit: true,
        branch,
        base: base.map(|(name, _)| name),
    })
}

fn head_commit(git: &Repository) -> Result<Oid> {
    let head = git.head().map_err(|e| {
        if e.code() == git2::ErrorCode::UnbornBranch {
            anyhow::Error::from(UserError::new("the repository has no commits yet"))
        } else {
            anyhow::Error::from(e).context("cannot read HEAD")
        }
    })?;
    Ok(head.peel_to_commit().context("HEAD is not a commit")?.id())
}

/// `refs/heads/x` when HEAD is on a branch.
fn current_branch(git: &Repository) -> Option<String> {
    let head = git.head().ok()?;
    if head.is_branch() {
        head.name().ok().map(str::to_string)
    } else {
        None
    }
}

/// The branch's upstream, else the remote's default branch, else a local main/master that is
/// not the current branch.
fn base_ref(git: &Repository, branch: Option<&str>) -> Option<(String, Oid)> {
    let resolve = |name: &str| -> Option<(String, Oid)> {
        let r = git.find_reference(name).ok()?.resolve().ok()?;
        Some((name.to_string(), r.target()?))
    };
    if let Some(branch) = branch {
        if let Ok(up) = git.branch_upstream_name(branch) {
            if let Some(found) = up.as_str().ok().and_then(resolve) {
                return Some(found);
            }
        }
    }
    if let Ok(r) = git.find_reference("refs/remotes/origin/HEAD") {
        if let Ok(Some(target)) = r.symbolic_target() {
            if let Some(found) = resolve(target) {
                return Some(found);
            }
        }
    }
    ["refs/heads/main", "refs/heads/master"]
        .iter()
        .filter(|name| Some(**name) != branch)
        .find_map(|name| resolve(name))
}

fn short_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/")
        .or_else(|| name.strip_prefix("refs/remotes/"))
        .unwrap_or(name)
}

/// Commits reachable from `tips` but not from `hide`, oldest first.
fn walk(git: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>> {
    let mut walk = git.revwalk().context("cannot walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for tip in tips {
        walk.push(*tip)?;
    }
    for h in hide {
        walk.hide(*h)?;
    }
    walk.collect::<Result<Vec<_>, _>>()
        .context("cannot walk the history")
}

/// Resolves one revision the way git does, but refuses a name that more than one ref answers
/// to (`origin/main` as a tag and as a remote-tracking branch): git would quietly take the tag,
/// and anyone who can push can make one. Suffixes (`~2`, `^`) apply after the check.
pub fn unambiguous(git: &Repository, rev: &str) -> Result<Oid> {
    let name_end = rev.find(['~', '^', '@', ':']).unwrap_or(rev.len());
    let name = &rev[..name_end];
    let is_hex = !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit());
    if !name.is_empty() && !is_hex && name != "HEAD" && !name.starts_with("refs/") {
        let candidates = [
            name.to_string(),
            format!("refs/{name}"),
            format!("refs/tags/{name}"),
            format!("refs/heads/{name}"),
            format!("refs/remotes/{name}"),
            format!("refs/remotes/{name}/HEAD"),
        ];
        let found: Vec<&String> = candidates
            .iter()
            .filter(|c| git.find_reference(c).is_ok())
            .collect();
        if found.len() > 1 {
            let names: Vec<&str> = found.iter().map(|s| s.as_str()).collect();
            return Err(UserError::new(format!(
                "'{name}' is ambiguous: {} all answer to it",
                names.join(", ")
            ))
            .hint("name the ref in full (refs/remotes/origin/main) or give a commit id")
            .into());
        }
    }
    let obj = git.revparse_single(rev).map_err(|_| {
        UserError::new(format!("unknown revision '{rev}'"))
            .hint("give a commit, a branch, or a range such as main..HEAD")
    })?;
    Ok(obj
        .peel_to_commit()
        .map_err(|_| UserError::new(format!("'{rev}' is not a commit")))?
        .id())
}

/// The upstream (or default branch) the current branch is measured against, as a full refname
/// and its commit, when there is one.
pub fn default_base(repo: &Repo) -> Option<(String, Oid)> {
    let branch = current_branch(&repo.git);
    base_ref(&repo.git, branch.as_deref())
}

/// The protected branch whose history `log` audits: the remote's default branch, else a local
/// main or master, else HEAD. A full refname.
pub fn protected_branch(repo: &Repo) -> String {
    let git = &repo.git;
    if let Ok(r) = git.find_reference("refs/remotes/origin/HEAD") {
        if let Ok(Some(target)) = r.symbolic_target() {
            if git.find_reference(target).is_ok() {
                return target.to_string();
            }
        }
    }
    ["refs/heads/main", "refs/heads/master"]
        .iter()
        .find(|n| git.find_reference(n).is_ok())
        .map_or_else(|| "HEAD".to_string(), |n| n.to_string())
}

/// The commit `n` first parents below `tip` (or the root, when the history is shorter).
pub fn first_parents_back(git: &Repository, tip: Oid, n: usize) -> Result<Oid> {
    let mut at = tip;
    for _ in 0..n {
        match git.find_commit(at)?.parent_id(0) {
            Ok(p) => at = p,
            Err(_) => break,
        }
    }
    Ok(at)
}
