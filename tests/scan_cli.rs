//! `countersign scan` as CI runs it: both formats, the exit codes, and bad input.

mod common;

use std::process::Output;

use common::Fixture;

/// The demo repository: a realistic AI-assisted commit with dangerous bits in it.
fn demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("demo");
    let out = std::process::Command::new(common::bin())
        .args(["demo", "--no-review", "--dir"])
        .arg(&repo)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, repo)
}

fn scan(dir: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Output {
    std::process::Command::new(common::bin())
        .arg("scan")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap()
}

#[test]
fn json_reports_evidence_hunks_and_findings() {
    let (home, repo) = demo();
    let out = scan(&repo, home.path(), &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let commit = &v["commits"][0];
    assert_eq!(commit["ai_assisted"], true);
    assert!(commit["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["detail"]
            .as_str()
            .unwrap()
            .contains("noreply@anthropic.com")));
    let hunks = commit["hunks"].as_array().unwrap();
    assert!(hunks.iter().all(|h| h["ai_touched"] == true));
    let findings_in = |file: &str| -> Vec<String> {
        hunks
            .iter()
            .filter(|h| h["file"] == file)
            .flat_map(|h| h["findings"].as_array().unwrap().clone())
            .map(|f| {
                format!(
                    "{} {}",
                    f["severity"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                )
            })
            .collect()
    };
    for (file, what) in [
        ("infra/storage.tf", "force_destroy"),
        (
            "db/migrations/0008_reset_stale_sessions.sql",
            "DELETE without WHERE",
        ),
        ("web/src/checkout.ts", "Trojan Source"),
        ("scripts/deploy.sh", "curl | sh"),
    ] {
        let found = findings_in(file);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("critical") || f.starts_with("high")),
            "{file} ({what}) has no critical or high finding: {found:?}"
        );
    }
    assert!(
        v["summary"]["critical"].as_u64().unwrap() >= 3,
        "{}",
        v["summary"]
    );
}

#[test]
fn text_output_is_readable_in_a_ci_log() {
    let (home, repo) = demo();
    let out = scan(&repo, home.path(), &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AI-assisted: Claude Code"), "{text}");
    assert!(text.contains("CRITICAL"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("scan: 1 commit (1 AI-assisted)"), "{last}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "no raw control characters"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let (home, repo) = demo();
    assert_eq!(
        scan(&repo, home.path(), &["--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );

    let fx = Fixture::new();
    fx.write("README.md", "# hello\n").commit("base");
    fx.write("README.md", "# hello\n\nA friendlier greeting.\n")
        .commit_ai("Docs");
    let out = scan(&fx.path(), &fx.home(), &["HEAD", "--fail-on", "high"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let (home, repo) = demo();
    for (dir, args) in [
        (repo.clone(), vec!["--fail-on", "severe"]),
        (repo.clone(), vec!["no-such-rev"]),
        (home.path().to_path_buf(), vec![]),
    ] {
        let out = scan(&dir, home.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("countersign: "), "{err}");
    }
}
