//! `countersign verify`: for CI and server hooks, every AI-assisted commit of a range must carry
//! a valid countersignature by an allowed signer over its content as it is now, under the policy
//! of a trusted ref.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::approval::check::{check_commit, Check, Status};
use crate::approval::signers::TrustedFile;
use crate::approval::verify_sig::{TrustedSigners, Verifier, VerifyOptions};
use crate::approval::{parse_approvals, ReviewRecord};
use crate::error::{exit, UserError};
use crate::git::notes::{read_note, COUNTERSIGN_NOTES};
use crate::git::{self, range, trusted};
use crate::load::{self, Analysis};
use crate::model::{Commit, FileChange};
use crate::policy::POLICY_FILE;
use crate::text::printable;

/// Bumped on any incompatible change to the JSON output.
pub const VERIFY_FORMAT_VERSION: u32 = 1;

pub struct Options {
    pub rev: Option<String>,
    pub allowed_signers: Option<PathBuf>,
    /// An SSH revocation list (KRL or public keys) on top of the trusted ref's.
    pub revoked_signers: Option<PathBuf>,
    pub policy_ref: Option<String>,
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    version: u32,
    range: String,
    policy_ref: Option<String>,
    commits: Vec<CommitReport>,
    passed: bool,
}

#[derive(Serialize)]
struct CommitReport {
    id: String,
    summary: String,
    ai_assisted: bool,
    /// passed, failed, or skipped (not AI-assisted).
    status: &'static str,
    signers: Vec<String>,
    checks: Vec<CheckReport>,
}

#[derive(Serialize)]
struct CheckReport {
    name: &'static str,
    reviewer: Option<String>,
    status: &'static str,
    reason: String,
}

pub fn run(opts: &Options) -> Result<i32> {
    let repo = git::open()?;
    let range = range::resolve(&repo, opts.rev.as_deref())?;
    let trusted_ref = opts.policy_ref.clone().or(range.base.clone());
    let policy = trusted::policy(&repo.git, trusted_ref.as_deref())?;
    let analysis = Analysis::new(&policy, false)?;
    let mut commits = Vec::with_capacity(range.commits.len());
    load::full_commits(&repo.git, &analysis, &range.commits, |_, commit| {
        commits.push(commit);
        Ok(true)
    })?;
    let verifier = verifier(&repo, opts, trusted_ref.as_deref(), &policy)?;
    let a = &policy.approval;
    let guarded = [
        POLICY_FILE,
        a.allowed_signers.as_str(),
        a.revoked_signers.as_str(),
        a.openpgp_signers.as_str(),
        a.openpgp_keys.as_str(),
    ];
    let mut reports = Vec::new();
    for commit in &commits {
        reports.push(verify_commit(
            &repo.git, commit, &policy, &verifier, &guarded,
        )?);
    }
    let passed = reports.iter().all(|r| r.status != "failed");
    let report = Report {
        version: VERIFY_FORMAT_VERSION,
        range: range.spec.clone(),
        policy_ref: trusted_ref,
        commits: reports,
        passed,
    };
    if opts.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("cannot encode the report")?
        );
    } else {
        print!("{}", text(&report));
    }
    Ok(if passed { exit::OK } else { exit::VIOLATION })
}

fn verify_commit(
    git: &git2::Repository,
    commit: &Commit,
    policy: &crate::policy::Policy,
    verifier: &Verifier,
    guarded: &[&str],
) -> Result<CommitReport> {
    let mut report = CommitReport {
        id: commit.id.clone(),
        summary: commit.summary.clone(),
        ai_assisted: commit.is_ai_assisted(),
        status: "skipped",
        signers: Vec::new(),
        checks: Vec::new(),
    };
    if !commit.is_ai_assisted() {
        return Ok(report);
    }
    let approvals = parse_approvals(&commit.message);
    let oid = git2::Oid::from_str(&commit.id).context("bad commit id")?;
    let records = match read_note(git, COUNTERSIGN_NOTES, oid)? {
        Some(note) => ReviewRecord::parse_note(&note).unwrap_or_default(),
        None => Vec::new(),
    };
    let checked = check_commit(commit, &approvals, &policy.approval, &records, &mut |c| {
        verifier.verify(c)
    })?;
    let mut checks: Vec<Check> = checked.checks.clone();
    // The policy and the signers are read from the trusted ref, so an edit here cannot approve
    // anything; it still fails, because a change that rewrites its own checkpoint is exactly
    // what a human must see land separately.
    let touched: Vec<&str> = commit
        .files
        .iter()
        .flat_map(FileChange::paths)
        .filter(|p| guarded.contains(p))
        .collect();
    checks.push(Check {
        name: "policy-unchanged",
        reviewer: None,
        status: if touched.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        },
        reason: if touched.is_empty() {
            "the policy and allowed signers are untouched".into()
        } else {
            format!(
                "the commit edits {}; policy changes must land on the trusted branch on their own",
                touched.join(", ")
            )
        },
    });
    report.status = if checks.iter().any(|c| c.status == Status::Failed) {
        "failed"
    } else {
        "passed"
    };
    report.signers = checked.signers.clone();
    report.checks = checks
        .into_iter()
        .map(|c| CheckReport {
            name: c.name,
            reviewer: c.reviewer,
            status: match c.status {
                Status::Passed => "passed",
                Status::Failed => "failed",
                Status::Skipped => "skipped",
            },
            reason: c.reason,
        })
        .collect();
    Ok(report)
}

/// The signature verifier: the signer lists from the trusted ref (the allowed-signers file
/// and revocation list may also come from the command line), the policy's key requirements,
/// and the ambient GNUPGHOME only as the keyring of last resort (the trusted OpenPGP signers
/// list still decides who is accepted). A list that cannot be read or parsed is an error
/// (exit 2), never a pass.
fn verifier(
    repo: &git::Repo,
    opts: &Options,
    trusted_ref: Option<&str>,
    policy: &crate::policy::Policy,
) -> Result<Verifier> {
    let a = &policy.approval;
    let at_ref = |path: &str| -> Result<Option<TrustedFile>> {
        let Some(r) = trusted_ref else {
            return Ok(None);
        };
        Ok(trusted::read_at(&repo.git, r, path)?
            .map(|bytes| TrustedFile::new(format!("{r}:{path}"), bytes)))
    };
    let from_cli = |path: &PathBuf, what: &str| -> Result<TrustedFile> {
        let path = repo.user_path(path);
        let bytes = std::fs::read(&path).map_err(|e| {
            UserError::new(format!("cannot read the {what} {}: {e}", path.display()))
        })?;
        Ok(TrustedFile::new(path.display().to_string(), bytes))
    };
    let allowed_signers = match &opts.allowed_signers {
        Some(path) => Some(from_cli(path, "allowed-signers file")?),
        None => at_ref(&a.allowed_signers)?,
    };
    let mut revoked: Vec<TrustedFile> = at_ref(&a.revoked_signers)?.into_iter().collect();
    if let Some(path) = &opts.revoked_signers {
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

fn text(r: &Report) -> String {
    let mut s = String::new();
    let (mut ok, mut failed, mut skipped) = (0, 0, 0);
    for c in &r.commits {
        let short = &c.id[..c.id.len().min(10)];
        match c.status {
            "skipped" => {
                skipped += 1;
                s.push_str(&format!(
                    "skip   {short} {} (not AI-assisted)\n",
                    printable(&c.summary)
                ));
            }
            "passed" => {
                ok += 1;
                s.push_str(&format!(
                    "ok     {short} {} (countersigned by {})\n",
                    printable(&c.summary),
                    printable(&c.signers.join(", "))
                ));
            }
            _ => {
                failed += 1;
                s.push_str(&format!("FAILED {short} {}\n", printable(&c.summary)));
                for check in c.checks.iter().filter(|k| k.status == "failed") {
                    let who = check
                        .reviewer
                        .as_deref()
                        .map(|w| format!(" ({})", printable(w)))
                        .unwrap_or_default();
                    s.push_str(&format!(
                        "       ✗ {}{who}: {}\n",
                        check.name,
                        printable(&check.reason)
                    ));
                }
            }
        }
    }
    s.push_str(&format!(
        "verify: {} commit{} in {}: {ok} verified, {failed} failed, {skipped} not AI-assisted\n",
        r.commits.len(),
        if r.commits.len() == 1 { "" } else { "s" },
        printable(&r.range)
    ));
    s
}
