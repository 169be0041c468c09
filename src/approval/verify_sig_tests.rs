//! Unit tests of `verify_sig` (kept apart so the module stays readable).

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
        claimed_time: 0,
        at: 0,
    });
    assert!(report.valid.is_err() && report.signer.is_err());
}

#[test]
fn a_claim_from_the_future_beyond_the_skew_is_refused() {
    let sig = Signature {
        scheme: Scheme::Ssh,
        blob: vec![],
    };
    let who = Identity::parse("J <j@x>").unwrap();
    let at = 1_795_294_800;
    let check = |claimed_time| SignatureCheck {
        payload: b"x",
        signature: &sig,
        reviewer: &who,
        claimed_time,
        at,
    };
    assert_eq!(from_the_future(&check(at + MAX_FUTURE_SKEW_SECS)), None);
    assert_eq!(from_the_future(&check(at - 86_400)), None);
    let reason = from_the_future(&check(at + MAX_FUTURE_SKEW_SECS + 1)).unwrap();
    assert!(
        reason.contains("2026-11-21T21:05:01Z, after the verification time 2026-11-21T21:00:00Z"),
        "{reason}"
    );
}

#[test]
fn user_verification_implies_a_hardware_key() {
    let policy = Approval {
        require_user_verification: true,
        ..Approval::default()
    };
    let opts = VerifyOptions::for_policy(&policy);
    assert!(opts.require_hardware_key && opts.require_user_verification);
    assert!(!VerifyOptions::for_policy(&Approval::default()).require_hardware_key);
}

fn ssh_verifier(hardware: bool, verification: bool) -> SshVerifier {
    SshVerifier {
        program: "ssh-keygen".into(),
        allowed: None,
        revoked: Vec::new(),
        require_hardware_key: hardware,
        require_user_verification: verification,
        native: true,
        krl_answers: Mutex::new(HashMap::new()),
        dir: tempfile::tempdir().unwrap(),
    }
}

/// There is no FIDO authenticator here, so the flags are read from built signatures;
/// the real tools check the signature itself before this is asked.
#[test]
fn hardware_requirements_read_the_sk_flags() {
    use crate::approval::signature::tests::{fake_sshsig, sk_key, sk_sig, sshsig_with};
    let info = |blob: Vec<u8>| {
        Signature {
            scheme: Scheme::Ssh,
            blob,
        }
        .ssh_info()
        .unwrap()
    };
    let sk = |flags| info(sshsig_with(SSH_NAMESPACE, &sk_key(), &sk_sig(flags, 1)));
    let plain = info(fake_sshsig(SSH_NAMESPACE));
    let none = ssh_verifier(false, false);
    assert_eq!(none.hardware_reason(&plain), None);
    assert_eq!(none.hardware_reason(&sk(0x00)), None);

    let touch = ssh_verifier(true, false);
    let why = touch.hardware_reason(&plain).unwrap();
    assert!(
        why.contains("requires a hardware-backed (sk-) key") && why.contains("ssh-ed25519"),
        "{why}"
    );
    let why = touch.hardware_reason(&sk(0x00)).unwrap();
    assert!(
        why.contains("without a touch (no user-presence flag)"),
        "{why}"
    );
    assert_eq!(touch.hardware_reason(&sk(0x01)), None);

    let pin = ssh_verifier(true, true);
    let why = pin.hardware_reason(&sk(0x01)).unwrap();
    assert!(why.contains("without user verification"), "{why}");
    assert!(pin
        .hardware_reason(&sk(0x04))
        .unwrap()
        .contains("without a touch"));
    assert_eq!(pin.hardware_reason(&sk(0x05)), None);
}

#[test]
fn openpgp_algorithm_names() {
    assert_eq!(openpgp_algo("22"), "openpgp-eddsa");
    assert_eq!(openpgp_algo("1"), "openpgp-rsa");
    assert_eq!(openpgp_algo("99"), "openpgp-algo-99");
}
