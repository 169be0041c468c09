//! The git → model loader on real repositories: every kind of file change, merges, root commits,
//! ranges, and the ways a reviewer launches it.

mod common;

use common::Fixture;
use countersign::git::{self, range};
use countersign::load::{self, Analysis};
use countersign::model::{ChangeKind, FileChange, FileKind, LineKind};

/// The files of `rev` as the review loads them (read, renames paired, scanned).
fn files_of(fx: &Fixture, rev: &str) -> Vec<FileChange> {
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let oid = repo.git.revparse_single(rev).unwrap().id();
    let analysis = Analysis::new(&Default::default(), false).unwrap();
    load::full_commit(&repo.git, &analysis, oid).unwrap().files
}

fn find<'a>(files: &'a [FileChange], path: &str) -> &'a FileChange {
    files.iter().find(|f| f.path() == path).unwrap_or_else(|| {
        panic!(
            "{path} not in {:?}",
            files.iter().map(|f| f.path()).collect::<Vec<_>>()
        )
    })
}

#[test]
fn root_commit_is_diffed_against_the_empty_tree() {
    let fx = Fixture::new();
    fx.write("a.txt", "one\ntwo\n");
    fx.commit("root");
    let files = files_of(&fx, "HEAD");
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_eq!(f.change, ChangeKind::Added);
    assert_eq!(f.old_path, None);
    assert_eq!(f.hunks.len(), 1);
    let lines = &f.hunks[0].lines;
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.kind == LineKind::Added));
    assert_eq!(lines[1].new_no, Some(2));
    assert_eq!(&*lines[1].bytes, b"two");
}

#[test]
fn every_kind_of_file_change() {
    let fx = Fixture::new();
    let body: String = (1..=40)
        .map(|i| format!("line {i} of a file long enough to be a rename\n"))
        .collect();
    fx.write("keep.txt", "a\nb\nc\n")
        .write("gone.txt", "bye\n")
        .write("old/name.txt", &body)
        .write("script.sh", "echo hi\n")
        .write("image.png", [0x89u8, b'P', b'N', b'G', 0, 1, 2, 3])
        .write("crlf.txt", "x\r\ny\r\n")
        .write("latin1.txt", [b'c', b'a', b'f', 0xe9, b'\n']);
    fx.commit("base");

    fx.write("keep.txt", "a\nB\nc\n")
        .remove("gone.txt")
        .remove("old/name.txt")
        .write("new/name.txt", body.replace("line 20 ", "LINE 20 "))
        .write("image.png", [0x89u8, b'P', b'N', b'G', 0, 9, 9, 9])
        .write("crlf.txt", "x\r\nz\r\n")
        .write("latin1.txt", [b'c', b'a', b'f', 0xe8, b'\n'])
        .write("noeol.txt", "no newline");
    fx.git(&["add", "-A"]);
    fx.git(&["update-index", "--chmod=+x", "script.sh"]);
    fx.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1234567890123456789012345678901234567890,vendor/lib",
    ]);
    std::os::unix::fs::symlink("keep.txt", fx.path().join("link")).unwrap();
    fx.git(&["add", "link"]);
    fx.commit_staged("every kind");

    let files = files_of(&fx, "HEAD");

    let m = find(&files, "keep.txt");
    assert_eq!(m.change, ChangeKind::Modified);
    assert_eq!((m.added, m.removed), (1, 1));
    assert_eq!(m.hunks[0].old_start, 1);

    let d = find(&files, "gone.txt");
    assert_eq!(d.change, ChangeKind::Deleted);
    assert_eq!(d.new_path, None);
    assert!(d.hunks[0].lines.iter().all(|l| l.kind == LineKind::Removed));

    let r = find(&files, "new/name.txt");
    assert_eq!(
        r.change,
        ChangeKind::Renamed,
        "rename with edits is detected"
    );
    assert_eq!(r.old_path.as_deref(), Some("old/name.txt"));
    assert_eq!((r.added, r.removed), (1, 1));

    let x = find(&files, "script.sh");
    assert!(x.mode_changed());
    assert_eq!((x.old_mode, x.new_mode), (0o100644, 0o100755));
    assert!(
        x.hunks[0].is_file_level(),
        "a mode change needs its own decision"
    );
    assert!(x.hunks[0].header.contains("100755"));

    let b = find(&files, "image.png");
    assert_eq!(b.kind, FileKind::Binary);
    assert_eq!(b.hunks.len(), 1);
    assert!(b.hunks[0].is_file_level());
    assert!(b.hunks[0].header.starts_with("binary file"));

    let s = find(&files, "vendor/lib");
    assert_eq!(s.kind, FileKind::Submodule);
    assert!(s.hunks[0].header.contains("1234567890"));

    let l = find(&files, "link");
    assert_eq!(l.kind, FileKind::Symlink);
    assert_eq!(&*l.hunks[0].lines[0].bytes, b"keep.txt");

    let c = find(&files, "crlf.txt");
    assert!(c.crlf);
    assert!(
        c.hunks[0].lines.iter().any(|l| &*l.bytes == b"z\r"),
        "the CR is kept, byte-exact"
    );

    let n = find(&files, "latin1.txt");
    assert!(n.lossy);
    let added = n.hunks[0]
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Added)
        .unwrap();
    assert_eq!(&*added.bytes, &[b'c', b'a', b'f', 0xe8]);
    assert!(added.text().contains('\u{fffd}'));

    let e = find(&files, "noeol.txt");
    assert!(e.hunks[0].lines[0].missing_newline);
}

#[test]
fn merge_commit_is_reviewed_against_its_first_parent() {
    let fx = Fixture::new();
    fx.write("a.txt", "a\n").commit("base");
    fx.git(&["checkout", "-q", "-b", "side"]);
    fx.write("side.txt", "side\n").commit("side work");
    fx.git(&["checkout", "-q", "main"]);
    fx.write("main.txt", "main\n").commit("main work");
    fx.git(&["merge", "-q", "--no-ff", "side", "-m", "merge side"]);
    let files = files_of(&fx, "HEAD");
    let paths: Vec<_> = files.iter().map(|f| f.path()).collect();
    assert_eq!(
        paths,
        vec!["side.txt"],
        "first-parent diff shows what the merge brought in"
    );
}

#[test]
fn hunk_identity_survives_a_rebase_and_changes_with_content() {
    let fx = Fixture::new();
    let body: String = (1..=30).map(|i| format!("l{i}\n")).collect();
    fx.write("f.txt", &body).commit("base");
    fx.write(
        "f.txt",
        body.replace("l5\n", "five\n")
            .replace("l25\n", "twenty-five\n"),
    )
    .commit("edit");
    let before = files_of(&fx, "HEAD");
    // Rebase the edit onto a base that shifted every line down.
    fx.git(&["checkout", "-q", "-b", "newbase", "HEAD~1"]);
    fx.write("f.txt", format!("header\n{body}")).commit("shift");
    fx.git(&["cherry-pick", "main"]);
    let after = files_of(&fx, "HEAD");
    assert_eq!(before[0].hunks.len(), 2);
    assert_eq!(before[0].hunks[0].id, after[0].hunks[0].id);
    assert_ne!(before[0].hunks[0].new_start, after[0].hunks[0].new_start);
    assert_ne!(before[0].hunks[0].id, before[0].hunks[1].id);
}

#[test]
fn ranges_and_default_range() {
    let fx = Fixture::new();
    fx.write("a", "1\n").commit("base");
    fx.git(&["checkout", "-q", "-b", "topic"]);
    let c1 = fx.write("a", "2\n").commit("one");
    let c2 = fx.write("a", "3\n").commit("two");
    let repo = git::repo::open_at(&fx.path()).unwrap();

    // No upstream: measured against the local main branch.
    let r = range::resolve(&repo, None).unwrap();
    assert_eq!(r.spec, "main..HEAD");
    assert_eq!(
        r.commits.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        vec![c1.clone(), c2.clone()]
    );
    assert_eq!(r.branch.as_deref(), Some("refs/heads/topic"));
    assert!(!r.explicit);

    let r = range::resolve(&repo, Some("HEAD~1")).unwrap();
    assert_eq!(r.commits.len(), 1);
    assert_eq!(r.commits[0].to_string(), c1);
    assert!(r.explicit);

    let r = range::resolve(&repo, Some("main..topic")).unwrap();
    assert_eq!(r.commits.len(), 2);

    let err = range::resolve(&repo, Some("nope")).unwrap_err();
    assert!(err.to_string().contains("unknown revision"), "{err}");
    let err = range::resolve(&repo, Some("topic..main")).unwrap_err();
    assert!(err.to_string().contains("has no commits"), "{err}");

    // On main itself, with no upstream: HEAD.
    fx.git(&["checkout", "-q", "main"]);
    let r = range::resolve(&repo, None).unwrap();
    assert_eq!(r.spec, "HEAD");
}

#[test]
fn launched_from_a_subfolder_a_linked_worktree_and_a_git_alias() {
    let fx = Fixture::new();
    fx.write("sub/dir/a.txt", "a\n").commit("base");
    fx.write("sub/dir/a.txt", "b\n").commit_ai("agent change");
    fx.git(&["worktree", "add", "-q", "../wt", "-b", "wt"]);
    fx.git(&["config", "alias.who", "!countersign-does-not-exist"]);

    // `countersign show HEAD` reads the repository from a subfolder, from a linked worktree, and
    // with GIT_DIR/GIT_WORK_TREE set as a git alias may leave them.
    let cases: Vec<(std::path::PathBuf, Vec<(&str, String)>)> = vec![
        (fx.path().join("sub/dir"), vec![]),
        (fx.dir.path().join("wt"), vec![]),
        (
            std::env::temp_dir(),
            vec![
                ("GIT_DIR", fx.path().join(".git").display().to_string()),
                ("GIT_WORK_TREE", fx.path().display().to_string()),
                ("GIT_PREFIX", "sub/dir/".to_string()),
            ],
        ),
    ];
    for (cwd, env) in cases {
        let out = fx
            .command(common::bin().to_str().unwrap())
            .current_dir(&cwd)
            .envs(env.clone())
            .args(["scan", "HEAD", "--format", "json"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "from {cwd:?} {env:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("sub/dir/a.txt"), "{stdout}");
    }
}

#[test]
fn a_20_mb_file_and_thousands_of_files_load() {
    let fx = Fixture::new();
    fx.write("keep", "x\n").commit("base");
    let big: String = (0..200_000)
        .map(|i| format!("{i:>12} {}\n", "y".repeat(87)))
        .collect();
    assert!(big.len() >= 20_000_000);
    fx.write("data/big.txt", &big);
    for i in 0..2000 {
        fx.write(&format!("many/f{i}.txt"), format!("file {i}\n"));
    }
    fx.commit_ai("bulk");
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let analysis = countersign::load::Analysis::new(&Default::default(), false).unwrap();
    let oid = repo.git.head().unwrap().target().unwrap();
    let commit = countersign::load::full_commit(&repo.git, &analysis, oid).unwrap();
    assert_eq!(commit.files.len(), 2001);
    let big = find(&commit.files, "data/big.txt");
    assert_eq!(big.added, 200_000);
    assert!(commit.complete);
}

#[test]
fn decisions_carry_over_an_amend_and_changed_hunks_come_back_undecided() {
    use countersign::load::{full_commit, Analysis};
    use countersign::model::{Review, Verdict};
    use countersign::session::Session;

    let fx = Fixture::new();
    let body: String = (1..=30).map(|i| format!("l{i}\n")).collect();
    fx.write("f.txt", &body).commit("base");
    fx.write(
        "f.txt",
        body.replace("l5\n", "five\n")
            .replace("l25\n", "twenty-five\n"),
    )
    .commit_ai("edit");
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let analysis = Analysis::new(&Default::default(), false).unwrap();
    let load = || {
        let oid = repo.git.head().unwrap().target().unwrap();
        Review {
            range: "HEAD".into(),
            commits: vec![full_commit(&repo.git, &analysis, oid).unwrap()],
            ..Default::default()
        }
    };
    let before = load();
    let mut session = Session::default();
    for (_, h) in before.reviewable() {
        session.set_verdict(h.id, Some(Verdict::Approved), &before.commits[0].id, 1);
    }
    assert_eq!(
        session.carried_over(&before),
        0,
        "a resumed session is not a carry-over"
    );

    // The author amends: the second hunk changes, the first does not.
    fx.write(
        "f.txt",
        body.replace("l5\n", "five\n").replace("l25\n", "25!\n"),
    );
    fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let after = load();
    let hunks: Vec<_> = after.reviewable().map(|(_, h)| h.id).collect();
    assert_eq!(hunks.len(), 2);
    assert_eq!(session.verdict(&hunks[0]), Some(Verdict::Approved));
    assert_eq!(
        session.verdict(&hunks[1]),
        None,
        "the changed hunk comes back undecided"
    );
    assert_eq!(session.carried_over(&after), 1);
}

/// Several commits are read together (a worker goes on to the next commit's files while the
/// last file of the previous one is read) but handed over in order, each complete; the caller
/// can stop early; a commit that cannot be read is an error, not a hang.
#[test]
fn commits_are_delivered_in_order_complete_and_can_be_stopped() {
    let fx = Fixture::new();
    fx.write("base.txt", "base\n");
    fx.commit("base");
    let mut ids = Vec::new();
    for c in 0..3 {
        for f in 0..12 {
            fx.write(&format!("c{c}/f{f}.txt"), format!("commit {c} file {f}\n"));
        }
        ids.push(fx.commit(&format!("commit {c}")));
    }
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let oids: Vec<git2::Oid> = ids
        .iter()
        .map(|i| git2::Oid::from_str(i).unwrap())
        .collect();
    let analysis = Analysis::new(&Default::default(), false).unwrap();

    let mut seen = Vec::new();
    load::full_commits(&repo.git, &analysis, &oids, |i, commit| {
        assert_eq!(commit.id, ids[i]);
        assert!(commit.complete);
        assert_eq!(commit.files.len(), 12);
        assert!(commit.files.iter().all(|f| f.loaded && f.analysed));
        assert!(commit
            .files
            .iter()
            .all(|f| f.path().starts_with(&format!("c{i}/"))));
        seen.push(i);
        Ok(true)
    })
    .unwrap();
    assert_eq!(seen, vec![0, 1, 2]);

    let mut calls = 0;
    load::full_commits(&repo.git, &analysis, &oids, |_, _| {
        calls += 1;
        Ok(false)
    })
    .unwrap();
    assert_eq!(calls, 1, "stopping after the first commit");

    let missing = git2::Oid::from_str("0123456789012345678901234567890123456789").unwrap();
    let err =
        load::full_commits(&repo.git, &analysis, &[oids[0], missing], |_, _| Ok(true)).unwrap_err();
    assert!(format!("{err:#}").contains("0123456789"), "{err:#}");
}

/// A commit that adds and deletes files: those are scanned once renames are paired, on every
/// core for a large commit. Each added or deleted file that no rename takes still gets its
/// findings, and so does the renamed file, exactly as a commit without deletions would.
#[test]
fn added_deleted_and_renamed_files_of_one_commit_are_all_scanned() {
    let fx = Fixture::new();
    let body: String = (0..40)
        .map(|i| format!("echo line number {i} of the script\n"))
        .collect();
    for i in 0..12 {
        fx.write(&format!("old/mod{i}.sh"), &body);
        fx.write(&format!("gone{i}.txt"), format!("unrelated {i}\n"));
    }
    fx.commit("base");
    for i in 0..12 {
        fx.remove(&format!("old/mod{i}.sh"));
        fx.remove(&format!("gone{i}.txt"));
        // Moved with a risky line added: the renamed file carries the finding.
        fx.write(
            &format!("new/mod{i}.sh"),
            format!("{body}curl -fsSL https://example.com/install.sh | sh\n"),
        );
        fx.write(
            &format!("deploy{i}.sh"),
            "#!/bin/sh\ncurl -fsSL https://example.com/x.sh | bash\n",
        );
    }
    fx.commit("move, add and delete");
    let files = files_of(&fx, "HEAD");
    assert_eq!(files.len(), 36, "12 renames, 12 added, 12 deleted");
    assert!(files.iter().all(|f| f.analysed), "every file is scanned");
    for i in 0..12 {
        let renamed = find(&files, &format!("new/mod{i}.sh"));
        assert_eq!(renamed.change, ChangeKind::Renamed);
        assert_eq!(
            renamed.old_path.as_deref(),
            Some(&*format!("old/mod{i}.sh"))
        );
        let added = find(&files, &format!("deploy{i}.sh"));
        for f in [renamed, added] {
            let rules: Vec<&str> = f.hunks[0]
                .findings
                .iter()
                .map(|x| x.rule.as_str())
                .collect();
            assert!(
                rules.contains(&"supply-chain.pipe-to-shell"),
                "{}: {rules:?}",
                f.path()
            );
        }
        assert_eq!(
            find(&files, &format!("gone{i}.txt")).change,
            ChangeKind::Deleted
        );
    }
}

#[test]
fn added_and_deleted_files_no_rename_takes_read_as_a_plain_diff_reads_them() {
    // A commit that deletes and adds files: the loader reads those as blobs for rename
    // detection and diffs only the ones no pair takes, deciding binary or text itself (as
    // libgit2 does: attributes, a driver's `binary`, a NUL). Each must come out as libgit2's own
    // diff of the commit gives it.
    let fx = Fixture::new();
    let body: String = (1..=30).map(|i| format!("moved line {i}\n")).collect();
    fx.write("old/moved.txt", &body)
        .write("gone.txt", "one\ntwo\n")
        .write("gone.dat", "looks like text\n")
        .write("gone-crlf.txt", "a\r\nb\r\n");
    fx.commit("base");
    std::fs::write(
        fx.path().join(".git/info/attributes"),
        "*.dat -diff\nforced.txt diff=plain\n",
    )
    .unwrap();
    fx.git(&["config", "diff.plain.binary", "false"]);
    fx.remove("old/moved.txt")
        .remove("gone.txt")
        .remove("gone.dat")
        .remove("gone-crlf.txt")
        .write("new/moved.txt", &body)
        .write("added.txt", "first\nsecond\n")
        .write("noeol.txt", "no newline at the end")
        .write("crlf.txt", "x\r\ny\r\n")
        .write("empty.txt", "")
        .write("nul.bin", [b'a', 0, b'b', b'\n'])
        .write("forced.txt", [b'a', 0, b'b', b'\n'])
        .write("new.dat", "plain text, binary by attribute\n")
        .write("latin1.txt", b"caf\xe9\nok\r\n");
    fx.commit("move, add and delete");

    let files = files_of(&fx, "HEAD");
    let renamed = find(&files, "new/moved.txt");
    assert_eq!(renamed.change, ChangeKind::Renamed);
    // libgit2's diff of the same commit, file by file, through the same object-only handle.
    let repo = git::repo::open_objects(&fx.path().join(".git")).unwrap();
    let head = repo
        .git
        .revparse_single("HEAD")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let old = head.parent(0).unwrap().tree_id();
    let plain = git::diff::diff_trees(&repo.git, Some(old), head.tree_id()).unwrap();
    let reference = git::diff::load_files(&plain).unwrap();
    let shown = |f: &FileChange| {
        let hunks: Vec<_> = f
            .hunks
            .iter()
            .map(|h| {
                let range = (h.old_start, h.old_lines, h.new_start, h.new_lines);
                (h.id, range, h.header.clone(), h.lines.clone())
            })
            .collect();
        (
            f.change, f.kind, f.old_size, f.new_size, f.crlf, f.lossy, f.added, f.removed, hunks,
        )
    };
    let unpaired = [
        "gone.txt",
        "gone.dat",
        "gone-crlf.txt",
        "added.txt",
        "noeol.txt",
        "crlf.txt",
        "empty.txt",
        "nul.bin",
        "forced.txt",
        "new.dat",
        "latin1.txt",
    ];
    for path in unpaired {
        assert_eq!(
            shown(find(&files, path)),
            shown(find(&reference, path)),
            "{path}"
        );
    }
    let kind = |p: &str| find(&files, p).kind;
    assert_eq!(kind("nul.bin"), FileKind::Binary);
    assert_eq!(kind("new.dat"), FileKind::Binary, "-diff makes it binary");
    assert_eq!(kind("gone.dat"), FileKind::Binary);
    assert_eq!(
        kind("forced.txt"),
        FileKind::Text,
        "diff.plain.binary=false"
    );
    assert_eq!(kind("crlf.txt"), FileKind::Text);
    assert!(find(&files, "crlf.txt").crlf);
    assert!(find(&files, "noeol.txt").hunks[0].lines[0].missing_newline);
}
