//! AI-assistance evidence on real repositories: every source, written by the real git, read back
//! through git2 — including git-ai notes written with `git notes --ref ai add` and attributed to
//! the hunks of a real diff.

mod common;

use common::Fixture;
use countersign::detect::{self, gitai, Detector};
use countersign::git::notes::read_note;
use countersign::model::{
    ChangeKind, Commit, EvidenceSource as S, FileChange, Hunk, Line, LineKind, Origin, Person,
};
use countersign::policy::{Markers, Policy};

/// Reads a commit into the model the simple way (the real loader lives in src/git/): message,
/// identities, and every hunk of the diff against the first parent.
fn load(fx: &Fixture, rev: &str) -> (git2::Repository, Commit) {
    let repo = git2::Repository::open(fx.path()).unwrap();
    let commit = read(&repo, rev);
    (repo, commit)
}

fn read(repo: &git2::Repository, rev: &str) -> Commit {
    let c = repo.revparse_single(rev).unwrap().peel_to_commit().unwrap();
    let person = |s: git2::Signature| Person {
        name: s.name().unwrap().to_string(),
        email: s.email().unwrap().to_string(),
        time: s.when().seconds(),
    };
    let parent_tree = c.parent(0).ok().map(|p| p.tree().unwrap());
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&c.tree().unwrap()), None)
        .unwrap();
    let mut files = Vec::new();
    for i in 0..diff.deltas().len() {
        let patch = git2::Patch::from_diff(&diff, i).unwrap().unwrap();
        let delta = patch.delta();
        let path = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().into_owned());
        let (old, new) = match delta.status() {
            git2::Delta::Added => (None, path(delta.new_file())),
            git2::Delta::Deleted => (path(delta.old_file()), None),
            _ => (path(delta.old_file()), path(delta.new_file())),
        };
        let mut file = FileChange::new(old, new, ChangeKind::Modified);
        for h in 0..patch.num_hunks() {
            let (hunk, count) = patch.hunk(h).unwrap();
            let lines = (0..count)
                .map(|l| {
                    let line = patch.line_in_hunk(h, l).unwrap();
                    let kind = match line.origin() {
                        '+' => LineKind::Added,
                        '-' => LineKind::Removed,
                        _ => LineKind::Context,
                    };
                    Line::new(kind, line.old_lineno(), line.new_lineno(), line.content())
                })
                .collect();
            let at = (hunk.old_start(), hunk.old_lines());
            let to = (hunk.new_start(), hunk.new_lines());
            file.hunks.push(Hunk::new(file.path(), at, to, "", lines));
        }
        files.push(file);
    }
    Commit {
        id: c.id().to_string(),
        message: c.message().unwrap().to_string(),
        author: person(c.author()),
        committer: person(c.committer()),
        files,
        ..Commit::default()
    }
}

/// Detects evidence and attributes hunks as the loader will: markers, then the note if any.
fn analyse(fx: &Fixture, rev: &str, markers: &Markers, all: bool) -> Commit {
    let (repo, mut commit) = load(fx, rev);
    commit.evidence = Detector::new(markers, all)
        .unwrap()
        .commit_evidence(&commit);
    let oid = git2::Oid::from_str(&commit.id).unwrap();
    let note = read_note(&repo, "refs/notes/ai", oid).unwrap();
    let log = note.map(|n| gitai::parse(&n).unwrap());
    // These tests are about what the notes say; the policy decides whether to believe them.
    detect::attribute(&mut commit, log.as_ref(), all, true);
    commit
}

fn origins(commit: &Commit) -> Vec<(String, Origin)> {
    commit
        .files
        .iter()
        .flat_map(|f| {
            f.hunks
                .iter()
                .map(move |h| (f.path().to_string(), h.origin.clone()))
        })
        .collect()
}

fn sources(commit: &Commit) -> Vec<S> {
    commit.evidence.iter().map(|e| e.source).collect()
}

fn numbered(n: u32, edit: impl Fn(u32) -> Option<String>) -> String {
    (1..=n)
        .filter_map(|i| {
            edit(i)
                .or(Some(format!("line {i}")))
                .filter(|l| l != "DELETE")
        })
        .map(|l| l + "\n")
        .collect()
}

fn base(fx: &Fixture) {
    fx.write("src/app.rs", numbered(40, |_| None));
    fx.commit("Initial commit");
}

#[test]
fn claude_code_trailer_and_generated_line() {
    let fx = Fixture::new();
    base(&fx);
    fx.write(
        "src/app.rs",
        numbered(40, |i| (i == 3).then(|| "changed".into())),
    );
    fx.commit_ai("Tweak the app");
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(sources(&c), [S::Trailer, S::Message]);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("Claude Code"));
    assert!(c.is_ai_assisted() && !c.has_line_attribution);
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Ai));
}

#[test]
fn a_generated_with_line_alone() {
    let fx = Fixture::new();
    base(&fx);
    fx.write("a.txt", "one\n");
    fx.commit("Add a\n\n🤖 Generated with [opencode](https://opencode.ai)\n");
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(sources(&c), [S::Message]);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("opencode"));
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Ai));
}

#[test]
fn a_human_commit_has_no_evidence() {
    let fx = Fixture::new();
    base(&fx);
    fx.write(
        "src/app.rs",
        numbered(40, |i| (i == 3).then(|| "changed".into())),
    );
    fx.commit("Ask Claude about this\n\nCo-authored-by: Alice <alice@example.com>");
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert!(c.evidence.is_empty(), "{:?}", c.evidence);
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Human));
}

#[test]
fn agent_author_and_committer_identities() {
    let fx = Fixture::new();
    base(&fx);
    fx.write("a.txt", "one\n");
    fx.git(&["add", "-A"]);
    fx.git(&[
        "commit",
        "-q",
        "--author=Copilot <198982749+Copilot@users.noreply.github.com>",
        "-m",
        "Fix the flaky test",
    ]);
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(sources(&c), [S::Author]);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("GitHub Copilot"));

    // aider commits with " (aider)" appended to the committer's name.
    fx.write("b.txt", "two\n");
    fx.git(&["add", "-A"]);
    let out = fx
        .command("git")
        .args(["commit", "-q", "-m", "feat: add b"])
        .env("GIT_COMMITTER_NAME", "Ada Agent (aider)")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(sources(&c), [S::Committer]);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("aider"));
}

#[test]
fn kernel_assisted_by_and_apache_generated_by() {
    let fx = Fixture::new();
    base(&fx);
    fx.write("a.txt", "one\n");
    fx.commit("mm: fix a leak\n\nAssisted-by: Claude:claude-3-opus coccinelle\nSigned-off-by: Ada Agent <ada@example.com>");
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(sources(&c), [S::Trailer]);
    let e = &c.evidence[0];
    assert_eq!(
        (e.agent.as_deref(), e.model.as_deref()),
        (Some("Claude"), Some("claude-3-opus"))
    );

    fx.write("b.txt", "two\n");
    fx.commit("Fix NPE in JdbcExecutor\n\nGenerated-by: GitHub Copilot");
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("GitHub Copilot"));
}

#[test]
fn policy_markers_and_all() {
    let fx = Fixture::new();
    base(&fx);
    fx.write("a.txt", "one\n");
    fx.commit("Tidy imports\n\nX-AI-Agent: internal-bot");
    let text = r#"
[markers]
trailers = ["X-AI-Agent"]
identities = ["ada@example.com"]
message_patterns = ["^tidy "]
"#;
    let policy = Policy::parse(text, ".countersign.toml").unwrap();
    let c = analyse(&fx, "HEAD", &policy.markers, false);
    // The trailer, the author, the committer (the fixture's identity) and the subject.
    assert_eq!(sources(&c), [S::Policy; 4], "{:?}", c.evidence);
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Ai));

    let plain = analyse(&fx, "HEAD", &Markers::default(), false);
    assert!(plain.evidence.is_empty());
    let all = analyse(&fx, "HEAD", &Markers::default(), true);
    assert_eq!(sources(&all), [S::All]);
    assert!(origins(&all).iter().all(|(_, o)| *o == Origin::Ai));
}

/// A git-ai log as git-ai ≥ 1.4 writes it: a session with trace ids, a known human, and a
/// legacy prompt key, for the commit built in `note_fixture`.
const NOTE: &str = r#"src/app.rs
  s_1a2b3c4d5e6f70::t_00000000000001 3
  h_99aa88bb77cc66 15
"src/new file.rs"
  s_1a2b3c4d5e6f70::t_00000000000002 1-2
  0123456789abcdef 3
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.4.0",
  "base_commit_sha": "0000000000000000000000000000000000000000",
  "prompts": {
    "0123456789abcdef": {"agent_id": {"tool": "cursor", "id": "c-1", "model": "gpt-5"},
                         "human_author": "Ada Agent <ada@example.com>", "total_additions": 1,
                         "total_deletions": 0, "accepted_lines": 1, "overriden_lines": 0}
  },
  "humans": {"h_99aa88bb77cc66": {"author": "Ada Agent <ada@example.com>"}},
  "sessions": {
    "s_1a2b3c4d5e6f70": {"agent_id": {"tool": "claude", "id": "x-1", "model": "claude-opus-4-5"},
                         "human_author": "Ada Agent <ada@example.com>"}
  }
}"#;

/// One commit, no trailer: an AI line (3), a human line (15), an unattested line (27), a
/// deletion (36-37), a new file partly by two AI sessions, and a new file the note ignores.
fn note_fixture() -> (Fixture, String) {
    let fx = Fixture::new();
    base(&fx);
    fx.write(
        "src/app.rs",
        numbered(40, |i| match i {
            3 => Some("let ai = 3;".into()),
            15 => Some("let human = 15;".into()),
            27 => Some("let mystery = 27;".into()),
            36 | 37 => Some("DELETE".into()),
            _ => None,
        }),
    );
    fx.write("src/new file.rs", "fn a() {}\nfn b() {}\nfn c() {}\n");
    fx.write("README.md", "hello\n");
    let id = fx.commit("Refactor the app");
    fx.git(&["notes", "--ref", "ai", "add", "-m", NOTE, &id]);
    (fx, id)
}

#[test]
fn git_ai_note_attributes_hunks_line_by_line() {
    let (fx, _) = note_fixture();
    let c = analyse(&fx, "HEAD", &Markers::default(), false);
    assert!(c.has_line_attribution);
    use Origin::*;
    let expected = [
        ("README.md", Unknown),
        ("src/app.rs", Ai),
        ("src/app.rs", Human),
        ("src/app.rs", Unknown),
        ("src/app.rs", Ai), // the deletion, in a commit with AI evidence
        ("src/new file.rs", Ai),
    ];
    let expected: Vec<(String, Origin)> = expected
        .iter()
        .map(|(p, o)| (p.to_string(), o.clone()))
        .collect();
    assert_eq!(origins(&c), expected);

    // The commit is AI-assisted through its note alone: one Notes evidence per session.
    assert_eq!(sources(&c), [S::Notes, S::Notes]);
    assert_eq!(c.evidence[0].agent.as_deref(), Some("claude"));
    assert!(
        c.evidence[0].detail.contains("wrote 3 lines in 2 files"),
        "{}",
        c.evidence[0].detail
    );

    // The AI hunk names the session's agent and model; the new file names both sessions.
    let app = &c
        .files
        .iter()
        .find(|f| f.path() == "src/app.rs")
        .unwrap()
        .hunks;
    let e = &app[0].evidence;
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].agent.as_deref(), e[0].model.as_deref()),
        (Some("claude"), Some("claude-opus-4-5"))
    );
    assert!(e[0].detail.contains("lines 3 "), "{}", e[0].detail);
    let new = &c
        .files
        .iter()
        .find(|f| f.path() == "src/new file.rs")
        .unwrap()
        .hunks[0];
    let agents: Vec<Option<&str>> = new.evidence.iter().map(|e| e.agent.as_deref()).collect();
    assert_eq!(agents, [Some("claude"), Some("cursor")]);
    assert!(app[1].evidence.is_empty() && app[2].evidence.is_empty());
}

#[test]
fn notes_are_read_back_exactly_and_only_for_their_commit() {
    let (fx, id) = note_fixture();
    let repo = git2::Repository::open(fx.path()).unwrap();
    let oid = git2::Oid::from_str(&id).unwrap();
    let note = read_note(&repo, "ai", oid).unwrap().expect("a note");
    // git notes keeps the text (it only trims trailing whitespace): the log parses as written.
    assert_eq!(gitai::parse(&note).unwrap(), gitai::parse(NOTE).unwrap());

    let parent = repo.find_commit(oid).unwrap().parent_id(0).unwrap();
    assert_eq!(read_note(&repo, "refs/notes/ai", parent).unwrap(), None);
    assert_eq!(
        read_note(&repo, "refs/notes/countersign", oid).unwrap(),
        None,
        "no such ref"
    );

    // The parent has no note, so it falls back to commit markers: none, so human.
    let c = analyse(&fx, "HEAD~1", &Markers::default(), false);
    assert!(!c.has_line_attribution);
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Human));
}

#[test]
fn a_note_with_markers_and_all() {
    let (fx, _) = note_fixture();
    // --all overrides the line attribution but keeps the line evidence for the UI.
    let c = analyse(&fx, "HEAD", &Markers::default(), true);
    assert!(origins(&c).iter().all(|(_, o)| *o == Origin::Ai));
    assert_eq!(sources(&c), [S::Notes, S::Notes, S::All]);
    let app = &c
        .files
        .iter()
        .find(|f| f.path() == "src/app.rs")
        .unwrap()
        .hunks;
    assert_eq!(app[0].evidence.len(), 1);
}

#[test]
fn a_garbage_note_is_a_clear_error() {
    let fx = Fixture::new();
    base(&fx);
    let id = fx.head();
    fx.git(&[
        "notes",
        "--ref",
        "ai",
        "add",
        "-m",
        "reviewed by Bob, looks fine",
        &id,
    ]);
    let repo = git2::Repository::open(fx.path()).unwrap();
    let note = read_note(&repo, "refs/notes/ai", git2::Oid::from_str(&id).unwrap())
        .unwrap()
        .unwrap();
    let err = format!("{:#}", gitai::parse(&note).unwrap_err());
    assert!(err.contains("not a git-ai authorship log"), "{err}");
}

#[test]
fn under_the_default_policy_a_note_cannot_excuse_a_hunk_from_review() {
    let (fx, id) = note_fixture();
    let repo = git2::Repository::open(fx.path()).unwrap();
    let oid = git2::Oid::from_str(&id).unwrap();
    let trusting = |trust: bool| {
        let mut policy = countersign::policy::Policy::default();
        policy.approval.trust_attribution_notes = trust;
        let analysis = countersign::load::Analysis::new(&policy, false).unwrap();
        countersign::load::full_commit(&repo, &analysis, oid).unwrap()
    };
    let human = |c: &Commit| {
        origins(c)
            .iter()
            .filter(|(_, o)| *o == Origin::Human)
            .count()
    };
    assert!(
        human(&trusting(true)) > 0,
        "the note marks some hunks human"
    );
    assert_eq!(
        human(&trusting(false)),
        0,
        "{:?}",
        origins(&trusting(false))
    );
}

/// The one trailer parser reads what git reads: the same keys and values as
/// `git interpret-trailers --parse`, for messages where a hand-written parser would differ.
#[test]
fn trailers_are_what_git_reads() {
    let fx = Fixture::new();
    let messages = [
        "S\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        "S\n\n🤖 Generated with [Claude Code](https://claude.ai/code)\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        "S\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n\n# a comment paragraph\n",
        "S\n\nCo-Authored-By: Claude <x>\n\nmore prose after\n",
        "S\n\nSigned-off-by: A <a@x>\nsome prose\nCo-authored-by: Copilot <c@x>\n",
        "S\n\nAssisted-by: Claude:claude-3-opus\n  coccinelle\nFixes: 123\n",
        "Co-authored-by: Claude <noreply@anthropic.com>\n",
        "S\n\nGenerated-by : Gemini\n",
    ];
    for msg in messages {
        let git: Vec<String> = fx
            .interpret_trailers(msg)
            .lines()
            .map(str::to_string)
            .collect();
        let ours: Vec<String> = countersign::detect::trailers::parse(msg)
            .trailers
            .iter()
            .map(|t| t.line())
            .collect();
        assert_eq!(ours, git, "{msg:?}");
    }
}

/// 71 real commit messages from public repositories (`tests/detect_messages.toml`): agents'
/// commits in each of their forms, and humans, dependency bots and prose naming the tools,
/// which must give no evidence.
#[test]
fn real_commit_messages_are_judged_as_labelled() {
    #[derive(serde::Deserialize)]
    struct Messages {
        commit: Vec<Labelled>,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)] // repo and why are for the reader
    struct Labelled {
        repo: String,
        commit: String,
        author: String,
        committer: String,
        agent: String,
        why: Option<String>,
        message: String,
    }
    let person = |ident: &str| {
        let (name, email) = ident.rsplit_once(" <").unwrap();
        Person {
            name: name.to_string(),
            email: email.trim_end_matches('>').to_string(),
            time: 0,
        }
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/detect_messages.toml");
    let all: Messages = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(all.commit.len() >= 50);
    let detector = Detector::new(&Markers::default(), false).unwrap();
    let mut wrong = Vec::new();
    for c in &all.commit {
        let commit = Commit {
            author: person(&c.author),
            committer: person(&c.committer),
            summary: c.message.lines().next().unwrap_or("").to_string(),
            message: c.message.clone(),
            ..Commit::default()
        };
        let evidence = detector.commit_evidence(&commit);
        let got = evidence
            .first()
            .map(|e| e.agent.clone().unwrap_or_default());
        let ok = match c.agent.as_str() {
            "" => evidence.is_empty(),
            "*" => !evidence.is_empty(),
            want => got.as_deref() == Some(want),
        };
        if !ok {
            wrong.push(format!(
                "{} {}: want {:?}, got {got:?}",
                c.repo,
                &c.commit[..10],
                c.agent
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_range_reads_each_commits_own_note() {
    // The loader reads the notes tree once for a whole range: each commit must still get its
    // own note, and a commit without one none.
    let (fx, noted) = note_fixture();
    fx.write("README.md", "hello again\n");
    let plain = fx.commit("Touch the readme");
    let repo = git2::Repository::open(fx.path()).unwrap();
    let mut policy = countersign::policy::Policy::default();
    policy.approval.trust_attribution_notes = true;
    let analysis = countersign::load::Analysis::new(&policy, false).unwrap();
    let oids = [noted, plain].map(|id| git2::Oid::from_str(&id).unwrap());
    let mut got = Vec::new();
    countersign::load::full_commits(&repo, &analysis, &oids, |_, c| {
        got.push(c);
        Ok(true)
    })
    .unwrap();
    assert_eq!(got.len(), 2);
    assert!(
        got[0].has_line_attribution,
        "the first commit's note is read"
    );
    assert_eq!(sources(&got[0]), [S::Notes, S::Notes]);
    assert!(!got[1].has_line_attribution, "the second has no note");
    assert!(sources(&got[1]).is_empty());
}
