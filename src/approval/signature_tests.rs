//! Unit tests of `signature` (kept apart so the module stays readable).

use super::*;

/// A structurally valid SSHSIG blob around `key` and `sig` (the cryptography is junk).
pub fn sshsig_with(namespace: &str, key: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut out = b"SSHSIG".to_vec();
    out.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut out, key);
    ssh_string(&mut out, namespace.as_bytes());
    ssh_string(&mut out, b"");
    ssh_string(&mut out, b"sha512");
    ssh_string(&mut out, sig);
    out
}

fn ed25519_key(byte: u8) -> Vec<u8> {
    let mut key = Vec::new();
    ssh_string(&mut key, b"ssh-ed25519");
    ssh_string(&mut key, &[byte; 32]);
    key
}

/// A structurally valid SSHSIG blob (the signature itself is junk).
pub fn fake_sshsig(namespace: &str) -> Vec<u8> {
    sshsig_with(namespace, &ed25519_key(7), &[9u8; 83])
}

/// An ed25519 user certificate for the key made of `byte`, in the PROTOCOL.certkeys
/// layout, signed (with junk) by a CA made of `ca`.
pub fn fake_cert(byte: u8, ca: u8, key_id: &str, principals: &[&str]) -> Vec<u8> {
    let mut c = Vec::new();
    ssh_string(&mut c, b"ssh-ed25519-cert-v01@openssh.com");
    ssh_string(&mut c, b"nonce-nonce-nonce-nonce-nonce-32");
    ssh_string(&mut c, &[byte; 32]);
    c.extend_from_slice(&42u64.to_be_bytes());
    c.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut c, key_id.as_bytes());
    let mut packed = Vec::new();
    for p in principals {
        ssh_string(&mut packed, p.as_bytes());
    }
    ssh_string(&mut c, &packed);
    c.extend_from_slice(&0u64.to_be_bytes());
    c.extend_from_slice(&u64::MAX.to_be_bytes());
    ssh_string(&mut c, b"");
    ssh_string(&mut c, b"");
    ssh_string(&mut c, b"");
    ssh_string(&mut c, &ed25519_key(ca));
    ssh_string(&mut c, &[5u8; 83]);
    c
}

/// An `sk-ssh-ed25519` signature field with the given flags.
pub fn sk_sig(flags: u8, counter: u32) -> Vec<u8> {
    let mut sig = Vec::new();
    ssh_string(&mut sig, b"sk-ssh-ed25519@openssh.com");
    ssh_string(&mut sig, &[3u8; 64]);
    sig.push(flags);
    sig.extend_from_slice(&counter.to_be_bytes());
    sig
}

pub fn sk_key() -> Vec<u8> {
    let mut key = Vec::new();
    ssh_string(&mut key, b"sk-ssh-ed25519@openssh.com");
    ssh_string(&mut key, &[8u8; 32]);
    ssh_string(&mut key, b"ssh:");
    key
}

#[test]
fn a_certificate_is_fingerprinted_as_the_key_it_certifies() {
    let plain = ed25519_key(1);
    let one = fake_cert(1, 2, "laptop", &["jane@example.com"]);
    let two = fake_cert(1, 2, "desktop", &["bob@example.com"]);
    let info = |key: &[u8]| {
        Signature {
            scheme: Scheme::Ssh,
            blob: sshsig_with("countersign", key, &[9u8; 83]),
        }
        .ssh_info()
        .unwrap()
    };
    let (a, b, p) = (info(&one), info(&two), info(&plain));
    // Two certificates, one private key: one fingerprint, the plain key's.
    assert_eq!(a.fingerprint, p.fingerprint);
    assert_eq!(b.fingerprint, p.fingerprint);
    assert_eq!(a.key.plain_blob, plain);
    assert_eq!(a.key_type, "ssh-ed25519-cert-v01@openssh.com");
    assert_eq!(a.key.plain_type, "ssh-ed25519");
    let cert = a.key.certificate.unwrap();
    assert_eq!(cert.principals, vec!["jane@example.com"]);
    assert_eq!(cert.key_id, "laptop");
    assert_eq!(cert.serial, 42);
    assert_eq!(cert.ca_key, ed25519_key(2));
    assert!(p.key.certificate.is_none());
}

#[test]
fn a_cut_certificate_is_refused() {
    let cert = fake_cert(1, 2, "laptop", &["jane@example.com"]);
    let err = SshPublicKey::parse(&cert[..cert.len() - 10]).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    let mut odd = Vec::new();
    ssh_string(&mut odd, b"ssh-xmss-cert-v01@openssh.com");
    let err = SshPublicKey::parse(&odd).unwrap_err();
    assert!(err.to_string().contains("unsupported"), "{err}");
}

#[test]
fn sk_flags_and_counter_are_read_from_the_signature() {
    let sig = |flags| Signature {
        scheme: Scheme::Ssh,
        blob: sshsig_with("countersign", &sk_key(), &sk_sig(flags, 77)),
    };
    let touched = sig(0x01).ssh_info().unwrap().sk.unwrap();
    assert!(touched.user_present() && !touched.user_verified());
    assert_eq!(touched.counter, 77);
    let verified = sig(0x05).ssh_info().unwrap().sk.unwrap();
    assert!(verified.user_present() && verified.user_verified());
    let untouched = sig(0x00).ssh_info().unwrap().sk.unwrap();
    assert!(!untouched.user_present());
    // A plain key has no flags to read.
    let plain = Signature {
        scheme: Scheme::Ssh,
        blob: fake_sshsig("countersign"),
    };
    assert_eq!(plain.ssh_info().unwrap().sk, None);
    // An sk key whose signature lacks the flags is malformed, not "no touch needed".
    let mut short = sk_sig(0x01, 1);
    short.truncate(short.len() - 5);
    let cut = Signature {
        scheme: Scheme::Ssh,
        blob: sshsig_with("countersign", &sk_key(), &short),
    };
    assert!(cut
        .ssh_info()
        .unwrap_err()
        .to_string()
        .contains("malformed"));
}

#[test]
fn public_key_text_must_agree_with_its_blob() {
    let text = format!("ssh-rsa {}", STANDARD.encode(ed25519_key(1)));
    let err = SshPublicKey::parse_text(&text).unwrap_err();
    assert!(err.to_string().contains("says it is ssh-ed25519"), "{err}");
    let ok = format!("ssh-ed25519 {} comment", STANDARD.encode(ed25519_key(1)));
    assert_eq!(
        SshPublicKey::parse_text(&ok).unwrap().fingerprint(),
        ssh_fingerprint(&ed25519_key(1))
    );
}

#[test]
fn value_round_trips_and_tolerates_folding() {
    let sig = Signature {
        scheme: Scheme::Ssh,
        blob: fake_sshsig("countersign"),
    };
    let v = sig.to_value();
    assert_eq!(Signature::parse_value(&v).unwrap(), sig);
    let folded = format!("{} {}", &v[..40], &v[40..]);
    assert_eq!(Signature::parse_value(&folded).unwrap(), sig);
    let info = sig.ssh_info().unwrap();
    assert_eq!(info.namespace, "countersign");
    assert_eq!(info.key_type, "ssh-ed25519");
    let armor = sig.to_ssh_armor();
    assert_eq!(Signature::from_ssh_armor(&armor).unwrap(), sig);
}

#[test]
fn garbled_values_are_refused_with_a_reason() {
    let v = Signature {
        scheme: Scheme::Ssh,
        blob: fake_sshsig("countersign"),
    }
    .to_value();
    let garbled = v.replacen('A', "*", 1).replacen("ssh U1NI", "ssh U1N*", 1);
    let err = Signature::parse_value(&garbled).unwrap_err().to_string();
    assert!(err.contains("base64"), "{err}");
    let truncated = &v[..v.len() - 8];
    assert!(Signature::parse_value(truncated).is_err());
    assert!(Signature::parse_value("x509 AAAA").is_err());
    assert!(Signature::parse_value("ssh").is_err());
    let not_sshsig = format!("ssh {}", STANDARD.encode(b"hello world!"));
    assert!(Signature::parse_value(&not_sshsig)
        .unwrap_err()
        .to_string()
        .contains("magic"));
}

#[test]
fn pgp_armor_headers_and_checksum_are_dropped() {
    let armor = "-----BEGIN PGP SIGNATURE-----\nComment: x\n\naGVsbG8=\n=abcd\n-----END PGP SIGNATURE-----\n";
    assert_eq!(Signature::from_pgp_armor(armor).unwrap().blob, b"hello");
}
