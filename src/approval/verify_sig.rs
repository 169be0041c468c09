//! Verifying one signature with the real tools: `ssh-keygen -Y` against an allowed-signers
//! file, or `gpg --verify` against a keyring the caller trusts (its GNUPGHOME). Two answers
//! come back separately, so a report can say which one failed: is the signature valid over
//! this payload, and is its key allowed to sign for the claimed reviewer.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::payload::Identity;
use super::signature::{Scheme, Signature, SSH_NAMESPACE};
use super::tool::{self, Input};

/// One signature to check: the payload rebuilt from the trailers, the signature, and who the
/// trailers say signed (and when).
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    pub payload: &'a [u8],
    pub signature: &'a Signature,
    pub reviewer: &'a Identity,
    /// Seconds since the epoch: key validity (`valid-after`/`valid-before`) is judged then.
    pub time: i64,
}

/// Who signed, as the allowed-signers file or keyring vouches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The principal the key is allowed for: the reviewer's email.
    pub principal: String,
    /// The key's fingerprint (`SHA256:…` for ssh, the OpenPGP fingerprint).
    pub key: String,
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
}

#[derive(Debug, Clone)]
pub struct SshVerifier {
    /// `ssh-keygen`, or `gpg.ssh.program`.
    pub program: String,
    /// The allowed-signers file, taken from a trusted ref.
    pub allowed_signers: PathBuf,
}

#[derive(Debug, Clone)]
pub struct GpgVerifier {
    pub program: String,
    /// A GNUPGHOME holding exactly the keys allowed to countersign.
    pub gnupghome: PathBuf,
}

/// Verifies signatures of either scheme; a scheme with no verifier configured fails.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    pub ssh: Option<SshVerifier>,
    pub gpg: Option<GpgVerifier>,
}

impl Verifier {
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

/// `20261121210000Z`, the form ssh-keygen's `verify-time` option takes.
fn ssh_time(secs: i64) -> String {
    crate::timefmt::rfc3339(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'Z')
        .collect()
}

impl SshVerifier {
    fn verify(&self, check: &SignatureCheck<'_>) -> Result<SignatureReport> {
        let info = match check.signature.ssh_info() {
            Ok(info) => info,
            Err(e) => return Ok(SignatureReport::invalid(format!("{e:#}"))),
        };
        if info.namespace != SSH_NAMESPACE {
            return Ok(SignatureReport::invalid(format!(
                "signature was made for namespace '{}', not '{SSH_NAMESPACE}' \
                 (a replayed commit or file signature?)",
                info.namespace
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("countersign-verify-")
            .tempdir()
            .context("creating a temporary directory")?;
        let sig_path = dir.path().join("payload.sig");
        std::fs::write(&sig_path, check.signature.to_ssh_armor())
            .context("writing the signature")?;
        let sig = sig_path.to_string_lossy().into_owned();
        let allowed = self.allowed_signers.to_string_lossy().into_owned();
        let ns = SSH_NAMESPACE;

        let out = tool::run(
            &self.program,
            &["-Y", "check-novalidate", "-n", ns, "-s", &sig],
            &[],
            Input::Bytes(check.payload),
        )?;
        if !out.status.success() {
            return Ok(SignatureReport::invalid(format!(
                "signature by {} key {} does not match the approval ({})",
                info.key_type,
                info.fingerprint,
                tool::last_line(&out.stderr)
            )));
        }

        let email = &check.reviewer.email;
        let time = format!("verify-time={}", ssh_time(check.time));
        let out = tool::run(
            &self.program,
            &[
                "-Y", "verify", "-f", &allowed, "-I", email, "-n", ns, "-s", &sig, "-O", &time,
            ],
            &[],
            Input::Bytes(check.payload),
        )?;
        let signer = if out.status.success() {
            Ok(VerifiedSigner {
                principal: email.clone(),
                key: info.fingerprint.clone(),
            })
        } else {
            Err(self.why_not_allowed(&sig, &allowed, email, &info.fingerprint, &out.stderr)?)
        };
        Ok(SignatureReport {
            valid: Ok(()),
            signer,
        })
    }

    /// Tells "unknown key" from "key of someone else" from "key not valid for this use".
    fn why_not_allowed(
        &self,
        sig: &str,
        allowed: &str,
        email: &str,
        fingerprint: &str,
        verify_stderr: &[u8],
    ) -> Result<String> {
        let out = tool::run(
            &self.program,
            &["-Y", "find-principals", "-f", allowed, "-s", sig],
            &[],
            Input::Null,
        )?;
        let listed = String::from_utf8_lossy(&out.stdout);
        let principals: Vec<&str> = listed
            .lines()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        Ok(if principals.is_empty() {
            format!("key {fingerprint} is not in the allowed signers file")
        } else if principals.iter().any(|p| p.eq_ignore_ascii_case(email)) {
            format!(
                "key {fingerprint} is listed for {email} but not allowed for namespace \
                 '{SSH_NAMESPACE}' at the approval's time ({})",
                tool::last_line(verify_stderr)
            )
        } else {
            format!(
                "key {fingerprint} is allowed for {}, not for {email}",
                principals.join(", ")
            )
        })
    }
}

impl GpgVerifier {
    fn verify(&self, check: &SignatureCheck<'_>) -> Result<SignatureReport> {
        let dir = tempfile::Builder::new()
            .prefix("countersign-verify-")
            .tempdir()
            .context("creating a temporary directory")?;
        let sig_path = dir.path().join("payload.sig");
        let data_path = dir.path().join("payload");
        std::fs::write(&sig_path, &check.signature.blob).context("writing the signature")?;
        std::fs::write(&data_path, check.payload).context("writing the payload")?;
        let sig = sig_path.to_string_lossy().into_owned();
        let data = data_path.to_string_lossy().into_owned();
        let env = [("GNUPGHOME", self.gnupghome.as_path())];
        let out = tool::run(
            &self.program,
            &[
                "--batch",
                "--no-tty",
                "--status-fd",
                "1",
                "--verify",
                &sig,
                &data,
            ],
            &env,
            Input::Null,
        )?;
        let status = String::from_utf8_lossy(&out.stdout);
        let word = |w: &str| -> Option<Vec<String>> {
            status.lines().find_map(|l| {
                let rest = l.strip_prefix("[GNUPG:] ")?;
                let mut parts = rest.split(' ');
                (parts.next() == Some(w)).then(|| parts.map(str::to_string).collect())
            })
        };
        if let Some(args) = word("BADSIG") {
            let key = args.first().cloned().unwrap_or_default();
            return Ok(SignatureReport::invalid(format!(
                "BAD OpenPGP signature by key {key}: it does not match the approval"
            )));
        }
        if let Some(args) = word("ERRSIG") {
            let key = args.first().cloned().unwrap_or_default();
            let reason = match args.get(5).map(String::as_str) {
                Some("9") => format!("key {key} is not in the allowed keyring"),
                Some(rc) => format!("gpg could not check the signature by key {key} (code {rc})"),
                None => format!("gpg could not check the signature by key {key}"),
            };
            return Ok(SignatureReport {
                valid: Err(format!("cannot be checked: {reason}")),
                signer: Err(reason),
            });
        }
        let (Some(_), Some(valid)) = (word("GOODSIG"), word("VALIDSIG")) else {
            return Ok(SignatureReport::invalid(format!(
                "gpg did not report a good signature ({})",
                tool::last_line(&out.stderr)
            )));
        };
        let fpr = valid.first().cloned().unwrap_or_default();
        for (w, what) in [
            ("EXPKEYSIG", "has expired"),
            ("REVKEYSIG", "is revoked"),
            ("EXPSIG", "signature has expired"),
        ] {
            if word(w).is_some() {
                return Ok(SignatureReport {
                    valid: Ok(()),
                    signer: Err(format!("key {fpr} {what}")),
                });
            }
        }
        let emails = self.key_emails(&fpr)?;
        let email = &check.reviewer.email;
        let signer = if emails.iter().any(|e| e.eq_ignore_ascii_case(email)) {
            Ok(VerifiedSigner {
                principal: email.clone(),
                key: fpr,
            })
        } else {
            Err(format!(
                "key {fpr} belongs to {}, not to {email}",
                emails.join(", ")
            ))
        };
        Ok(SignatureReport {
            valid: Ok(()),
            signer,
        })
    }

    /// The emails of a key's user ids, from `--with-colons` (field 10 of `uid` lines).
    fn key_emails(&self, fpr: &str) -> Result<Vec<String>> {
        let env = [("GNUPGHOME", self.gnupghome.as_path())];
        let out = tool::run(
            &self.program,
            &["--batch", "--no-tty", "--with-colons", "--list-keys", fpr],
            &env,
            Input::Null,
        )?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("uid:"))
            .filter_map(|l| l.split(':').nth(9))
            .filter_map(|uid| {
                let start = uid.rfind('<')?;
                let end = uid.rfind('>')?;
                (start < end).then(|| uid[start + 1..end].to_string())
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_time_format() {
        assert_eq!(ssh_time(1_795_294_800), "20261121210000Z");
    }

    #[test]
    fn missing_verifier_is_a_failure_not_a_pass() {
        let sig = Signature {
            scheme: Scheme::OpenPgp,
            blob: vec![1, 2, 3],
        };
        let who = Identity::parse("J <j@x>").unwrap();
        let report = Verifier::default().verify(&SignatureCheck {
            payload: b"x",
            signature: &sig,
            reviewer: &who,
            time: 0,
        });
        assert!(report.valid.is_err() && report.signer.is_err());
    }
}
