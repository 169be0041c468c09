//! Writing an approval back into git, on real repositories checked with the real `git`: the
//! trees, authors, index and working tree stay exactly as they were; the branch moves with a
//! reflog entry that the undo hint reverses; every refusal leaves the repository untouched.

mod common;
#[path = "rewrite_support/refusals.rs"]
mod refusals;
#[path = "rewrite_support/shapes.rs"]
mod shapes;
#[path = "rewrite_support/signing.rs"]
mod signing;
#[path = "approval_support/mod.rs"]
mod support;

use countersign::approval::append_approval;
use countersign::approval::trailer::append_trailers;
use countersign::error::UserError;
use countersign::git::notes;
use countersign::git::rewrite::{rewrite_messages, Ident, Outcome, Plan, RewriteOptions};
use countersign::policy::Approval;
use git2::{Oid, Repository};

use common::{Fixture, EPOCH};
use support::*;

const REVIEWED: &str = "Reviewed-by: Jane Doe <jane@example.com>\n";

fn jane() -> Ident {
    Ident {
        name: "Jane Doe".into(),
        email: "jane@example.com".into(),
        time: EPOCH + 3600,
        offset_minutes: 60,
    }
}

fn opts() -> RewriteOptions {
    RewriteOptions {
        committer: Some(jane()),
        ..RewriteOptions::default()
    }
}

fn open(fx: &Fixture) -> Repository {
    Repository::open(fx.path()).unwrap()
}

fn oid(s: &str) -> Oid {
    Oid::from_str(s).unwrap()
}

/// A base commit and an AI-written commit on `main`.
fn fixture() -> Fixture {
    let fx = Fixture::new();
    // A machine-wide commit.gpgsign must not leak into the tests that don't sign.
    fx.git(&["config", "commit.gpgsign", "false"]);
    fx.write("src/lib.rs", "fn a() {}\n");
    fx.commit("Base");
    fx.write("src/lib.rs", "fn a() { retry(3) }\n");
    fx.commit_ai("Add retries");
    fx
}

fn message_of(fx: &Fixture, rev: &str) -> String {
    // The raw object, untrimmed: the message's bytes are what is compared.
    let out = fx.git_output(&["cat-file", "commit", rev]);
    let raw = String::from_utf8(out.stdout).unwrap();
    raw.split_once("\n\n").unwrap().1.to_string()
}

fn refusal(err: anyhow::Error) -> String {
    let user = err
        .downcast_ref::<UserError>()
        .unwrap_or_else(|| panic!("not a user error: {err:#}"));
    assert!(user.hint.is_some(), "a refusal says what to do: {user}");
    user.to_string()
}

/// Everything a refusal must leave alone.
fn snapshot(fx: &Fixture) -> Vec<String> {
    [
        "refs/heads/main",
        "HEAD",
        "refs/notes/ai",
        "refs/notes/countersign",
    ]
    .iter()
    .map(|r| fx.git_output(&["rev-parse", "-q", "--verify", r]).stdout)
    .map(|o| String::from_utf8(o).unwrap())
    .chain([
        fx.git(&["reflog", "--format=%H %gs"]),
        fx.git(&["status", "--porcelain"]),
    ])
    .collect()
}
#[test]
fn amend_of_head_keeps_tree_author_index_and_working_tree() {
    let fx = fixture();
    // Work in progress the rewrite must not see: staged, unstaged and untracked.
    fx.write("staged.txt", "staged\n");
    fx.git(&["add", "staged.txt"]);
    fx.write("src/lib.rs", "fn a() { retry(3) } // editing\n");
    fx.write("untracked.txt", "new\n");
    let status = fx.git(&["status", "--porcelain"]);
    let index_path = fx.path().join(".git/index");
    let index = std::fs::read(&index_path).unwrap();
    let before = fx.git(&["log", "-1", "--format=%H %T %an <%ae> %ad %P"]);
    let old = fx.head();

    // A real approval, signed with a real key, as the review screen would write it.
    let keys = Keys::new();
    let key = keys.make("jane", "ed25519");
    let commit = load(&fx, "HEAD");
    let set = sign(&commit, JANE, &ssh_config(&key));
    let message = append_approval(&commit.message, &set, false).unwrap();
    let repo = open(&fx);
    let out =
        rewrite_messages(&repo, &Plan::amend_head(&repo, &message).unwrap(), &opts()).unwrap();

    let new = fx.head();
    assert_eq!(out.old_tip, oid(&old));
    assert_eq!(out.new_tip, oid(&new));
    assert_eq!(out.rewritten, vec![(oid(&old), oid(&new))]);
    assert_eq!(fx.git(&["rev-parse", "main"]), new);
    assert_eq!(fx.git(&["symbolic-ref", "HEAD"]), "refs/heads/main");
    let after = fx.git(&["log", "-1", "--format=%H %T %an <%ae> %ad %P"]);
    assert_eq!(
        after[41..],
        before[41..],
        "tree, author, date and parent are kept"
    );
    assert_eq!(message_of(&fx, "HEAD"), message);
    assert_eq!(
        fx.git(&["log", "-1", "--format=%cn <%ce> %cd", "--date=raw"]),
        "Jane Doe <jane@example.com> 1795298400 +0100"
    );
    assert_parsed_by_git(&fx, &message);
    assert_eq!(
        std::fs::read(&index_path).unwrap(),
        index,
        "the index is byte-identical"
    );
    assert_eq!(fx.git(&["status", "--porcelain"]), status);
    let worktree = std::fs::read_to_string(fx.path().join("src/lib.rs")).unwrap();
    assert_eq!(worktree, "fn a() { retry(3) } // editing\n");

    // And the approval written this way verifies.
    let allowed = keys.allowed(&[("jane@example.com", "", &key)]);
    let result = verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed));
    assert!(result.passed(), "{:?}", result.checks);
}

#[test]
fn a_range_is_rewritten_and_its_descendants_re_parented() {
    let fx = fixture();
    let base = fx.head();
    fx.write("a.txt", "a\n");
    let a = fx.commit_ai("A");
    fx.write("b.txt", "b\n");
    let b = fx.commit("B by a human");
    fx.write("c.txt", "c\n");
    let c = fx.commit_ai("C");
    fx.write("d.txt", "d\n");
    let d = fx.commit("D on top");
    let range = format!("{base}..HEAD");
    let trees = fx.git(&["log", "--format=%T %an %ae %ad", &range]);

    // A and C were reviewed; B sits between them and D above them.
    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    for id in [&a, &c] {
        let message = message_of(&fx, id);
        plan.set_message(oid(id), append_trailers(&message, REVIEWED).unwrap());
    }
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();

    assert_eq!(fx.git(&["log", "--format=%T %an %ae %ad", &range]), trees);
    let old: Vec<Oid> = [&a, &b, &c, &d].iter().map(|s| oid(s)).collect();
    assert_eq!(
        out.rewritten.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        old
    );
    let new = |o: &str| out.new_id(oid(o)).unwrap().to_string();
    let parents = fx.git(&["log", "--format=%P", &range]);
    assert_eq!(
        parents,
        [new(&c), new(&b), new(&a), base.clone()].join("\n"),
        "each commit sits on the rewritten one below it"
    );
    for (id, reviewed) in [(&a, true), (&b, false), (&c, true), (&d, false)] {
        let message = message_of(&fx, &new(id));
        assert_eq!(message.ends_with(REVIEWED), reviewed, "{message}");
        assert_eq!(
            message.replacen(&format!("\n{REVIEWED}"), "\n", 1),
            message_of(&fx, id)
        );
    }
    assert_eq!(
        fx.git(&["reflog", "-1", "--format=%gs"]),
        "countersign: approve 2 commits"
    );
    fx.git(&["fsck", "--no-progress"]);
}

#[test]
fn the_reflog_records_the_approval_and_the_undo_hint_reverses_it() {
    let fx = fixture();
    let old = fx.head();
    fx.write("src/lib.rs", "fn a() { retry(3) } // uncommitted\n");
    let status = fx.git(&["status", "--porcelain"]);
    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert_eq!(
        fx.git(&["reflog", "-1", "--format=%gs"]),
        "countersign: approve 1 commit"
    );
    assert_eq!(
        fx.git(&["reflog", "-1", "--format=%gs", "main"]),
        "countersign: approve 1 commit"
    );
    assert_eq!(
        fx.git(&["rev-parse", "main@{1}"]),
        old,
        "the old tip is in the reflog"
    );
    assert!(out.undo_hint.contains(&old), "{}", out.undo_hint);

    run_undo(&fx, &out);
    assert_eq!(fx.git(&["rev-parse", "main"]), old);
    assert_eq!(fx.git(&["status", "--porcelain"]), status);
    assert_eq!(
        fx.git(&["reflog", "-1", "--format=%gs", "main"]),
        "countersign: undo approval"
    );
    // Running it twice does nothing: it only moves the branch back from the new tip.
    let again = fx
        .command("sh")
        .args(["-c", &out.undo_hint])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert_eq!(fx.git(&["rev-parse", "main"]), old);
}

fn run_undo(fx: &Fixture, out: &Outcome) {
    let run = fx
        .command("sh")
        .args(["-c", &out.undo_hint])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn notes_follow_the_rewritten_commits_and_records_are_appended() {
    let fx = fixture();
    let ai = fx.head();
    let base = fx.git(&["rev-parse", "HEAD~1"]);
    fx.git(&[
        "notes",
        "--ref",
        "ai",
        "add",
        "-m",
        "src/lib.rs\n  session 1-1",
        &ai,
    ]);
    fx.git(&[
        "notes",
        "--ref",
        "countersign",
        "add",
        "-m",
        "{\"earlier\":1}",
        &ai,
    ]);
    fx.git(&["notes", "--ref", "ai", "add", "-m", "base note", &base]);
    fx.write("top.txt", "top\n");
    let top = fx.commit("Human commit on top");
    fx.git(&["notes", "--ref", "ai", "add", "-m", "top note", &top]);

    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    plan.set_message(
        oid(&ai),
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    );
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert_eq!(out.notes_copied, 3);
    let new_ai = out.new_id(oid(&ai)).unwrap().to_string();
    let new_top = out.new_id(oid(&top)).unwrap().to_string();
    assert_eq!(
        fx.git(&["notes", "--ref", "ai", "show", &new_ai]),
        "src/lib.rs\n  session 1-1"
    );
    assert_eq!(
        fx.git(&["notes", "--ref", "ai", "show", &new_top]),
        "top note"
    );
    assert_eq!(
        fx.git(&["notes", "--ref", "ai", "show", &ai]),
        "src/lib.rs\n  session 1-1"
    );
    assert_eq!(
        fx.git(&["notes", "--ref", "ai", "show", &base]),
        "base note"
    );

    // The review record goes on the new commit, after the records already there.
    let who = out.committer.to_git2().unwrap();
    notes::append_note(
        &repo,
        notes::COUNTERSIGN_NOTES,
        oid(&new_ai),
        "{\"record\":2}",
        &who,
    )
    .unwrap();
    assert_eq!(
        fx.git(&["notes", "--ref", "countersign", "show", &new_ai]),
        "{\"earlier\":1}\n{\"record\":2}"
    );
    assert_eq!(
        fx.git(&["log", "-1", "--format=%an <%ae>", "refs/notes/countersign"]),
        "Jane Doe <jane@example.com>"
    );
}
