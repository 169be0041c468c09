//! The in-process Ed25519 SSHSIG check against the real `ssh-keygen -Y`: signatures made by
//! the real `ssh-keygen -Y sign` (and, for hardware keys, built as a FIDO authenticator signs,
//! since there is none here) are judged by two verifiers over the same allowed-signers lines,
//! one in process and one that hands every signature to ssh-keygen, and must get the same
//! answer: accepted, or refused with the same reason. The in-process verifier is given a
//! program that does not exist, so a case it did not judge itself shows up as an error.

mod common;
#[path = "signers_support/mod.rs"]
mod signers_support;
#[path = "approval_support/mod.rs"]
mod support;

use base64::Engine as _;
use countersign::approval::signers::TrustedFile;
use countersign::approval::verify_sig::{SignatureReport, TrustedSigners, Verifier, VerifyOptions};
use countersign::approval::{Scheme, Signature};
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest as _, Sha256, Sha512};

use signers_support::*;
use support::{Keys, BOB, JANE};

const PAYLOAD: &[u8] = b"countersign approval v1\nreviewer Jane Doe <jane@example.com>\n";
const NOT_A_PROGRAM: &str = "/nonexistent/ssh-keygen";

struct Pair {
    native: Verifier,
    tool: Verifier,
}

fn pair_with(allowed: &str, revoked: Vec<TrustedFile>, native_program: &str) -> Pair {
    let make = |native_ssh: bool, program: &str| {
        Verifier::from_trusted(
            TrustedSigners {
                allowed_signers: Some(file("main:.countersign/allowed_signers", allowed)),
                revoked: revoked.clone(),
                ..TrustedSigners::default()
            },
            VerifyOptions {
                ssh_program: program.into(),
                native_ssh,
                ..VerifyOptions::default()
            },
        )
        .unwrap()
    };
    Pair {
        native: make(true, native_program),
        tool: make(false, "ssh-keygen"),
    }
}

fn pair(allowed: &str) -> Pair {
    pair_with(allowed, Vec::new(), NOT_A_PROGRAM)
}

impl Pair {
    /// Both verifiers' reports, which must be equal; returns the one.
    fn judge(&self, payload: &[u8], sig: &Signature, who: &str, at: i64) -> SignatureReport {
        let native = check(&self.native, payload, sig, who, EPOCH - DAY, at);
        let tool = check(&self.tool, payload, sig, who, EPOCH - DAY, at);
        match (&native.valid, &tool.valid) {
            // The reasons for a bad signature are worded by whoever found it.
            (Err(_), Err(_)) => {}
            _ => assert_eq!(native, tool, "the in-process check and ssh-keygen disagree"),
        }
        native
    }
}

fn broken(report: &SignatureReport) -> String {
    match &report.valid {
        Err(why) => why.clone(),
        Ok(()) => panic!("the signature was taken as valid: {report:?}"),
    }
}

#[test]
fn real_signatures_verify_in_process_as_they_do_with_ssh_keygen() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let p = pair(&allowed_text(
        &keys,
        &[("jane@example.com", "namespaces=\"countersign\"", &jane)],
    ));
    let sig = ssh_sign(&jane, PAYLOAD);
    let signer = accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    assert_eq!(signer.principal, "jane@example.com");
    assert_eq!(signer.key, ssh_fingerprint(&jane.with_extension("pub")));
    assert!(!signer.hardware);
    // ssh-keygen's other hash, asked for with -O hashalg=sha256.
    let mut child = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-Y",
            "sign",
            "-n",
            "countersign",
            "-O",
            "hashalg=sha256",
            "-f",
        ])
        .arg(&jane)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), PAYLOAD).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let sha256 = Signature::from_ssh_armor(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert!(
        sha256.blob.windows(6).any(|w| w == b"sha256"),
        "signed with sha256"
    );
    accepted(&p.judge(PAYLOAD, &sha256, JANE, EPOCH));
    broken(&p.judge(b"another payload", &sha256, JANE, EPOCH));
    // Many signatures by one key, each over its own payload.
    for i in 0..5 {
        let payload = format!("countersign approval v1\nnumber {i}\n");
        let sig = ssh_sign(&jane, payload.as_bytes());
        accepted(&p.judge(payload.as_bytes(), &sig, JANE, EPOCH));
    }
}

#[test]
fn a_tampered_payload_or_a_forged_signature_is_refused() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let p = pair(&allowed_text(&keys, &[("jane@example.com", "", &jane)]));
    let sig = ssh_sign(&jane, PAYLOAD);
    let tampered = b"countersign approval v1\nreviewer Jane Doe <jane@example.org>\n";
    let why = broken(&p.judge(tampered, &sig, JANE, EPOCH));
    assert!(
        why.contains("does not match the approval (incorrect signature)"),
        "{why}"
    );
    // Every byte of the raw signature (the last 64 of the blob) altered in turn.
    let n = sig.blob.len();
    for i in (n - 64..n).step_by(7) {
        let mut forged = sig.clone();
        forged.blob[i] ^= 0x01;
        broken(&p.judge(PAYLOAD, &forged, JANE, EPOCH));
    }
    // Bob's signature presented with Jane's key in the envelope.
    let bob = keys.make("bob", "ed25519");
    let by_bob = ssh_sign(&bob, PAYLOAD);
    let jane_key = key_blob(&keys, &jane);
    let forged = Signature {
        scheme: Scheme::Ssh,
        blob: replace_key(&by_bob.blob, &jane_key),
    };
    broken(&p.judge(PAYLOAD, &forged, JANE, EPOCH));
}

#[test]
fn a_signature_for_another_namespace_is_refused() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let p = pair(&allowed_text(&keys, &[("jane@example.com", "", &jane)]));
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '%s' \"$0\" | ssh-keygen -q -Y sign -n git -f {}",
            jane.display()
        ))
        .arg(String::from_utf8_lossy(PAYLOAD).as_ref())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = Signature::from_ssh_armor(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let why = broken(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    assert!(why.contains("namespace 'git', not 'countersign'"), "{why}");
    // A line that allows only other namespaces refuses a countersign signature, same words.
    let p = pair(&allowed_text(
        &keys,
        &[("jane@example.com", "namespaces=\"git,file\"", &jane)],
    ));
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&jane, PAYLOAD), JANE, EPOCH));
    assert!(
        why.contains("not allowed for namespace 'countersign'"),
        "{why}"
    );
}

#[test]
fn a_key_not_listed_for_the_reviewer_is_refused() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let bob = keys.make("bob", "ed25519");
    let p = pair(&allowed_text(&keys, &[("jane@example.com", "", &jane)]));
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&bob, PAYLOAD), BOB, EPOCH));
    assert!(why.contains("is not in the allowed signers file"), "{why}");
    // Bob's own key, claiming to be Jane.
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&bob, PAYLOAD), JANE, EPOCH));
    assert!(why.contains("is not in the allowed signers file"), "{why}");
    // Jane's key, claiming to be Bob.
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&jane, PAYLOAD), BOB, EPOCH));
    assert!(
        why.contains("is allowed for jane@example.com, not for bob@example.com"),
        "{why}"
    );
    // A revoked key, listed or not.
    let revoked = vec![file(
        "main:.countersign/revoked_signers",
        keys.public(&jane),
    )];
    let p = pair_with(
        &allowed_text(&keys, &[("jane@example.com", "", &jane)]),
        revoked,
        NOT_A_PROGRAM,
    );
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&jane, PAYLOAD), JANE, EPOCH));
    assert!(why.contains("is revoked"), "{why}");
    // A certificate of Jane's key in the list: ssh-keygen compares public parts, so her plain
    // key is revoked with it.
    let ca = keys.make("ca", "ed25519");
    let cert = certify(&ca, &jane, "jane-laptop", "jane@example.com");
    let cert_text = std::fs::read_to_string(&cert).unwrap();
    let p = pair_with(
        &allowed_text(&keys, &[("jane@example.com", "", &jane)]),
        vec![file("main:.countersign/revoked_signers", cert_text)],
        NOT_A_PROGRAM,
    );
    let why = refused(&p.judge(PAYLOAD, &ssh_sign(&jane, PAYLOAD), JANE, EPOCH));
    assert!(why.contains("is revoked"), "{why}");
}

#[test]
fn valid_before_and_valid_after_are_judged_at_the_verification_time_with_ssh_keygens_bounds() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let sig = ssh_sign(&jane, PAYLOAD);
    // EPOCH is 2026-11-21T21:00:00Z.
    let p = pair(&allowed_text(
        &keys,
        &[(
            "jane@example.com",
            "valid-before=\"20261121200000Z\"",
            &jane,
        )],
    ));
    let why = refused(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    assert!(why.contains("was retired"), "{why}");
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH - 3600 - 1));
    // The last second itself is still valid, for ssh-keygen and here alike.
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH - 3600));
    refused(&p.judge(PAYLOAD, &sig, JANE, EPOCH - 3600 + 1));

    let p = pair(&allowed_text(
        &keys,
        &[("jane@example.com", "valid-after=\"20261121220000Z\"", &jane)],
    ));
    let why = refused(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    assert!(why.contains("is not valid yet"), "{why}");
    refused(&p.judge(PAYLOAD, &sig, JANE, EPOCH + 3600 - 1));
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH + 3600));

    // Two lines for one key: a retired one does not stop a current one below it.
    let p = pair(&allowed_text(
        &keys,
        &[
            ("jane@example.com", "valid-before=\"20260101Z\"", &jane),
            ("jane@example.com", "valid-after=\"20260101Z\"", &jane),
        ],
    ));
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
}

#[test]
fn what_is_not_judged_in_process_goes_to_ssh_keygen() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let rsa = keys.make("rsa", "rsa");
    // A time without Z is the server's local time to ssh-keygen: that line is its to judge.
    let local = allowed_text(
        &keys,
        &[("jane@example.com", "valid-before=\"20301101\"", &jane)],
    );
    let sig = ssh_sign(&jane, PAYLOAD);
    let why = broken(&check(
        &pair(&local).native,
        PAYLOAD,
        &sig,
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert!(
        why.contains(&format!("'{NOT_A_PROGRAM}' was not found")),
        "{why}"
    );
    let p = pair_with(&local, Vec::new(), "ssh-keygen");
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    // An RSA key: the cryptography too.
    let allowed = allowed_text(&keys, &[("jane@example.com", "", &rsa)]);
    let sig = ssh_sign(&rsa, PAYLOAD);
    let why = broken(&check(
        &pair(&allowed).native,
        PAYLOAD,
        &sig,
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert!(
        why.contains(&format!("'{NOT_A_PROGRAM}' was not found")),
        "{why}"
    );
    let p = pair_with(&allowed, Vec::new(), "ssh-keygen");
    accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    broken(&p.judge(b"another payload", &sig, JANE, EPOCH));
}

// ----------------------------------------------------------- hardware-backed (sk-) keys

/// An `sk-ssh-ed25519@openssh.com` key and signatures made as a FIDO authenticator makes
/// them (PROTOCOL.u2f), with the flags and counter given.
struct SkKey {
    key: SigningKey,
    application: &'static [u8],
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

impl SkKey {
    fn blob(&self) -> Vec<u8> {
        let mut b = Vec::new();
        ssh_string(&mut b, b"sk-ssh-ed25519@openssh.com");
        ssh_string(&mut b, self.key.verifying_key().as_bytes());
        ssh_string(&mut b, self.application);
        b
    }

    fn public(&self) -> String {
        format!(
            "sk-ssh-ed25519@openssh.com {}",
            base64::engine::general_purpose::STANDARD.encode(self.blob())
        )
    }

    fn sign(&self, payload: &[u8], flags: u8, counter: u32) -> Signature {
        let mut signed = b"SSHSIG".to_vec();
        ssh_string(&mut signed, b"countersign");
        ssh_string(&mut signed, b"");
        ssh_string(&mut signed, b"sha512");
        ssh_string(&mut signed, &Sha512::digest(payload));
        let mut data = Sha256::digest(self.application).to_vec();
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        data.extend_from_slice(&Sha256::digest(&signed));
        let raw = self.key.sign(&data).to_bytes();
        let mut sig = Vec::new();
        ssh_string(&mut sig, b"sk-ssh-ed25519@openssh.com");
        ssh_string(&mut sig, &raw);
        sig.push(flags);
        sig.extend_from_slice(&counter.to_be_bytes());
        let mut blob = b"SSHSIG".to_vec();
        blob.extend_from_slice(&1u32.to_be_bytes());
        ssh_string(&mut blob, &self.blob());
        ssh_string(&mut blob, b"countersign");
        ssh_string(&mut blob, b"");
        ssh_string(&mut blob, b"sha512");
        ssh_string(&mut blob, &sig);
        Signature {
            scheme: Scheme::Ssh,
            blob,
        }
    }
}

#[test]
fn hardware_key_signatures_verify_in_process_as_they_do_with_ssh_keygen() {
    let sk = SkKey {
        key: SigningKey::from_bytes(&[0x5a; 32]),
        application: b"ssh:",
    };
    let allowed = format!(
        "jane@example.com namespaces=\"countersign\" {}\n",
        sk.public()
    );
    let p = pair(&allowed);
    let sig = sk.sign(PAYLOAD, 0x01, 7);
    let signer = accepted(&p.judge(PAYLOAD, &sig, JANE, EPOCH));
    assert!(signer.hardware);
    assert_eq!(signer.key_type, "sk-ssh-ed25519@openssh.com");
    broken(&p.judge(b"another payload", &sig, JANE, EPOCH));
    // A touch claimed after the fact (the flags byte set to present and verified), or the
    // counter wound back: the authenticator signed both, so both break the signature.
    let n = sig.blob.len();
    let mut flags = sig.clone();
    flags.blob[n - 5] = 0x05;
    broken(&p.judge(PAYLOAD, &flags, JANE, EPOCH));
    let mut counter = sig.clone();
    counter.blob[n - 1] = 0;
    broken(&p.judge(PAYLOAD, &counter, JANE, EPOCH));
    // The same key for another application (a web origin): another key.
    let web = SkKey {
        key: SigningKey::from_bytes(&[0x5a; 32]),
        application: b"https://example.com",
    };
    let why = refused(&p.judge(PAYLOAD, &web.sign(PAYLOAD, 0x01, 7), JANE, EPOCH));
    assert!(why.contains("is not in the allowed signers file"), "{why}");
}

/// The blob of `key`'s public key.
fn key_blob(keys: &Keys, key: &std::path::Path) -> Vec<u8> {
    let text = keys.public(key);
    let b64 = text.split_whitespace().nth(1).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// The SSHSIG blob with its public key replaced.
fn replace_key(blob: &[u8], key: &[u8]) -> Vec<u8> {
    let len = u32::from_be_bytes(blob[10..14].try_into().unwrap()) as usize;
    let mut out = blob[..10].to_vec();
    ssh_string(&mut out, key);
    out.extend_from_slice(&blob[14 + len..]);
    out
}
