//! Signing with the reviewer's own git signing setup, as `git commit -S` does: `gpg.format`
//! picks ssh or openpgp, `user.signingKey` the key, `gpg.ssh.program` / `gpg.program` the tool.
//! The settings arrive as a plain [`SigningConfig`] (src/git/signing_config.rs reads them),
//! so this module never depends on git2.

mod gpg;
mod ssh;

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::signature::Signature;
pub use gpg::GpgSigner;
pub use ssh::{SshKey, SshSigner};

/// The two lines that set up SSH signing, quoted in every "not configured" error.
pub const SETUP_HINT: &str = "git config --global gpg.format ssh && git config --global user.signingKey ~/.ssh/id_ed25519.pub";

/// The signing-related git settings, repository config layered over global (as git reads them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningConfig {
    /// `gpg.format`: `openpgp` (git's default when unset), `ssh` or `x509`.
    pub format: Option<String>,
    /// `user.signingKey`.
    pub signing_key: Option<String>,
    /// `gpg.ssh.program` (default `ssh-keygen`).
    pub ssh_program: Option<String>,
    /// `gpg.ssh.defaultKeyCommand`, run when `user.signingKey` is unset.
    pub ssh_default_key_command: Option<String>,
    /// `gpg.openpgp.program`, else `gpg.program` (default `gpg`).
    pub gpg_program: Option<String>,
    /// `user.name` and `user.email`: git signs with the committer identity when an openpgp
    /// signing key is not set.
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    /// The home directory, for `~/` in key paths.
    pub home: Option<PathBuf>,
}

/// A signer ready to sign: the key is found and described, nothing has been signed yet.
#[derive(Debug, Clone)]
pub enum Signer {
    Ssh(SshSigner),
    OpenPgp(GpgSigner),
}

impl Signer {
    /// Works out the key from the settings. Fails with the fix when nothing is configured,
    /// when the format is not supported, or when the key can't be found.
    pub fn from_config(config: &SigningConfig) -> Result<Signer> {
        let format = config.format.as_deref().map(str::to_ascii_lowercase);
        match format.as_deref() {
            None if config.signing_key.is_none() => bail!(
                "no signing key is configured: countersign signs with your git signing setup; \
                 to use your SSH key run: {SETUP_HINT}"
            ),
            None | Some("openpgp") => Ok(Signer::OpenPgp(GpgSigner::from_config(config)?)),
            Some("ssh") => Ok(Signer::Ssh(SshSigner::from_config(config)?)),
            Some("x509") => bail!(
                "gpg.format x509 is not supported for countersignatures yet; \
                 use an SSH or OpenPGP key: {SETUP_HINT}"
            ),
            Some(other) => bail!("unknown gpg.format '{other}' (expected ssh or openpgp)"),
        }
    }

    /// The key lives on a security key: signing waits for a touch, and the UI should say so
    /// before calling [`Signer::sign`].
    pub fn needs_touch(&self) -> bool {
        match self {
            Signer::Ssh(s) => s.key.is_hardware_backed(),
            Signer::OpenPgp(_) => false,
        }
    }

    /// One line for the confirmation screen: which key will sign, with which tool.
    pub fn describe(&self) -> String {
        match self {
            Signer::Ssh(s) => s.describe(),
            Signer::OpenPgp(g) => g.describe(),
        }
    }

    /// Signs the payload. May prompt for a passphrase on /dev/tty (ssh-keygen, pinentry) or
    /// wait for a touch, so a terminal UI should leave its alternate screen first.
    pub fn sign(&self, payload: &[u8]) -> Result<Signature> {
        match self {
            Signer::Ssh(s) => s.sign(payload),
            Signer::OpenPgp(g) => g.sign(payload),
        }
    }
}

/// `~/x` → `$HOME/x`, as git does for `user.signingKey` paths.
fn expand_home(path: &str, home: Option<&PathBuf>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_names_the_fix() {
        let err = Signer::from_config(&SigningConfig::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("git config --global gpg.format ssh"), "{err}");
        assert!(
            err.contains("git config --global user.signingKey ~/.ssh/id_ed25519.pub"),
            "{err}"
        );
    }

    #[test]
    fn ssh_without_key_names_the_fix() {
        let cfg = SigningConfig {
            format: Some("ssh".into()),
            ..SigningConfig::default()
        };
        let err = Signer::from_config(&cfg).unwrap_err().to_string();
        assert!(err.contains("user.signingKey"), "{err}");
    }

    #[test]
    fn literal_hardware_keys_need_a_touch() {
        let cfg = SigningConfig {
            format: Some("ssh".into()),
            signing_key: Some("key::sk-ssh-ed25519@openssh.com AAAAGnNr jane@laptop".into()),
            ..SigningConfig::default()
        };
        let signer = Signer::from_config(&cfg).unwrap();
        assert!(signer.needs_touch());
        assert!(signer.describe().contains("sk-ssh-ed25519@openssh.com"));
        let cfg = SigningConfig {
            signing_key: Some("ssh-ed25519 AAAAC3Nz jane@laptop".into()),
            ..cfg
        };
        assert!(!Signer::from_config(&cfg).unwrap().needs_touch());
    }

    #[test]
    fn key_files_tell_their_type() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("id_ed25519_sk");
        std::fs::write(&private, "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n").unwrap();
        std::fs::write(
            dir.path().join("id_ed25519_sk.pub"),
            "sk-ssh-ed25519@openssh.com AAAAGnNr jane@laptop\n",
        )
        .unwrap();
        let cfg = SigningConfig {
            format: Some("ssh".into()),
            signing_key: Some(private.display().to_string()),
            ..SigningConfig::default()
        };
        let signer = Signer::from_config(&cfg).unwrap();
        assert!(signer.needs_touch(), "{}", signer.describe());
        let missing = SigningConfig {
            signing_key: Some(dir.path().join("nope.pub").display().to_string()),
            ..cfg
        };
        let err = Signer::from_config(&missing).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn home_is_expanded() {
        let home = PathBuf::from("/home/jane");
        assert_eq!(
            expand_home("~/.ssh/k.pub", Some(&home)),
            PathBuf::from("/home/jane/.ssh/k.pub")
        );
        assert_eq!(expand_home("/abs", Some(&home)), PathBuf::from("/abs"));
    }
}
