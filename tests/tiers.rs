//! Tiered sign-off (issue 14), end to end with the real git, real SSH keys and the real
//! `countersign verify`: roles, tiers and who may approve whom; distinct signers as distinct
//! people; a critical finding that needs staff; and break-glass within its terms, outside them,
//! and overdue later. Policies live at the trusted base, as they do in CI.

mod common;

use std::path::PathBuf;

use common::signing::{
    allowed, approve_and_sign, keygen, reviewer, sign_with, verify_at, Reviewer,
};
use common::{Fixture, EPOCH};
use countersign::commands::sign::Kind;

const TIERS: &str = r#"
[tiers]
order = ["agent", "junior", "mid", "senior", "staff"]
[tiers.members]
junior = ["kim@example.com"]
mid = ["sam@example.com"]
senior = ["jane@example.com", "raj@example.com"]
staff = ["li@example.com"]
"#;

/// A verification time well after every signature the tests make.
const LATER: i64 = EPOCH + 86_400;

/// A repository whose `main` has `policy` and `files`, checked out on a new branch `agent`.
fn repo_with(policy: &str, files: &[(&str, &str)]) -> Fixture {
    let fx = Fixture::new();
    fx.write(".countersign.toml", policy);
    for (path, text) in files {
        fx.write(path, *text);
    }
    fx.commit("Base with the policy");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx
}

/// Commits everything as an AI agent would, with `author` as the commit's author.
fn commit_ai_by(fx: &Fixture, author: &str, subject: &str) -> String {
    fx.git(&["add", "-A"]);
    fx.git(&[
        "commit",
        "-q",
        "--author",
        author,
        "-m",
        &format!("{subject}\n\nCo-Authored-By: Claude <noreply@anthropic.com>"),
    ]);
    fx.head()
}

fn verify(fx: &Fixture, signers: &PathBuf) -> (i32, String) {
    verify_at(fx, &["main..agent"], signers, LATER)
}

fn refused(fx: &Fixture, signers: &PathBuf, reason: &str) {
    let (code, out) = verify(fx, signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(reason), "expected '{reason}' in:\n{out}");
}

fn accepted(fx: &Fixture, signers: &PathBuf) -> String {
    let (code, out) = verify(fx, signers);
    assert_eq!(code, 0, "{out}");
    out
}

// ------------------------------------------------ who may approve whom

const AMAZON: &str = r#"
[[approval.sign_off]]
name = "AI changes of juniors and mids need a senior"
authors = ["agent", "junior", "mid"]
tier = "senior"
"#;

#[test]
fn a_juniors_ai_commit_needs_a_senior_not_a_mid() {
    let fx = repo_with(&format!("{TIERS}{AMAZON}"), &[("app.py", "A = 1\n")]);
    let sam = reviewer(&fx, "Sam Mid", "sam@example.com");
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    let signers = allowed(&fx, &[&sam, &jane]);
    fx.write("app.py", "A = 2\n");
    commit_ai_by(&fx, "Kim Junior <kim@example.com>", "Tune A");

    approve_and_sign(&fx, "HEAD", &sam);
    refused(
        &fx,
        &signers,
        "AI changes of juniors and mids need a senior: the change (author tier agent) needs 1 \
         signer of tier senior or above: has 0; not counted: sam@example.com (tier mid)",
    );

    approve_and_sign(&fx, "HEAD", &jane);
    let out = accepted(&fx, &signers);
    assert!(out.contains("countersigned by"), "{out}");
}

#[test]
fn a_senior_author_name_on_an_ai_commit_lowers_nothing() {
    // The author line is the branch writer's to set: an AI-assisted commit is the agent's
    // tier whatever it names, so a forged senior author still needs a senior signer.
    let fx = repo_with(&format!("{TIERS}{AMAZON}"), &[("app.py", "A = 1\n")]);
    let sam = reviewer(&fx, "Sam Mid", "sam@example.com");
    let signers = allowed(&fx, &[&sam]);
    fx.write("app.py", "A = 2\n");
    commit_ai_by(&fx, "Li Staff <li@example.com>", "Tune A");
    approve_and_sign(&fx, "HEAD", &sam);
    refused(
        &fx,
        &signers,
        "(author tier agent) needs 1 signer of tier senior",
    );
}

// ------------------------------------------------ a two-person rule, and one person twice

const TWO_SENIORS: &str = r#"
[people]
jane = ["jane@example.com", "jane.doe@example.com"]

[roles]
senior = ["jane", "raj@example.com"]

[[approval.sign_off]]
paths = ["infra/**"]
role = "senior"
signers = 2
"#;

fn infra_change() -> Fixture {
    let fx = repo_with(
        TWO_SENIORS,
        &[("infra/main.tf", "resource \"x\" \"y\" {}\n")],
    );
    fx.write("infra/main.tf", "resource \"x\" \"y\" { size = 2 }\n");
    fx.commit_ai("Grow x");
    fx
}

#[test]
fn infra_needs_two_seniors_one_is_refused_two_are_accepted() {
    let fx = infra_change();
    let jane = reviewer(&fx, "Jane Doe", "jane@example.com");
    let raj = reviewer(&fx, "Raj Senior", "raj@example.com");
    let jane2 = reviewer(&fx, "Jane Doe", "jane.doe@example.com");
    let signers = allowed(&fx, &[&jane, &jane2, &raj]);

    approve_and_sign(&fx, "HEAD", &jane);
    refused(
        &fx,
        &signers,
        "infra/main.tf needs 2 signers with role senior: has 1 (jane)",
    );

    approve_and_sign(&fx, "HEAD", &raj);
    let out = accepted(&fx, &signers);
    assert!(
        out.contains("jane@example.com") && out.contains("raj@example.com"),
        "{out}"
    );
}

/// `first` and `second` each approve the agent's commit, on branches of their own (as two
/// reviewers who each check out the change do); both approvals reach the store, by the change
/// they approve, and `agent` carries the first in its message.
fn both_approve(fx: &Fixture, first: &Reviewer, second: &Reviewer) {
    fx.git(&["branch", "second"]);
    approve_and_sign(fx, "HEAD", first);
    fx.git(&["checkout", "-q", "second"]);
    approve_and_sign(fx, "HEAD", second);
    fx.git(&["checkout", "-q", "agent"]);
}

#[test]
fn the_same_person_with_two_keys_is_one_signer() {
    // Under two e-mails that [people] says are one person…
    let fx = infra_change();
    let jane = reviewer(&fx, "Jane Doe", "jane@example.com");
    let jane2 = reviewer(&fx, "Jane Doe", "jane.doe@example.com");
    let raj = reviewer(&fx, "Raj Senior", "raj@example.com");
    let signers = allowed(&fx, &[&jane, &jane2, &raj]);
    both_approve(&fx, &jane, &jane2);
    let (_, json) = verify_at(&fx, &["main..agent", "--format", "json"], &signers, LATER);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let passed_signatures = v["commits"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "signature" && c["status"] == "passed")
        .count();
    assert_eq!(
        passed_signatures, 2,
        "both keys' signatures verify:\n{json}"
    );
    refused(
        &fx,
        &signers,
        "infra/main.tf needs 2 signers with role senior: has 1 (jane)",
    );

    // …and under one e-mail with a second key.
    let fx = infra_change();
    let jane = reviewer(&fx, "Jane Doe", "jane@example.com");
    let other_key = Reviewer {
        name: "Jane Doe",
        email: "jane@example.com",
        key: keygen(&fx, "jane-second-key"),
    };
    let raj = reviewer(&fx, "Raj Senior", "raj@example.com");
    let signers = allowed(&fx, &[&jane, &other_key, &raj]);
    both_approve(&fx, &jane, &other_key);
    refused(
        &fx,
        &signers,
        "infra/main.tf needs 2 signers with role senior: has 1 (jane)",
    );
}

// ------------------------------------------------ by risk

const STAFF_FOR_CRITICAL: &str = r#"
[roles]
staff = ["li@example.com"]

[[approval.sign_off]]
risk = "critical"
role = "staff"
"#;

#[test]
fn a_critical_finding_needs_a_staff_signer() {
    let fx = repo_with(STAFF_FOR_CRITICAL, &[("db/cleanup.sql", "SELECT 1;\n")]);
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    let li = reviewer(&fx, "Li Staff", "li@example.com");
    let signers = allowed(&fx, &[&jane, &li]);
    fx.write("db/cleanup.sql", "SELECT 1;\nDROP TABLE sessions;\n");
    fx.commit_ai("Drop the old sessions table");
    approve_and_sign(&fx, "HEAD", &jane);
    refused(
        &fx,
        &signers,
        "db/cleanup.sql L2 (critical finding destructive.sql-drop) needs 1 signer with role \
         staff: has 0; not counted: jane@example.com (not staff)",
    );
    approve_and_sign(&fx, "HEAD", &li);
    accepted(&fx, &signers);

    // A change without a critical finding needs no staff.
    let fx = repo_with(STAFF_FOR_CRITICAL, &[("db/cleanup.sql", "SELECT 1;\n")]);
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    let li = reviewer(&fx, "Li Staff", "li@example.com");
    let signers = allowed(&fx, &[&jane, &li]);
    fx.write("db/cleanup.sql", "SELECT 2;\n");
    fx.commit_ai("Select two");
    approve_and_sign(&fx, "HEAD", &jane);
    accepted(&fx, &signers);
}

// ------------------------------------------------ break-glass

const BREAK_GLASS: &str = r#"
[roles]
senior = ["jane@example.com"]
oncall = ["raj@example.com"]

[[approval.sign_off]]
paths = ["services/**"]
role = "senior"

[approval.break_glass]
roles = ["oncall"]
paths = ["services/**"]
window = "4h"
countersign_within = "1d"
"#;

/// When the glass is broken: after every commit the fixture makes.
const T0: i64 = EPOCH + 10 * 86_400;
const HOUR: i64 = 3600;
const REASON: &str = "INC-42 checkout is down";

struct Incident {
    fx: Fixture,
    jane: Reviewer,
    raj: Reviewer,
    signers: PathBuf,
}

/// An AI hotfix to services/ on branch `agent`, nobody has signed yet.
fn incident() -> Incident {
    let fx = repo_with(
        BREAK_GLASS,
        &[
            ("services/api.py", "TIMEOUT = 5\n"),
            ("docs/ops.md", "ops\n"),
        ],
    );
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    let raj = reviewer(&fx, "Raj Oncall", "raj@example.com");
    let signers = allowed(&fx, &[&jane, &raj]);
    fx.write("services/api.py", "TIMEOUT = 30\n");
    fx.commit_ai("Raise the API timeout");
    Incident {
        fx,
        jane,
        raj,
        signers,
    }
}

fn break_glass(fx: &Fixture, who: &Reviewer, at: i64) {
    let msg = sign_with(fx, "HEAD", who, at, Kind::BreakGlass { reason: REASON });
    assert!(msg.contains("BREAK-GLASS"), "{msg}");
}

#[test]
fn break_glass_lands_within_its_window_with_its_reason_shown() {
    let i = incident();
    let fx = &i.fx;
    // Without it, the change needs a senior.
    let (code, out) = verify_at(fx, &["main..agent"], &i.signers, T0);
    assert_eq!(code, 1, "{out}");
    break_glass(fx, &i.raj, T0);
    let msg = fx.git(&["log", "-1", "--format=%B"]);
    assert!(
        fx.interpret_trailers(&msg)
            .contains(&format!("Countersign-Break-Glass: {REASON}")),
        "{msg}"
    );

    let (code, out) = verify_at(fx, &["main..agent"], &i.signers, T0 + HOUR);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("BREAK-GLASS"), "{out}");
    assert!(
        out.contains(&format!(
            "break-glass by raj@example.com at 2026-12-01T21:00:00Z: \"{REASON}\""
        )),
        "{out}"
    );
    assert!(
        out.contains("a normal countersignature is due by 2026-12-02T21:00:00Z"),
        "{out}"
    );
    assert!(
        out.contains("waived by break-glass: services/api.py needs 1 signer with role senior"),
        "{out}"
    );

    // JSON says it with a status of its own.
    let (_, json) = verify_at(
        fx,
        &["main..agent", "--format", "json"],
        &i.signers,
        T0 + HOUR,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["commits"][0]["status"], "break-glass");
    assert_eq!(v["commits"][0]["emergency"]["reason"], REASON);
    assert_eq!(v["countersign_due"][0]["overdue"], false);

    // log lists it, prominently.
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(["log", "main..agent", "--allowed-signers"])
        .arg(&i.signers)
        .env("COUNTERSIGN_NOW", (T0 + HOUR).to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("!!! BREAK-GLASS by raj@example.com (raj@example.com) at 2026-12-01T21:00:00Z: \"{REASON}\"; normal countersignature due by 2026-12-02T21:00:00Z")),
        "{text}"
    );
}

#[test]
fn break_glass_outside_its_window_or_terms_is_refused() {
    let i = incident();
    break_glass(&i.fx, &i.raj, T0);
    let (code, out) = verify_at(&i.fx, &["main..agent"], &i.signers, T0 + 5 * HOUR);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("break-glass by raj@example.com at 2026-12-01T21:00:00Z is outside its window: it could land until 2026-12-02T01:00:00Z (4h after it was signed)"),
        "{out}"
    );

    // A role the policy does not let break the glass.
    let i = incident();
    break_glass(&i.fx, &i.jane, T0);
    let (code, out) = verify_at(&i.fx, &["main..agent"], &i.signers, T0 + HOUR);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("break-glass by jane@example.com is refused: only roles oncall may break the glass, and jane@example.com has only senior"),
        "{out}"
    );

    // Paths outside its terms: the same approval can't carry a change to docs/ along.
    let i = incident();
    i.fx.write("docs/ops.md", "ops, changed\n");
    i.fx.commit_ai("Also the docs");
    i.fx.git(&["reset", "-q", "--soft", "HEAD~2"]);
    i.fx.commit_ai("Hotfix and docs");
    break_glass(&i.fx, &i.raj, T0);
    let (code, out) = verify_at(&i.fx, &["main..agent"], &i.signers, T0 + HOUR);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("it may land services/** only, and the change touches docs/ops.md"),
        "{out}"
    );
}

#[test]
fn a_break_glass_landing_is_reported_overdue_later_until_countersigned() {
    let i = incident();
    let fx = &i.fx;
    break_glass(fx, &i.raj, T0);
    let hotfix = fx.head();
    // It lands on main; the next change is an ordinary one, reviewed as usual.
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["merge", "-q", "--ff-only", "agent"]);
    fx.git(&["checkout", "-q", "-b", "next"]);
    fx.write("docs/ops.md", "ops, updated\n");
    fx.commit_ai("Document the timeout");
    approve_and_sign(fx, "HEAD", &i.jane);
    let next = format!("{hotfix}..next");

    let (code, out) = verify_at(fx, &[&next], &i.signers, T0 + 10 * HOUR);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("a normal countersignature is due by 2026-12-02T21:00:00Z"),
        "{out}"
    );

    let (code, out) = verify_at(fx, &[&next], &i.signers, T0 + 2 * 86_400);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "OVERDUE {} Raise the API timeout: break-glass by raj@example.com at 2026-12-01T21:00:00Z (\"{REASON}\"): no normal countersignature, which was due by 2026-12-02T21:00:00Z",
            &hotfix[..10]
        )),
        "{out}"
    );
    assert!(
        out.contains("1 break-glass countersignature(s) overdue"),
        "{out}"
    );

    // A senior reviews the landed change afterwards (on a throw-away branch at it: the
    // approval is filed in the store by the change it approves, and main keeps its commit).
    fx.git(&["checkout", "-q", "-b", "countersign", &hotfix]);
    approve_and_sign(fx, "HEAD", &i.jane);
    let (code, out) = verify_at(fx, &[&next], &i.signers, T0 + 2 * 86_400);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("OVERDUE"), "{out}");
}

// ------------------------------------------------ bad input

/// verify on a repository whose trusted policy is `policy`: (exit code, output).
fn verify_policy(policy: &str) -> (i32, String) {
    let fx = repo_with(policy, &[("app.py", "A = 1\n")]);
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    fx.write("app.py", "A = 2\n");
    fx.commit_ai("Tune A");
    approve_and_sign(&fx, "HEAD", &jane);
    verify(&fx, &signers)
}

fn bad_policy(policy: &str, line: usize, says: &str) {
    let (code, out) = verify_policy(policy);
    assert_eq!(code, 2, "{out}");
    assert_eq!(out.trim().lines().count(), 1, "{out}");
    assert!(
        out.contains(&format!(":.countersign.toml line {line}: {says}")),
        "expected line {line}: '{says}' in:\n{out}"
    );
}

#[test]
fn bad_roles_and_tiers_stop_verify_with_the_policy_line() {
    bad_policy("[roles]\nsenior = []\n", 2, "role 'senior' names no signer");
    // A role member the signer lists do not know: a role that could never be met.
    bad_policy(
        "[roles]\nsenior = [\n  \"jane@example.com\",\n  \"jnae@example.com\",\n]\n",
        4,
        "role 'senior' names 'jnae@example.com', who is in no signer list",
    );
    bad_policy(
        "[roles]\nsenior = [\"jane@example.com\"]\n\n[[approval.sign_off]]\npaths = [\"infra/**\"]\nrole = \"seniors\"\n",
        6,
        "sign-off rule names role 'seniors', which [roles] does not define",
    );
    bad_policy(
        "[tiers]\norder = [\"junior\", \"mid\", \"senior\", \"mid\"]\n",
        2,
        "tier 'mid' is listed twice",
    );
    bad_policy(
        "[tiers]\norder = [\"junior\", \"mid\"]\n[tiers.members]\njunior = [\"kim@example.com\"]\nmid = [\"kim@example.com\"]\n",
        5,
        "kim@example.com is in two tiers (junior, mid)",
    );
    // A policy without these keys judges as before.
    let (code, out) = verify_policy("");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn the_break_glass_command_signs_for_an_allowed_role_and_refuses_others() {
    let i = incident();
    let fx = &i.fx;
    let run = |who: &Reviewer| {
        common::signing::become_reviewer(fx, who);
        fx.command(common::bin().to_str().unwrap())
            .args(["break-glass", "main..agent", "--reason", REASON])
            .env("COUNTERSIGN_NOW", T0.to_string())
            .output()
            .unwrap()
    };
    // Jane is senior, not oncall: refused before her key is asked to sign.
    let out = run(&i.jane);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("only roles oncall may break the glass"),
        "{err}"
    );
    assert!(!fx
        .git(&["log", "-1", "--format=%B"])
        .contains("Countersign"));

    let out = run(&i.raj);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("signed a BREAK-GLASS approval of 1 commit"),
        "{said}"
    );
    assert!(
        said.contains("it lands until 2026-12-02T01:00:00Z (4h window)"),
        "{said}"
    );
    let (code, out) = verify_at(fx, &["main..agent"], &i.signers, T0 + HOUR);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(REASON), "{out}");
}

/// Opens the review screen as `who`, signs nothing: presses `keys` until `ready`, then `S`, and
/// returns the sign confirmation's words (cancelled after).
fn sign_confirmation(fx: &Fixture, who: &Reviewer, ready: &str, keys: &[(&str, &str)]) -> String {
    common::signing::become_reviewer(fx, who);
    let mut s = common::pty::Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (120, 32));
    s.wait_ready(ready);
    for (key, until) in keys {
        s.key_then(key, until);
    }
    let asked = s.key_then("S", "sign the approval?");
    s.key_then("n", "cancelled");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    asked
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The review screen says before signing whether this reviewer's signature is enough: a mid on
/// a junior's AI change is told what else it needs, a senior that theirs is all it asks.
#[test]
fn the_sign_confirmation_says_whether_this_signature_is_enough() {
    let fx = repo_with(&format!("{TIERS}{AMAZON}"), &[("app.py", "A = 1\n")]);
    let sam = reviewer(&fx, "Sam Mid", "sam@example.com");
    let jane = reviewer(&fx, "Jane Senior", "jane@example.com");
    fx.write("app.py", "A = 2\n");
    commit_ai_by(&fx, "Kim Junior <kim@example.com>", "Tune A");

    let mid = sign_confirmation(&fx, &sam, "0/1 decided", &[("a", "1/1 decided")]);
    assert!(
        mid.contains("Your signature is not enough on its own:"),
        "{mid}"
    );
    assert!(
        mid.contains("needs 1 signer of tier senior or above"),
        "{mid}"
    );
    let senior = sign_confirmation(&fx, &jane, "1/1 decided", &[]);
    assert!(
        senior.contains("Your signature is all the policy asks of these commits."),
        "{senior}"
    );
}
