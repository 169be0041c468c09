//! OpenPGP signing through `gpg --status-fd=2 -bsau <key>`, the invocation git uses.

use anyhow::{anyhow, bail, Result};

use super::{SigningConfig, SETUP_HINT};
use crate::approval::signature::Signature;
use crate::approval::tool::{self, Input};

#[derive(Debug, Clone)]
pub struct GpgSigner {
    pub program: String,
    /// `user.signingKey`, or the committer identity when it is unset (as git does).
    pub key: String,
}

impl GpgSigner {
    pub fn from_config(config: &SigningConfig) -> Result<GpgSigner> {
        let program = config
            .gpg_program
            .clone()
            .unwrap_or_else(|| "gpg".to_string());
        let key = match (&config.signing_key, &config.user_name, &config.user_email) {
            (Some(key), _, _) => key.clone(),
            (None, Some(name), Some(email)) => format!("{name} <{email}>"),
            _ => bail!(
                "gpg.format is openpgp but neither user.signingKey nor user.name/user.email \
                 is set; set your key, or use SSH: {SETUP_HINT}"
            ),
        };
        Ok(GpgSigner { program, key })
    }

    pub fn describe(&self) -> String {
        format!("OpenPGP key {} ({})", self.key, self.program)
    }

    /// The payload goes on stdin (gpg asks for passphrases through its agent's pinentry, not
    /// stdin); the armoured signature comes on stdout, the status lines on stderr.
    pub fn sign(&self, payload: &[u8]) -> Result<Signature> {
        let out = tool::run(
            &self.program,
            &["--status-fd=2", "-bsau", &self.key],
            &[],
            Input::Bytes(payload),
        )?;
        let status = String::from_utf8_lossy(&out.stderr);
        let created = status
            .lines()
            .any(|l| l.starts_with("[GNUPG:] SIG_CREATED "));
        if !out.status.success() || !created {
            bail!(
                "{} could not sign with key '{}': {}",
                self.program,
                self.key,
                tool::last_line(&out.stderr)
            );
        }
        let armor = String::from_utf8(out.stdout)
            .map_err(|_| anyhow!("{} printed a signature that is not text", self.program))?;
        Signature::from_pgp_armor(&armor)
    }
}
