//! SSH signing through `ssh-keygen -Y sign -n countersign`, with the key found as git finds it.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};

use super::{expand_home, SigningConfig, SETUP_HINT};
use crate::approval::signature::{is_hardware_key_type, Signature, SSH_NAMESPACE};
use crate::approval::tool::{self, Input};

/// Where the signing key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshKey {
    /// A key file (public or private) given by path.
    File {
        path: PathBuf,
        /// The key type read from the file (or its `.pub`), when readable.
        key_type: Option<String>,
    },
    /// A literal public key (`ssh-ed25519 AAAA…`); the private half is in the agent.
    Literal(String),
}

impl SshKey {
    pub fn key_type(&self) -> Option<&str> {
        match self {
            SshKey::File { key_type, .. } => key_type.as_deref(),
            SshKey::Literal(key) => key.split_whitespace().next(),
        }
    }

    /// `sk-ssh-ed25519@openssh.com` and `sk-ecdsa-…` keys live on a FIDO authenticator.
    pub fn is_hardware_backed(&self) -> bool {
        self.key_type().is_some_and(is_hardware_key_type)
    }
}

#[derive(Debug, Clone)]
pub struct SshSigner {
    pub program: String,
    pub key: SshKey,
}

/// git's rule for a literal key (`key::` prefix or `ssh-…`), extended to the other OpenSSH
/// key types, whose literal form git would otherwise take for a file name.
fn literal_key(value: &str) -> Option<&str> {
    if let Some(key) = value.strip_prefix("key::") {
        return Some(key.trim());
    }
    let known = ["ssh-", "sk-ssh-", "sk-ecdsa-", "ecdsa-sha2-"];
    known
        .iter()
        .any(|p| value.starts_with(p))
        .then_some(value.trim())
}

/// The first token of a public key file, or of the `.pub` beside a private key.
fn key_type_of(path: &std::path::Path) -> Option<String> {
    let first_token = |p: &std::path::Path| -> Option<String> {
        let text = std::fs::read_to_string(p).ok()?;
        let token = text.split_whitespace().next()?;
        literal_key(token).map(|_| token.to_string())
    };
    first_token(path).or_else(|| {
        let mut pub_path = path.as_os_str().to_owned();
        pub_path.push(".pub");
        first_token(std::path::Path::new(&pub_path))
    })
}

impl SshSigner {
    pub fn from_config(config: &SigningConfig) -> Result<SshSigner> {
        let program = config
            .ssh_program
            .clone()
            .unwrap_or_else(|| "ssh-keygen".to_string());
        let key = match (&config.signing_key, &config.ssh_default_key_command) {
            (Some(value), _) => match literal_key(value) {
                Some(key) => SshKey::Literal(key.to_string()),
                None => {
                    let path = expand_home(value, config.home.as_ref());
                    if !path.exists() {
                        bail!(
                            "user.signingKey points at {}, which does not exist; \
                             set it to your public key: {SETUP_HINT}",
                            path.display()
                        );
                    }
                    let key_type = key_type_of(&path);
                    SshKey::File { path, key_type }
                }
            },
            (None, Some(command)) => SshKey::Literal(run_default_key_command(command)?),
            (None, None) => bail!(
                "gpg.format is ssh but no key is set (user.signingKey or \
                 gpg.ssh.defaultKeyCommand); run: {SETUP_HINT}"
            ),
        };
        Ok(SshSigner { program, key })
    }

    pub fn describe(&self) -> String {
        let kind = self.key.key_type().unwrap_or("unknown type");
        match &self.key {
            SshKey::File { path, .. } => format!("SSH key {} ({kind})", path.display()),
            SshKey::Literal(key) => {
                let comment = key.split_whitespace().nth(2).unwrap_or("from the agent");
                format!("SSH key {comment} ({kind}, via ssh-agent)")
            }
        }
    }

    /// Signs through a temporary file, as git does: ssh-keygen reads a passphrase from stdin
    /// when there is no terminal, so the payload must not travel on stdin.
    pub fn sign(&self, payload: &[u8]) -> Result<Signature> {
        let dir = tempfile::Builder::new()
            .prefix("countersign-sign-")
            .tempdir()
            .context("creating a temporary directory for signing")?;
        let data = dir.path().join("payload");
        std::fs::write(&data, payload).context("writing the payload to sign")?;
        let (key_path, agent) = match &self.key {
            SshKey::File { path, .. } => (path.clone(), false),
            SshKey::Literal(key) => {
                let path = dir.path().join("key.pub");
                std::fs::write(&path, format!("{key}\n")).context("writing the public key")?;
                (path, true)
            }
        };
        let key_arg = key_path.to_string_lossy().into_owned();
        let data_arg = data.to_string_lossy().into_owned();
        let mut args = vec!["-Y", "sign", "-n", SSH_NAMESPACE, "-f", &key_arg];
        if agent {
            args.push("-U");
        }
        args.push(&data_arg);
        // ssh-keygen asks for a key's passphrase on the terminal when stdin is one (and reads
        // it from stdin otherwise): the review screen gives it the terminal while it signs.
        let input = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            Input::Terminal
        } else {
            Input::Null
        };
        let out = tool::run(&self.program, &args, &[], input)?;
        if !out.status.success() {
            bail!(
                "{} could not sign with {}: {}",
                self.program,
                self.describe(),
                tool::last_line(&out.stderr)
            );
        }
        let sig_path = dir.path().join("payload.sig");
        let armor = std::fs::read_to_string(&sig_path)
            .with_context(|| format!("{} wrote no signature", self.program))?;
        Signature::from_ssh_armor(&armor)
    }
}

/// Runs `gpg.ssh.defaultKeyCommand` and takes the first line of its output as a literal key,
/// as git does.
fn run_default_key_command(command: &str) -> Result<String> {
    let out = tool::run("sh", &["-c", command], &[], Input::Null)
        .context("running gpg.ssh.defaultKeyCommand")?;
    if !out.status.success() {
        bail!(
            "gpg.ssh.defaultKeyCommand '{command}' failed: {}",
            tool::last_line(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("").trim();
    literal_key(first)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("gpg.ssh.defaultKeyCommand '{command}' printed no public key"))
}
