//! `countersign verify`: for CI and server hooks, what a range lands must be countersigned by
//! allowed signers, commit by commit along its first-parent chain (or as one branch approval
//! of the whole range), under the policy of a trusted commit outside the range.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use git2::Oid;

use crate::approval::check::{Candidate, Found, Landing, Oracle};
use crate::approval::judge::Approvals;
use crate::approval::judge::{self, CommitInput};
use crate::approval::payload::{empty_tree, ObjectFormat};
use crate::approval::verify_sig::{
    GpgVerifier, SignatureCheck, SignatureReport, SshVerifier, Verifier,
};
use crate::approval::{content_digest, parse_approvals, ApprovalSet, ReviewRecord};
use crate::error::{exit, UserError};
use crate::git::notes::{read_note, COUNTERSIGN_NOTES};
use crate::git::{self, chain, range, replay, store, trusted};
use crate::load::{self, Analysis};
use crate::model::FileChange;
use crate::policy::{Policy, POLICY_FILE};
use crate::report::verify::VerifyReport;

#[derive(Args, Debug, Default)]
pub struct VerifyArgs {
    /// A range BASE..TIP (what TIP lands on BASE), a commit (against its first parent), or
    /// nothing: the branch against its upstream or default branch.
    pub rev: Option<String>,
    /// The allowed-signers file (default: the policy's, read from the trusted ref).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// The trusted commit to read the policy and signer lists from: a commit id or a full
    /// refname (refs/remotes/origin/main). Default: BASE of the range, else the upstream.
    #[arg(long, value_name = "OID|REFNAME")]
    pub policy_ref: Option<String>,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
}

/// What is being verified: the chain from `tip` down to `base`.
struct Target {
    spec: String,
    base: Oid,
    tip: Oid,
    trusted: Option<trusted::Trusted>,
}

pub fn run(args: &VerifyArgs) -> Result<i32> {
    let repo = git::open()?;
    let target = target(&repo, args.rev.as_deref(), args.policy_ref.as_deref())?;
    let git = &repo.git;
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
    let policy = trusted::policy(git, target.trusted.as_ref())?;
    let report = match chain::first_parent_chain(git, target.base, target.tip)? {
        chain::Chain::Broken { commit, parent } => VerifyReport::broken_chain(
            &target.spec,
            &target.base.to_string(),
            &target.tip.to_string(),
            format!(
                "commit {} has first parent {}, which is outside the range: landing it would \
                 skip what {} has (a merge onto an older base?)",
                short(commit),
                parent.map_or("none".into(), short),
                short(target.base)
            ),
        ),
        chain::Chain::Commits(oids) => judge_chain(&repo, &target, &policy, &oids, args)?,
    };
    if matches!(args.format, super::Format::Json) {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.passed {
        exit::OK
    } else {
        exit::VIOLATION
    })
}

fn judge_chain(
    repo: &git::Repo,
    target: &Target,
    policy: &Policy,
    oids: &[Oid],
    args: &VerifyArgs,
) -> Result<VerifyReport> {
    let git = &repo.git;
    let analysis = Analysis::new(policy, false)?;
    let mut commits = Vec::with_capacity(oids.len());
    load::full_commits(git, &analysis, oids, |_, c| {
        commits.push(c);
        Ok(true)
    })?;
    let format = ObjectFormat::of_id(&target.tip.to_string()).unwrap_or(ObjectFormat::Sha1);
    let mut inputs = Vec::with_capacity(commits.len());
    let mut digests = Vec::with_capacity(commits.len());
    for commit in &commits {
        digests.push(content_digest(&commit.files)?);
    }
    for (commit, digest) in commits.iter().zip(&digests) {
        let base_tree = commit
            .parent_tree_ids
            .first()
            .map_or(empty_tree(format), String::as_str);
        let landing = Landing {
            digest: *digest,
            base_tree,
            tree: &commit.tree_id,
            paths: commit.files.iter().flat_map(FileChange::paths).collect(),
        };
        let oid = Oid::from_str(&commit.id).context("bad commit id")?;
        let found = found_for(git, &commit.message, Some(oid), &digest.to_hex())?;
        inputs.push(CommitInput {
            commit,
            landing,
            found,
        });
    }
    let base_commit = git.find_commit(target.base)?;
    let tip_commit = git.find_commit(target.tip)?;
    let (base_tree, tip_tree) = (
        base_commit.tree_id().to_string(),
        tip_commit.tree_id().to_string(),
    );
    let tip_message = commits
        .last()
        .map(|c| c.message.clone())
        .unwrap_or_default();
    let mut branch_files: Vec<FileChange> = Vec::new();
    let branch = || -> Result<Option<(Landing<'_>, Approvals)>> {
        branch_files = load::tree_change(
            git,
            &analysis,
            Some(base_commit.tree_id()),
            tip_commit.tree_id(),
        )?;
        let digest = content_digest(&branch_files)?;
        let found = found_for(git, &tip_message, None, &digest.to_hex())?;
        let landing = Landing {
            digest,
            base_tree: &base_tree,
            tree: &tip_tree,
            paths: Vec::new(),
        };
        Ok(Some((landing, found)))
    };
    let signers_file = allowed_signers(repo, args, target.trusted.as_ref(), policy)?;
    let mut oracle = GitOracle {
        git,
        verifier: Verifier {
            ssh: signers_file.as_ref().map(|f| SshVerifier {
                program: "ssh-keygen".into(),
                allowed_signers: f.path().to_path_buf(),
            }),
            gpg: gpg_home().map(|home| GpgVerifier {
                program: "gpg".into(),
                gnupghome: home,
            }),
        },
    };
    let guarded = [POLICY_FILE, policy.approval.allowed_signers.as_str()];
    let verdict = judge::judge(&policy.approval, &guarded, inputs, branch, &mut oracle)?;
    Ok(VerifyReport::new(
        &target.spec,
        &target.base.to_string(),
        &target.tip.to_string(),
        target.trusted.as_ref().map(|t| t.name.clone()),
        verdict,
    ))
}

/// The approvals that might cover a change: its message's trailers and the store's entry for
/// its digest; and the review records of both.
fn found_for(
    git: &git2::Repository,
    message: &str,
    commit: Option<Oid>,
    digest_hex: &str,
) -> Result<Approvals> {
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
    if let Some(oid) = commit {
        if let Some(note) = read_note(git, COUNTERSIGN_NOTES, oid)? {
            found
                .records
                .extend(ReviewRecord::parse_note(&note).unwrap_or_default());
        }
    }
    if let Some(entry) = store::read(git, digest_hex)? {
        // Only the store's readable approvals count; its garbage is not this commit's.
        let stored: Vec<ApprovalSet> =
            parse_approvals(&format!("Stored approvals\n\n{}", entry.approvals)).sets;
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

/// Signature checks by the real tools, replays by git.
struct GitOracle<'r> {
    git: &'r git2::Repository,
    verifier: Verifier,
}

impl Oracle for GitOracle<'_> {
    fn signature(&mut self, check: &SignatureCheck<'_>) -> SignatureReport {
        self.verifier.verify(check)
    }

    fn replays(&mut self, set: &ApprovalSet, base: &str, tree: &str) -> Result<bool, String> {
        replay::replays(self.git, &set.base_tree, &set.tree, base, tree)
            .map_err(|e| format!("{e:#}"))
    }
}

fn target(repo: &git::Repo, rev: Option<&str>, policy_ref: Option<&str>) -> Result<Target> {
    let git = &repo.git;
    let explicit_trust = policy_ref.map(|r| trusted::resolve(git, r)).transpose()?;
    let (spec, base, tip, default_trust) = match rev {
        None => {
            let tip = range::unambiguous(git, "HEAD")?;
            let (name, base_tip) = range::default_base(repo).ok_or_else(|| {
                UserError::new("no upstream or default branch to verify against")
                    .hint("name the range, e.g. countersign verify <base-commit>..HEAD")
            })?;
            let base = git
                .merge_base(base_tip, tip)
                .context("no common ancestor with the base")?;
            let spec = format!(
                "{}..HEAD",
                name.trim_start_matches("refs/heads/")
                    .trim_start_matches("refs/remotes/")
            );
            (spec, base, tip, Some(trusted::resolve(git, &name)?))
        }
        Some(spec) if spec.contains("..") => {
            let three = spec.contains("...");
            let (a, b) = if three {
                spec.split_once("...").unwrap_or((spec, ""))
            } else {
                spec.split_once("..").unwrap_or((spec, ""))
            };
            let b = if b.is_empty() { "HEAD" } else { b };
            let from = range::unambiguous(git, a)?;
            let tip = range::unambiguous(git, b)?;
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
            let commit = git.find_commit(tip)?;
            let base = commit.parent_id(0).map_err(|_| {
                UserError::new(format!("{spec} is a root commit: it lands on no base"))
                    .hint("verify a range instead")
            })?;
            let trust = range::default_base(repo)
                .map(|(name, _)| trusted::resolve(git, &name))
                .transpose()?;
            (spec.to_string(), base, tip, trust)
        }
    };
    Ok(Target {
        spec,
        base,
        tip,
        trusted: explicit_trust.or(default_trust),
    })
}

/// The allowed-signers file: the one named on the command line, else the policy's file at the
/// trusted ref, copied to a temp file for ssh-keygen.
fn allowed_signers(
    repo: &git::Repo,
    args: &VerifyArgs,
    trusted: Option<&trusted::Trusted>,
    policy: &Policy,
) -> Result<Option<tempfile::NamedTempFile>> {
    let bytes = match (&args.allowed_signers, trusted) {
        (Some(path), _) => {
            let path = repo.user_path(path);
            Some(std::fs::read(&path).map_err(|e| {
                UserError::new(format!(
                    "cannot read the allowed-signers file {}: {e}",
                    path.display()
                ))
            })?)
        }
        (None, Some(t)) => trusted::read_at(&repo.git, t, &policy.approval.allowed_signers)?,
        (None, None) => None,
    };
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let mut file = tempfile::NamedTempFile::new().context("cannot write a temp file")?;
    std::io::Write::write_all(&mut file, &bytes).context("cannot write a temp file")?;
    Ok(Some(file))
}

fn gpg_home() -> Option<PathBuf> {
    std::env::var_os("GNUPGHOME")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".gnupg")))
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}
