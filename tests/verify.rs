//! `countersign verify` against the attacks and the benign rewrites of issue 4, on real
//! repositories, signed with real SSH keys through the same code the review screen uses.

mod common;

use common::signing::{allowed, approve_and_sign, reviewer, verify};
use common::Fixture;
use countersign::git::{self, range};
use countersign::load::{self, Analysis};
use countersign::policy::Policy;

/// main with a service file; branch `agent` with one AI-assisted commit.
fn repo_with_ai_commit() -> Fixture {
    let fx = Fixture::new();
    fx.write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .write("README", "service\n");
    fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 2\n");
    fx.commit_ai("Tune A");
    fx
}

#[test]
fn passes_after_signing_a_message_only_amend_and_a_clean_rebase() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "HEAD", &jane);
    assert_eq!(verify(&fx, &["main..HEAD"], &signers).0, 0);

    // A message-only amend keeps the approval.
    let msg = fx
        .git(&["log", "-1", "--format=%B"])
        .replace("Tune A", "Tune A for latency");
    fx.git(&["commit", "-q", "--amend", "-m", &msg]);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 0, "{out}");

    // So does a clean rebase onto a new base.
    fx.git(&["checkout", "-q", "main"]);
    fx.write("README", "service, now documented\n")
        .commit("docs");
    fx.git(&["checkout", "-q", "agent"]);
    fx.git(&["rebase", "-q", "main"]);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_strict_policy_needs_a_new_review_after_a_rebase() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "HEAD", &jane);
    fx.git(&["checkout", "-q", "main"]);
    fx.write(".countersign.toml", "[approval]\nstrict = true\n")
        .commit("strict policy");
    fx.git(&["checkout", "-q", "agent"]);
    fx.git(&["rebase", "-q", "main"]);
    let (code, out) = verify(
        &fx,
        &["main..HEAD", "--policy-ref", "refs/heads/main"],
        &signers,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("trees"), "{out}");
}

#[test]
fn fails_when_the_code_changed_after_approval() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "HEAD", &jane);
    // A rebase whose conflict is resolved with different content.
    fx.git(&["checkout", "-q", "main"]);
    fx.write("svc.py", "A = 2\n\n\n\n\n\n\n\nB = 2\n")
        .commit("main moves A");
    fx.git(&["checkout", "-q", "agent"]);
    let out = fx.git_output(&["rebase", "main"]);
    assert!(!out.status.success(), "the rebase conflicts");
    fx.write("svc.py", "A = 20\n\n\n\n\n\n\n\nB = 2\n");
    fx.git(&["add", "svc.py"]);
    let out = fx
        .command("git")
        .args(["-c", "core.editor=true", "rebase", "--continue"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("approves another change"), "{out}");
}

#[test]
fn fails_for_a_signer_not_allowed_and_for_self_approval() {
    let fx = repo_with_ai_commit();
    let mallory = reviewer(&fx, "Mallory", "mallory@example.com");
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    approve_and_sign(&fx, "HEAD", &mallory);
    let signers = allowed(&fx, &[&jane]);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signer-allowed") || out.contains("signature"),
        "{out}"
    );

    // The author approving their own agent's commit.
    let fx = repo_with_ai_commit();
    let ada = reviewer(&fx, common::AUTHOR, common::AUTHOR_EMAIL);
    let signers = allowed(&fx, &[&ada]);
    approve_and_sign(&fx, "HEAD", &ada);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("self-approval"), "{out}");
}

#[test]
fn fails_for_a_trailer_copied_from_another_commit() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "HEAD", &jane);
    let signed = fx.git(&["log", "-1", "--format=%B"]);
    let trailers: String = signed
        .lines()
        .skip_while(|l| !l.starts_with("Countersigned-by"))
        .collect::<Vec<_>>()
        .join("\n");
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 3\n");
    fx.commit(&format!(
        "Tune B\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n{trailers}"
    ));
    let (code, out) = verify(&fx, &["HEAD~1..HEAD"], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("approves another change"), "{out}");
}

#[test]
fn fails_when_the_range_edits_its_own_policy_or_needs_two_signers() {
    // An agent that adds its own key to the allowed signers, in the reviewed range.
    let fx = repo_with_ai_commit();
    fx.write(
        ".countersign/allowed_signers",
        "agent@example.com ssh-ed25519 AAAA\n",
    );
    fx.commit_ai("Add a signer");
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "main..HEAD", &jane);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("policy-unchanged"), "{out}");

    // infra/** needs two distinct signers; one is not enough.
    let fx = Fixture::new();
    fx.write(
        ".countersign.toml",
        "[[approval.paths]]\nglob = \"infra/**\"\nsigners = 2\n",
    )
    .write("infra/main.tf", "resource \"x\" \"y\" {}\n");
    fx.commit("base with policy");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("infra/main.tf", "resource \"x\" \"y\" { size = 2 }\n");
    fx.commit_ai("Grow x");
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, "HEAD", &jane);
    let (code, out) = verify(
        &fx,
        &["main..HEAD", "--policy-ref", "refs/heads/main"],
        &signers,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("path-rule"), "{out}");
}

#[test]
fn json_output_is_versioned_and_bad_input_is_exit_2() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    let (code, out) = verify(&fx, &["main..HEAD", "--format", "json"], &signers);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["commits"][0]["status"], "failed");
    let (code, out) = verify(&fx, &["nope"], &signers);
    assert_eq!(code, 2);
    assert_eq!(out.trim().lines().count(), 1, "{out}");
}

/// The default range (no range named) leaves out commits this reviewer already signed, and those
/// with as many distinct signers as the policy asks; a two-signer change stays in it for the
/// second reviewer.
#[test]
fn the_default_range_keeps_a_commit_until_it_has_enough_signers() {
    let fx = repo_with_ai_commit();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    approve_and_sign(&fx, "HEAD", &jane);

    let repo = git::repo::open_at(&fx.path()).unwrap();
    let default = range::resolve(&repo, None).unwrap();
    assert!(!default.explicit);
    let analysis = Analysis::new(&Policy::default(), false).unwrap();
    let mut two = Policy::default();
    two.approval.signers = 2;
    let selected = |policy: &Policy, email: Option<&str>| {
        let reviewing = load::Reviewing {
            approval: &policy.approval,
            email: email.map(String::from),
        };
        load::select_commits(&repo.git, &default, &analysis, &reviewing)
            .unwrap()
            .len()
    };
    // Jane signed: not for her again, whatever the policy asks.
    assert_eq!(selected(&two, Some("Jane@Example.com")), 0);
    // One signer asked and one given: nobody needs to review it by default.
    assert_eq!(selected(&Policy::default(), Some("bob@example.com")), 0);
    // Two asked: Bob still has it.
    assert_eq!(selected(&two, Some("bob@example.com")), 1);
    assert_eq!(selected(&two, None), 1);
    // A path rule asks as much as a global number.
    let mut path_rule = Policy::default();
    path_rule.approval.paths = vec![countersign::policy::PathRule {
        glob: "*.py".into(),
        signers: 2,
    }];
    assert_eq!(selected(&path_rule, Some("bob@example.com")), 1);
    // The reviewer is git's user.email (set to Jane's by the signing above).
    assert_eq!(
        load::Reviewing::of(&repo.git, &two).email.as_deref(),
        Some("jane@example.com")
    );
    // A range the reviewer names is reviewed whole.
    let named = range::resolve(&repo, Some("main..HEAD")).unwrap();
    let reviewing = load::Reviewing::of(&repo.git, &two);
    assert_eq!(
        load::select_commits(&repo.git, &named, &analysis, &reviewing)
            .unwrap()
            .len(),
        1
    );
}
