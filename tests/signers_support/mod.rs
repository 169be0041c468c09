//! Helpers for tests/signers.rs: signatures made with the real `ssh-keygen -Y sign` (plain keys
//! and CA-signed certificates) and with the real `gpg` in throw-away GNUPGHOMEs, and one call
//! that checks a signature the way `verify` does.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use countersign::approval::signers::TrustedFile;
use countersign::approval::verify_sig::{
    SignatureCheck, SignatureReport, TrustedSigners, Verifier, VerifyOptions,
};
use countersign::approval::{Identity, Signature};

use crate::support::Keys;

/// 2026-11-21T21:00:00Z, the fixtures' clock.
pub use crate::common::EPOCH;
pub const DAY: i64 = 86_400;

fn run(mut cmd: Command, input: Option<&[u8]>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(bytes) = input {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `ssh-keygen -Y sign -n countersign` over `payload` with a private key, or with a
/// certificate whose private key lies beside it.
pub fn ssh_sign(key: &Path, payload: &[u8]) -> Signature {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-Y", "sign", "-n", "countersign", "-f"])
        .arg(key);
    let out = ok(run(cmd, Some(payload)), "ssh-keygen -Y sign");
    Signature::from_ssh_armor(&String::from_utf8_lossy(&out.stdout)).unwrap()
}

/// `ssh-keygen -l`'s fingerprint of a public key file.
pub fn ssh_fingerprint(public: &Path) -> String {
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-l").arg("-f").arg(public);
    let out = ok(run(cmd, None), "ssh-keygen -l");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// A copy of the key pair `key` under another name (the same private key), so that a second
/// certificate can be issued for it beside the first.
pub fn copy_key(keys: &Keys, key: &Path, name: &str) -> PathBuf {
    let to = keys.dir.path().join(name);
    std::fs::copy(key, &to).unwrap();
    std::fs::copy(key.with_extension("pub"), to.with_extension("pub")).unwrap();
    to
}

/// `ssh-keygen -s CA -I ID -n PRINCIPALS key.pub`; returns the certificate's path
/// (`<key>-cert.pub`), which `ssh_sign` can sign with.
pub fn certify(ca: &Path, key: &Path, id: &str, principals: &str) -> PathBuf {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-s"])
        .arg(ca)
        .args(["-I", id, "-n", principals])
        .arg(key.with_extension("pub"));
    ok(run(cmd, None), "ssh-keygen -s");
    let mut cert = key.as_os_str().to_owned();
    cert.push("-cert.pub");
    PathBuf::from(cert)
}

/// `ssh-keygen -k`: a binary KRL revoking the public keys given.
pub fn krl(keys: &Keys, revoked: &[&Path]) -> Vec<u8> {
    let path = keys.dir.path().join("revoked.krl");
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-k").arg("-f").arg(&path);
    for key in revoked {
        cmd.arg(key.with_extension("pub"));
    }
    ok(run(cmd, None), "ssh-keygen -k");
    std::fs::read(path).unwrap()
}

/// An allowed-signers file's text from `(principals, options, key)`.
pub fn allowed_text(keys: &Keys, entries: &[(&str, &str, &Path)]) -> String {
    entries
        .iter()
        .map(|(who, opts, key)| {
            let opts = if opts.is_empty() {
                String::new()
            } else {
                format!("{opts} ")
            };
            format!("{who} {opts}{}\n", keys.public(key))
        })
        .collect()
}

pub fn file(origin: &str, bytes: impl Into<Vec<u8>>) -> TrustedFile {
    TrustedFile::new(origin, bytes)
}

/// A verifier trusting only the allowed-signers text given.
pub fn ssh_verifier(allowed: &str) -> Verifier {
    Verifier::from_trusted(
        TrustedSigners {
            allowed_signers: Some(file("main:.countersign/allowed_signers", allowed)),
            ..TrustedSigners::default()
        },
        VerifyOptions::default(),
    )
    .unwrap()
}

/// Checks `signature` over `payload` as signed by `reviewer` (`Name <email>`), claiming the
/// time `claimed`, judged at `at`.
pub fn check(
    verifier: &Verifier,
    payload: &[u8],
    signature: &Signature,
    reviewer: &str,
    claimed: i64,
    at: i64,
) -> SignatureReport {
    let reviewer = Identity::parse(reviewer).unwrap();
    verifier.verify(&SignatureCheck {
        payload,
        signature,
        reviewer: &reviewer,
        claimed_time: claimed,
        at,
    })
}

/// The reason a signer was refused; panics (with the report) when it was accepted.
pub fn refused(report: &SignatureReport) -> String {
    assert_eq!(report.valid, Ok(()), "the signature itself should be valid");
    match &report.signer {
        Ok(s) => panic!("accepted {s:?}, expected a refusal"),
        Err(reason) => reason.clone(),
    }
}

pub fn accepted(report: &SignatureReport) -> countersign::approval::verify_sig::VerifiedSigner {
    assert_eq!(report.valid, Ok(()), "{report:?}");
    report
        .signer
        .clone()
        .unwrap_or_else(|e| panic!("refused: {e}"))
}

/// A throw-away GNUPGHOME; its agent is stopped when dropped.
pub struct Gpg {
    pub home: tempfile::TempDir,
}

impl Gpg {
    pub fn new() -> Gpg {
        Gpg {
            // Short path: the agent's socket must fit a sockaddr_un.
            home: tempfile::Builder::new()
                .prefix("cs-gpg")
                .tempdir_in("/tmp")
                .unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--no-tty"])
            .args(args);
        cmd
    }

    /// An ed25519 signing key without passphrase; `faked` (`20200101T000000`) makes it at that
    /// time, so that `expire` (`1y`, `never`) can lie in the past.
    pub fn make_key(&self, uid: &str, expire: &str, faked: Option<&str>) -> String {
        let mut args = Vec::new();
        let faked = faked.map(|t| format!("{t}!"));
        if let Some(t) = &faked {
            args.extend(["--faked-system-time", t.as_str()]);
        }
        args.extend([
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            "ed25519",
            "sign",
            expire,
        ]);
        let out = ok(run(self.cmd(&args), None), "gpg --quick-gen-key");
        let _ = out;
        self.fingerprint(uid)
    }

    /// The primary key fingerprint of the (only) key matching `who`.
    pub fn fingerprint(&self, who: &str) -> String {
        let out = ok(
            run(self.cmd(&["--with-colons", "--list-keys", who]), None),
            "gpg --list-keys",
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|f| f.trim_matches(':').to_string())
            })
            .unwrap()
    }

    /// The armoured public key of `who`.
    pub fn export(&self, who: &str) -> Vec<u8> {
        ok(
            run(self.cmd(&["--armor", "--export", who]), None),
            "gpg --export",
        )
        .stdout
    }

    pub fn import(&self, keys: &[u8]) {
        ok(run(self.cmd(&["--import"]), Some(keys)), "gpg --import");
    }

    /// Revokes the key `fpr` with the revocation certificate gpg made with it.
    pub fn revoke(&self, fpr: &str) {
        let cert = self
            .home
            .path()
            .join("openpgp-revocs.d")
            .join(format!("{fpr}.rev"));
        // gpg writes it with a ':' before the armour so that it is not imported by mistake.
        let text = std::fs::read_to_string(cert)
            .unwrap()
            .replace(":-----BEGIN", "-----BEGIN");
        self.import(text.as_bytes());
    }

    /// A detached binary signature by `who` over `payload` (at `faked` time if given).
    pub fn sign(&self, who: &str, payload: &[u8], faked: Option<&str>) -> Signature {
        let mut args = Vec::new();
        let faked = faked.map(|t| format!("{t}!"));
        if let Some(t) = &faked {
            args.extend(["--faked-system-time", t.as_str()]);
        }
        args.extend(["--local-user", who, "--detach-sign", "--output", "-"]);
        let out = ok(run(self.cmd(&args), Some(payload)), "gpg --detach-sign");
        Signature {
            scheme: countersign::approval::Scheme::OpenPgp,
            blob: out.stdout,
        }
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
