//! Unit tests of the verification logic, with a stand-in for the signature tools (the real
//! ones are exercised in tests/approval.rs).

use super::check::{check_commit, names, CommitCheck, Status};
use super::digest::content_digest;
use super::digest::tests::{commit_with, text_file};
use super::payload::{Identity, ObjectFormat, Payload};
use super::record::HunkCounts;
use super::signature::tests::fake_sshsig;
use super::signature::{Scheme, Signature};
use super::trailer::{ApprovalSet, ParsedApprovals};
use super::verify_sig::{SignatureCheck, SignatureReport, VerifiedSigner};
use super::Sha256Digest;
use crate::model::Commit;
use crate::policy::{Approval, PathRule};

fn commit() -> Commit {
    let mut c = commit_with(vec![
        text_file("src/a.rs", 1, &["a"], &["b"]),
        text_file("infra/main.tf", 1, &[], &["resource"]),
    ]);
    c.author.email = "ada@example.com".into();
    c
}

fn approval(commit: &Commit, who: &str) -> ApprovalSet {
    let payload = Payload {
        reviewer: Identity::parse(who).unwrap(),
        time: 1_795_294_800,
        hunks: HunkCounts {
            approved: 2,
            total: 2,
        },
        content: content_digest(commit).unwrap(),
        object_format: ObjectFormat::Sha1,
        tree: commit.tree_id.clone(),
        parent_trees: commit.parent_tree_ids.clone(),
        record: Sha256Digest::of(b"record"),
    };
    let sig = Signature {
        scheme: Scheme::Ssh,
        blob: fake_sshsig("countersign"),
    };
    ApprovalSet::new(&payload, sig)
}

/// Accepts every signature; the key is named after the principal, so people differ by key.
fn trusting(check: &SignatureCheck<'_>) -> SignatureReport {
    SignatureReport {
        valid: Ok(()),
        signer: Ok(VerifiedSigner {
            principal: check.reviewer.email.clone(),
            key: format!("key-of-{}", check.reviewer.email),
            key_type: "ssh-ed25519".into(),
            hardware: false,
        }),
    }
}

fn run(commit: &Commit, sets: Vec<ApprovalSet>, policy: &Approval) -> CommitCheck {
    let parsed = ParsedApprovals {
        sets,
        problems: Vec::new(),
    };
    check_commit(commit, &parsed, policy, &[], &mut trusting).unwrap()
}

fn failed(result: &CommitCheck) -> Vec<&'static str> {
    result.failures().map(|c| c.name).collect()
}

#[test]
fn a_good_approval_passes() {
    let c = commit();
    let r = run(
        &c,
        vec![approval(&c, "Jane <jane@example.com>")],
        &Approval::default(),
    );
    assert!(r.passed(), "{:?}", r.checks);
    assert_eq!(r.signers, ["jane@example.com"]);
    let record = r
        .checks
        .iter()
        .find(|c| c.name == names::REVIEW_RECORD)
        .unwrap();
    assert_eq!(record.status, Status::Skipped);
}

#[test]
fn no_trailers_fails() {
    let r = run(&commit(), vec![], &Approval::default());
    assert_eq!(failed(&r), [names::TRAILERS, names::SIGNERS]);
}

#[test]
fn changed_content_fails_and_rebased_trees_only_fail_when_strict() {
    let c = commit();
    let set = approval(&c, "Jane <jane@example.com>");
    let mut changed = c.clone();
    changed.files[0].hunks[0].lines[2].bytes = b"b ".as_slice().into();
    assert_eq!(
        failed(&run(&changed, vec![set.clone()], &Approval::default())),
        [names::CONTENT_DIGEST, names::SIGNERS]
    );

    let mut rebased = c.clone();
    rebased.tree_id = "d".repeat(40);
    rebased.parent_tree_ids = vec!["e".repeat(40)];
    assert!(run(&rebased, vec![set.clone()], &Approval::default()).passed());
    let strict = Approval {
        strict: true,
        ..Approval::default()
    };
    assert_eq!(
        failed(&run(&rebased, vec![set], &strict)),
        [names::TREES, names::SIGNERS]
    );
}

#[test]
fn self_approval_is_refused_when_forbidden() {
    let c = commit();
    let set = approval(&c, "Ada <ADA@example.com>");
    assert_eq!(
        failed(&run(&c, vec![set.clone()], &Approval::default())),
        [names::SELF_APPROVAL, names::SIGNERS]
    );
    let lax = Approval {
        forbid_self_approval: false,
        ..Approval::default()
    };
    assert!(run(&c, vec![set], &lax).passed());
}

#[test]
fn path_rules_need_distinct_signers() {
    let c = commit();
    let policy = Approval {
        paths: vec![PathRule {
            glob: "infra/**".into(),
            signers: 2,
        }],
        ..Approval::default()
    };
    let jane = approval(&c, "Jane <jane@example.com>");
    let r = run(&c, vec![jane.clone()], &policy);
    assert_eq!(failed(&r), [names::PATH_RULE]);
    assert!(r
        .checks
        .iter()
        .any(|c| c.reason.contains("infra/** (e.g. infra/main.tf) needs 2")));

    // The same person twice (a second set, e.g. re-signed later) still counts once.
    let mut again = jane.clone();
    again.time += 60;
    assert_eq!(
        failed(&run(&c, vec![jane.clone(), again], &policy)),
        [names::PATH_RULE]
    );

    let bob = approval(&c, "Bob <bob@example.com>");
    assert!(run(&c, vec![jane, bob], &policy).passed());
}

#[test]
fn partial_approval_and_bad_signatures_fail() {
    let c = commit();
    let mut set = approval(&c, "Jane <jane@example.com>");
    set.hunks = HunkCounts {
        approved: 1,
        total: 2,
    };
    assert_eq!(
        failed(&run(&c, vec![set.clone()], &Approval::default())),
        [names::HUNKS_APPROVED, names::SIGNERS]
    );

    let parsed = ParsedApprovals {
        sets: vec![approval(&c, "Jane <jane@example.com>")],
        problems: vec![],
    };
    let mut rejecting = |_: &SignatureCheck<'_>| SignatureReport {
        valid: Err("bad".into()),
        signer: Err("not checked".into()),
    };
    let r = check_commit(&c, &parsed, &Approval::default(), &[], &mut rejecting).unwrap();
    assert_eq!(
        failed(&r),
        [names::SIGNATURE, names::SIGNER_ALLOWED, names::SIGNERS]
    );
}
