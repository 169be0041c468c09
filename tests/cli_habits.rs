//! What a terminal user expects of a new tool: completions, a man page, a version that names
//! its commit, `--color`, `-q`/`-v` on the reporting commands, and a pipe closed early ending
//! quietly.

mod common;

use std::os::unix::io::FromRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::signing::{allowed, approve_and_sign, reviewer};
use common::Fixture;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(common::bin()).args(args).output().unwrap()
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("countersign {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let dir = env!("CARGO_MANIFEST_DIR");
    let head = Command::new("git")
        .args(["-C", dir, "rev-parse", "HEAD"])
        .output()
        .unwrap();
    let top = Command::new("git")
        .args(["-C", dir, "rev-parse", "--show-toplevel"])
        .output()
        .unwrap();
    let in_checkout = head.status.success()
        && std::path::Path::new(String::from_utf8_lossy(&top.stdout).trim())
            .canonicalize()
            .ok()
            == std::path::Path::new(dir).canonicalize().ok();
    if in_checkout {
        let id = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert!(text.contains(&format!("(commit {id})")), "{text}");
    } else {
        assert!(!text.contains("commit"), "{text}");
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for word in ["verify", "scan", "policy-ref", "completions"] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = run(&["completions", "bash"]);
    let check = Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(String::from_utf8_lossy(&out.stdout).as_ref())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_with_every_command() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH countersign 1"), "{page}");
    for cmd in ["verify", "scan", "log", "show", "export", "init"] {
        assert!(page.contains(cmd), "the man page lacks {cmd}");
    }
}

#[test]
fn color_takes_auto_always_or_never() {
    for when in ["auto", "always", "never"] {
        let out = run(&["--color", when, "scan", "--help"]);
        assert!(out.status.success(), "{when}");
    }
    let out = run(&["--color", "sometimes", "scan"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly_as_sigpipe() {
    let fx = Fixture::new();
    fx.write("a.py", "import os\nos.system(x)\n");
    fx.commit_ai("one");
    // A pipe whose reading end is closed before countersign starts: its first write fails,
    // every time, with no race against the reader.
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    let write_end = unsafe { Stdio::from_raw_fd(fds[1]) };
    for args in [
        &["scan", "--format", "json"][..],
        &["completions", "bash"],
        &["man"],
    ] {
        let write_end = unsafe { Stdio::from_raw_fd(libc::dup(fds[1])) };
        let out = fx
            .command(common::bin().to_str().unwrap())
            .args(args)
            .stdout(write_end)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{args:?}: {:?}",
            out.status
        );
    }
    drop(write_end);
}

/// `countersign ARGS` in the fixture: exit code and stdout.
fn in_repo(fx: &Fixture, args: &[&str]) -> (Option<i32>, String) {
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn quiet_prints_only_what_fails_and_verbose_the_detail_behind_each_line() {
    let fx = Fixture::new();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    let signers = signers.to_str().unwrap();
    fx.write("app.py", "import os\n\n\ndef run(cmd):\n    return cmd\n");
    let base = fx.commit("base");
    fx.write(
        "app.py",
        "import os\n\n\ndef run(cmd):\n    return os.system(cmd)\n",
    );
    fx.commit_ai("Run commands");
    approve_and_sign(&fx, &format!("{base}..HEAD"), &jane);
    let signed = fx.head();
    fx.write("README", "docs\n");
    let unsigned = fx.commit_ai("Add docs");
    let all = format!("{base}..HEAD");
    let good = format!("{base}..{signed}");

    // verify: nothing at all when everything passes; the failing commit alone when not.
    let (code, out) = in_repo(&fx, &["verify", "-q", &good, "--allowed-signers", signers]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
    let (code, out) = in_repo(
        &fx,
        &["verify", "--quiet", &all, "--allowed-signers", signers],
    );
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with(&format!("FAILED {}", &unsigned[..10])),
        "{out}"
    );
    assert!(out.contains("✗ signers: 0 of 1"), "{out}");
    assert!(!out.contains("ok ") && !out.contains("verify:"), "{out}");
    let (code, normal) = in_repo(&fx, &["verify", &all, "--allowed-signers", signers]);
    assert_eq!(code, Some(1));
    assert!(
        normal.contains(&format!("ok     {}", &signed[..10])),
        "{normal}"
    );
    assert!(!normal.contains("✓"), "{normal}");
    let (code, out) = in_repo(&fx, &["verify", "-v", &all, "--allowed-signers", signers]);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("✓ signature (Jane Reviewer <jane@example.com>)"),
        "{out}"
    );
    assert!(out.contains("✓ policy-unchanged"), "{out}");
    assert!(
        out.contains("key SHA256:") && out.contains("commit approval found in the message"),
        "{out}"
    );
    assert!(
        out.ends_with("0 not required\n"),
        "the summary stays last: {out}"
    );

    // log: the commit without approvals alone; verbose says where each approval was found.
    let (code, out) = in_repo(&fx, &["log", "-q", &all, "--allowed-signers", signers]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out.lines().next(),
        Some(format!("{} Add docs", &unsigned[..10]).as_str())
    );
    assert!(
        !out.contains("approved by") && !out.contains("log:"),
        "{out}"
    );
    let (_, out) = in_repo(&fx, &["log", "-v", &all, "--allowed-signers", signers]);
    assert!(
        out.contains("status: approved") && out.contains("status: not covered"),
        "{out}"
    );
    assert!(out.contains(", found in the message)"), "{out}");

    // scan: the findings alone, each with its commit; verbose adds evidence and every hunk.
    let (code, out) = in_repo(&fx, &["scan", "-q", &all]);
    assert_eq!(code, Some(0));
    assert!(!out.is_empty() && !out.contains("scan:"), "{out}");
    for line in out.lines() {
        assert!(line.starts_with(&signed[..10]), "{out}");
    }
    let (_, quiet_high) = in_repo(&fx, &["scan", "-q", "--fail-on", "critical", &all]);
    assert!(quiet_high.lines().count() <= out.lines().count());
    let (_, out) = in_repo(&fx, &["scan", "-v", &all]);
    assert!(out.contains("  evidence: "), "{out}");
    assert!(
        out.contains("  hunk README:1 (AI-touched), 0 findings"),
        "{out}"
    );
    assert!(out.contains("scan: 2 commits"), "{out}");

    let (code, _) = in_repo(&fx, &["verify", "-q", "-v", &all]);
    assert_eq!(code, Some(2));
}
