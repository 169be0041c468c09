use super::*;
use crate::approval::digest::tests::{commit_with, text_file};
use crate::model::{Finding, Origin, Severity};

fn decision(verdict: Option<Verdict>, comment: &str) -> Decision {
    Decision {
        verdict,
        comment: comment.into(),
        ..Decision::default()
    }
}

/// Three AI hunks (rejected with a comment, approved, undecided) and a human one with a
/// comment.
fn commit() -> Commit {
    let mut files = vec![
        text_file("src/a.rs", 10, &["old()"], &["new()", "more()"]),
        text_file("src/b.rs", 1, &["x"], &["y"]),
        text_file("src/c.rs", 5, &["gone"], &[]),
        text_file("README.md", 1, &["a"], &["b"]),
    ];
    for f in &mut files[..3] {
        f.hunks[0].origin = Origin::Ai;
    }
    files[3].hunks[0].origin = Origin::Human;
    files[0].hunks[0].findings.push(Finding {
        rule: "security.rust-unsafe".into(),
        severity: Severity::High,
        category: "security".into(),
        line_index: Some(2),
        line_no: Some(11),
        column: None,
        message: "Adds an <b>unsafe</b> block.".into(),
    });
    let mut c = commit_with(files);
    c.summary = "Add *retries* [click](http://x)\u{1b}[2J".into();
    c.author.name = "Ada Agent".into();
    c.author.email = "ada@example.com".into();
    c
}

fn lookup(c: &Commit) -> impl Fn(&Hunk) -> Option<Decision> + '_ {
    move |h: &Hunk| {
        let path = c
            .files
            .iter()
            .find(|f| f.hunks.iter().any(|x| x.id == h.id))
            .map(|f| f.path())?;
        match path {
            "src/a.rs" => Some(decision(
                Some(Verdict::Rejected),
                "No.\n\nUse `retry()` instead\u{1b}[31m.",
            )),
            "src/b.rs" => Some(decision(Some(Verdict::Approved), "")),
            "README.md" => Some(decision(None, "typo")),
            _ => None,
        }
    }
}

fn export() -> Export {
    let c = commit();
    let source = Source::session(Some("Jane Doe <jane@example.com>".into()));
    build("HEAD", std::slice::from_ref(&c), &source, lookup(&c))
}

#[test]
fn counts_only_hunks_that_needed_a_decision_and_reports_what_to_act_on() {
    let e = export();
    assert_eq!(
        e.summary,
        Counts {
            to_review: 3,
            approved: 1,
            rejected: 1,
            needs_work: 0,
            undecided: 1,
            commented: 2,
        }
    );
    assert_eq!(e.summary.outcome(), "changes requested");
    let hunks = &e.commits[0].hunks;
    let files: Vec<_> = hunks.iter().map(|h| h.file.as_str()).collect();
    assert_eq!(files, ["src/a.rs", "README.md"]);
    let a = &hunks[0];
    assert_eq!(a.location, "src/a.rs:11-12");
    assert_eq!(a.diff, " ctx\n-old()\n+new()\n+more()\n");
    assert_eq!(a.header, "@@ -10,2 +10,3 @@");
    assert_eq!(a.comment, "No.\n\nUse `retry()` instead␛[31m.");
    assert!(!hunks[1].ai_touched);
}

#[test]
fn a_pure_removal_points_at_the_old_lines() {
    let mut c = commit();
    c.files[2].hunks[0].origin = Origin::Ai;
    let source = Source::session(None);
    let e = build("HEAD", std::slice::from_ref(&c), &source, |_| {
        Some(decision(Some(Verdict::NeedsWork), ""))
    });
    let h = e.commits[0]
        .hunks
        .iter()
        .find(|h| h.file == "src/c.rs")
        .unwrap();
    assert_eq!(h.location, "src/c.rs:6 (old)");
    assert_eq!(
        h.lines,
        Some(LineSpan {
            side: Side::Old,
            start: 6,
            end: 6
        })
    );
}

#[test]
fn markdown_escapes_what_the_repository_wrote() {
    let md = export().to_markdown();
    assert!(md.starts_with("# countersign review of `HEAD` (1 commit)\n\n**Outcome: changes requested.** 3 hunks to review: 1 approved, 1 rejected, 0 need work, 1 undecided; 2 with a comment.\n"), "{md}");
    assert!(
        md.contains("## `aaaaaaaaaa` Add \\*retries\\* \\[click\\](http://x)␛\\[2J\n"),
        "{md}"
    );
    assert!(
        md.contains("- Author: Ada Agent \\<ada@example.com\\>\n"),
        "{md}"
    );
    assert!(
        md.contains(
            "### 1. `src/a.rs` lines 11–12: rejected\n\n> No.\n>\n> Use `retry()` instead␛[31m.\n"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "- **high** `security.rust-unsafe`, line 11: Adds an \\<b\\>unsafe\\</b\\> block.\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("```diff\n@@ -10,2 +10,3 @@\n ctx\n-old()\n+new()\n+more()\n```\n"),
        "{md}"
    );
    assert!(
        md.contains("### 2. `README.md` line 2: comment (human-written)\n"),
        "{md}"
    );
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn a_diff_with_backtick_fences_gets_a_longer_fence() {
    let mut c = commit();
    c.files[0] = text_file("doc.md", 1, &["x"], &["```", "````rust"]);
    c.files[0].hunks[0].origin = Origin::Ai;
    let e = build(
        "HEAD",
        std::slice::from_ref(&c),
        &Source::session(None),
        |_| Some(decision(Some(Verdict::Rejected), "")),
    );
    let md = e.to_markdown();
    assert!(md.contains("`````diff\n@@"), "{md}");
    assert!(md.contains("+````rust\n`````\n"), "{md}");
}

#[test]
fn json_is_versioned_and_terminal_safe() {
    let json = export().to_json();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["rejected"], 1);
    assert_eq!(v["commits"][0]["hunks"][0]["verdict"], "rejected");
    assert_eq!(v["commits"][0]["source"]["kind"], "session");
    // The raw ESC in the subject is escaped in the text, and exact once decoded.
    assert!(json.contains("\\u001b[2J"), "{json}");
    assert_eq!(
        v["commits"][0]["subject"],
        "Add *retries* [click](http://x)\u{1b}[2J"
    );
    let bidi = json_text(&"a\u{202e}b\u{9b}c");
    assert_eq!(bidi, "\"a\\u202eb\\u009bc\"");
}

fn record(reviewer: &str, time: i64, verdict: Verdict, comment: &str) -> ReviewRecord {
    let mut c = commit();
    c.files.truncate(1);
    ReviewRecord::from_commit(&c, reviewer, time, |_| {
        Some(decision(Some(verdict), comment))
    })
    .unwrap()
}

#[test]
fn latest_record_per_reviewer_and_gravest_verdict_win() {
    let old = record("Jane <j@x>", 100, Verdict::Rejected, "first look");
    let new = record("Jane <j@x>", 200, Verdict::Approved, "");
    let bob = record("Bob <b@x>", 150, Verdict::NeedsWork, "tests?");
    let records = vec![old, bob, new];
    let latest = latest_per_reviewer(&records);
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].time, records[2].time);
    let decisions = decisions_from_records(&latest);
    let d = decisions.values().next().unwrap();
    assert_eq!(d.verdict, Some(Verdict::NeedsWork));
    assert_eq!(d.comment, "Bob <b@x>: tests?");
    let source = Source::notes(&latest);
    assert_eq!(source.reviewers, ["Jane <j@x>", "Bob <b@x>"]);
    assert_eq!(source.time.as_deref(), Some("1970-01-01T00:03:20Z"));
}
