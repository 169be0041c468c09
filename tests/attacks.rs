//! The attacks of issue 9 on `countersign verify`, each built with the real git (commit-tree,
//! cherry-pick, merge, tags, notes) and signed with real SSH keys through the review screen's
//! own signing code; and the legitimate ways a change lands, which must still pass.

mod common;

use std::path::PathBuf;

use common::signing::{allowed, approve_and_sign, become_reviewer, reviewer, verify, Reviewer};
use common::Fixture;

/// The trailers of `rev`'s message (every `Countersign*` line and its continuations).
fn trailers_of(fx: &Fixture, rev: &str) -> String {
    let msg = fx.git(&["log", "-1", "--format=%B", rev]);
    let mut out = String::new();
    let mut inside = false;
    for line in msg.lines() {
        if line.starts_with("Countersign") {
            inside = true;
        } else if !line.starts_with(' ') {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.is_empty(), "no approval in {rev}: {msg}");
    out
}

/// A commit with `tree` and `parents`, and `rev`'s message (its approval copied along).
fn forge(fx: &Fixture, tree: &str, parents: &[&str], message: &str) -> String {
    let mut args = vec!["commit-tree", tree];
    for p in parents {
        args.push("-p");
        args.push(p);
    }
    args.push("-m");
    args.push(message);
    fx.git(&args)
}

fn setup() -> (Fixture, Reviewer, PathBuf) {
    let fx = Fixture::new();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    (fx, jane, signers)
}

fn assert_fails(fx: &Fixture, args: &[&str], signers: &PathBuf, reason: &str) {
    let (code, out) = verify(fx, args, signers);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(reason), "expected '{reason}' in:\n{out}");
}

const APP: &str = "def test_helper(user):\n    check_auth(user)\n    return user\n\n\ndef delete_account(user):\n    check_auth(user)\n    db.delete(user)\n";

#[test]
fn a_removal_moved_to_another_function_does_not_verify() {
    let (fx, jane, signers) = setup();
    fx.write("app.py", APP).commit("base");
    let base = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        "app.py",
        APP.replacen(
            "    check_auth(user)\n    return user",
            "    return user",
            1,
        ),
    );
    fx.commit_ai("Drop the auth check from the test helper");
    approve_and_sign(&fx, "HEAD", &jane);
    assert_eq!(verify(&fx, &[&format!("{base}..HEAD")], &signers).0, 0);

    // The same removed line, from delete_account instead, with the approval copied.
    let moved = APP.replacen("    check_auth(user)\n    db.delete", "    db.delete", 1);
    fx.git(&["checkout", "-q", "-b", "evil", &base]);
    fx.write("app.py", moved);
    fx.git(&["add", "-A"]);
    let tree = fx.git(&["write-tree"]);
    let msg = fx.git(&["log", "-1", "--format=%B", "agent"]);
    let evil = forge(&fx, &tree, &[&base], &msg);
    assert_fails(
        &fx,
        &[&format!("{base}..{evil}")],
        &signers,
        "approves another change",
    );
    assert_fails(
        &fx,
        &[&format!("{base}..{evil}")],
        &signers,
        "it differs in app.py",
    );
}

#[test]
fn approved_lines_gathered_elsewhere_do_not_verify() {
    let (fx, jane, signers) = setup();
    let text = "a = 1\n\n\n\n\n\nb = 2\n\n\n\n\n\nc = 3\n";
    fx.write("cfg.py", text).commit("base");
    let base = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        "cfg.py",
        "a = 1\nX = 1\n\n\n\n\n\nb = 2\nY = 2\n\n\n\n\n\nc = 3\n",
    );
    fx.commit_ai("Add X and Y");
    approve_and_sign(&fx, "HEAD", &jane);
    let msg = fx.git(&["log", "-1", "--format=%B"]);
    fx.git(&["checkout", "-q", &base]);
    fx.write(
        "cfg.py",
        "a = 1\n\n\n\n\n\nb = 2\n\n\n\n\n\nc = 3\nX = 1\nY = 2\n",
    );
    fx.git(&["add", "-A"]);
    let tree = fx.git(&["write-tree"]);
    let evil = forge(&fx, &tree, &[&base], &msg);
    assert_fails(
        &fx,
        &[&format!("{base}..{evil}")],
        &signers,
        "approves another change",
    );
}

#[test]
fn non_utf8_paths_are_told_apart() {
    use std::os::unix::ffi::OsStrExt;
    let (fx, jane, signers) = setup();
    fx.write("README", "x\n").commit("base");
    let base = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    let dir = fx.path().join("cfg");
    std::fs::create_dir_all(&dir).unwrap();
    let fe = dir.join(std::ffi::OsStr::from_bytes(b"\xfe.sh"));
    std::fs::write(&fe, "echo harmless\n").unwrap();
    fx.git(&["add", "-A"]);
    fx.commit_ai("Add a script");
    approve_and_sign(&fx, "HEAD", &jane);
    let msg = fx.git(&["log", "-1", "--format=%B"]);
    assert_eq!(verify(&fx, &[&format!("{base}..HEAD")], &signers).0, 0);
    fx.git(&["checkout", "-q", &base]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(std::ffi::OsStr::from_bytes(b"\xff.sh")),
        "echo harmless\n",
    )
    .unwrap();
    fx.git(&["add", "-A"]);
    let tree = fx.git(&["write-tree"]);
    let evil = forge(&fx, &tree, &[&base], &msg);
    assert_fails(
        &fx,
        &[&format!("{base}..{evil}")],
        &signers,
        "approves another change",
    );
}

#[test]
fn a_merge_onto_an_old_base_is_refused() {
    let (fx, jane, signers) = setup();
    fx.write("auth.py", "def login(): return check()\n")
        .write("svc.py", "A = 1\n")
        .commit("base");
    let old = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 2\n");
    fx.commit_ai("Tune A");
    approve_and_sign(&fx, "HEAD", &jane);
    let approved = fx.head();
    fx.git(&["checkout", "-q", "main"]);
    fx.write("auth.py", "def login(): return check() and mfa()\n")
        .commit("Security fix: require MFA");
    let main = fx.head();
    // First parent the old base, second the main tip; the approved tree (without the fix).
    let tree = fx.git(&["rev-parse", &format!("{approved}^{{tree}}")]);
    let msg = fx.git(&["log", "-1", "--format=%B", &approved]);
    let evil = forge(&fx, &tree, &[&old, &main], &msg);
    let (code, out) = verify(&fx, &[&format!("{main}..{evil}")], &signers);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("REFUSED") && out.contains("outside the range"),
        "{out}"
    );
}

#[test]
fn a_cherry_pick_onto_a_base_where_the_file_changed_does_not_verify() {
    let (fx, jane, signers) = setup();
    let script = "#!/bin/sh\nTARGET=/srv/app\n\n\n\n\n\necho deploying\n";
    fx.write("deploy.sh", script).commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("deploy.sh", format!("{script}rm -rf \"$TARGET\"/*\n"));
    fx.commit_ai("Clean the target before deploying");
    approve_and_sign(&fx, "HEAD", &jane);
    let approved = fx.head();
    fx.git(&["checkout", "-q", "main"]);
    fx.write("deploy.sh", script.replace("TARGET=/srv/app", "TARGET="))
        .commit("Make the target configurable");
    let main = fx.head();
    fx.git(&["checkout", "-q", "-b", "picked"]);
    fx.git(&["cherry-pick", &approved]);
    assert!(trailers_of(&fx, "HEAD").contains("Countersign-Approval"));
    assert_fails(
        &fx,
        &[&format!("{main}..HEAD")],
        &signers,
        "approves another change",
    );
    assert_fails(
        &fx,
        &[&format!("{main}..HEAD")],
        &signers,
        "it differs in deploy.sh",
    );
}

#[test]
fn a_commit_without_markers_still_needs_a_countersignature() {
    let (fx, _jane, signers) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    let base = fx.head();
    fx.write("svc.py", "A = 2\n").commit("Tune A (no marker)");
    assert_fails(
        &fx,
        &[&format!("{base}..HEAD")],
        &signers,
        "0 of 1 required distinct signer(s)",
    );
}

#[test]
fn the_weaker_ai_assisted_policy_still_guards_the_policy_files() {
    let (fx, jane, signers) = setup();
    fx.write(
        ".countersign.toml",
        "[approval]\nrequire = \"ai-assisted\"\n",
    )
    .write(
        ".countersign/allowed_signers",
        common::signing::allowed_text(&[&jane]),
    )
    .commit("policy");
    let base = fx.head();
    fx.write("svc.py", "A = 1\n").commit("human change");
    let (code, out) = verify(&fx, &[&format!("{base}..HEAD")], &signers);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("does not require"), "{out}");
    fx.write(
        ".countersign/allowed_signers",
        "mallory@example.com ssh-ed25519 AAAA\n",
    )
    .commit("add a signer (no marker)");
    assert_fails(
        &fx,
        &[&format!("{base}..HEAD")],
        &signers,
        "policy changes must land on the trusted branch",
    );
}

#[test]
fn a_tag_shadowing_the_trusted_ref_is_refused() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    fx.git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        ".countersign.toml",
        "[approval]\nrequire = \"ai-assisted\"\n",
    )
    .commit("a looser policy");
    fx.write("svc.py", "A = 2\n").commit("Tune A");
    fx.git(&["tag", "origin/main", "HEAD~1"]);
    let _ = jane;
    let (code, out) = verify(
        &fx,
        &["HEAD~2..HEAD", "--policy-ref", "origin/main"],
        &signers,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("full refname"), "{out}");
    let (code, out) = verify(&fx, &["origin/main..HEAD"], &signers);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ambiguous"), "{out}");
    // A ref inside the range is no trusted ref either.
    let (code, out) = verify(
        &fx,
        &[
            "refs/remotes/origin/main..HEAD",
            "--policy-ref",
            "refs/tags/origin/main",
        ],
        &signers,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("inside the range"), "{out}");
}

#[test]
fn a_human_committer_under_an_agent_name_cannot_approve_their_own_commit() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    let base = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 2\n");
    fx.git(&["add", "-A"]);
    let out = fx
        .command("git")
        .args([
            "commit",
            "-q",
            "-m",
            "Tune A\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        ])
        .args(["--author", "Claude <noreply@anthropic.com>"])
        .env("GIT_COMMITTER_NAME", jane.name)
        .env("GIT_COMMITTER_EMAIL", jane.email)
        .output()
        .unwrap();
    assert!(out.status.success());
    approve_and_sign(&fx, "HEAD", &jane);
    assert_fails(
        &fx,
        &[&format!("{base}..HEAD")],
        &signers,
        "an author or committer of the change (jane@example.com)",
    );
}

#[test]
fn repository_config_programs_never_run() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    let base = fx.head();
    fx.write("svc.py", "A = 2\n");
    fx.commit_ai("Tune A");
    let marker = fx.home().join("ran");
    let evil = fx.home().join("evil.sh");
    std::fs::write(
        &evil,
        format!(
            "#!/bin/sh\ntouch {}\nexec ssh-keygen \"$@\"\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&evil, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    become_reviewer(&fx, &jane);
    let evil = evil.display().to_string();
    fx.git(&["config", "gpg.ssh.program", &evil]);
    fx.git(&["config", "gpg.ssh.defaultKeyCommand", &evil]);
    fx.git(&["config", "gpg.program", &evil]);
    let repo = countersign::git::repo::open_at(&fx.path()).unwrap();
    // What the review screen does when it opens: describe the signer, run nothing.
    let described = countersign::commands::sign::signing_as(&repo.git).unwrap();
    assert!(described.contains("Jane Reviewer"), "{described}");
    assert!(
        !marker.exists(),
        "a repository-local program ran when the review opened"
    );
    approve_and_sign(&fx, "HEAD", &jane);
    assert!(
        !marker.exists(),
        "a repository-local program ran when signing"
    );
    assert_eq!(verify(&fx, &[&format!("{base}..HEAD")], &signers).0, 0);
}

#[test]
fn legit_message_amend_rebase_and_rebase_merge_pass() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .write("README", "service\n")
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 2\n");
    fx.commit_ai("Tune A");
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 20\n");
    fx.commit_ai("Tune B");
    approve_and_sign(&fx, "main..HEAD", &jane);
    let msg = fx
        .git(&["log", "-1", "--format=%B"])
        .replace("Tune B", "Tune B for latency");
    fx.git(&["commit", "-q", "--amend", "-m", &msg]);
    let (code, out) = verify(&fx, &["main..HEAD"], &signers);
    assert_eq!(code, 0, "{out}");
    // main moves on in another file; the branch is rebased and lands as a rebase merge.
    fx.git(&["checkout", "-q", "main"]);
    fx.write("README", "service, documented\n").commit("docs");
    let old_main = fx.head();
    fx.git(&["checkout", "-q", "agent"]);
    fx.git(&["rebase", "-q", "main"]);
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["merge", "-q", "--ff-only", "agent"]);
    let (code, out) = verify(&fx, &[&format!("{old_main}..main")], &signers);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 verified"), "{out}");
}

#[test]
fn legit_squash_merges_find_the_branch_approval_by_content() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .write("README", "service\n")
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 2\n");
    fx.commit_ai("Tune A");
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 20\n");
    fx.commit_ai("Tune B");
    let said = approve_and_sign(&fx, "main..HEAD", &jane);
    assert!(said.contains("and the branch as a whole"), "{said}");
    fx.git(&["checkout", "-q", "main"]);
    fx.write("README", "service, documented\n").commit("docs");
    let before = fx.head();
    // A forge's squash: its own message (only the pull request's title).
    fx.git(&["merge", "-q", "--squash", "agent"]);
    fx.commit_staged("Tune the service (#12)");
    let (code, out) = verify(&fx, &[&format!("{before}..main")], &signers);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("branch approval"), "{out}");
    // The commits' messages concatenated, their trailers quoted in the body.
    fx.git(&["reset", "-q", "--hard", &before]);
    fx.git(&["merge", "-q", "--squash", "agent"]);
    let body = fx.git(&["log", "--format=* %B", "main..agent"]);
    fx.commit_staged(&format!("Tune the service (#12)\n\n{body}"));
    let (code, out) = verify(&fx, &[&format!("{before}..main")], &signers);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn legit_merge_commit_and_second_reviewer_pass() {
    let (fx, jane, _) = setup();
    let bob = reviewer(&fx, "Bob Ops", "bob@example.com");
    let both = allowed(&fx, &[&jane, &bob]);
    fx.write("svc.py", "A = 1\n")
        .write("README", "service\n")
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 2\n");
    fx.commit_ai("Tune A");
    approve_and_sign(&fx, "main..HEAD", &jane);
    approve_and_sign(&fx, "main..HEAD", &bob);
    fx.git(&["checkout", "-q", "main"]);
    fx.write("README", "service, documented\n").commit("docs");
    let before = fx.head();
    fx.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'agent'",
        "agent",
    ]);
    let (code, out) = verify(&fx, &[&format!("{before}..main")], &both);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("jane@example.com") && out.contains("bob@example.com"),
        "{out}"
    );
}

/// After an approved commit is changed, the review says where it moved away from the approval,
/// and the hunks it left alone keep their decisions.
#[test]
fn a_changed_approved_commit_shows_where_it_changed() {
    let (fx, jane, _) = setup();
    fx.write("a.py", "A = 1\n")
        .write("b.py", "B = 1\n")
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("a.py", "A = 2\n").write("b.py", "B = 2\n");
    fx.commit_ai("Tune A and B");
    approve_and_sign(&fx, "HEAD", &jane);
    fx.write("b.py", "B = 3\n");
    fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let repo = countersign::git::repo::open_at(&fx.path()).unwrap();
    let range = countersign::git::range::resolve(&repo, Some("HEAD")).unwrap();
    let policy = countersign::policy::Policy::default();
    let analysis = countersign::load::Analysis::new(&policy, false).unwrap();
    let reviewing = countersign::load::Reviewing::of(&repo.git, &policy);
    let commits =
        countersign::load::select_commits(&repo.git, &range, &analysis, &reviewing).unwrap();
    let stale = commits[0]
        .stale_approval
        .as_ref()
        .expect("a stale approval");
    assert_eq!(stale.paths, ["b.py"]);
    assert_eq!(stale.reviewer, "Jane Reviewer <jane@example.com>");
}

/// A policy may loosen the replay to any clean one (Gerrit's trivial rebase): then the same
/// cherry-pick passes, said as a clean replay, and a commit that is not the replay still fails.
#[test]
fn a_clean_replay_policy_accepts_the_cherry_pick_and_says_so() {
    let (fx, jane, signers) = setup();
    let script = "#!/bin/sh\nTARGET=/srv/app\n\n\n\n\n\necho deploying\n";
    fx.write(".countersign.toml", "[approval]\nreplay = \"clean\"\n")
        .write("deploy.sh", script)
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("deploy.sh", format!("{script}rm -rf \"$TARGET\"/*\n"));
    fx.commit_ai("Clean the target before deploying");
    approve_and_sign(&fx, "HEAD", &jane);
    let approved = fx.head();
    fx.git(&["checkout", "-q", "main"]);
    fx.write(
        "deploy.sh",
        script.replace("TARGET=/srv/app", "TARGET=/srv/app2"),
    )
    .commit("Move the target");
    let main = fx.head();
    fx.git(&["checkout", "-q", "-b", "picked"]);
    fx.git(&["cherry-pick", &approved]);
    let (code, out) = verify(&fx, &[&format!("{main}..HEAD")], &signers);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("clean replay"), "{out}");
    // Amended on top of the replay: not the approved change any more.
    fx.write(
        "deploy.sh",
        format!(
            "{}rm -rf /\n",
            script.replace("TARGET=/srv/app", "TARGET=/srv/app2")
        ),
    );
    fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    assert_fails(
        &fx,
        &[&format!("{main}..HEAD")],
        &signers,
        "approves another change",
    );
}

/// `log`: who approved each commit that landed on main, and by which route; what is missing.
#[test]
fn log_lists_who_approved_what_landed_and_what_is_missing() {
    let (fx, jane, signers) = setup();
    fx.write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .commit("base");
    let base = fx.head();
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 2\n");
    fx.commit_ai("Tune A");
    fx.write("svc.py", "A = 10\n\n\n\n\n\n\n\nB = 20\n");
    fx.commit_ai("Tune B");
    approve_and_sign(&fx, "main..HEAD", &jane);
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["merge", "-q", "--squash", "agent"]);
    fx.commit_staged("Tune the service (#7)");
    fx.write("README", "x\n").commit("Unreviewed docs");
    let run = |args: &[&str]| {
        let out = fx
            .command(common::bin().to_str().unwrap())
            .arg("log")
            .args(args)
            .arg("--allowed-signers")
            .arg(&signers)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run(&[&format!("{base}..main")]);
    let squash = text.find("Tune the service (#7)").expect(&text);
    let docs = text.find("Unreviewed docs").expect(&text);
    assert!(docs < squash, "newest first:\n{text}");
    assert!(
        text[squash..].contains("approved by jane@example.com (squash approval"),
        "{text}"
    );
    assert!(
        text[docs..squash].contains("MISSING signers: 0 of 1"),
        "{text}"
    );
    assert!(
        text.contains("1 without the approvals the policy asks for"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&[&format!("{base}..main"), "--format", "json"])).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["commits"][1]["approvals"][0]["route"], "squash");
    assert_eq!(json["commits"][1]["approvals"][0]["found"], "store");
    // Without a range: the protected branch's recent first-parent history.
    let recent = run(&["--count", "2"]);
    assert!(
        recent.contains("Tune the service (#7)") && !recent.contains(" base\n"),
        "{recent}"
    );
}

#[test]
fn a_missing_trusted_ref_cannot_be_checked() {
    let (fx, _jane, signers) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    fx.write("svc.py", "A = 2\n").commit("change");
    let (code, out) = verify(
        &fx,
        &["HEAD~1..HEAD", "--policy-ref", "refs/heads/nope"],
        &signers,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no such ref"), "{out}");
}

/// Signing writes the records and the store before the branch moves: when a write fails, the
/// branch is at the old tip and no review note sits on a commit of it.
#[test]
fn a_failed_approval_write_leaves_the_old_tip() {
    let (fx, jane, _) = setup();
    fx.write("svc.py", "A = 1\n").commit("base");
    fx.write("svc.py", "A = 2\n");
    fx.commit_ai("Tune A");
    let before = fx.head();
    // Something else holds the store's ref directory as a file: the store write fails.
    std::fs::create_dir_all(fx.path().join(".git/refs")).unwrap();
    std::fs::write(fx.path().join(".git/refs/countersign"), "in the way\n").unwrap();
    become_reviewer(&fx, &jane);
    let repo = countersign::git::repo::open_at(&fx.path()).unwrap();
    let r = countersign::git::range::resolve(&repo, Some("HEAD")).unwrap();
    let analysis = countersign::load::Analysis::new(&Default::default(), false).unwrap();
    let commit = countersign::load::full_commit(&repo.git, &analysis, r.commits[0]).unwrap();
    let review = countersign::model::Review {
        range: "HEAD".into(),
        commits: vec![commit],
        ..Default::default()
    };
    let mut session = countersign::session::Session::default();
    for (_, h) in review.reviewable() {
        session.set_verdict(h.id, Some(countersign::model::Verdict::Approved), "", 1);
    }
    let plan = countersign::git::rewrite::Plan::at_head(&repo.git).unwrap();
    let result = countersign::commands::sign::sign_review(
        &repo.git,
        &review,
        &session,
        plan,
        &Default::default(),
        common::EPOCH + 3600,
    );
    let err = format!("{:#}", result.expect_err("the store write fails"));
    assert!(err.contains("refs/countersign/approvals/"), "{err}");
    assert_eq!(fx.head(), before, "the branch did not move");
    let notes = fx.git_output(&["notes", "--ref", "countersign", "list"]);
    assert!(
        String::from_utf8_lossy(&notes.stdout).trim().is_empty(),
        "no review note left"
    );
}
