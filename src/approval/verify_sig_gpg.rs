//! Checking an OpenPGP signature against the trusted signers list: the keyring it is checked
//! in (the trusted ref's keys, else the verifier's own) and gpg's status lines read.

use std::path::Path;

use super::*;

/// Where the OpenPGP cryptography happens.
#[derive(Debug)]
pub(super) enum GpgHome {
    /// A fresh keyring holding exactly the keys file from the trusted ref.
    Trusted {
        dir: tempfile::TempDir,
        origin: String,
    },
    /// The verifier's own GNUPGHOME (no keys file at the trusted ref).
    Ambient(PathBuf),
}

impl GpgHome {
    fn path(&self) -> &Path {
        match self {
            GpgHome::Trusted { dir, .. } => dir.path(),
            GpgHome::Ambient(p) => p,
        }
    }

    fn describe(&self) -> String {
        match self {
            GpgHome::Trusted { origin, .. } => format!("the keys in {origin}"),
            GpgHome::Ambient(p) => format!("the verifier's keyring {}", p.display()),
        }
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        if let GpgHome::Trusted { dir, .. } = self {
            // gpg may have started an agent for this home; it would outlive the directory.
            let _ = std::process::Command::new("gpgconf")
                .arg("--homedir")
                .arg(dir.path())
                .args(["--kill", "all"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// Imports the trusted keys file into a fresh GNUPGHOME; any key gpg refuses is an error.
pub(super) fn import_keys(program: &str, keys: &TrustedFile) -> Result<tempfile::TempDir> {
    // Short path: gpg's sockets live in the home and must fit a sockaddr_un.
    let home = tempfile::Builder::new()
        .prefix("cs-gpg")
        .tempdir_in(std::env::temp_dir())
        .context("creating a temporary keyring")?;
    let file = home.path().join("trusted-keys");
    std::fs::write(&file, &keys.bytes).context("writing the trusted keys")?;
    let env = [("GNUPGHOME", home.path())];
    let out = tool::run(
        program,
        &[
            "--batch",
            "--no-tty",
            "--status-fd",
            "1",
            "--import",
            &file.to_string_lossy(),
        ],
        &env,
        Input::Null,
    )?;
    let status = String::from_utf8_lossy(&out.stdout);
    let imported = status.lines().any(|l| l.starts_with("[GNUPG:] IMPORT_OK "));
    if !out.status.success() || !imported {
        return Err(anyhow!(
            "cannot import the OpenPGP keys {}: {}",
            keys.origin,
            tool::last_line(&out.stderr)
        ));
    }
    Ok(home)
}

/// The `[GNUPG:] WORD args…` status lines of a gpg run.
struct GpgStatus(Vec<(String, Vec<String>)>);

impl GpgStatus {
    fn parse(stdout: &[u8]) -> GpgStatus {
        GpgStatus(
            String::from_utf8_lossy(stdout)
                .lines()
                .filter_map(|l| {
                    let mut parts = l.strip_prefix("[GNUPG:] ")?.split(' ');
                    let word = parts.next()?.to_string();
                    Some((word, parts.map(str::to_string).collect()))
                })
                .collect(),
        )
    }

    fn get(&self, word: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, a)| a.as_slice())
    }
}

/// The OpenPGP public-key algorithm ids of RFC 4880/9580.
pub(super) fn openpgp_algo(id: &str) -> String {
    let name = match id {
        "1" | "2" | "3" => "rsa",
        "17" => "dsa",
        "18" => "ecdh",
        "19" => "ecdsa",
        "22" => "eddsa",
        "27" => "ed25519",
        "28" => "ed448",
        other => return format!("openpgp-algo-{other}"),
    };
    format!("openpgp-{name}")
}

#[derive(Debug)]
pub(super) struct GpgVerifier {
    pub(super) program: String,
    pub(super) home: Option<GpgHome>,
    pub(super) signers: Option<OpenPgpSigners>,
    pub(super) require_hardware_key: bool,
}

impl GpgVerifier {
    pub(super) fn verify(&self, check: &SignatureCheck<'_>) -> Result<SignatureReport> {
        let Some(home) = &self.home else {
            return Ok(SignatureReport::invalid(
                "no OpenPGP keys at the trusted ref and no keyring to verify with".into(),
            ));
        };
        let dir = tempfile::Builder::new()
            .prefix("countersign-verify-")
            .tempdir()
            .context("creating a temporary directory")?;
        let sig_path = dir.path().join("payload.sig");
        let data_path = dir.path().join("payload");
        std::fs::write(&sig_path, &check.signature.blob).context("writing the signature")?;
        std::fs::write(&data_path, check.payload).context("writing the payload")?;
        let env = [("GNUPGHOME", home.path())];
        let out = tool::run(
            &self.program,
            &[
                "--batch",
                "--no-tty",
                "--no-auto-key-retrieve",
                "--status-fd",
                "1",
                "--verify",
                &sig_path.to_string_lossy(),
                &data_path.to_string_lossy(),
            ],
            &env,
            Input::Null,
        )?;
        let status = GpgStatus::parse(&out.stdout);
        if let Some(args) = status.get("BADSIG") {
            let key = args.first().cloned().unwrap_or_default();
            return Ok(SignatureReport::invalid(format!(
                "BAD OpenPGP signature by key {key}: it does not match the approval"
            )));
        }
        if let Some(args) = status.get("ERRSIG") {
            let key = args.first().cloned().unwrap_or_default();
            let reason = match args.get(5).map(String::as_str) {
                Some("9") => format!(
                    "key {key} is not in the allowed keyring ({})",
                    home.describe()
                ),
                Some(rc) => format!("gpg could not check the signature by key {key} (code {rc})"),
                None => format!("gpg could not check the signature by key {key}"),
            };
            return Ok(SignatureReport {
                valid: Err(format!("cannot be checked: {reason}")),
                signer: Err(reason),
            });
        }
        // VALIDSIG comes with exactly one of these; all but GOODSIG are a valid signature
        // whose key or signature is no longer good now.
        let verdict = ["GOODSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG"]
            .into_iter()
            .find_map(|w| status.get(w).map(|a| (w, a)));
        let (Some(valid), Some((verdict, good_args))) = (status.get("VALIDSIG"), verdict) else {
            return Ok(SignatureReport::invalid(format!(
                "gpg did not report a good signature ({})",
                tool::last_line(&out.stderr)
            )));
        };
        let signing = valid.first().cloned().unwrap_or_default();
        let primary = valid.get(9).cloned().unwrap_or_else(|| signing.clone());
        let uid = good_args.get(1..).map(|a| a.join(" ")).unwrap_or_default();
        let refuse = |reason: String| Ok(SignatureReport::refused(reason));
        if let Some(reason) = from_the_future(check) {
            return refuse(reason);
        }
        match verdict {
            "EXPKEYSIG" => {
                return refuse(format!("key {primary} has expired (as gpg judges it now)"))
            }
            "REVKEYSIG" => {
                return refuse(format!(
                    "key {primary} is revoked (its revocation is in {})",
                    home.describe()
                ))
            }
            "EXPSIG" => return refuse(format!("the signature by key {primary} has expired")),
            _ => {}
        }
        if self.require_hardware_key {
            return refuse(format!(
                "the policy requires a hardware-backed (sk-) SSH key; OpenPGP key {primary} \
                 cannot show one"
            ));
        }
        let Some(signers) = &self.signers else {
            return refuse(format!(
                "no OpenPGP signers list at the trusted ref: key {primary} ('{uid}') is not \
                 trusted by its user id alone"
            ));
        };
        if let Some(line) = signers.revocation(&[&primary, &signing]) {
            return refuse(format!(
                "key {primary} is revoked ({} line {line})",
                signers.origin
            ));
        }
        let email = &check.reviewer.email;
        let listed = signers.principals_of(&primary);
        if listed
            .iter()
            .any(|s| s.principal.eq_ignore_ascii_case(email))
        {
            return Ok(SignatureReport {
                valid: Ok(()),
                signer: Ok(VerifiedSigner {
                    principal: email.clone(),
                    key: primary,
                    key_type: openpgp_algo(valid.get(6).map(String::as_str).unwrap_or("")),
                    hardware: false,
                }),
            });
        }
        if listed.is_empty() {
            return refuse(format!(
                "key {primary} is not listed in {} (its user id says '{uid}', but only the \
                 trusted signers list decides)",
                signers.origin
            ));
        }
        let names: Vec<&str> = listed.iter().map(|s| s.principal.as_str()).collect();
        refuse(format!(
            "key {primary} is allowed for {}, not for {email} ({})",
            names.join(", "),
            signers.origin
        ))
    }
}
