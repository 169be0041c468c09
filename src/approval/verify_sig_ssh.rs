//! Checking an SSH signature against the allowed-signers file and the revocation lists: in
//! process for Ed25519 keys (`sshsig`), with `ssh-keygen -Y verify` for the rest, and the
//! allowed-signers lines judged at the verifier's time.

use super::*;

/// `20261121210000Z`, the form ssh-keygen's `verify-time` option takes.
pub(super) fn ssh_time(secs: i64) -> String {
    crate::timefmt::rfc3339(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'Z')
        .collect()
}

#[derive(Debug)]
pub(super) struct SshVerifier {
    pub(super) program: String,
    pub(super) allowed: Option<AllowedSigners>,
    /// Each list and the file ssh-keygen reads it from.
    pub(super) revoked: Vec<(RevocationList, PathBuf)>,
    pub(super) require_hardware_key: bool,
    pub(super) require_user_verification: bool,
    pub(super) native: bool,
    /// What the KRLs said of each signing key (by its blob): one `ssh-keygen -Q` per key and
    /// list, not per signature. The lock also keeps the key file in `dir` to one writer.
    pub(super) krl_answers: Mutex<HashMap<Vec<u8>, Option<String>>>,
    /// Holds the revocation files for as long as the verifier lives.
    pub(super) dir: tempfile::TempDir,
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
    pub(super) fn verify(&self, check: &SignatureCheck<'_>) -> Result<SignatureReport> {
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
    pub(super) fn hardware_reason(&self, info: &SshSigInfo) -> Option<String> {
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
    let local = |t: &Option<crate::approval::signers::LineTime>| {
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
