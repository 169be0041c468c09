//! Review rounds with the agent, end to end with the real binary in a pseudo-terminal, real
//! `git` (amend, rebase, new commits, `git gc --prune=now`) and real `ssh-keygen` signing:
//! reject with a comment, export for the agent, the agent amends, re-review sees what changed
//! since, approve, sign, verify.

mod common;

use common::pty::Session;
use common::Fixture;

/// `db.sql` with a DELETE on line 12 among filler, and `app.py`.
fn base_files(fx: &Fixture, top: usize) {
    let mut sql = String::new();
    for i in 0..top {
        sql.push_str(&format!("-- header {i}\n"));
    }
    for i in 1..=20 {
        if i == 12 {
            sql.push_str("DELETE FROM sessions WHERE expires_at < now();\n");
        } else {
            sql.push_str(&format!("SELECT {i};\n"));
        }
    }
    fx.write("db.sql", sql);
    fx.write("app.py", "def f():\n    return 1\n");
}

fn sql_with(top: usize, delete: &str) -> String {
    let mut sql = String::new();
    for i in 0..top {
        sql.push_str(&format!("-- header {i}\n"));
    }
    for i in 1..=20 {
        if i == 12 {
            sql.push_str(delete);
            sql.push('\n');
        } else {
            sql.push_str(&format!("SELECT {i};\n"));
        }
    }
    sql
}

/// main: the base; agent: one AI commit that drops the DELETE's WHERE and changes app.py.
fn fixture() -> Fixture {
    let fx = Fixture::new();
    base_files(&fx, 0);
    fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("db.sql", sql_with(0, "DELETE FROM sessions;"));
    fx.write("app.py", "def f():\n    return 2\n");
    fx.commit_ai("Clean up sessions");
    // The reviewer is not the author, and signs with a throw-away SSH key.
    let jane = common::signing::reviewer(&fx, "Jane Reviewer", "jane@example.com");
    common::signing::become_reviewer(&fx, &jane);
    common::signing::allowed(&fx, &[&jane]);
    fx
}

fn open(fx: &Fixture) -> Session {
    Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (120, 32))
}

fn run(fx: &Fixture, args: &[&str]) -> (i32, String, String) {
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Round 1: app.py approved; db.sql rejected with a comment on its DELETE line.
fn first_round(fx: &Fixture) {
    let mut s = open(fx);
    s.wait_ready("0/2 decided");
    s.key_then("a", "1/2 decided");
    // On db.sql's hunk now: three lines of context, the removed DELETE, the added one.
    s.wait_for("db.sql");
    s.keys("jjjj");
    s.key_then("c", "comment");
    s.keys("keep the WHERE: this deletes every session");
    s.key_then("\u{1b}", "comment saved");
    s.key_then("r", "2/2 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

/// `doc` is valid against docs/schemas/`schema`, as tests/schemas.rs checks the other outputs.
fn assert_valid(schema: &str, doc: &str) {
    let errors = common::schema::validate(&common::schema::schema(schema), doc.as_bytes());
    assert!(errors.is_empty(), "{schema}: {errors}\n{doc}");
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn reject_export_for_the_agent_amend_review_again_approve_sign_verify() {
    let fx = fixture();
    let (code, _, err) = run(&fx, &["export", "--since-last"]);
    assert_eq!(code, 2, "no round yet: {err}");
    assert!(err.contains("no review round of refs/heads/agent"), "{err}");
    first_round(&fx);

    // The review as the agent gets it; --round and --since-last pick a round's decisions.
    let (_, latest, _) = run(&fx, &["export", "--format", "agent", "--since-last"]);
    assert!(latest.contains("`db.sql:12`"), "{latest}");
    let (_, none, _) = run(&fx, &["export", "--format", "agent", "--round", "2"]);
    assert!(none.contains("No task"), "{none}");
    let (code, md, err) = run(&fx, &["export", "--format", "agent"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("# Review of `main..HEAD`: changes requested, round 1"),
        "{md}"
    );
    assert!(md.contains("`db.sql:12`"), "{md}");
    assert!(
        md.contains("rejected: replace or remove this change (round 1)"),
        "{md}"
    );
    assert!(md.contains("The comment is about line 12."), "{md}");
    assert!(
        md.contains("> keep the WHERE: this deletes every session"),
        "{md}"
    );
    assert!(
        !md.contains("app.py"),
        "an approved hunk without a comment is no task: {md}"
    );
    let (code, out, err) = run(&fx, &["export", "--format", "agent-json"]);
    assert_eq!(code, 0, "{err}");
    assert_valid("export-agent.schema.json", &out);
    let (_, plain_json, _) = run(&fx, &["export", "--format", "json"]);
    assert_valid("export.schema.json", &plain_json);
    assert!(plain_json.contains("\"comment_lines\""), "{plain_json}");
    let v = json(&out);
    assert_eq!(v["format"], "countersign-agent-review");
    assert_eq!(v["version"], 1);
    assert_eq!(v["round"], 1);
    let task = &v["tasks"][0];
    assert_eq!(task["file"], "db.sql");
    assert_eq!(task["verdict"], "rejected");
    assert_eq!(task["round"], 1);
    assert_eq!(task["comment_lines"]["start"], 12);
    assert_eq!(v["tasks"].as_array().unwrap().len(), 1);

    // The agent (a script here) amends the rejected hunk; the old commit is then pruned.
    let old = fx.head();
    fx.write(
        "db.sql",
        sql_with(
            0,
            "DELETE FROM sessions WHERE expires_at < now() - interval '1 day';",
        ),
    );
    fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    fx.git(&["reflog", "expire", "--expire=now", "--all"]);
    fx.git(&["gc", "-q", "--prune=now"]);
    let gone = fx.git_output(&["cat-file", "-e", &old]);
    assert!(!gone.status.success(), "the reviewed commit is gone");

    // Round 2: what changed since, the old comment beside it.
    let mut s = open(&fx);
    let screen = s.wait_ready("round 2: 1 carried over, 1 changed, 0 new");
    assert!(screen.contains("1/2 decided"), "{screen}");
    let screen = s.wait_for("changes since round 1");
    assert!(screen.contains("round 1: you rejected it"), "{screen}");
    assert!(
        screen.contains("keep the WHERE: this deletes every session"),
        "{screen}"
    );
    // The interdiff: the DELETE as it was reviewed, and as it is now.
    assert!(screen.contains("- DELETE FROM sessions;"), "{screen}");
    assert!(
        screen.contains("+ DELETE FROM sessions WHERE expires_at < now() - interval"),
        "{screen}"
    );
    // The list marks the changed hunk.
    assert!(screen.contains("~@@ 9,7"), "{screen}");
    // Approving from the interdiff shows the hunk as it is now first.
    let plain = s.key_then("a", "this is the hunk as it is now");
    assert!(!plain.contains("changes since round 1"), "{plain}");
    s.key_then("a", "2/2 decided");
    s.key_then("S", "sign the approval?");
    s.key_then("y", "signed 1 commit as Jane Reviewer");
    s.key_then("\u{1b}", "2/2 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);

    let (code, out, err) = run(
        &fx,
        &[
            "verify",
            "main..HEAD",
            "--allowed-signers",
            fx.home().join("allowed_signers").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    // The record says the approval closed round 2, after a rejection in round 1.
    let note = fx.git(&["notes", "--ref", "countersign", "show", "HEAD"]);
    assert!(note.contains("\"version\":3"), "{note}");
    assert!(note.ends_with(",\"round\":2}"), "{note}");
    assert!(
        note.contains("\"round\":2,\"history\":[{\"round\":1,\"verdict\":\"rejected\"}]"),
        "{note}"
    );
    let (_, show_json, _) = run(&fx, &["show", "HEAD", "--format", "json"]);
    assert_valid("show.schema.json", &show_json);
    let (code, show, err) = run(&fx, &["show", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    assert!(show.contains("closed review round 2"), "{show}");
    assert!(
        show.contains("db.sql:9 (after: rejected in round 1)"),
        "{show}"
    );
}

#[test]
fn a_rebase_that_moves_the_lines_moves_the_comment_with_them() {
    let fx = fixture();
    first_round(&fx);
    // main grows five lines above the hunk; the branch is rebased onto it.
    fx.git(&["checkout", "-q", "main"]);
    base_files(&fx, 5);
    fx.commit("headers");
    fx.git(&["checkout", "-q", "agent"]);
    let rebased = fx.git_output(&["rebase", "-q", "main"]);
    assert!(rebased.status.success(), "{rebased:?}");

    let mut s = open(&fx);
    // The same change in a new place: its decision and comment carried over.
    s.wait_ready("round 2: 2 carried over, 0 changed, 0 new");
    // It was on line 12; five lines came above it.
    let screen = s.key_then("n", "your comment on line 17:");
    assert!(screen.contains("keep the WHERE"), "{screen}");
    assert!(screen.contains("@@ 14,7"), "{screen}");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    let (_, out, err) = run(&fx, &["export", "--format", "agent-json"]);
    let v = json(&out);
    assert_eq!(v["tasks"][0]["comment_lines"]["start"], 17, "{err}");
    assert_eq!(v["tasks"][0]["location"], "db.sql:17");
}

#[test]
fn a_removed_hunk_says_its_comment_no_longer_applies_and_a_new_commit_is_new() {
    let fx = fixture();
    first_round(&fx);
    // The agent drops the DELETE change altogether, and adds a commit.
    fx.write(
        "db.sql",
        sql_with(0, "DELETE FROM sessions WHERE expires_at < now();"),
    );
    fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    fx.write(
        "app.py",
        "def f():\n    return 2\n\n\ndef g():\n    return 3\n",
    );
    fx.commit_ai("Add g");

    let mut s = open(&fx);
    let screen = s.wait_ready("round 2: 1 carried over, 0 changed, 1 new, 1 comment(s) outdated");
    let screen = if screen.contains("no longer applies") {
        screen
    } else {
        s.wait_for("no longer applies")
    };
    assert!(
        screen.contains("your round-1 comment on db.sql @@")
            && screen.contains("the code was removed"),
        "{screen}"
    );
    // Only the new commit's hunk is new; C shows it alone.
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    let mut s = open(&fx);
    s.wait_ready("round 2:");
    let filtered = s.key_then("C", "only hunks changed or new");
    let rows = filtered.lines().filter(|l| l.contains("+@@")).count();
    assert_eq!(rows, 1, "{filtered}");
    // Said once: the round is resumed, not opened again.
    assert!(!filtered.contains("no longer applies"), "{filtered}");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}
