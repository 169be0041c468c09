//! The benchmark repository keeps its promises: sizes within ±10% of the targets as git itself
//! counts them, the same commit ids on every run, and renames git detects.

use std::path::Path;
use std::process::Command;

use countersign::git::bench_repo::{self, Size};

fn git_cmd(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `N files changed, I insertions(+), D deletions(-)` → (N, I + D).
fn shortstat(dir: &Path, range: &str) -> (usize, usize) {
    let text = git_cmd(dir, &["diff", "--shortstat", "--no-renames", range]);
    let numbers: Vec<usize> = text
        .split(',')
        .map(|part| {
            part.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a count")
        })
        .collect();
    (numbers[0], numbers[1..].iter().sum())
}

#[test]
fn sizes_ids_and_renames() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    let first = bench_repo::create(a.path()).expect("create");
    let second = bench_repo::create(b.path()).expect("create again");
    assert_eq!(first, second, "the generator is not deterministic");

    for size in Size::ALL {
        let (files, lines) = shortstat(a.path(), &size.range());
        let target = size.target_lines();
        eprintln!("{}: {files} files, {lines} changed lines", size.name());
        assert!(
            lines.abs_diff(target) * 10 <= target,
            "{}: {lines} changed lines, target {target}",
            size.name()
        );
        if size == Size::Large {
            assert!(files >= 500, "only {files} files");
        }
    }

    let status = git_cmd(
        a.path(),
        &["diff", "-M", "--name-status", "main", "bench/large"],
    );
    let renames = status.lines().filter(|l| l.starts_with('R')).count();
    assert_eq!(renames, 10, "renames detected:\n{status}");

    let log = git_cmd(
        a.path(),
        &[
            "log",
            "--format=%H %(trailers:key=Co-Authored-By,valueonly)",
            "main..HEAD",
        ],
    );
    assert_eq!(
        log.matches("Claude <noreply@anthropic.com>").count(),
        3,
        "{log}"
    );
    assert_eq!(
        git_cmd(a.path(), &["rev-parse", "HEAD"]).trim(),
        first.tip(Size::Large).to_string()
    );

    parallel_loading_reads_what_one_thread_reads(a.path(), &first);
}

/// `load::full_commit` reads files on two threads and pairs renames itself. Its files must be
/// what one thread reading them in order gives, and its renames the ones `git diff -M` finds,
/// with git's similarity.
fn parallel_loading_reads_what_one_thread_reads(dir: &Path, repo: &bench_repo::BenchRepo) {
    use countersign::git::{diff, renames};
    use countersign::load::{self, Analysis};
    use countersign::model::ChangeKind;

    let opened = countersign::git::repo::open_at(dir).expect("open");
    let git = &opened.git;
    let analysis = Analysis::new(&Default::default(), false).expect("analysis");
    let mut renamed = 0;
    for oid in repo.large.iter().chain([&repo.medium, &repo.small]) {
        let parallel = load::full_commit(git, &analysis, *oid).expect("full_commit");

        let d = diff::diff_commit(git, *oid).expect("diff");
        let mut files = diff::load_files(&d).expect("load");
        let pairs = renames::pair(&files).unwrap();
        for p in &pairs {
            files[p.added] =
                diff::load_pair(git, &files[p.deleted], &files[p.added], p.similarity).unwrap();
        }
        let deleted: Vec<usize> = pairs.iter().map(|p| p.deleted).collect();
        let mut files: Vec<_> = files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !deleted.contains(i))
            .map(|(_, f)| f)
            .collect();
        // The scan weighs each file against the rest of the change (moves across files), so
        // the reference scans the change as a whole, as the loader does.
        analysis.engine().scan_change(&mut files);
        for f in &mut files {
            f.analysed = true;
        }
        let mut sequential = analysis.commit(git, *oid).expect("meta");
        analysis
            .attribute(git, &mut sequential, files)
            .expect("attribute");
        assert_eq!(parallel.files.len(), sequential.files.len(), "{oid}");
        for (p, s) in parallel.files.iter().zip(&sequential.files) {
            assert_eq!(format!("{p:?}"), format!("{s:?}"), "{oid}: {}", s.path());
        }

        // The renames are git's: same pairs, similarity within a point of git's.
        let status = git_cmd(
            dir,
            &[
                "diff",
                "-M",
                "--name-status",
                &format!("{oid}^"),
                &oid.to_string(),
            ],
        );
        let mut expected: Vec<(String, String, u16)> = status
            .lines()
            .filter(|l| l.starts_with('R'))
            .map(|l| {
                let parts: Vec<&str> = l.split('\t').collect();
                let score = parts[0][1..].parse().expect("score");
                (parts[1].to_string(), parts[2].to_string(), score)
            })
            .collect();
        let mut ours: Vec<(String, String, u16)> = parallel
            .files
            .iter()
            .filter(|f| f.change == ChangeKind::Renamed)
            .map(|f| {
                (
                    f.old_path.clone().unwrap_or_default(),
                    f.new_path.clone().unwrap_or_default(),
                    f.similarity.unwrap_or_default(),
                )
            })
            .collect();
        expected.sort();
        ours.sort();
        assert_eq!(
            ours.len(),
            expected.len(),
            "{oid}: {ours:?} vs git {expected:?}"
        );
        for (o, e) in ours.iter().zip(&expected) {
            assert_eq!((&o.0, &o.1), (&e.0, &e.1), "{oid}");
            assert!(
                o.2.abs_diff(e.2) <= 1,
                "{oid}: similarity {o:?} vs git {e:?}"
            );
        }
        renamed += ours.len();
    }
    assert_eq!(renamed, 10, "the rename pairs came through");
}
