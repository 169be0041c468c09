//! Bad input gets one clear line on stderr and exit code 2, before any terminal is touched.

mod common;

use common::Fixture;

fn run(fx: &Fixture, args: &[&str]) -> (Option<i32>, String) {
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn one_line(err: &str) -> &str {
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("countersign: "), "{err}");
    err.trim_end()
}

fn repo() -> Fixture {
    let fx = Fixture::new();
    fx.write("a.txt", "a\n").commit("base");
    fx.write("a.txt", "b\n").commit_ai("agent edit");
    fx
}

#[test]
fn a_broken_config_names_the_file_and_line() {
    let fx = repo();
    let dir = fx.home().join(".config/countersign");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "theme = \"dark\"\n[keys\napprove = \"a\"\n",
    )
    .unwrap();
    let (code, err) = run(&fx, &["review", "HEAD"]);
    assert_eq!(code, Some(2));
    let line = one_line(&err);
    assert!(
        line.contains("config.toml") && line.contains("line 2"),
        "{line}"
    );

    std::fs::write(dir.join("config.toml"), "[keys]\napprove = \"r\"\n").unwrap();
    let (code, err) = run(&fx, &["review", "HEAD"]);
    assert_eq!(code, Some(2));
    assert!(one_line(&err).contains("bound to both"), "{err}");
}

#[test]
fn unknown_theme_revision_and_empty_range() {
    let fx = repo();
    for (args, expect) in [
        (
            vec!["review", "HEAD", "--theme", "neon"],
            "unknown theme 'neon'",
        ),
        (vec!["review", "nope"], "unknown revision or range 'nope'"),
        (vec!["review", "HEAD..HEAD~1"], "has no commits"),
        (vec!["--bogus-flag"], "unexpected argument"),
    ] {
        let (code, err) = run(&fx, &args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(one_line(&err).contains(expect), "{args:?}: {err}");
    }
}

#[test]
fn outside_a_repository_and_in_an_empty_one() {
    let fx = Fixture::new();
    let (code, err) = run(&fx, &["review"]);
    assert_eq!(code, Some(2));
    assert!(one_line(&err).contains("no commits yet"), "{err}");
    let out = fx
        .command(common::bin().to_str().unwrap())
        .current_dir(fx.home())
        .arg("review")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(one_line(&err).contains("not a git repository"), "{err}");
}

#[test]
fn nothing_to_review_says_how_to_review_anyway() {
    let fx = Fixture::new();
    fx.write("a.txt", "a\n").commit("base");
    fx.git(&["checkout", "-q", "-b", "topic"]);
    fx.write("a.txt", "b\n").commit("a human change");
    let (code, err) = run(&fx, &["review"]);
    assert_eq!(code, Some(2));
    let line = one_line(&err);
    assert!(
        line.contains("nothing to review") && line.contains("countersign review HEAD"),
        "{line}"
    );
}

#[test]
fn a_pushed_refs_file_that_is_missing_or_malformed_is_exit_2() {
    let fx = repo();
    let (code, err) = run(
        &fx,
        &["verify", "HEAD~1..HEAD", "--pushed-refs", "nope.txt"],
    );
    assert_eq!(code, Some(2));
    assert!(
        one_line(&err).contains("cannot read the pushed refs"),
        "{err}"
    );
    fx.write("pushed.txt", "not a hook line\n");
    let (code, err) = run(
        &fx,
        &["verify", "HEAD~1..HEAD", "--pushed-refs", "pushed.txt"],
    );
    assert_eq!(code, Some(2));
    assert!(
        one_line(&err).contains("pushed.txt line 1: expected '<old oid> <new oid> <refname>'"),
        "{err}"
    );
}
