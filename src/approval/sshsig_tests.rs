//! Unit tests of `sshsig`: signatures built here byte for byte as `ssh-keygen -Y sign` and a
//! FIDO authenticator make them (tests/sshsig_native.rs checks the same against the real
//! ssh-keygen), then altered one field at a time.

use ed25519_dalek::{Signer as _, SigningKey};

use super::*;

const NS: &str = "countersign";
const MESSAGE: &[u8] = b"countersign approval v1\nreviewer Jane <jane@example.com>\n";

struct Parts {
    namespace: Vec<u8>,
    reserved: Vec<u8>,
    hash_alg: Vec<u8>,
    /// The namespace and hash algorithm the signature is computed over (normally the
    /// envelope's own).
    signed_namespace: Vec<u8>,
    signed_hash_alg: Vec<u8>,
    message: Vec<u8>,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            namespace: NS.into(),
            reserved: Vec::new(),
            hash_alg: b"sha512".to_vec(),
            signed_namespace: NS.into(),
            signed_hash_alg: b"sha512".to_vec(),
            message: MESSAGE.to_vec(),
        }
    }
}

fn signing_key(byte: u8) -> SigningKey {
    SigningKey::from_bytes(&[byte; 32])
}

fn ed25519_blob(key: &SigningKey) -> Vec<u8> {
    let mut blob = Vec::new();
    ssh_string(&mut blob, ED25519.as_bytes());
    ssh_string(&mut blob, key.verifying_key().as_bytes());
    blob
}

fn sk_blob(key: &SigningKey, application: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    ssh_string(&mut blob, SK_ED25519.as_bytes());
    ssh_string(&mut blob, key.verifying_key().as_bytes());
    ssh_string(&mut blob, application);
    blob
}

/// The data the signature covers (PROTOCOL.sshsig).
fn to_sign(p: &Parts) -> Vec<u8> {
    let h = match p.signed_hash_alg.as_slice() {
        b"sha256" => Sha256::digest(&p.message).to_vec(),
        _ => Sha512::digest(&p.message).to_vec(),
    };
    let mut out = MAGIC.to_vec();
    ssh_string(&mut out, &p.signed_namespace);
    ssh_string(&mut out, b"");
    ssh_string(&mut out, &p.signed_hash_alg);
    ssh_string(&mut out, &h);
    out
}

fn envelope(p: &Parts, key_blob: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut out, key_blob);
    ssh_string(&mut out, &p.namespace);
    ssh_string(&mut out, &p.reserved);
    ssh_string(&mut out, &p.hash_alg);
    ssh_string(&mut out, sig);
    out
}

fn ed25519_sig_field(raw: &[u8]) -> Vec<u8> {
    let mut sig = Vec::new();
    ssh_string(&mut sig, ED25519.as_bytes());
    ssh_string(&mut sig, raw);
    sig
}

/// As `ssh-keygen -Y sign` with a plain ed25519 key.
fn sign(p: &Parts, key: &SigningKey) -> Vec<u8> {
    let raw = key.sign(&to_sign(p)).to_bytes();
    envelope(p, &ed25519_blob(key), &ed25519_sig_field(&raw))
}

/// As an authenticator signs for an `sk-ssh-ed25519` key (PROTOCOL.u2f).
fn sk_sign(p: &Parts, key: &SigningKey, application: &[u8], flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(application).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data.extend_from_slice(&Sha256::digest(to_sign(p)));
    let raw = key.sign(&data).to_bytes();
    let mut sig = Vec::new();
    ssh_string(&mut sig, SK_ED25519.as_bytes());
    ssh_string(&mut sig, &raw);
    sig.push(flags);
    sig.extend_from_slice(&counter.to_be_bytes());
    envelope(p, &sk_blob(key, application), &sig)
}

fn invalid(c: Crypto) -> String {
    match c {
        Crypto::Invalid(why) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_signature_made_as_ssh_keygen_makes_it_verifies_and_nothing_else_does() {
    let key = signing_key(1);
    let p = Parts::default();
    let blob = sign(&p, &key);
    assert_eq!(verify(&blob, NS, MESSAGE), Crypto::Valid);
    // Another message, one byte changed.
    let mut other = MESSAGE.to_vec();
    other[0] ^= 1;
    assert_eq!(invalid(verify(&blob, NS, &other)), "incorrect signature");
    // The signature's bytes flipped, one at a time over the whole raw signature.
    let raw_at = blob.len() - 64;
    for i in 0..64 {
        let mut forged = blob.clone();
        forged[raw_at + i] ^= 0x40;
        assert!(
            matches!(verify(&forged, NS, MESSAGE), Crypto::Invalid(_)),
            "byte {i}"
        );
    }
    // Another key put in the envelope, the signature kept.
    let raw = &blob[raw_at..];
    let swapped = envelope(&p, &ed25519_blob(&signing_key(2)), &ed25519_sig_field(raw));
    assert_eq!(
        invalid(verify(&swapped, NS, MESSAGE)),
        "incorrect signature"
    );
}

#[test]
fn sha256_is_accepted_and_other_hashes_are_not() {
    let key = signing_key(3);
    let p = Parts {
        hash_alg: b"sha256".to_vec(),
        signed_hash_alg: b"sha256".to_vec(),
        ..Parts::default()
    };
    assert_eq!(verify(&sign(&p, &key), NS, MESSAGE), Crypto::Valid);
    let md5 = Parts {
        hash_alg: b"md5".to_vec(),
        ..Parts::default()
    };
    assert_eq!(
        invalid(verify(&sign(&md5, &key), NS, MESSAGE)),
        "unsupported hash algorithm 'md5'"
    );
    // The envelope says sha256 over a signature computed with sha512.
    let lying = Parts {
        hash_alg: b"sha256".to_vec(),
        ..Parts::default()
    };
    assert_eq!(
        invalid(verify(&sign(&lying, &key), NS, MESSAGE)),
        "incorrect signature"
    );
}

#[test]
fn the_namespace_is_the_expected_one_and_is_signed() {
    let key = signing_key(4);
    // A git commit signature replayed as an approval.
    let git = Parts {
        namespace: b"git".to_vec(),
        signed_namespace: b"git".to_vec(),
        ..Parts::default()
    };
    assert_eq!(
        invalid(verify(&sign(&git, &key), NS, MESSAGE)),
        "namespace does not match"
    );
    // Its envelope relabelled: the signature covers the namespace, so it breaks.
    let relabelled = Parts {
        signed_namespace: b"git".to_vec(),
        ..Parts::default()
    };
    assert_eq!(
        invalid(verify(&sign(&relabelled, &key), NS, MESSAGE)),
        "incorrect signature"
    );
    let nul = Parts {
        namespace: b"countersign\0x".to_vec(),
        signed_namespace: b"countersign\0x".to_vec(),
        ..Parts::default()
    };
    assert!(invalid(verify(&sign(&nul, &key), NS, MESSAGE)).contains("NUL"));
}

#[test]
fn the_reserved_field_is_not_signed_as_sshsig_c_rebuilds_it_empty() {
    let key = signing_key(5);
    let p = Parts {
        reserved: b"anything".to_vec(),
        ..Parts::default()
    };
    assert_eq!(verify(&sign(&p, &key), NS, MESSAGE), Crypto::Valid);
}

#[test]
fn malformed_envelopes_and_fields_are_refused() {
    let key = signing_key(6);
    let p = Parts::default();
    let good = sign(&p, &key);
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        invalid(verify(&trailing, NS, MESSAGE)),
        "signature contains trailing data"
    );
    assert!(invalid(verify(&good[..good.len() - 1], NS, MESSAGE)).contains("truncated"));
    let mut v2 = good.clone();
    v2[9] = 2;
    assert_eq!(
        invalid(verify(&v2, NS, MESSAGE)),
        "unsupported SSH signature version 2"
    );
    let raw = key.sign(&to_sign(&p)).to_bytes();
    let short = envelope(&p, &ed25519_blob(&key), &ed25519_sig_field(&raw[..63]));
    assert_eq!(
        invalid(verify(&short, NS, MESSAGE)),
        "an ed25519 signature is 64 bytes, this one 63"
    );
    let mut extra = ed25519_sig_field(&raw);
    extra.push(1);
    assert_eq!(
        invalid(verify(
            &envelope(&p, &ed25519_blob(&key), &extra),
            NS,
            MESSAGE
        )),
        "trailing bytes after the ed25519 signature"
    );
    let mut rsa_field = Vec::new();
    ssh_string(&mut rsa_field, b"rsa-sha2-512");
    ssh_string(&mut rsa_field, &raw);
    assert_eq!(
        invalid(verify(
            &envelope(&p, &ed25519_blob(&key), &rsa_field),
            NS,
            MESSAGE
        )),
        "an ssh-ed25519 key made a rsa-sha2-512 signature"
    );
}

#[test]
fn a_small_order_key_is_refused() {
    // The identity point: every signature with s = 0 and R = identity "verifies" under the
    // non-strict equation.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut key = Vec::new();
    ssh_string(&mut key, ED25519.as_bytes());
    ssh_string(&mut key, &identity);
    let mut raw = [0u8; 64];
    raw[0] = 1;
    let blob = envelope(&Parts::default(), &key, &ed25519_sig_field(&raw));
    assert!(matches!(verify(&blob, NS, MESSAGE), Crypto::Invalid(_)));
}

#[test]
fn hardware_key_signatures_cover_flags_counter_and_application() {
    let key = signing_key(7);
    let p = Parts::default();
    let blob = sk_sign(&p, &key, b"ssh:", 0x01, 42);
    assert_eq!(verify(&blob, NS, MESSAGE), Crypto::Valid);
    // The flags byte (a touch claimed that never happened) and the counter sit after the raw
    // signature: flags at len-5, counter in the last four bytes.
    let mut flags = blob.clone();
    let n = flags.len();
    flags[n - 5] = 0x05;
    assert_eq!(invalid(verify(&flags, NS, MESSAGE)), "incorrect signature");
    let mut counter = blob.clone();
    counter[n - 1] ^= 1;
    assert_eq!(
        invalid(verify(&counter, NS, MESSAGE)),
        "incorrect signature"
    );
    // Signed for one application, presented with a key for another.
    let signed_for_web = sk_sign(&p, &key, b"https://example.com", 0x01, 42);
    let raw_and_tail =
        &signed_for_web[signed_for_web.len() - (4 + SK_ED25519.len() + 4 + 64 + 5)..];
    let moved = envelope(&p, &sk_blob(&key, b"ssh:"), raw_and_tail);
    assert_eq!(invalid(verify(&moved, NS, MESSAGE)), "incorrect signature");
    // A plain-ed25519 signature field under an sk key.
    let raw = key.sign(&to_sign(&p)).to_bytes();
    let plain = envelope(&p, &sk_blob(&key, b"ssh:"), &ed25519_sig_field(&raw));
    assert!(invalid(verify(&plain, NS, MESSAGE)).contains("made a ssh-ed25519 signature"));
}

#[test]
fn other_key_types_and_certificates_are_left_to_ssh_keygen() {
    let mut rsa = Vec::new();
    ssh_string(&mut rsa, b"ssh-rsa");
    ssh_string(&mut rsa, &[1, 0, 1]);
    ssh_string(&mut rsa, &[0xc3; 256]);
    let blob = envelope(&Parts::default(), &rsa, b"junk");
    assert_eq!(verify(&blob, NS, MESSAGE), Crypto::Unsupported);
    let cert = crate::approval::signature::tests::fake_cert(1, 2, "jane", &["jane@example.com"]);
    let blob = envelope(&Parts::default(), &cert, b"junk");
    assert_eq!(verify(&blob, NS, MESSAGE), Crypto::Unsupported);
}
