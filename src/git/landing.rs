//! What `verify` and `log` read from git to judge what a range lands: the range itself (a
//! base and a tip, with the trusted commit the policy comes from), the approvals that might
//! cover a change (its message's trailers, the approvals store by its digest, the review
//! records), and replays for a policy that allows them. The judging is `approval::judge`'s.

use anyhow::{Context, Result};
use git2::Oid;

use super::pushed::Pushed;
use super::{chain, notes, range, replay, store, trusted, Repo};
use crate::approval::check::{Candidate, Found, Oracle};
use crate::approval::judge::Approvals;
use crate::approval::verify_sig::{SignatureCheck, SignatureReport, Verifier};
use crate::approval::{parse_approvals, ApprovalSet, ReviewRecord};
use crate::error::UserError;

/// A range to judge: what `tip` lands on `base`.
#[derive(Debug, Clone)]
pub struct Target {
    /// As the user gave it, for reports.
    pub spec: String,
    pub base: Oid,
    pub tip: Oid,
    /// Where the policy and signer lists are read from.
    pub trusted: Option<trusted::Trusted>,
}

impl Target {
    /// The tree ids of the base and the tip.
    pub fn trees(&self, repo: &Repo) -> Result<(Oid, Oid)> {
        let tree = |id: Oid| -> Result<Oid> {
            Ok(repo
                .git
                .find_commit(id)
                .with_context(|| format!("cannot read commit {id}"))?
                .tree_id())
        };
        Ok((tree(self.base)?, tree(self.tip)?))
    }
}

/// Resolves what to judge from what the user typed: `BASE..TIP` (BASE's policy is trusted,
/// the chain runs to their merge base when BASE is not an ancestor), `BASE...TIP`, one commit
/// (against its first parent, trusting the upstream), or nothing (the branch against its
/// upstream). `policy_ref` overrides the trusted commit; a trusted commit inside the range is
/// refused.
pub fn target(repo: &Repo, rev: Option<&str>, policy_ref: Option<&str>) -> Result<Target> {
    let git = &repo.git;
    let explicit_trust = policy_ref.map(|r| trusted::resolve(git, r)).transpose()?;
    let upstream = || -> Result<Option<trusted::Trusted>> {
        range::default_base(repo)
            .map(|(name, _)| trusted::resolve(git, &name))
            .transpose()
    };
    let (spec, base, tip, default_trust) = match rev {
        None => {
            let tip = range::unambiguous(git, "HEAD")?;
            let (name, base_tip) = range::default_base(repo).ok_or_else(|| {
                UserError::new("no upstream or default branch to judge against")
                    .hint("name the range, e.g. <base-commit>..HEAD")
            })?;
            let base = git
                .merge_base(base_tip, tip)
                .context("no common ancestor with the base")?;
            let short = name
                .trim_start_matches("refs/heads/")
                .trim_start_matches("refs/remotes/");
            (
                format!("{short}..HEAD"),
                base,
                tip,
                Some(trusted::resolve(git, &name)?),
            )
        }
        Some(spec) if spec.contains("..") => {
            let three = spec.contains("...");
            let sep = if three { "..." } else { ".." };
            let (a, b) = spec.split_once(sep).unwrap_or((spec, ""));
            let from = range::unambiguous(git, if a.is_empty() { "HEAD" } else { a })?;
            let tip = range::unambiguous(git, if b.is_empty() { "HEAD" } else { b })?;
            let base = if !three && (from == tip || git.graph_descendant_of(tip, from)?) {
                from
            } else {
                git.merge_base(from, tip)
                    .context("no common ancestor in the range")?
            };
            let trust = trusted::Trusted {
                commit: from,
                name: from.to_string(),
            };
            (spec.to_string(), base, tip, Some(trust))
        }
        Some(spec) => {
            let tip = range::unambiguous(git, spec)?;
            let base = git.find_commit(tip)?.parent_id(0).map_err(|_| {
                UserError::new(format!("{spec} is a root commit: it lands on no base"))
                    .hint("judge a range instead")
            })?;
            (spec.to_string(), base, tip, upstream()?)
        }
    };
    let target = Target {
        spec,
        base,
        tip,
        trusted: explicit_trust.or(default_trust),
    };
    if let Some(t) = &target.trusted {
        if chain::in_range(git, t.commit, target.base, target.tip)? {
            return Err(UserError::new(format!(
                "the trusted policy ref '{}' is inside the range being verified",
                t.name
            ))
            .hint("read the policy from the base branch, outside the change")
            .into());
        }
    }
    Ok(target)
}

/// Where approvals and review records are found: the commit's message, the review-records
/// notes and the approvals store, as the refs are now or, inside a pre-receive hook, as the
/// push being checked is about to set them.
pub struct Sources<'r> {
    repo: &'r Repo,
    notes: notes::NotesTree<'r>,
    pushed: Option<&'r Pushed>,
}

impl<'r> Sources<'r> {
    pub fn new(repo: &'r Repo, pushed: Option<&'r Pushed>) -> Result<Sources<'r>> {
        let git = &repo.git;
        let notes = match pushed.and_then(|p| p.get(notes::COUNTERSIGN_NOTES)) {
            Some(commit) => notes::NotesTree::at_commit(git, commit)?,
            None => notes::NotesTree::at_ref(git, notes::COUNTERSIGN_NOTES)?,
        };
        Ok(Sources {
            repo,
            notes,
            pushed,
        })
    }

    pub fn repo(&self) -> &'r Repo {
        self.repo
    }

    /// The approvals that might cover a change: its message's trailers and the store's entry
    /// for its digest; and the review records of both (and of the commit's note).
    pub fn approvals_for(
        &self,
        message: &str,
        commit: Option<&str>,
        digest_hex: &str,
    ) -> Result<Approvals> {
        let git = &self.repo.git;
        let parsed = parse_approvals(message);
        let mut found = Approvals {
            candidates: parsed
                .sets
                .into_iter()
                .map(|set| Candidate {
                    set,
                    found: Found::Message,
                })
                .collect(),
            problems: parsed.problems,
            records: Vec::new(),
        };
        if let Some(id) = commit {
            let oid = Oid::from_str(id).context("bad commit id")?;
            if let Some(note) = self.notes.read(oid)? {
                found
                    .records
                    .extend(ReviewRecord::parse_note(&note).unwrap_or_default());
            }
        }
        let entry = match self.pushed.and_then(|p| p.get(&store::refname(digest_hex))) {
            Some(Some(id)) => store::read_at(git, id)?,
            Some(None) => None,
            None => store::read(git, digest_hex)?,
        };
        if let Some(entry) = entry {
            // Only the store's readable approvals count; its garbage is not this commit's
            // problem.
            let stored = parse_approvals(&format!("Stored approvals\n\n{}", entry.approvals)).sets;
            found
                .candidates
                .extend(stored.into_iter().map(|set| Candidate {
                    set,
                    found: Found::Store,
                }));
            found
                .records
                .extend(ReviewRecord::parse_note(&entry.records).unwrap_or_default());
        }
        Ok(found)
    }
}

/// Signature checks by the real tools, replays by git.
pub struct GitOracle<'r> {
    pub repo: &'r Repo,
    pub verifier: Verifier,
}

impl Oracle for GitOracle<'_> {
    fn signature(&mut self, check: &SignatureCheck<'_>) -> SignatureReport {
        self.verifier.verify(check)
    }

    fn replays(&mut self, set: &ApprovalSet, base: &str, tree: &str) -> Result<bool, String> {
        replay::replays(&self.repo.git, &set.base_tree, &set.tree, base, tree)
            .map_err(|e| format!("{e:#}"))
    }

    fn differing(&mut self, set: &ApprovalSet, base: &str, tree: &str) -> Option<Vec<String>> {
        differing_paths(&self.repo.git, (&set.base_tree, &set.tree), (base, tree)).ok()
    }
}

/// The paths where two changes differ: touched by only one of them, or with other contents
/// before or after. Tree-to-tree, without rename detection (a rename is its two paths).
pub fn differing_paths(
    git: &git2::Repository,
    (old_base, old_tree): (&str, &str),
    (new_base, new_tree): (&str, &str),
) -> Result<Vec<String>> {
    use std::collections::BTreeMap;
    let tree = |id: &str| -> Result<git2::Tree<'_>> {
        let oid = Oid::from_str(id).with_context(|| format!("'{id}' is not a tree id"))?;
        git.find_tree(oid)
            .with_context(|| format!("tree {id} is not here (fetch refs/countersign/*)"))
    };
    type Delta = (Oid, u32, Oid, u32);
    let deltas = |base: &str, result: &str| -> Result<BTreeMap<Vec<u8>, Delta>> {
        let (b, r) = (tree(base)?, tree(result)?);
        let diff = git.diff_tree_to_tree(Some(&b), Some(&r), None)?;
        let mut out = BTreeMap::new();
        for d in diff.deltas() {
            let (o, n) = (d.old_file(), d.new_file());
            let path = n
                .path_bytes()
                .or(o.path_bytes())
                .unwrap_or_default()
                .to_vec();
            out.insert(
                path,
                (o.id(), u32::from(o.mode()), n.id(), u32::from(n.mode())),
            );
        }
        Ok(out)
    };
    let (approved, landed) = (deltas(old_base, old_tree)?, deltas(new_base, new_tree)?);
    let mut paths: Vec<String> = approved
        .keys()
        .chain(landed.keys())
        .filter(|p| approved.get(*p) != landed.get(*p))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The commits of `from`'s first-parent history (itself included), newest first, whose
/// message carries a break-glass approval that parses. A message-only pass: no diff is read.
pub fn break_glass_history(git: &git2::Repository, from: Oid) -> Result<Vec<Oid>> {
    let key = crate::approval::trailer::KEY_BREAK_GLASS.to_ascii_lowercase();
    let mut walk = git.revwalk().context("walking the base's history")?;
    walk.push(from)
        .with_context(|| format!("walking the history of {from}"))?;
    walk.simplify_first_parent()
        .context("walking the base's history")?;
    let mut out = Vec::new();
    for oid in walk {
        let oid = oid.context("walking the base's history")?;
        let commit = git
            .find_commit(oid)
            .with_context(|| format!("cannot read commit {oid}"))?;
        let message = String::from_utf8_lossy(commit.message_bytes());
        if !message.to_ascii_lowercase().contains(&key) {
            continue;
        }
        if parse_approvals(&message)
            .sets
            .iter()
            .any(|s| s.break_glass.is_some())
        {
            out.push(oid);
        }
    }
    Ok(out)
}
