//! Unit tests of `signers` (kept apart so the module stays readable).

use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

fn key_text(byte: u8) -> String {
    let mut blob = Vec::new();
    for part in [b"ssh-ed25519".as_slice(), &[byte; 32]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    format!("ssh-ed25519 {}", STANDARD.encode(blob))
}

fn key(byte: u8) -> SshPublicKey {
    SshPublicKey::parse_text(&key_text(byte)).unwrap()
}

fn allowed(text: &str) -> Result<AllowedSigners> {
    AllowedSigners::parse(&TrustedFile::new("main:.countersign/allowed_signers", text))
}

#[test]
fn allowed_signers_lines_with_and_without_options() {
    let text = format!(
        "# who may sign\n\njane@example.com {} jane@laptop\n\
         \"bob@example.com,carol@example.com\" namespaces=\"git,countersign\",valid-after=\"20260101\",valid-before=\"20270101120000Z\" {}\n\
         *@example.com cert-authority {}\n",
        key_text(1),
        key_text(2),
        key_text(3)
    );
    let a = allowed(&text).unwrap();
    assert_eq!(a.lines.len(), 3);
    assert_eq!(a.lines[0].number, 3);
    assert_eq!(a.lines[0].principals, vec!["jane@example.com"]);
    assert!(a.lines[0].namespaces.is_none());
    let bob = &a.lines[1];
    assert_eq!(bob.principals, vec!["bob@example.com", "carol@example.com"]);
    assert_eq!(bob.namespaces.as_deref().unwrap(), ["git", "countersign"]);
    assert!(bob.allows_namespace("countersign") && !bob.allows_namespace("file"));
    assert_eq!(bob.valid_after.as_ref().unwrap().text, "20260101");
    assert_eq!(
        bob.valid_before.as_ref().unwrap().secs,
        crate::timefmt::parse_rfc3339("2027-01-01T12:00:00Z").unwrap()
    );
    assert!(a.lines[2].cert_authority);
}

#[test]
fn a_garbage_line_names_the_file_and_line() {
    let good = format!("jane@example.com {}\n", key_text(1));
    for (bad, why) in [
        ("jane@example.com\n", "no key"),
        (
            "jane@example.com ssh-ed25519 not-base64!\n",
            "not a public key",
        ),
        (
            &format!("jane@example.com frobnicate {}\n", key_text(2)),
            "unknown or malformed option 'frobnicate'",
        ),
        (
            &format!("jane@example.com valid-before=20270101 {}\n", key_text(2)),
            "double quotes",
        ),
        (
            &format!(
                "jane@example.com valid-before=\"next year\" {}\n",
                key_text(2)
            ),
            "is not a time",
        ),
        (
            &format!("@cert-authority *@example.com {}\n", key_text(2)),
            "known_hosts syntax",
        ),
        (
            &format!(
                "jane@example.com {}",
                key_text(2).replacen("ssh-ed25519", "ssh-rsa", 1)
            ),
            "not a public key: the key says it is ssh-ed25519 but the line says ssh-rsa",
        ),
    ] {
        let err = allowed(&format!("{good}{bad}")).unwrap_err().to_string();
        assert!(
            err.starts_with("main:.countersign/allowed_signers line 2: "),
            "{bad}: {err}"
        );
        assert!(err.contains(why), "{bad}: {err}");
    }
    let err = AllowedSigners::parse(&TrustedFile::new("f", b"\xff\n".to_vec())).unwrap_err();
    assert!(err.to_string().contains("f is not UTF-8"), "{err}");
}

#[test]
fn a_literal_principal_matches_case_insensitively_and_a_pattern_is_refused() {
    let a = allowed(&format!(
        "Jane@Example.com {}\n*@example.com {}\n{}\n",
        key_text(1),
        key_text(2),
        format_args!("ops@example.com,*@corp.example {}", key_text(1)),
    ))
    .unwrap();
    let m = a.lines_for(&key(1), "jane@example.com").unwrap();
    assert_eq!(m.principal, "Jane@Example.com");
    assert_eq!(m.lines.len(), 1);
    assert_eq!(m.lines[0].number, 1);
    let err = a.lines_for(&key(2), "ada@example.com").unwrap_err();
    assert_eq!(
        err,
        "allowed_signers line 2 uses a principal pattern ('*@example.com'): list each \
         signer by name (main:.countersign/allowed_signers)"
    );
    let err = a.lines_for(&key(1), "eve@corp.example").unwrap_err();
    assert!(
        err.starts_with("allowed_signers line 3 uses a principal pattern ('*@corp.example')"),
        "{err}"
    );
    let err = a.lines_for(&key(1), "bob@example.com").unwrap_err();
    assert_eq!(
        err,
        "key ".to_string()
            + &key(1).fingerprint()
            + " is allowed for Jane@Example.com, ops@example.com, *@corp.example, not for bob@example.com"
    );
    let err = a.lines_for(&key(9), "jane@example.com").unwrap_err();
    assert!(err.contains("is not in the allowed signers file"), "{err}");
}

#[test]
fn patterns_follow_openssh() {
    let list = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
    assert!(pattern_list_matches(
        &list("*@example.com"),
        "Jane@EXAMPLE.com"
    ));
    assert!(pattern_list_matches(
        &list("j?ne@example.com"),
        "jane@example.com"
    ));
    assert!(!pattern_list_matches(
        &list("*@example.com,!jane@*"),
        "jane@example.com"
    ));
    assert!(!pattern_list_matches(
        &list("*@example.com"),
        "jane@example.org"
    ));
    assert!(is_pattern("!x") && is_pattern("a*") && !is_pattern("jane@example.com"));
}

#[test]
fn revocation_lists_of_keys_and_krl() {
    let file = TrustedFile::new(
        "revoked",
        format!(
            "# retired laptops\n{} old\n\n{}\n",
            key_text(1),
            key_text(4)
        ),
    );
    let list = RevocationList::parse(&file).unwrap();
    assert_eq!(
        list.revokes(&key(1)),
        Some(format!(
            "key {} is revoked (revoked line 2)",
            key(1).fingerprint()
        ))
    );
    assert_eq!(list.revokes(&key(2)), None);
    let bad = TrustedFile::new("revoked", format!("{}\nnot a key\n", key_text(1)));
    let err = RevocationList::parse(&bad).unwrap_err().to_string();
    assert!(err.starts_with("revoked line 2: not a public key"), "{err}");
    let krl = TrustedFile::new("krl", b"SSHKRL\n\0\0\0\0\x01rest".to_vec());
    assert!(matches!(
        RevocationList::parse(&krl).unwrap(),
        RevocationList::Krl { .. }
    ));
}

#[test]
fn openpgp_signers_list() {
    let fpr = "ab".repeat(20);
    let v5 = "0123456789abcdef".repeat(4);
    let file = TrustedFile::new(
        "main:.countersign/openpgp_signers",
        format!(
            "# reviewers\njane@example.com {fpr}  # laptop\n\nbob@example.com {v5}\nrevoked {}\n",
            fpr.to_uppercase()
        ),
    );
    let list = OpenPgpSigners::parse(&file).unwrap();
    assert_eq!(list.signers.len(), 2);
    assert_eq!(list.signers[0].fingerprint, fpr.to_uppercase());
    assert_eq!(list.signers[0].number, 2);
    assert_eq!(list.principals_of(&v5)[0].principal, "bob@example.com");
    assert_eq!(list.revocation(&[&fpr]), Some(5));
    assert_eq!(list.revocation(&[&v5]), None);
    for (bad, why) in [
        ("jane@example.com ABCD\n", "not an OpenPGP fingerprint"),
        (
            &format!("jane@example.com {fpr} extra\n"),
            "expected 'PRINCIPAL FINGERPRINT'",
        ),
        ("jane@example.com\n", "expected 'PRINCIPAL FINGERPRINT'"),
        (&format!("*@example.com {fpr}\n"), "principal pattern"),
    ] {
        let err = OpenPgpSigners::parse(&TrustedFile::new("s", format!("# x\n{bad}")))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("s line 2: "), "{err}");
        assert!(err.contains(why), "{bad}: {err}");
    }
}
