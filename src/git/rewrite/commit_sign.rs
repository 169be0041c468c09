//! Signing a rewritten commit when `commit.gpgsign` is set, the way git signs one: the payload
//! is the commit object without its signature, SSH signatures are made in git's own namespace
//! (`git`, not countersign's), and the armoured output goes verbatim into the `gpgsig` header.
//! The key and the program are found by the approval module's signers, so a commit is signed
//! with the same key `git commit -S` would use.

use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};

use crate::approval::sign::{GpgSigner, SshKey, SshSigner};
use crate::approval::tool::{last_line, run_command, Input};
use crate::error::UserError;

/// The namespace git signs commits in with SSH keys.
const GIT_NAMESPACE: &str = "git";

#[derive(Debug, Clone)]
pub enum CommitSigner {
    Ssh(SshSigner),
    OpenPgp(GpgSigner),
}

impl CommitSigner {
    /// The signer `git commit` would use in `repo`, or None when `commit.gpgsign` is off.
    pub fn for_repo(repo: &git2::Repository) -> Result<Option<CommitSigner>> {
        let config = repo
            .config()
            .and_then(|mut c| c.snapshot())
            .context("reading git config")?;
        if !config.get_bool("commit.gpgsign").unwrap_or(false) {
            return Ok(None);
        }
        let settings = crate::git::signing_config::read(repo)?;
        let why = "commit.gpgsign is set, so the rewritten commits must be signed";
        let format = settings.format.as_deref().map(str::to_ascii_lowercase);
        let signer =
            match format.as_deref() {
                // git's default format, and its default key (the committer) when none is set.
                None | Some("openpgp") => CommitSigner::OpenPgp(GpgSigner::from_config(&settings)?),
                Some("ssh") => CommitSigner::Ssh(SshSigner::from_config(&settings).context(why)?),
                Some(other) => return Err(UserError::new(format!(
                    "{why}, but countersign can't sign commits with gpg.format {other}"
                ))
                .hint("use gpg.format ssh or openpgp, or unset commit.gpgsign for this repository")
                .into()),
            };
        Ok(Some(signer))
    }

    pub fn describe(&self) -> String {
        match self {
            CommitSigner::Ssh(s) => s.describe(),
            CommitSigner::OpenPgp(g) => g.describe(),
        }
    }

    /// The armoured signature over `payload`, as git stores it.
    pub fn sign(&self, payload: &[u8]) -> Result<String> {
        match self {
            CommitSigner::Ssh(s) => sign_ssh(s, payload),
            CommitSigner::OpenPgp(g) => sign_gpg(g, payload),
        }
        .with_context(|| format!("signing the rewritten commit with {}", self.describe()))
    }
}

/// `ssh-keygen -Y sign -n git -f <key> [-U] <file>`, through a file as git does (ssh-keygen
/// reads a passphrase from stdin when there is no terminal).
fn sign_ssh(signer: &SshSigner, payload: &[u8]) -> Result<String> {
    let dir = tempfile::Builder::new()
        .prefix("countersign-commit-sign-")
        .tempdir()
        .context("creating a temporary directory for signing")?;
    let data = dir.path().join("commit");
    std::fs::write(&data, payload).context("writing the commit to sign")?;
    let mut cmd = Command::new(&signer.program);
    cmd.args(["-Y", "sign", "-n", GIT_NAMESPACE, "-f"]);
    match &signer.key {
        SshKey::File { path, .. } => {
            cmd.arg(path);
        }
        SshKey::Literal(key) => {
            let path = dir.path().join("key.pub");
            std::fs::write(&path, format!("{key}\n")).context("writing the public key")?;
            cmd.arg(path).arg("-U");
        }
    }
    cmd.arg(&data);
    let out = run_command(cmd, &signer.program, Input::Null)?;
    if !out.status.success() {
        bail!("{} failed: {}", signer.program, last_line(&out.stderr));
    }
    std::fs::read_to_string(dir.path().join("commit.sig"))
        .with_context(|| format!("{} wrote no signature", signer.program))
}

/// `gpg --status-fd=2 -bsau <key>`, the invocation git uses.
fn sign_gpg(signer: &GpgSigner, payload: &[u8]) -> Result<String> {
    let mut cmd = Command::new(&signer.program);
    cmd.args(["--status-fd=2", "-bsau", &signer.key]);
    let out = run_command(cmd, &signer.program, Input::Bytes(payload))?;
    let created = String::from_utf8_lossy(&out.stderr)
        .lines()
        .any(|l| l.starts_with("[GNUPG:] SIG_CREATED "));
    if !out.status.success() || !created {
        bail!("{} failed: {}", signer.program, last_line(&out.stderr));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| anyhow!("{} printed a signature that is not text", signer.program))
}
