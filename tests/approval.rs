//! The countersignature end to end at the library level, with the real git, ssh-keygen and
//! gpg, and keys made in each test: sign → write → verify passes, and each attack fails with
//! the reason named.

#[path = "approval_support/backends.rs"]
mod backends;
mod common;
#[path = "approval_support/mod.rs"]
mod support;

use countersign::approval::check::CheckName;
use countersign::approval::{append_approval, parse_approvals, Signature, SSH_NAMESPACE};
use countersign::policy::{Approval, PathRule};

use common::Fixture;
use support::*;

/// A repository with a base commit and an AI-written commit on top.
fn fixture() -> Fixture {
    let fx = Fixture::new();
    fx.write("src/lib.rs", "fn a() {}\n\nfn b() {}\n");
    fx.write("README.md", "readme\n");
    fx.commit("Base");
    fx.write("src/lib.rs", "fn a() { retry(3) }\n\nfn b() {}\n");
    fx.write("infra/main.tf", "resource \"x\" \"y\" {}\n");
    fx.commit_ai("Add retries");
    fx
}

fn failed_names(r: &countersign::approval::check::Coverage) -> Vec<String> {
    failures(r).into_iter().map(|(n, _)| n).collect()
}

/// The reason of the first check named `name` that did not pass (failed, or skipped as an
/// approval of another change).
fn reason_of(r: &countersign::approval::check::Coverage, name: &str) -> String {
    r.checks
        .iter()
        .find(|c| {
            c.name.as_str() == name && c.status != countersign::approval::check::Status::Passed
        })
        .map(|c| c.reason.clone())
        .unwrap_or_else(|| panic!("no failed {name} check in {:?}", r.checks))
}

#[test]
fn ssh_sign_verify_passes_and_git_reads_the_trailers() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let message = approve_head(&fx, JANE, &ssh_config(&jane));
    eprintln!("--- approved message ---\n{message}--- end ---");

    // The agent's Co-Authored-By trailer is still there, and our trailers joined its block.
    let parsed = assert_parsed_by_git(&fx, &message);
    assert!(parsed.starts_with("Co-Authored-By: Claude <noreply@anthropic.com>\nCountersigned-by: Jane Doe <jane@example.com>\n"), "{parsed}");
    let log = fx.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Countersigned-by,valueonly)",
    ]);
    assert_eq!(log, "Jane Doe <jane@example.com>");

    let result = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(result.passed(), "{:?}", result.checks);
    let principals: Vec<&str> = result
        .signers
        .iter()
        .map(|s| s.principal.as_str())
        .collect();
    assert_eq!(principals, ["jane@example.com"]);

    // A message-only amend keeps the approval.
    let amended = message.replacen("Add retries", "Add retries to the client", 1);
    set_head_message(&fx, &amended);
    assert!(verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed)).passed());
}
#[test]
fn clean_rebase_keeps_the_approval_unless_strict() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    fx.git(&["branch", "feature"]);
    fx.git(&["checkout", "-q", "feature"]);
    approve_head(&fx, JANE, &ssh_config(&jane));
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["reset", "-q", "--hard", "HEAD~1"]);
    fx.write("README.md", "readme, changed on main\n");
    fx.commit("Main moves on");
    fx.git(&["checkout", "-q", "feature"]);
    fx.git(&["rebase", "-q", "main"]);

    let v = verifier(&allowed);
    assert!(verify(&fx, "HEAD", &Approval::default(), &v).passed());
    let strict = Approval {
        strict: true,
        ..Approval::default()
    };
    let r = verify(&fx, "HEAD", &strict, &v);
    assert_eq!(failed_names(&r), [CheckName::Signers.as_str()]);
    assert!(r
        .checks
        .iter()
        .any(|c| c.name == CheckName::Change && c.reason.contains("strict")));
}
#[test]
fn key_not_in_allowed_signers_fails() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let mallory = keys.make("mallory", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    approve_head(&fx, JANE, &ssh_config(&mallory));
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::SignerAllowed.as_str())
        .contains("not in the allowed signers file"));

    // Bob's key used to sign as Jane: allowed, but for someone else.
    let bob = keys.make("bob", "ed25519");
    let allowed = keys.allowed(&[
        ("jane@example.com", "", &jane),
        ("bob@example.com", "", &bob),
    ]);
    fx.git(&["reset", "-q", "--hard", "HEAD@{1}"]);
    approve_head(&fx, JANE, &ssh_config(&bob));
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::SignerAllowed.as_str())
        .contains("allowed for bob@example.com, not for jane@example.com"));
}
#[test]
fn valid_signature_over_a_different_payload_fails() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let commit = load(&fx, "HEAD");
    let mut set = sign(&commit, JANE, &ssh_config(&jane));
    // Claim more hunks were approved than were signed for.
    set.hunks.total += 1;
    set.hunks.approved += 1;
    set_head_message(&fx, &append_approval(&commit.message, &set, false).unwrap());
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::Signature.as_str()).contains("does not match the approval"));
}
#[test]
fn content_changed_after_approval_fails() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    approve_head(&fx, JANE, &ssh_config(&jane));
    // Amend the content (one space) and keep the approved message.
    fx.write("src/lib.rs", "fn a() { retry(3)  }\n\nfn b() {}\n");
    fx.git(&["add", "-A"]);
    fx.git(&["commit", "-q", "--amend", "--no-edit", "--cleanup=verbatim"]);
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::Change.as_str()).contains("approves another change"));
    assert!(!r.passed());
}
#[test]
fn trailers_copied_from_another_commit_fail() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let approved = approve_head(&fx, JANE, &ssh_config(&jane));
    let trailers = &approved[approved.find("Countersigned-by").unwrap()..];
    fx.write("src/evil.rs", "fn exfiltrate() {}\n");
    fx.commit(&format!(
        "Unreviewed change\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n{trailers}"
    ));
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::Change.as_str()).contains("approves another change"));
    assert_eq!(failed_names(&r), [CheckName::Signers.as_str()]);
}
#[test]
fn signatures_from_another_namespace_fail() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let commit = load(&fx, "HEAD");
    let payload = payload_for(&commit, JANE);
    for namespace in ["git", "file"] {
        let data = keys.dir.path().join(format!("payload-{namespace}"));
        std::fs::write(&data, payload.to_canonical()).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-Y", "sign", "-n", namespace, "-f"])
            .arg(&jane)
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success());
        let armor = std::fs::read_to_string(format!("{}.sig", data.display())).unwrap();
        let set = countersign::approval::ApprovalSet::new(
            &payload,
            Signature::from_ssh_armor(&armor).unwrap(),
        );
        set_head_message(&fx, &append_approval(&commit.message, &set, false).unwrap());
        let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
        let why = reason_of(&r, CheckName::Signature.as_str());
        assert!(
            why.contains(&format!("namespace '{namespace}', not '{SSH_NAMESPACE}'")),
            "{why}"
        );
    }
    // A key allowed only for git commit signatures can't countersign.
    set_head_message(&fx, &commit.message);
    approve_head(&fx, JANE, &ssh_config(&jane));
    let git_only = keys.allowed(&[("jane@example.com", "namespaces=\"git\"", &jane)]);
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&git_only));
    assert!(reason_of(&r, CheckName::SignerAllowed.as_str())
        .contains("not allowed for namespace 'countersign'"));
}
#[test]
fn self_approval_fails_when_forbidden() {
    let fx = fixture();
    let keys = Keys::new();
    let ada = keys.make("ada", "ed25519");
    let allowed = keys.allowed(&[("ada@example.com", "", &ada)]);
    approve_head(&fx, "Ada Agent <ada@example.com>", &ssh_config(&ada));
    let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(reason_of(&r, CheckName::SelfApproval.as_str())
        .contains("an author or committer of the change (ada@example.com)"));
    let lax = Approval {
        forbid_self_approval: false,
        ..Approval::default()
    };
    assert!(verify(&fx, "HEAD", &lax, &verifier(&allowed)).passed());
}
#[test]
fn one_signer_where_two_are_required_fails_and_two_pass() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let bob = keys.make("bob", "ecdsa");
    let allowed = keys.allowed(&[
        ("jane@example.com", "", &jane),
        ("bob@example.com", "", &bob),
    ]);
    let policy = Approval {
        paths: vec![PathRule {
            glob: "infra/**".into(),
            signers: 2,
        }],
        ..Approval::default()
    };
    approve_head(&fx, JANE, &ssh_config(&jane));
    let r = verify(&fx, "HEAD", &policy, &verifier(&allowed));
    assert_eq!(
        failed_names(&r),
        [CheckName::Signers.as_str(), CheckName::PathRule.as_str()]
    );
    let message = approve_head(&fx, BOB, &ssh_config(&bob));
    assert_eq!(parse_approvals(&message).sets.len(), 2);
    let r = verify(&fx, "HEAD", &policy, &verifier(&allowed));
    assert!(r.passed(), "{:?}", r.checks);
    assert_eq!(r.signers.len(), 2);
}
#[test]
fn garbled_missing_and_duplicated_trailers_fail() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let good = approve_head(&fx, JANE, &ssh_config(&jane));
    let sig_line = good
        .lines()
        .find(|l| l.starts_with("Countersign-Signature"))
        .unwrap()
        .to_string();
    let cases = [
        (
            good.replacen(
                "Countersign-Signature: ssh U1NIU0lH",
                "Countersign-Signature: ssh U1NIU0l!",
                1,
            ),
            "base64",
        ),
        (
            good.replacen(&format!("{sig_line}\n"), "", 1),
            "has no Countersign-Signature",
        ),
        (good.replacen(" hunks=", " hunkz=", 1), "bad hunk counts"),
        (
            format!("{good}{sig_line}\n"),
            "duplicated Countersign-Signature",
        ),
    ];
    for (message, expected) in cases {
        assert_parsed_by_git(&fx, &message);
        set_head_message(&fx, &message);
        let r = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
        assert!(
            reason_of(&r, CheckName::Trailers.as_str()).contains(expected),
            "{expected}: {:?}",
            r.checks
        );
    }
}
/// Messages of every shape keep every byte and trailer, and git reads the approval in each.
#[test]
fn git_reads_the_trailers_in_messages_of_every_shape() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let set = sign(&load(&fx, "HEAD"), JANE, &ssh_config(&jane));
    let shapes = [
        "Subject only",
        "Subject\n",
        "Subject\n\nBody text.\n",
        "Subject\n\nBody\n\n\n",
        "Subject\n\nBody\n\nSigned-off-by: Ada Agent <ada@example.com>\n",
        "Subject\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nSigned-off-by: A <a@b>\n\n",
        "Fix: colon in subject\n\nSee: prose that looks like a trailer\nand more prose\n",
    ];
    for original in shapes {
        let message = append_approval(original, &set, true).unwrap();
        let parsed = assert_parsed_by_git(&fx, &message);
        assert!(
            parsed.contains("Reviewed-by: Jane Doe <jane@example.com>\n"),
            "{parsed}"
        );
        for existing in ["Signed-off-by", "Co-Authored-By"] {
            if original.contains(existing) {
                assert!(parsed.contains(existing), "{original:?}: {parsed}");
            }
        }
        // Only our lines (and at most one separating blank line) were added.
        let block = set.to_trailers(true);
        let without = message.replacen(&block, "", 1);
        let end = original.trim_end_matches('\n').len();
        assert!(
            without.starts_with(&original[..end]),
            "{original:?} -> {message:?}"
        );
        assert_eq!(parse_approvals(&message).sets, vec![set.clone()]);
    }
}
