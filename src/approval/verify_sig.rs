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
#[cfg(test)]
use gpg::openpgp_algo;
use gpg::{import_keys, GpgHome, GpgVerifier};

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

/// `20261121210000Z`, the form ssh-keygen's `verify-time` option takes.
fn ssh_time(secs: i64) -> String {
    crate::timefmt::rfc3339(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'Z')
        .collect()
}

#[derive(Debug)]
struct SshVerifier {
    program: String,
    allowed: Option<AllowedSigners>,
    /// Each list and the file ssh-keygen reads it from.
    revoked: Vec<(RevocationList, PathBuf)>,
    require_hardware_key: bool,
    require_user_verification: bool,
    native: bool,
    /// What the KRLs said of each signing key (by its blob): one `ssh-keygen -Q` per key and
    /// list, not per signature. The lock also keeps the key file in `dir` to one writer.
    krl_answers: Mutex<HashMap<Vec<u8>, Option<String>>>,
    /// Holds the revocation files for as long as the verifier lives.
    dir: tempfile::TempDir,
}

/// The signature and the allowed-signers lines as files, for the ssh-keygen path: made only
/// when a signature takes it.
struct SigFiles {
    dir: tempfile::TempDir,
    sig: String,
}

impl SigFiles {
    fn new(signature: &Signature) -> Result<SigFiles> {
        let dir = tempfile::Builder::new()
            .prefix("countersign-verify-")
            .tempdir()
            .context("creating a temporary directory")?;
        let sig_path = dir.path().join("payload.sig");
        std::fs::write(&sig_path, signature.to_ssh_armor()).context("writing the signature")?;
        let sig = sig_path.to_string_lossy().into_owned();
        Ok(SigFiles { dir, sig })
    }
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
        let crypto = if self.native && sshsig::supports(&info.key) {
            sshsig::verify(&check.signature.blob, SSH_NAMESPACE, check.payload)
        } else {
            Crypto::Unsupported
        };
        let mut files = None;
        match crypto {
            Crypto::Valid => {}
            Crypto::Invalid(why) => {
                return Ok(SignatureReport::invalid(format!(
                    "signature by {} key {} does not match the approval ({why})",
                    info.key_type, info.fingerprint
                )))
            }
            Crypto::Unsupported => {
                let f = SigFiles::new(check.signature)?;
                let out = tool::run(
                    &self.program,
                    &["-Y", "check-novalidate", "-n", SSH_NAMESPACE, "-s", &f.sig],
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
                files = Some(f);
            }
        }
        let signer = self.signer(check, &info, &mut files)?;
        Ok(SignatureReport {
            valid: Ok(()),
            signer,
        })
    }

    /// Is the (cryptographically valid) signature's key allowed for the claimed reviewer, at
    /// the verification time? Checks in the order that gives the most telling reason.
    fn signer(
        &self,
        check: &SignatureCheck<'_>,
        info: &SshSigInfo,
        files: &mut Option<SigFiles>,
    ) -> Result<Result<VerifiedSigner, String>> {
        if let Some(reason) = from_the_future(check) {
            return Ok(Err(reason));
        }
        let Some(allowed) = &self.allowed else {
            return Ok(Err(
                "no allowed-signers file at the trusted ref: no SSH key may countersign".into(),
            ));
        };
        if let Some(reason) = self.revoked_reason(info)? {
            return Ok(Err(reason));
        }
        if let Some(reason) = self.hardware_reason(info) {
            return Ok(Err(reason));
        }
        let email = &check.reviewer.email;
        let found = match allowed.lines_for(&info.key, email) {
            Ok(found) => found,
            Err(reason) => return Ok(Err(reason)),
        };
        let verified = VerifiedSigner {
            principal: email.clone(),
            key: info.fingerprint.clone(),
            key_type: info.key.plain_type.clone(),
            hardware: info.key.is_hardware(),
        };
        if self.native && sshsig::supports(&info.key) {
            if let Some(allowed_now) =
                lines_allow(&found.lines, &found.principal, &info.key, check.at)
            {
                return Ok(if allowed_now {
                    Ok(verified)
                } else {
                    Err(refusal(&allowed.origin, &found.lines, info, check, None))
                });
            }
        }
        // ssh-keygen sees only the lines that name the reviewer literally (or the CA lines
        // for a certificate), so a pattern line further down cannot stand in for a literal
        // line that refuses (a retired key, another namespace).
        let f = match files.take() {
            Some(f) => f,
            None => SigFiles::new(check.signature)?,
        };
        let only: String = found
            .lines
            .iter()
            .map(|l| format!("{}\n", l.text))
            .collect();
        let only_path = f.dir.path().join("allowed_signers");
        std::fs::write(&only_path, only).context("writing the allowed signers")?;
        let only_path = only_path.to_string_lossy().into_owned();
        let time = format!("verify-time={}", ssh_time(check.at));
        let mut args = vec![
            "-Y",
            "verify",
            "-f",
            &only_path,
            "-I",
            &found.principal,
            "-n",
            SSH_NAMESPACE,
            "-s",
            &f.sig,
            "-O",
            &time,
        ];
        let revoked: Vec<String> = self
            .revoked
            .iter()
            .map(|(_, p)| p.to_string_lossy().into_owned())
            .collect();
        for r in &revoked {
            args.extend(["-r", r.as_str()]);
        }
        let out = tool::run(&self.program, &args, &[], Input::Bytes(check.payload))?;
        if out.status.success() {
            return Ok(Ok(verified));
        }
        Ok(Err(refusal(
            &allowed.origin,
            &found.lines,
            info,
            check,
            Some(&out.stderr),
        )))
    }

    /// The first revocation list that revokes the key (or its certificate, or its CA).
    fn revoked_reason(&self, info: &SshSigInfo) -> Result<Option<String>> {
        for (list, _) in &self.revoked {
            if let Some(reason) = list.revokes(&info.key) {
                return Ok(Some(reason));
            }
        }
        if !self
            .revoked
            .iter()
            .any(|(l, _)| matches!(l, RevocationList::Krl { .. }))
        {
            return Ok(None);
        }
        let mut answers = self
            .krl_answers
            .lock()
            .map_err(|_| anyhow!("a revocation check panicked"))?;
        if let Some(answer) = answers.get(&info.key.blob) {
            return Ok(answer.clone());
        }
        let answer = self.krl_reason(&info.key, &info.fingerprint)?;
        answers.insert(info.key.blob.clone(), answer.clone());
        Ok(answer)
    }

    /// What the KRLs say of `key`, asked of `ssh-keygen -Q` (the caller holds the lock).
    fn krl_reason(&self, key: &SshPublicKey, fingerprint: &str) -> Result<Option<String>> {
        // The key as signed (a certificate stays one, so serials and key ids count).
        let key_path = self.dir.path().join("signing-key.pub");
        let text = format!(
            "{} {}\n",
            key.key_type,
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &key.blob)
        );
        std::fs::write(&key_path, text).context("writing the signing key")?;
        for (list, path) in &self.revoked {
            let RevocationList::Krl { origin, .. } = list else {
                continue;
            };
            let out = tool::run(
                &self.program,
                &[
                    "-Q",
                    "-f",
                    &path.to_string_lossy(),
                    &key_path.to_string_lossy(),
                ],
                &[],
                Input::Null,
            )?;
            let said = String::from_utf8_lossy(&out.stdout);
            if said.contains("REVOKED") {
                return Ok(Some(format!(
                    "key {fingerprint} is revoked (the KRL {origin})"
                )));
            }
            if !out.status.success() {
                return Ok(Some(format!(
                    "cannot check the KRL {origin}: {}",
                    tool::last_line(&out.stderr)
                )));
            }
        }
        Ok(None)
    }

    /// Why the policy's hardware-key requirement refuses this signature, if it does.
    fn hardware_reason(&self, info: &SshSigInfo) -> Option<String> {
        if !self.require_hardware_key && !self.require_user_verification {
            return None;
        }
        let fp = &info.fingerprint;
        let Some(sk) = info.sk.filter(|_| info.key.is_hardware()) else {
            return Some(format!(
                "the policy requires a hardware-backed (sk-) key; key {fp} is {}",
                info.key.plain_type
            ));
        };
        if !sk.user_present() {
            return Some(format!(
                "the signature by hardware key {fp} was made without a touch (no \
                 user-presence flag); the policy requires one"
            ));
        }
        if self.require_user_verification && !sk.user_verified() {
            return Some(format!(
                "the signature by hardware key {fp} was made without user verification (PIN \
                 or biometric); the policy requires it"
            ));
        }
        None
    }
}

/// Why ssh-keygen refused a key the file lists for the reviewer: said from the lines' own
/// options when one explains it, else ssh-keygen's words.
fn refusal(
    origin: &str,
    lines: &[&AllowedLine],
    info: &SshSigInfo,
    check: &SignatureCheck<'_>,
    stderr: Option<&[u8]>,
) -> String {
    let fp = &info.fingerprint;
    let email = &check.reviewer.email;
    let at = crate::timefmt::rfc3339(check.at);
    let claimed = crate::timefmt::rfc3339(check.claimed_time);
    for l in lines {
        if !l.allows_namespace(SSH_NAMESPACE) {
            return format!(
                "key {fp} is listed for {email} but not allowed for namespace \
                 '{SSH_NAMESPACE}' ({origin} line {} has namespaces=\"{}\")",
                l.number,
                l.namespaces.as_deref().unwrap_or_default().join(",")
            );
        }
        if let Some(t) = l.valid_before.as_ref().filter(|t| check.at > t.secs) {
            return format!(
                "key {fp} was retired: {origin} line {} has valid-before=\"{}\", and keys are \
                 judged at the verification time ({at}), not at the time the approval claims \
                 ({claimed})",
                l.number, t.text
            );
        }
        if let Some(t) = l.valid_after.as_ref().filter(|t| check.at < t.secs) {
            return format!(
                "key {fp} is not valid yet: {origin} line {} has valid-after=\"{}\" (checked at \
                 {at})",
                l.number, t.text
            );
        }
    }
    if let Some(cert) = &info.key.certificate {
        let at = u64::try_from(check.at).unwrap_or(0);
        if at >= cert.valid_before || at < cert.valid_after {
            return format!(
                "certificate '{}' for key {fp} is not valid at the verification time ({})",
                cert.key_id,
                crate::timefmt::rfc3339(check.at)
            );
        }
    }
    match stderr {
        Some(stderr) => format!(
            "key {fp} is listed for {email} but ssh-keygen refused it at {at}: {}",
            tool::last_line(stderr)
        ),
        None => format!("key {fp} is listed for {email} but no line of {origin} allows it at {at}"),
    }
}

/// `ssh-keygen -Y verify`'s judgement of the lines that name the signer (sshsig.c's
/// `check_allowed_keys_line`, line by line, the first that allows the key wins): the line is
/// the signing key's own (not a CA's), names `principal`, allows the namespace, and
/// `at` lies within its `valid-after`..=`valid-before`. `None` when a line's time has no `Z`:
/// ssh-keygen reads that as the server's local time (through `mktime`, with its own
/// daylight-saving quirk), so those lines are left to it.
fn lines_allow(
    lines: &[&AllowedLine],
    principal: &str,
    key: &SshPublicKey,
    at: i64,
) -> Option<bool> {
    let local = |t: &Option<super::signers::LineTime>| {
        t.as_ref().is_some_and(|t| !t.text.ends_with(['Z', 'z']))
    };
    if lines
        .iter()
        .any(|l| local(&l.valid_after) || local(&l.valid_before))
    {
        return None;
    }
    Some(lines.iter().any(|l| {
        !l.cert_authority
            && l.key.blob == key.blob
            && pattern_list_matches(&l.principals, principal)
            && l.allows_namespace(SSH_NAMESPACE)
            && l.valid_after.as_ref().is_none_or(|t| at >= t.secs)
            && l.valid_before.as_ref().is_none_or(|t| at <= t.secs)
    }))
}

#[cfg(test)]
#[path = "verify_sig_tests.rs"]
mod tests;
