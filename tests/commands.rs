//! `countersign show`, `export` and `init` as a user runs them: the real binary on real
//! repositories, with the fixture's fixed clock, identity and HOME.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{Fixture, EPOCH};
use countersign::approval::sign::{Signer, SigningConfig};
use countersign::approval::{append_approval, ApprovalSet, Payload, ReviewRecord};
use countersign::git::{self, notes};
use countersign::load::{self, Analysis};
use countersign::model::{Commit, Decision, Hunk, Verdict};
use countersign::policy::Policy;
use countersign::session::{Session, Store};

const JANE: &str = "Jane Doe <jane@example.com>";

/// A base commit and an agent's commit with four hunks: two in src/greet.rs, one in README.md
/// and a new file. The content is bland on purpose, so no risk rule fires and the snapshots
/// stay about the export itself.
fn fixture() -> Fixture {
    let fx = Fixture::new();
    let body: String = (1..=20).map(|i| format!("    line({i});\n")).collect();
    fx.write("src/greet.rs", format!("fn greet() {{\n{body}}}\n"));
    fx.write("README.md", "# Greeter\n\nSays hello.\n");
    fx.commit("Base");
    let body = body
        .replace("line(2);", "line(2, \"hello\");")
        .replace("line(18);", "line(18, \"bye\");");
    fx.write("src/greet.rs", format!("fn greet() {{\n{body}}}\n"));
    fx.write("README.md", "# Greeter\n\nSays hello and bye.\n");
    fx.write("src/farewell.rs", "fn farewell() {}\n");
    fx.commit_ai("Greet with words");
    // The reviewer is someone else than the agent's operator.
    fx.git(&["config", "user.name", "Jane Doe"]);
    fx.git(&["config", "user.email", "jane@example.com"]);
    fx
}

fn run(fx: &Fixture, args: &[&str]) -> Output {
    fx.command(common::bin().to_str().unwrap())
        .env_remove("COUNTERSIGN_STATE_DIR")
        .args(args)
        .output()
        .expect("run countersign")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn load(fx: &Fixture, rev: &str) -> Commit {
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let oid = repo.git.revparse_single(rev).unwrap().id();
    let analysis = Analysis::new(&Policy::default(), false).unwrap();
    load::full_commit(&repo.git, &analysis, oid).unwrap()
}

/// The decisions the tests make, by file and hunk index.
fn decide(path: &str, index: usize) -> Option<Decision> {
    let d = |verdict, comment: &str| {
        Some(Decision {
            verdict,
            comment: comment.into(),
            ..Decision::default()
        })
    };
    match (path, index) {
        ("src/greet.rs", 0) => d(
            Some(Verdict::Rejected),
            "Greeting in a loop helper is wrong.\nMove it to `greet()`.",
        ),
        ("src/greet.rs", 1) => d(Some(Verdict::Approved), ""),
        ("README.md", 0) => d(Some(Verdict::NeedsWork), "Say *when* it says bye."),
        _ => None,
    }
}

fn for_each_hunk(commit: &Commit, mut f: impl FnMut(&Hunk, Option<Decision>)) {
    for file in &commit.files {
        for (i, h) in file.hunks.iter().enumerate() {
            f(h, decide(file.path(), i));
        }
    }
}

/// Saves the test's decisions where the binary finds the reviewer's session by default.
fn write_session(fx: &Fixture, commit: &Commit) -> PathBuf {
    let key = git::repo::open_at(&fx.path()).unwrap().key();
    let path = fx
        .home()
        .join(".local/state/countersign/sessions")
        .join(format!("{key}.json"));
    let mut session = Session::default();
    for_each_hunk(commit, |h, d| {
        if let Some(d) = d {
            session.set_verdict(h.id, d.verdict, &commit.id, EPOCH);
            session.set_comment(h.id, &d.comment, None, &commit.id, EPOCH);
        }
    });
    Store::at(path.clone()).save(&session).unwrap();
    path
}

fn who() -> git2::Signature<'static> {
    git2::Signature::new("Jane Doe", "jane@example.com", &git2::Time::new(EPOCH, 0)).unwrap()
}

fn record(
    commit: &Commit,
    time: i64,
    decision: impl Fn(&Hunk) -> Option<Decision>,
) -> ReviewRecord {
    ReviewRecord::from_commit(commit, JANE, time, decision).unwrap()
}

fn add_note(fx: &Fixture, rev: &str, text: &str) {
    let repo = git2::Repository::open(fx.path()).unwrap();
    let oid = repo.revparse_single(rev).unwrap().id();
    notes::append_note(&repo, notes::COUNTERSIGN_NOTES, oid, text, &who()).unwrap();
}

fn lookup(commit: &Commit) -> impl Fn(&Hunk) -> Option<Decision> + '_ {
    move |h: &Hunk| {
        let mut found = None;
        for_each_hunk(commit, |x, d| {
            if x.id == h.id {
                found = d;
            }
        });
        found
    }
}

#[test]
fn export_of_a_session_review_as_markdown_and_json() {
    let fx = fixture();
    let commit = load(&fx, "HEAD");
    write_session(&fx, &commit);

    let md = stdout(&run(&fx, &["export", "HEAD"]));
    insta::assert_snapshot!("export_session_markdown", md);

    let json = stdout(&run(&fx, &["export", "HEAD", "--format", "json"]));
    insta::assert_snapshot!("export_session_json", json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["to_review"], 4);
    assert_eq!(v["commits"][0]["source"]["kind"], "session");

    // --output writes the same report, and says so on stderr.
    let out = run(&fx, &["export", "HEAD", "--output", "review.md"]);
    assert_eq!(stdout(&out), "");
    assert_eq!(
        std::fs::read_to_string(fx.path().join("review.md")).unwrap(),
        md
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 hunks to act on, changes requested"),
        "{err}"
    );
}

#[test]
fn export_prefers_the_review_record_in_notes_and_its_latest_version() {
    let fx = fixture();
    let commit = load(&fx, "HEAD");
    // The session says otherwise: the signed record wins.
    write_session(&fx, &commit);
    let stale = record(&commit, EPOCH, |_| {
        Some(Decision {
            verdict: Some(Verdict::Rejected),
            comment: "first look: all wrong".into(),
            ..Decision::default()
        })
    });
    let latest = record(&commit, EPOCH + 600, |h| {
        let mut d = lookup(&commit)(h).unwrap_or_default();
        d.verdict = Some(Verdict::Approved);
        Some(d)
    });
    add_note(&fx, "HEAD", &stale.to_canonical_json());
    add_note(&fx, "HEAD", &latest.to_canonical_json());

    let md = stdout(&run(&fx, &["export", "HEAD"]));
    assert!(
        md.contains("**Outcome: approved.** 4 hunks to review: 4 approved"),
        "{md}"
    );
    assert!(md.contains("- Reviewed by: Jane Doe \\<jane@example.com\\> (review record of 2026-11-21T21:10:00Z in refs/notes/countersign)"), "{md}");
    assert!(
        md.contains(": approved, with a comment\n\n> Greeting in a loop helper is wrong.\n"),
        "{md}"
    );
    assert!(
        !md.contains("first look"),
        "the superseded record is not used: {md}"
    );

    let json = stdout(&run(&fx, &["export", "HEAD", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["commits"][0]["source"]["kind"], "notes");
    assert_eq!(v["commits"][0]["source"]["time"], "2026-11-21T21:10:00Z");
    assert_eq!(v["commits"][0]["hunks"].as_array().unwrap().len(), 2);
}

#[test]
fn show_prints_the_approval_and_the_review_record() {
    let fx = fixture();
    let commit = load(&fx, "HEAD");
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("jane");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "jane", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    // Sign as the review screen does: record → payload → signature → trailers → note.
    let rec = record(&commit, EPOCH + 600, |h| {
        let mut d = lookup(&commit)(h).unwrap_or_default();
        d.verdict = Some(Verdict::Approved);
        Some(d)
    });
    let payload = Payload::for_commit(&commit, &rec).unwrap();
    let signer = Signer::from_config(&SigningConfig {
        format: Some("ssh".into()),
        signing_key: Some(key.display().to_string()),
        ..SigningConfig::default()
    })
    .unwrap();
    let sig = signer.sign(payload.to_canonical().as_bytes()).unwrap();
    let message =
        append_approval(&commit.message, &ApprovalSet::new(&payload, sig), false).unwrap();
    let file = fx.dir.path().join("msg");
    std::fs::write(&file, &message).unwrap();
    fx.git(&[
        "commit",
        "-q",
        "--amend",
        "--cleanup=verbatim",
        "-F",
        file.to_str().unwrap(),
    ]);
    add_note(&fx, "HEAD", &rec.to_canonical_json());

    let text = stdout(&run(&fx, &["show", "HEAD"]));
    assert!(text.contains("approvals in the message: 1 (not verified; `countersign verify` checks them)\n  Jane Doe <jane@example.com>  2026-11-21T21:10:00Z  commit approval, hunks 4/4\n"), "{text}");
    assert!(
        text.contains("    signature ssh ssh-ed25519 SHA256:"),
        "{text}"
    );
    assert!(text.contains(" (in refs/notes/countersign)\n"), "{text}");
    assert!(
        text.contains("review records in refs/notes/countersign: 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "4 hunks to review: 4 approved, 0 rejected, 0 needs work, 0 undecided; 2 commented"
        ),
        "{text}"
    );
    assert!(
        text.contains("    approved    README.md:1\n                | Say *when* it says bye.\n"),
        "{text}"
    );

    let json = stdout(&run(&fx, &["show", "HEAD", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["approvals"][0]["reviewer"], JANE);
    assert_eq!(v["approvals"][0]["record_in_notes"], true);
    assert_eq!(v["approvals"][0]["scheme"], "ssh");
    assert_eq!(
        v["records"][0]["digest"],
        v["approvals"][0]["record_digest"]
    );
    assert_eq!(v["records"][0]["counts"]["approved"], 4);
}

#[test]
fn show_without_an_approval_says_so_and_exits_0_printably() {
    let fx = Fixture::new();
    fx.write("a.txt", "a\n");
    fx.commit("Evil \u{1b}[2J subject \u{202e}");
    let out = run(&fx, &["show"]);
    let text = stdout(&out);
    assert!(
        text.ends_with("\nno approval: no countersign trailers and no review record.\n"),
        "{text}"
    );
    assert!(text.contains("Evil ␛[2J subject <U+202E>"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );

    let json = stdout(&run(&fx, &["show", "HEAD", "--format", "json"]));
    assert!(json.contains("Evil \\u001b[2J subject \\u202e"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["approvals"], serde_json::json!([]));
    assert_eq!(v["records"], serde_json::json!([]));
}

#[test]
fn errors_are_one_line_and_exit_2() {
    let fx = fixture();
    fx.commit("One more");
    for args in [
        &["export", "nope"][..],
        &["show", "nope"],
        &["show", "HEAD~1..nope"],
        &["export", "HEAD", "--format", "yaml"],
        &["show", "HEAD~2..HEAD"],
    ] {
        let out = run(&fx, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("countersign: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = run(&fx, &["export", "nope"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "countersign: unknown revision or range 'nope' (give a commit, a branch, or a range such as main..HEAD)\n"
    );
    let out = run(&fx, &["show", "HEAD~2..HEAD"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is 2 commits; show prints one"));
    let out = fx
        .command(common::bin().to_str().unwrap())
        .current_dir(fx.home())
        .env("GIT_CEILING_DIRECTORIES", fx.dir.path())
        .args(["export", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("countersign: not a git repository"));
}
