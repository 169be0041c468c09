//! Who is trusted to have signed: the signature verification layer against the trusted signer
//! lists, with the real `ssh-keygen` and `gpg` and keys made in each test. Each attack on who
//! signed (a retired key signing "in the past", a revoked key, an ambient OpenPGP key with the
//! right user id, two certificates for one key, a principal pattern, a garbage list line) is
//! refused with the reason it prints; the legitimate signer next to it passes.

mod common;
#[path = "signers_support/mod.rs"]
mod signers_support;
#[path = "approval_support/mod.rs"]
mod support;

use countersign::approval::check::CheckName;
use countersign::approval::verify_sig::{TrustedSigners, Verifier, VerifyOptions};
use countersign::approval::{append_approval, ApprovalSet};
use countersign::policy::Approval;

use common::Fixture;
use signers_support::*;
use support::{Keys, BOB, JANE};

const PAYLOAD: &[u8] = b"countersign approval v1\nreviewer Jane Doe <jane@example.com>\n";
const ALLOWED: &str = "main:.countersign/allowed_signers";

// ---------------------------------------------------------------- 1. the time keys are judged at

#[test]
fn a_key_retired_with_valid_before_no_longer_signs_in_the_past() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = allowed_text(
        &keys,
        &[("jane@example.com", "valid-before=\"20261101\"", &jane)],
    );
    let verifier = ssh_verifier(&allowed);
    let sig = ssh_sign(&jane, PAYLOAD);
    // The approval claims a time when the key was still valid; the verifier judges at EPOCH
    // (2026-11-21), after the key was retired.
    let claimed = EPOCH - 30 * DAY;
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, claimed, EPOCH));
    assert_eq!(
        why,
        format!(
            "key {} was retired: {ALLOWED} line 1 has valid-before=\"20261101\", and keys are \
             judged at the verification time (2026-11-21T21:00:00Z), not at the time the \
             approval claims (2026-10-22T21:00:00Z)",
            ssh_fingerprint(&jane.with_extension("pub"))
        )
    );
    // Judged at a time the key was valid (a time the verifier trusts), it passes.
    let before = EPOCH - 25 * DAY;
    let signer = accepted(&check(&verifier, PAYLOAD, &sig, JANE, claimed, before));
    assert_eq!(signer.principal, "jane@example.com");
}

/// Through `check_commit`, which judges keys now: an approval dated while the key was valid
/// fails once the key is retired.
#[test]
fn check_commit_judges_keys_now_not_at_the_approvals_time() {
    let fx = approval_fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    // The fixture's approvals are dated EPOCH (2026-11-21T21:00Z); the key retires a day
    // later, which is before any "now" this test runs at.
    support::approve_head(&fx, JANE, &support::ssh_config(&jane));
    let retired = keys.allowed(&[("jane@example.com", "valid-before=\"20261122\"", &jane)]);
    let r = support::verify(
        &fx,
        "HEAD",
        &Approval::default(),
        &support::verifier(&retired),
    );
    let why = reason(&r, CheckName::SignerAllowed.as_str());
    assert!(why.contains("was retired"), "{why}");
    assert!(
        why.contains("not at the time the approval claims (2026-11-21T21:00:00Z)"),
        "{why}"
    );
    let current = keys.allowed(&[("jane@example.com", "", &jane)]);
    let r = support::verify(
        &fx,
        "HEAD",
        &Approval::default(),
        &support::verifier(&current),
    );
    assert!(r.passed(), "{:?}", r.checks);
}

#[test]
fn an_approval_claiming_a_time_in_the_future_is_refused() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let verifier = ssh_verifier(&allowed_text(&keys, &[("jane@example.com", "", &jane)]));
    let sig = ssh_sign(&jane, PAYLOAD);
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH + 3600, EPOCH));
    assert_eq!(
        why,
        "the approval claims to be made at 2026-11-21T22:00:00Z, after the verification time \
         2026-11-21T21:00:00Z (more than 300 seconds ahead)"
    );
    // A clock a minute ahead is not an attack.
    accepted(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH + 60, EPOCH));
}

// ------------------------------------------------------------------------ 2. revocation lists

fn with_revoked(
    allowed: &str,
    revoked: Vec<countersign::approval::signers::TrustedFile>,
) -> Verifier {
    Verifier::from_trusted(
        TrustedSigners {
            allowed_signers: Some(file(ALLOWED, allowed)),
            revoked,
            ..TrustedSigners::default()
        },
        VerifyOptions::default(),
    )
    .unwrap()
}

#[test]
fn a_key_in_a_revocation_list_is_refused_and_so_are_its_certificates() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let bob = keys.make("bob", "ed25519");
    let ca = keys.make("ca", "ed25519");
    let allowed = allowed_text(
        &keys,
        &[
            ("jane@example.com", "", &jane),
            ("bob@example.com", "", &bob),
            ("*@example.com", "cert-authority", &ca),
        ],
    );
    let list = format!("# retired laptop\n{}\n", keys.public(&jane));
    let verifier = with_revoked(
        &allowed,
        vec![file("main:.countersign/revoked_signers", list)],
    );
    let fp = ssh_fingerprint(&jane.with_extension("pub"));
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&jane, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert_eq!(
        why,
        format!("key {fp} is revoked (main:.countersign/revoked_signers line 2)")
    );
    // A certificate for the revoked key is the same key.
    let cert = certify(&ca, &jane, "jane-laptop", "jane@example.com");
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&cert, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert!(why.contains(&format!("key {fp} is revoked")), "{why}");
    // Bob's key is not revoked.
    accepted(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&bob, PAYLOAD),
        BOB,
        EPOCH,
        EPOCH,
    ));
}

#[test]
fn a_key_in_a_krl_is_refused() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let bob = keys.make("bob", "ed25519");
    let allowed = allowed_text(
        &keys,
        &[
            ("jane@example.com", "", &jane),
            ("bob@example.com", "", &bob),
        ],
    );
    // An empty list (nothing revoked yet) next to the KRL must not get in the way.
    let revoked = vec![
        file("main:.countersign/revoked_signers", ""),
        file("ci/revoked.krl", krl(&keys, &[&jane])),
    ];
    let verifier = with_revoked(&allowed, revoked);
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&jane, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert_eq!(
        why,
        format!(
            "key {} is revoked (the KRL ci/revoked.krl)",
            ssh_fingerprint(&jane.with_extension("pub"))
        )
    );
    accepted(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&bob, PAYLOAD),
        BOB,
        EPOCH,
        EPOCH,
    ));
}

#[test]
fn a_revocation_list_that_cannot_be_read_is_an_error_not_a_pass() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = allowed_text(&keys, &[("jane@example.com", "", &jane)]);
    let build = |revoked| {
        Verifier::from_trusted(
            TrustedSigners {
                allowed_signers: Some(file(ALLOWED, allowed.clone())),
                revoked: vec![revoked],
                ..TrustedSigners::default()
            },
            VerifyOptions::default(),
        )
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
    };
    let list = format!("{}\nssh-ed25519 AAAA-not-base64\n", keys.public(&jane));
    let err = build(file("main:.countersign/revoked_signers", list)).unwrap_err();
    assert!(
        err.starts_with("main:.countersign/revoked_signers line 2: not a public key"),
        "{err}"
    );
    // A KRL cut short: the magic is right, the rest is not.
    let mut cut = krl(&keys, &[&jane]);
    cut.truncate(20);
    let err = build(file("ci/revoked.krl", cut)).unwrap_err();
    assert!(
        err.starts_with("cannot read the revocation list ci/revoked.krl"),
        "{err}"
    );
}

// ------------------------------------------------------- 3. OpenPGP: the trusted list decides

#[test]
fn an_ambient_openpgp_key_with_the_reviewers_user_id_is_not_trusted() {
    let ambient = Gpg::new();
    let jane_fpr = ambient.make_key(JANE, "never", None);
    let sig = ambient.sign("jane@example.com", PAYLOAD, None);
    let keys = Keys::new();
    let jane_ssh = keys.make("jane", "ed25519");
    let build = |openpgp_signers| {
        Verifier::from_trusted(
            TrustedSigners {
                // An SSH allowed-signers file is given too: it must not make OpenPGP lax.
                allowed_signers: Some(file(
                    ALLOWED,
                    allowed_text(&keys, &[("jane@example.com", "", &jane_ssh)]),
                )),
                openpgp_signers,
                ..TrustedSigners::default()
            },
            VerifyOptions {
                ambient_gnupghome: Some(ambient.path().to_path_buf()),
                ..VerifyOptions::default()
            },
        )
        .unwrap()
    };
    // No OpenPGP signers list at the trusted ref: nobody may sign with OpenPGP.
    let why = refused(&check(&build(None), PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert_eq!(
        why,
        format!(
            "no OpenPGP signers list at the trusted ref: key {jane_fpr} ('Jane Doe \
             <jane@example.com>') is not trusted by its user id alone"
        )
    );
    // A list that names someone else's key.
    let other = format!("jane@example.com {}\n", "AB".repeat(20));
    let list = Some(file("main:.countersign/openpgp_signers", other));
    let why = refused(&check(&build(list), PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert_eq!(
        why,
        format!(
            "key {jane_fpr} is not listed in main:.countersign/openpgp_signers (its user id \
             says 'Jane Doe <jane@example.com>', but only the trusted signers list decides)"
        )
    );
    // Listed by fingerprint (in lower case), the ambient keyring's key is accepted: the
    // keyring did the cryptography, the list the trust.
    let listed = format!(
        "# reviewers\njane@example.com {}\n",
        jane_fpr.to_lowercase()
    );
    let list = Some(file("main:.countersign/openpgp_signers", listed));
    let signer = accepted(&check(&build(list), PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert_eq!(signer.key, jane_fpr);
    assert_eq!(signer.key_type, "openpgp-eddsa");
    assert!(!signer.hardware);
}

#[test]
fn openpgp_keys_from_the_trusted_ref_are_used_instead_of_the_ambient_keyring() {
    let jane_home = Gpg::new();
    let jane_fpr = jane_home.make_key(JANE, "never", None);
    let bob_home = Gpg::new();
    let bob_fpr = bob_home.make_key(BOB, "never", None);
    // The ambient keyring holds Bob's key; the trusted ref only Jane's.
    let ambient = Gpg::new();
    ambient.import(&bob_home.export("bob@example.com"));
    let verifier = Verifier::from_trusted(
        TrustedSigners {
            openpgp_signers: Some(file(
                "main:.countersign/openpgp_signers",
                format!("jane@example.com {jane_fpr}\nbob@example.com {bob_fpr}\n"),
            )),
            openpgp_keys: Some(file(
                "main:.countersign/openpgp_keys.asc",
                jane_home.export("jane@example.com"),
            )),
            ..TrustedSigners::default()
        },
        VerifyOptions {
            ambient_gnupghome: Some(ambient.path().to_path_buf()),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    let jane_sig = jane_home.sign("jane@example.com", PAYLOAD, None);
    assert_eq!(
        accepted(&check(&verifier, PAYLOAD, &jane_sig, JANE, EPOCH, EPOCH)).key,
        jane_fpr
    );
    // Jane's key signing as Bob: listed, but for Jane.
    let why = refused(&check(&verifier, PAYLOAD, &jane_sig, BOB, EPOCH, EPOCH));
    assert_eq!(
        why,
        format!(
            "key {jane_fpr} is allowed for jane@example.com, not for bob@example.com \
             (main:.countersign/openpgp_signers)"
        )
    );
    // Bob's key is listed but not in the trusted keys file: the ambient keyring is not
    // consulted, so it cannot even be checked.
    let bob_sig = bob_home.sign("bob@example.com", PAYLOAD, None);
    let report = check(&verifier, PAYLOAD, &bob_sig, BOB, EPOCH, EPOCH);
    let why = report.signer.unwrap_err();
    assert!(
        why.contains(
            "is not in the allowed keyring (the keys in main:.countersign/openpgp_keys.asc)"
        ),
        "{why}"
    );
    assert!(report.valid.is_err());
}

#[test]
fn openpgp_revoked_and_expired_keys_are_refused() {
    let home = Gpg::new();
    let jane_fpr = home.make_key(JANE, "never", None);
    let sig = home.sign("jane@example.com", PAYLOAD, None);
    let signers = |text: String| Some(file("main:.countersign/openpgp_signers", text));
    let build = |openpgp_signers, keys: Vec<u8>| {
        Verifier::from_trusted(
            TrustedSigners {
                openpgp_signers,
                openpgp_keys: Some(file("main:.countersign/openpgp_keys.asc", keys)),
                ..TrustedSigners::default()
            },
            VerifyOptions::default(),
        )
        .unwrap()
    };
    // A `revoked` line in the trusted list.
    let list = format!("jane@example.com {jane_fpr}\nrevoked {jane_fpr}\n");
    let verifier = build(signers(list), home.export("jane@example.com"));
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert_eq!(
        why,
        format!("key {jane_fpr} is revoked (main:.countersign/openpgp_signers line 2)")
    );
    let listed = format!("jane@example.com {jane_fpr}\n");
    accepted(&check(
        &build(signers(listed.clone()), home.export("jane@example.com")),
        PAYLOAD,
        &sig,
        JANE,
        EPOCH,
        EPOCH,
    ));
    // The key revoked by its owner: the trusted keys file carries the revocation.
    home.revoke(&jane_fpr);
    let verifier = build(signers(listed), home.export("jane@example.com"));
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert!(
        why.starts_with(&format!("key {jane_fpr} is revoked (its revocation is in")),
        "{why}"
    );

    // A key made in 2020 that expired in 2021, signing (then) an approval: refused now.
    let old = Gpg::new();
    let old_fpr = old.make_key(BOB, "1y", Some("20200101T000000"));
    let old_sig = old.sign("bob@example.com", PAYLOAD, Some("20200601T000000"));
    let verifier = build(
        signers(format!("bob@example.com {old_fpr}\n")),
        old.export("bob@example.com"),
    );
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &old_sig,
        BOB,
        EPOCH - 2000 * DAY,
        EPOCH,
    ));
    assert_eq!(
        why,
        format!("key {old_fpr} has expired (as gpg judges it now)")
    );
}

#[test]
fn openpgp_keys_gpg_cannot_import_are_an_error() {
    let err = Verifier::from_trusted(
        TrustedSigners {
            openpgp_keys: Some(file(
                "main:.countersign/openpgp_keys.asc",
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n",
            )),
            ..TrustedSigners::default()
        },
        VerifyOptions::default(),
    )
    .map(|_| ())
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.starts_with("cannot import the OpenPGP keys main:.countersign/openpgp_keys.asc"),
        "{err}"
    );
}

// ------------------------------------------------ 4. distinct signers are distinct keys

/// A repository with a base commit and an AI-written commit on top.
fn approval_fixture() -> Fixture {
    let fx = Fixture::new();
    fx.write("src/lib.rs", "fn a() {}\n");
    fx.commit("Base");
    fx.write("src/lib.rs", "fn a() { retry(3) }\n");
    fx.commit_ai("Add retries");
    fx
}

fn reason(r: &countersign::approval::check::Coverage, name: &str) -> String {
    support::failures(r)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, why)| why)
        .unwrap_or_else(|| panic!("no failed {name} check in {:?}", r.checks))
}

/// Approves HEAD once per `(reviewer, key)` and writes every set into the message.
fn approve_with(fx: &Fixture, approvals: &[(&str, &std::path::Path)]) {
    let commit = support::load(fx, "HEAD");
    let mut message = commit.message.clone();
    for (reviewer, key) in approvals {
        let payload = support::payload_for(&commit, reviewer);
        let sig = ssh_sign(key, payload.to_canonical().as_bytes());
        message = append_approval(&message, &ApprovalSet::new(&payload, sig), false).unwrap();
    }
    support::set_head_message(fx, &message);
}

#[test]
fn two_certificates_for_one_key_count_as_one_signer() {
    let fx = approval_fixture();
    let keys = Keys::new();
    let ca = keys.make("ca", "ed25519");
    let jane = keys.make("jane", "ed25519");
    // One private key, two certificates under two names.
    let as_bob = copy_key(&keys, &jane, "jane-as-bob");
    let cert_jane = certify(&ca, &jane, "laptop", "jane@example.com");
    let cert_bob = certify(&ca, &as_bob, "desktop", "bob@example.com");
    let allowed = keys.allowed(&[("*@example.com", "cert-authority", &ca)]);
    let verifier = support::verifier(&allowed);

    // Each certificate verifies, and both name the underlying key, as ssh-keygen -l does.
    let fp = ssh_fingerprint(&jane.with_extension("pub"));
    for (cert, who) in [(&cert_jane, JANE), (&cert_bob, BOB)] {
        let signer = accepted(&check(
            &verifier,
            PAYLOAD,
            &ssh_sign(cert, PAYLOAD),
            who,
            EPOCH,
            EPOCH,
        ));
        assert_eq!(signer.key, fp);
        assert_eq!(signer.key_type, "ssh-ed25519");
    }

    let two = Approval {
        signers: 2,
        ..Approval::default()
    };
    approve_with(&fx, &[(JANE, &cert_jane), (BOB, &cert_bob)]);
    let r = support::verify(&fx, "HEAD", &two, &verifier);
    assert_eq!(
        reason(&r, CheckName::Signers.as_str()),
        "1 of 2 required distinct signer(s)"
    );

    // Two people with two keys do make two signers.
    let bob = keys.make("bob", "ed25519");
    let cert_real_bob = certify(&ca, &bob, "bob-laptop", "bob@example.com");
    let fx = approval_fixture();
    approve_with(&fx, &[(JANE, &cert_jane), (BOB, &cert_real_bob)]);
    let r = support::verify(&fx, "HEAD", &two, &verifier);
    assert!(r.passed(), "{:?}", support::failures(&r));
}

#[test]
fn a_certificate_must_name_the_claimed_email_exactly() {
    let keys = Keys::new();
    let ca = keys.make("ca", "ed25519");
    let jane = keys.make("jane", "ed25519");
    let cert = certify(&ca, &jane, "jane-laptop", "bob@example.com");
    let verifier = ssh_verifier(&allowed_text(
        &keys,
        &[("*@example.com", "cert-authority", &ca)],
    ));
    let sig = ssh_sign(&cert, PAYLOAD);
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert_eq!(
        why,
        format!(
            "certificate 'jane-laptop' for key {} is for bob@example.com, not for \
             jane@example.com (a certificate's principal must equal the claimed email exactly)",
            ssh_fingerprint(&jane.with_extension("pub"))
        )
    );
    accepted(&check(&verifier, PAYLOAD, &sig, BOB, EPOCH, EPOCH));
    // A CA that is not a cert-authority line vouches for no one.
    let other_ca = keys.make("other-ca", "ed25519");
    let stray = certify(
        &other_ca,
        &copy_key(&keys, &jane, "jane2"),
        "stray",
        "jane@example.com",
    );
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&stray, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert!(why.contains("which is not a cert-authority line"), "{why}");
}

// ----------------------------------------------------------------- 5. no principal patterns

#[test]
fn a_principal_pattern_is_refused_with_its_line() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let agent = keys.make("agent", "ed25519");
    let allowed = allowed_text(
        &keys,
        &[
            ("Jane@Example.com", "", &jane),
            ("*@example.com", "", &agent),
        ],
    );
    let verifier = ssh_verifier(&allowed);
    // ssh-keygen alone accepts this (the pattern matches); countersign does not.
    let sig = ssh_sign(&agent, PAYLOAD);
    for who in [JANE, "Ada Agent <ada@example.com>"] {
        let why = refused(&check(&verifier, PAYLOAD, &sig, who, EPOCH, EPOCH));
        assert_eq!(
            why,
            format!(
                "allowed_signers line 2 uses a principal pattern ('*@example.com'): list each \
                 signer by name ({ALLOWED})"
            )
        );
    }
    // A literal principal matches whatever its case.
    let signer = accepted(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&jane, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert_eq!(signer.principal, "jane@example.com");
}

#[test]
fn a_pattern_line_cannot_stand_in_for_a_refusing_literal_line() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    // Line 1 retires the key for Jane; line 2 (a pattern) would let ssh-keygen accept it.
    let allowed = allowed_text(
        &keys,
        &[
            ("jane@example.com", "valid-before=\"20200101\"", &jane),
            ("*@example.com", "", &jane),
        ],
    );
    let why = refused(&check(
        &ssh_verifier(&allowed),
        PAYLOAD,
        &ssh_sign(&jane, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert!(
        why.contains("was retired: main:.countersign/allowed_signers line 1"),
        "{why}"
    );
}

// --------------------------------------------------------------------- 6. hardware-backed keys

#[test]
fn the_hardware_key_policy_refuses_plain_ssh_and_openpgp_keys() {
    // No FIDO authenticator here: the real tools sign with plain keys, which the policy must
    // refuse; the sk- flags themselves are unit-tested on built signatures.
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let home = Gpg::new();
    let fpr = home.make_key(JANE, "never", None);
    let policy = Approval {
        require_hardware_key: true,
        ..Approval::default()
    };
    let verifier = Verifier::from_trusted(
        TrustedSigners {
            allowed_signers: Some(file(
                ALLOWED,
                allowed_text(&keys, &[("jane@example.com", "", &jane)]),
            )),
            openpgp_signers: Some(file("s", format!("jane@example.com {fpr}\n"))),
            openpgp_keys: Some(file("k", home.export("jane@example.com"))),
            ..TrustedSigners::default()
        },
        VerifyOptions::for_policy(&policy),
    )
    .unwrap();
    let why = refused(&check(
        &verifier,
        PAYLOAD,
        &ssh_sign(&jane, PAYLOAD),
        JANE,
        EPOCH,
        EPOCH,
    ));
    assert_eq!(
        why,
        format!(
            "the policy requires a hardware-backed (sk-) key; key {} is ssh-ed25519",
            ssh_fingerprint(&jane.with_extension("pub"))
        )
    );
    let sig = home.sign("jane@example.com", PAYLOAD, None);
    let why = refused(&check(&verifier, PAYLOAD, &sig, JANE, EPOCH, EPOCH));
    assert!(
        why.contains("requires a hardware-backed (sk-) SSH key"),
        "{why}"
    );
}

// ------------------------------------------------------- 7. a list that cannot be parsed

#[test]
fn a_garbage_signers_line_is_an_error_naming_the_file_and_line() {
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let good = allowed_text(&keys, &[("jane@example.com", "", &jane)]);
    let build = |files: TrustedSigners| {
        Verifier::from_trusted(files, VerifyOptions::default())
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
    };
    let err = build(TrustedSigners {
        allowed_signers: Some(file(
            ALLOWED,
            format!("{good}bob@example.com ssh-ed25519\n"),
        )),
        ..TrustedSigners::default()
    })
    .unwrap_err();
    assert!(
        err.starts_with(&format!("{ALLOWED} line 2: not a public key")),
        "{err}"
    );
    let err = build(TrustedSigners {
        allowed_signers: Some(file(ALLOWED, good.clone())),
        openpgp_signers: Some(file(
            "main:.countersign/openpgp_signers",
            "# reviewers\njane@example.com 0xDEADBEEF\n",
        )),
        ..TrustedSigners::default()
    })
    .unwrap_err();
    assert_eq!(
        err,
        "main:.countersign/openpgp_signers line 2: '0xDEADBEEF' is not an OpenPGP fingerprint \
         (40 or 64 hex digits)"
    );
    assert!(build(TrustedSigners {
        allowed_signers: Some(file(ALLOWED, good)),
        ..TrustedSigners::default()
    })
    .is_ok());
}

/// `countersign verify` exits 2 (cannot check), with the file and line, when a list at the
/// trusted ref cannot be parsed or a revocation list given cannot be read.
#[test]
fn verify_exits_2_on_an_unparsable_list_or_an_unreadable_revocation_list() {
    let fx = Fixture::new();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    fx.write("src/lib.rs", "fn a() {}\n");
    fx.write(
        ".countersign/allowed_signers",
        format!(
            "jane@example.com {}\nbob@example.com not-a-key\n",
            keys.public(&jane)
        ),
    );
    let base = fx.commit("Base");
    fx.write("src/lib.rs", "fn a() { retry(3) }\n");
    fx.commit_ai("Add retries");
    let run = |extra: &[&str]| {
        let out = fx
            .command(common::bin().to_str().unwrap())
            .args(["verify", &format!("{base}..HEAD"), "--policy-ref", &base])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{base}:.countersign/allowed_signers line 2: not a public key"
        )),
        "{stderr}"
    );

    let good = keys.allowed(&[("jane@example.com", "", &jane)]);
    let missing = keys.dir.path().join("no-such-krl");
    let (code, stderr) = run(&[
        "--allowed-signers",
        good.to_str().unwrap(),
        "--revoked-signers",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read the revocation list"),
        "{stderr}"
    );
    // With the same good file and no revocation list, the run gets as far as judging the
    // (unsigned) commit: a violation, not "cannot check".
    let (code, stderr) = run(&["--allowed-signers", good.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
}

/// The policy example in docs/approval-format.md is a policy countersign reads, with the
/// defaults it documents.
#[test]
fn the_documented_signer_policy_parses_with_its_defaults() {
    let doc = include_str!("../docs/approval-format.md");
    let section = &doc[doc.find("### Who may sign").expect("section in the doc")..];
    let start = section.find("```toml\n").expect("toml example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let policy = countersign::policy::Policy::parse(example, "docs example").unwrap();
    assert_eq!(policy.approval, Approval::default());
}
