//! The GitHub Action's script (scripts/action.sh) run as the runner runs it: a recorded event
//! payload in GITHUB_EVENT_PATH, the job summary in GITHUB_STEP_SUMMARY, a real repository
//! with an `origin` to fetch the approvals from.

mod common;

use std::path::Path;

use common::signing::{allowed_text, approve_and_sign, reviewer};
use common::Fixture;

struct Run {
    code: i32,
    summary: String,
    stderr: String,
}

/// Runs the script for `event` with its payload from tests/data/github, ids filled in.
fn action(fx: &Fixture, event: &str, base: &str, head: &str, extra: &[(&str, &str)]) -> Run {
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/github/{event}.json")),
    )
    .unwrap();
    let payload = fx.dir.path().join(format!("{event}.json"));
    std::fs::write(
        &payload,
        template.replace("{{BASE}}", base).replace("{{HEAD}}", head),
    )
    .unwrap();
    let summary = fx.dir.path().join(format!("{event}-summary.md"));
    let _ = std::fs::remove_file(&summary);
    let out = fx
        .command("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action.sh"))
        .env("COUNTERSIGN", common::bin())
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &payload)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// main with the policy and Jane's key, pushed to a bare `origin`; branch `agent` with an AI
/// commit Jane countersigned (approvals pushed to origin, then deleted locally, so only the
/// script's fetch brings the review notes back) and one nobody signed.
fn repo() -> (Fixture, String, String, String) {
    let fx = Fixture::new();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    fx.write(".countersign/allowed_signers", allowed_text(&[&jane]))
        .write("app.py", "import os\n\n\ndef run(cmd):\n    return cmd\n");
    let base = fx.commit("policy and app");
    let origin = fx.dir.path().join("origin.git");
    fx.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    fx.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    fx.git(&["push", "-q", "origin", "main"]);
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        "app.py",
        "import os\n\n\ndef run(cmd):\n    return os.system(cmd)\n",
    );
    fx.commit_ai("Run commands");
    approve_and_sign(&fx, &format!("{base}..HEAD"), &jane);
    let signed = fx.head();
    fx.git(&[
        "push",
        "-q",
        "origin",
        "agent",
        "refs/notes/countersign",
        "refs/countersign/*",
    ]);
    fx.git(&["update-ref", "-d", "refs/notes/countersign"]);
    fx.write("README", "docs\n");
    fx.commit_ai("Add docs");
    let unsigned = fx.head();
    (fx, base, signed, unsigned)
}

#[test]
fn pull_request_fails_and_says_per_commit_who_approved_and_what_is_missing() {
    let (fx, base, signed, unsigned) = repo();
    let sarif = fx.dir.path().join("out.sarif");
    let r = action(
        &fx,
        "pull_request",
        &base,
        &unsigned,
        &[("COUNTERSIGN_SARIF", sarif.to_str().unwrap())],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.summary, r.stderr);
    assert!(
        r.summary.contains("## countersign: verify pull_request"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("**Failed**"), "{}", r.summary);
    let row = |id: &str| {
        r.summary
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", &id[..10])))
            .unwrap_or_else(|| panic!("no row for {id}: {}", r.summary))
            .to_string()
    };
    let ok = row(&signed);
    assert!(
        ok.contains("| approved | jane@example.com (commit, exact-trees) |"),
        "{ok}"
    );
    assert!(ok.contains("high app.py:5"), "the top finding: {ok}");
    let bad = row(&unsigned);
    assert!(bad.contains("| failed |  | signers: 0 of 1"), "{bad}");
    // The review notes came back through the script's fetch (show reads them).
    assert!(!fx
        .git(&["notes", "--ref", "countersign", "list"])
        .is_empty());
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn merge_group_passes_when_the_queue_lands_countersigned_commits() {
    let (fx, base, signed, _) = repo();
    let r = action(&fx, "merge_group", &base, &signed, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.summary, r.stderr);
    assert!(
        r.summary.contains("## countersign: verify merge_group"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("**Passed**"), "{}", r.summary);
}

#[test]
fn push_is_audited_by_log_and_can_be_made_to_fail() {
    let (fx, base, _, unsigned) = repo();
    let r = action(&fx, "push", &base, &unsigned, &[]);
    assert_eq!(
        r.code, 0,
        "an audit reports, it does not fail: {}\n{}",
        r.summary, r.stderr
    );
    assert!(
        r.summary.contains("## countersign: log push"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("Audit of what landed"), "{}", r.summary);
    assert!(
        r.summary.contains("jane@example.com (commit)"),
        "{}",
        r.summary
    );
    let r = action(
        &fx,
        "push",
        &base,
        &unsigned,
        &[("COUNTERSIGN_PUSH", "verify")],
    );
    assert_eq!(r.code, 1, "{}", r.summary);

    // A new branch has no earlier tip: nothing to audit, said so.
    let zero = "0".repeat(40);
    let r = action(&fx, "push", &zero, &unsigned, &[]);
    assert_eq!(r.code, 0);
    assert!(r.summary.contains("Nothing to check"), "{}", r.summary);
    // A payload that is not a commit id is refused before anything runs.
    let r = action(&fx, "push", "main", &unsigned, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not a commit id"), "{}", r.stderr);
}
