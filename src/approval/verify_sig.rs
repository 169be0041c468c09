//! Verifying one signature against signer lists read from a trusted ref: an SSH signature
//! against the allowed-signers file (and revocation lists), in process for Ed25519 keys
//! (`sshsig`, judging the lines as `ssh-keygen -Y verify` does) and with `ssh-keygen -Y` for
//! every other key type, certificates, and lines whose times ssh-keygen reads as local time;
//! an OpenPGP one with `gpg --verify` against the OpenPGP keys at the trusted ref, accepted
//! only for a fingerprint the trusted OpenPGP signers list names for the claimed reviewer. Two answers come back separately, so a
//! report can say which one failed: is the signature valid over this payload, and is its key
//! allowed to sign for the claimed reviewer.
//!
//! Keys are judged at the time the caller gives (`SignatureCheck::at`: now, or a time the
//! verifier trusts), never at the time the approval claims: a key retired with
//! `valid-before` must not go on signing "in the past".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{anyhow, Context, Result};

use super::payload::Identity;
use super::signature::{Scheme, Signature, SshPublicKey, SshSigInfo, SSH_NAMESPACE};
use super::signers::{
    pattern_list_matches, AllowedLine, AllowedSigners, OpenPgpSigners, RevocationList, TrustedFile,
};
use super::sshsig::{self, Crypto};
use super::tool::{self, Input};
use crate::policy::Approval;

#[path = "verify_sig_gpg.rs"]
mod gpg;
#[path = "verify_sig_ssh.rs"]
mod ssh;
#[cfg(test)]
use gpg::openpgp_algo;
use gpg::{import_keys, GpgHome, GpgVerifier};
#[cfg(test)]
use ssh::ssh_time;
use ssh::SshVerifier;

/// How far an approval's claimed time may lie after the verification time (clocks differ a
/// little; a signature from the future is a forged or fabricated claim).
pub const MAX_FUTURE_SKEW_SECS: i64 = 300;

/// One signature to check: the payload rebuilt from the trailers, the signature, who the
/// trailers say signed and when, and the time to judge the key's validity at.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    pub payload: &'a [u8],
    pub signature: &'a Signature,
    pub reviewer: &'a Identity,
    /// Seconds since the epoch: the time the approval claims (the signer's word).
    pub claimed_time: i64,
    /// Seconds since the epoch: when key validity (`valid-after`/`valid-before`, certificate
    /// lifetimes) is judged. The caller sets it to now or to a time it trusts.
    pub at: i64,
}

/// Who signed, as the trusted signer lists vouch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The principal the key is allowed for: the reviewer's email.
    pub principal: String,
    /// The key's fingerprint: `SHA256:…` of the plain SSH key (for a certificate, of the key
    /// it certifies, so that two certificates for one key are one signer), or the OpenPGP
    /// primary key's fingerprint.
    pub key: String,
    /// `ssh-ed25519`, `sk-ssh-ed25519@openssh.com`… (the plain type), or `openpgp-<algo>`.
    pub key_type: String,
    /// A FIDO (`sk-`) key, whose signatures need a touch.
    pub hardware: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// The signature is cryptographically valid over the payload, in the right namespace.
    pub valid: Result<(), String>,
    /// Its key is allowed to sign for the claimed reviewer.
    pub signer: Result<VerifiedSigner, String>,
}

impl SignatureReport {
    fn invalid(reason: String) -> SignatureReport {
        SignatureReport {
            valid: Err(reason),
            signer: Err("not checked: the signature is not valid".into()),
        }
    }

    fn refused(reason: String) -> SignatureReport {
        SignatureReport {
            valid: Ok(()),
            signer: Err(reason),
        }
    }
}

/// The signer lists as read from the trusted ref (or given on the command line). A list that
/// is `None` does not exist there: nobody may sign with that scheme.
#[derive(Debug, Clone, Default)]
pub struct TrustedSigners {
    pub allowed_signers: Option<TrustedFile>,
    /// SSH revocation lists: KRLs or public-key lists, each passed to `ssh-keygen -r`.
    pub revoked: Vec<TrustedFile>,
    pub openpgp_signers: Option<TrustedFile>,
    /// Armoured or binary OpenPGP public keys, imported into a keyring of their own.
    pub openpgp_keys: Option<TrustedFile>,
}

/// How to verify: the programs, the fallback keyring, and the policy's key requirements.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub ssh_program: String,
    pub gpg_program: String,
    /// The verifier's own GNUPGHOME, used for the cryptography only when the trusted ref has
    /// no OpenPGP keys file; the signers list still decides who is accepted.
    pub ambient_gnupghome: Option<PathBuf>,
    pub require_hardware_key: bool,
    pub require_user_verification: bool,
    /// Check Ed25519 SSH signatures in process (the default); off, every SSH signature goes
    /// to `ssh_program`, which is how tests show that the two agree.
    pub native_ssh: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            ssh_program: "ssh-keygen".into(),
            gpg_program: "gpg".into(),
            ambient_gnupghome: None,
            require_hardware_key: false,
            require_user_verification: false,
            native_ssh: true,
        }
    }
}

impl VerifyOptions {
    /// The policy's requirements with the default programs and no ambient keyring.
    pub fn for_policy(approval: &Approval) -> VerifyOptions {
        VerifyOptions {
            require_hardware_key: approval.require_hardware_key
                || approval.require_user_verification,
            require_user_verification: approval.require_user_verification,
            ..VerifyOptions::default()
        }
    }
}

/// Verifies signatures of either scheme; a scheme with no verifier configured fails.
#[derive(Debug, Default)]
pub struct Verifier {
    ssh: Option<SshVerifier>,
    gpg: Option<GpgVerifier>,
}

impl Verifier {
    /// Parses and checks every list up front: a line that cannot be parsed, a revocation list
    /// ssh-keygen cannot read, or keys gpg cannot import is an error (the caller's "cannot
    /// check", exit 2), never a list quietly shorter than it was written.
    pub fn from_trusted(files: TrustedSigners, opts: VerifyOptions) -> Result<Verifier> {
        let dir = tempfile::Builder::new()
            .prefix("countersign-signers-")
            .tempdir()
            .context("creating a temporary directory")?;
        let allowed = files
            .allowed_signers
            .as_ref()
            .map(AllowedSigners::parse)
            .transpose()?;
        let mut revoked = Vec::new();
        for (i, file) in files.revoked.iter().enumerate() {
            let list = RevocationList::parse(file)?;
            let path = dir.path().join(format!("revoked-{i}"));
            std::fs::write(&path, &file.bytes).context("writing a revocation list")?;
            if let RevocationList::Krl { origin, .. } = &list {
                let p = path.to_string_lossy().into_owned();
                let out = tool::run(&opts.ssh_program, &["-Q", "-l", "-f", &p], &[], Input::Null)?;
                if !out.status.success() {
                    return Err(anyhow!(
                        "cannot read the revocation list {origin}: {}",
                        tool::last_line(&out.stderr)
                    ));
                }
            }
            revoked.push((list, path));
        }
        let openpgp = files
            .openpgp_signers
            .as_ref()
            .map(OpenPgpSigners::parse)
            .transpose()?;
        let home = match &files.openpgp_keys {
            Some(keys) => Some(GpgHome::Trusted {
                dir: import_keys(&opts.gpg_program, keys)?,
                origin: keys.origin.clone(),
            }),
            None => opts.ambient_gnupghome.clone().map(GpgHome::Ambient),
        };
        Ok(Verifier {
            ssh: Some(SshVerifier {
                program: opts.ssh_program.clone(),
                allowed,
                revoked,
                require_hardware_key: opts.require_hardware_key,
                require_user_verification: opts.require_user_verification,
                native: opts.native_ssh,
                krl_answers: Mutex::new(HashMap::new()),
                dir,
            }),
            gpg: Some(GpgVerifier {
                program: opts.gpg_program,
                home,
                signers: openpgp,
                require_hardware_key: opts.require_hardware_key,
            }),
        })
    }

    /// Whether a signer list names `email` as someone who may sign: an allowed-signers line
    /// listing it, a `cert-authority` line whose principals match it, or the OpenPGP signers
    /// list. (Whether a signature of theirs verifies is still `verify`'s to say.)
    pub fn names_signer(&self, email: &str) -> bool {
        let ssh = self
            .ssh
            .as_ref()
            .and_then(|s| s.allowed.as_ref())
            .is_some_and(|a| {
                a.lines.iter().any(|l| {
                    l.literal(email).is_some()
                        || (l.cert_authority
                            && super::signers::pattern_list_matches(&l.principals, email))
                })
            });
        let gpg = self
            .gpg
            .as_ref()
            .and_then(|g| g.signers.as_ref())
            .is_some_and(|s| {
                s.signers
                    .iter()
                    .any(|x| x.principal.eq_ignore_ascii_case(email))
            });
        ssh || gpg
    }

    pub fn verify(&self, check: &SignatureCheck<'_>) -> SignatureReport {
        let result = match (check.signature.scheme, &self.ssh, &self.gpg) {
            (Scheme::Ssh, Some(ssh), _) => ssh.verify(check),
            (Scheme::OpenPgp, _, Some(gpg)) => gpg.verify(check),
            (scheme, _, _) => Ok(SignatureReport::invalid(format!(
                "no {} verifier is configured (an allowed-signers file or keyring is needed)",
                scheme.as_str()
            ))),
        };
        result.unwrap_or_else(|e| SignatureReport::invalid(format!("{e:#}")))
    }
}

/// Why an approval that claims a time after `at` (beyond the skew) is refused, if it does.
fn from_the_future(check: &SignatureCheck<'_>) -> Option<String> {
    (check.claimed_time > check.at + MAX_FUTURE_SKEW_SECS).then(|| {
        format!(
            "the approval claims to be made at {}, after the verification time {} (more than \
             {MAX_FUTURE_SKEW_SECS} seconds ahead)",
            crate::timefmt::rfc3339(check.claimed_time),
            crate::timefmt::rfc3339(check.at)
        )
    })
}

#[cfg(test)]
#[path = "verify_sig_tests.rs"]
mod tests;
