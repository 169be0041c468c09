//! `countersign verify`: for CI and server hooks, what a range lands must be countersigned by
//! allowed signers, commit by commit along its first-parent chain (or as one branch approval
//! of the whole range), under the policy of a trusted commit outside the range.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;

use crate::approval::breakglass::Due;
use crate::approval::check::Landing;
use crate::approval::content_digest;
use crate::approval::judge::{self, Approvals, CommitInput};
use crate::approval::signers::TrustedFile;
use crate::approval::verify_sig::{TrustedSigners, Verifier, VerifyOptions};
use crate::error::{exit, UserError};
use crate::git::landing::{self, GitOracle, Target};
use crate::git::pushed::Pushed;
use crate::git::{self, chain, trusted};
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
    /// An SSH revocation list (KRL or public keys), on top of the policy's at the trusted ref.
    #[arg(long, value_name = "FILE")]
    pub revoked_signers: Option<PathBuf>,
    /// The trusted commit to read the policy and signer lists from: a commit id or a full
    /// refname (refs/remotes/origin/main). Default: BASE of the range, else the upstream.
    #[arg(long, value_name = "OID|REFNAME")]
    pub policy_ref: Option<String>,
    /// For a pre-receive hook: the push's ref updates as the hook reads them on stdin
    /// ('<old> <new> <ref>' lines; - for stdin), so that approvals and review records pushed
    /// with the branch count. Their signatures are checked against the trusted signer lists
    /// like any others.
    #[arg(long, value_name = "FILE")]
    pub pushed_refs: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
    #[command(flatten)]
    pub verbosity: super::VerbosityArgs,
}

pub fn run(args: &VerifyArgs) -> Result<i32> {
    let repo = git::open()?;
    let target = landing::target(&repo, args.rev.as_deref(), args.policy_ref.as_deref())?;
    let pushed = args
        .pushed_refs
        .as_deref()
        .map(|path| read_pushed(&repo, path))
        .transpose()?;
    let given = Given {
        allowed_signers: args.allowed_signers.as_deref(),
        revoked_signers: args.revoked_signers.as_deref(),
        pushed: pushed.as_ref(),
    };
    let report = judge_range(&repo, &target, &given)?;
    if matches!(args.format, super::Format::Json) {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text_at(args.verbosity.level()));
    }
    Ok(if report.passed {
        exit::OK
    } else {
        exit::VIOLATION
    })
}

/// Signer files named on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    /// Instead of the policy's allowed-signers file at the trusted ref.
    pub allowed_signers: Option<&'a Path>,
    /// On top of the policy's revocation list at the trusted ref.
    pub revoked_signers: Option<&'a Path>,
    /// The ref updates of the push a pre-receive hook is checking.
    pub pushed: Option<&'a Pushed>,
}

/// `--pushed-refs FILE` (or `-`, stdin) read and parsed; unreadable or malformed is exit 2.
fn read_pushed(repo: &git::Repo, path: &Path) -> Result<Pushed> {
    let (origin, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| UserError::new(format!("cannot read the pushed refs from stdin: {e}")))?;
        ("stdin".to_string(), text)
    } else {
        let path = repo.user_path(path);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            UserError::new(format!(
                "cannot read the pushed refs {}: {e}",
                path.display()
            ))
        })?;
        (path.display().to_string(), text)
    };
    Ok(Pushed::parse(&text, &origin).map_err(|e| UserError::new(format!("{e:#}")))?)
}

/// Judges what `target` lands, under the policy of its trusted commit.
pub fn judge_range(repo: &git::Repo, target: &Target, given: &Given<'_>) -> Result<VerifyReport> {
    let policy = trusted::policy(&repo.git, target.trusted.as_ref())?;
    let oids = match chain::first_parent_chain(&repo.git, target.base, target.tip)? {
        chain::Chain::Commits(oids) => oids,
        chain::Chain::Broken { commit, parent } => {
            return Ok(VerifyReport::broken_chain(
                &target.spec,
                &target.base.to_string(),
                &target.tip.to_string(),
                format!(
                    "commit {} has first parent {}, which is outside the range: landing it would \
                     skip what {} has (a merge onto an older base?)",
                    short(&commit.to_string()),
                    parent.map_or("none".into(), |p| short(&p.to_string())),
                    short(&target.base.to_string())
                ),
            ))
        }
    };
    // The risk scan only when a sign-off rule asks by risk: its rules are the built-in ones and
    // the trusted policy's own, never anything from the range.
    let analysis = if policy.approval.needs_findings() {
        Analysis::new(&policy, false)?
    } else {
        Analysis::without_scan(&policy)?
    };
    let mut commits = Vec::with_capacity(oids.len());
    load::full_commits(&repo.git, &analysis, &oids, |_, c| {
        commits.push(c);
        Ok(true)
    })?;
    let digests = commits
        .iter()
        .map(|c| content_digest(&c.files))
        .collect::<Result<Vec<_>>>()?;
    let sources = landing::Sources::new(repo, given.pushed)?;
    let mut inputs = Vec::with_capacity(commits.len());
    for (commit, digest) in commits.iter().zip(&digests) {
        let landing = Landing {
            digest: *digest,
            base_tree: commit.base_tree(),
            tree: &commit.tree_id,
            paths: commit.files.iter().flat_map(FileChange::paths).collect(),
        };
        let found = sources.approvals_for(&commit.message, Some(&commit.id), &digest.to_hex())?;
        inputs.push(CommitInput {
            commit,
            landing,
            found,
        });
    }
    let (base_tree, tip_tree) = target.trees(repo)?;
    let (base_hex, tip_hex) = (base_tree.to_string(), tip_tree.to_string());
    let tip_message = commits.last().map(|c| c.message.as_str()).unwrap_or("");
    let branch = || -> Result<Option<(Landing<'_>, Approvals)>> {
        let files = load::tree_change(&repo.git, &analysis, Some(base_tree), tip_tree)?;
        let digest = content_digest(&files)?;
        let found = sources.approvals_for(tip_message, None, &digest.to_hex())?;
        let landing = Landing {
            digest,
            base_tree: &base_hex,
            tree: &tip_hex,
            paths: Vec::new(),
        };
        Ok(Some((landing, found)))
    };
    let verifier = verifier(repo, given, target.trusted.as_ref(), &policy)?;
    policy
        .approval
        .org
        .check_signers(|email| verifier.names_signer(email))?;
    let mut oracle = GitOracle { repo, verifier };
    let now = crate::timefmt::now();
    let a = &policy.approval;
    let guarded = [
        POLICY_FILE,
        a.allowed_signers.as_str(),
        a.revoked_signers.as_str(),
        a.openpgp_signers.as_str(),
        a.openpgp_keys.as_str(),
    ];
    let verdict = judge::judge(&policy.approval, &guarded, inputs, branch, &mut oracle, now)?;
    let mut due: Vec<Due> = verdict
        .commits
        .iter()
        .filter_map(|c| {
            let e = c.emergency.as_ref()?;
            Some(Due {
                id: c.id.clone(),
                summary: c.summary.clone(),
                used: e.used.clone(),
                due: e.due?,
                overdue: e.due.is_some_and(|d| now > d),
            })
        })
        .collect();
    due.extend(due_before(
        &sources,
        target.base,
        &policy,
        &analysis,
        &guarded,
        &mut oracle,
        now,
    )?);
    Ok(VerifyReport::new(
        &target.spec,
        &target.base.to_string(),
        &target.tip.to_string(),
        target.trusted.as_ref().map(|t| t.name.clone()),
        verdict,
        due,
    ))
}

/// The break-glass landings in the base's first-parent history (what is already on the
/// protected branch) whose normal countersignature the policy still asks for: each is judged
/// again, under the trusted policy and signer lists, with the approvals found for it now (its
/// message, and the store by its digest, where a later review files its approval). Only when
/// the policy sets `countersign_within`; the walk reads messages and loads only the commits
/// that carry a break-glass trailer.
fn due_before(
    sources: &landing::Sources<'_>,
    base: git::Oid,
    policy: &Policy,
    analysis: &Analysis,
    guarded: &[&str],
    oracle: &mut GitOracle<'_>,
    now: i64,
) -> Result<Vec<Due>> {
    let Some(within) = policy
        .approval
        .break_glass
        .as_ref()
        .and_then(|b| b.countersign_within)
    else {
        return Ok(Vec::new());
    };
    let repo = sources.repo();
    let mut out = Vec::new();
    for oid in landing::break_glass_history(&repo.git, base)? {
        let commit = load::full_commit(&repo.git, analysis, oid)?;
        let digest = content_digest(&commit.files)?;
        let found = sources.approvals_for(&commit.message, Some(&commit.id), &digest.to_hex())?;
        let input = CommitInput {
            commit: &commit,
            landing: Landing {
                digest,
                base_tree: commit.base_tree(),
                tree: &commit.tree_id,
                paths: commit.files.iter().flat_map(FileChange::paths).collect(),
            },
            found,
        };
        let verdict = judge::judge(
            &policy.approval,
            guarded,
            vec![input],
            || Ok(None),
            oracle,
            now,
        )?;
        let Some(v) = verdict.commits.into_iter().next() else {
            continue;
        };
        if v.status == judge::CommitStatus::Approved {
            continue;
        }
        let Some(first) = v.break_glass.iter().min_by_key(|u| u.signer.time) else {
            continue;
        };
        let due = first.signer.time.saturating_add(within);
        out.push(Due {
            id: v.id,
            summary: v.summary,
            used: first.clone(),
            due,
            overdue: now > due,
        });
    }
    Ok(out)
}

/// The signer lists: the allowed-signers file named on the command line or the policy's at
/// the trusted ref, revocation lists from both, and the OpenPGP signers and keys at the
/// trusted ref. A list that cannot be read or parsed stops the check (exit 2).
fn verifier(
    repo: &git::Repo,
    given: &Given<'_>,
    trusted: Option<&trusted::Trusted>,
    policy: &Policy,
) -> Result<Verifier> {
    let a = &policy.approval;
    let at_ref = |path: &str| -> Result<Option<TrustedFile>> {
        let Some(t) = trusted else {
            return Ok(None);
        };
        Ok(trusted::read_at(&repo.git, t, path)?
            .map(|bytes| TrustedFile::new(format!("{}:{path}", t.name), bytes)))
    };
    let from_cli = |path: &Path, what: &str| -> Result<TrustedFile> {
        let path = repo.user_path(path);
        let bytes = std::fs::read(&path).map_err(|e| {
            UserError::new(format!("cannot read the {what} {}: {e}", path.display()))
        })?;
        Ok(TrustedFile::new(path.display().to_string(), bytes))
    };
    let allowed_signers = match given.allowed_signers {
        Some(path) => Some(from_cli(path, "allowed-signers file")?),
        None => at_ref(&a.allowed_signers)?,
    };
    let mut revoked: Vec<TrustedFile> = at_ref(&a.revoked_signers)?.into_iter().collect();
    if let Some(path) = given.revoked_signers {
        revoked.push(from_cli(path, "revocation list")?);
    }
    let files = TrustedSigners {
        allowed_signers,
        revoked,
        openpgp_signers: at_ref(&a.openpgp_signers)?,
        openpgp_keys: at_ref(&a.openpgp_keys)?,
    };
    let options = VerifyOptions {
        ambient_gnupghome: gpg_home(),
        ..VerifyOptions::for_policy(a)
    };
    Verifier::from_trusted(files, options).context("cannot check signatures")
}

fn gpg_home() -> Option<PathBuf> {
    std::env::var_os("GNUPGHOME")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".gnupg")))
}

fn short(id: &str) -> String {
    id[..id.len().min(10)].to_string()
}
