//! The whole review flow in a real pseudo-terminal: decide every hunk, quit, get killed with
//! SIGKILL mid-review, reopen, and find every decision again.

mod common;

use common::pty::Session;
use common::Fixture;

fn fixture() -> Fixture {
    let fx = Fixture::new();
    fx.write(
        "app.py",
        "def f():\n    return 1\n\n\n\n\n\n\n\n\ndef g():\n    return 2\n",
    )
    .write("deploy.sh", "echo deploy\n");
    fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        "app.py",
        "def f():\n    return 10\n\n\n\n\n\n\n\n\ndef g():\n    return 20\n",
    )
    .write("deploy.sh", "echo deploy --force\n");
    fx.commit_ai("Tune return values");
    fx
}

/// Waits (with a deadline) until the session store on disk contains `text`.
fn wait_for_file(fx: &Fixture, text: &str) {
    let dir = fx.home().join(".local/state/countersign/sessions");
    let start = std::time::Instant::now();
    loop {
        // Only the session itself, not a temp file that is still being written.
        let found = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(text)));
        if found {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the session file never contained {text:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn open(fx: &Fixture) -> Session {
    Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30))
}

#[test]
fn decisions_survive_quit_and_sigkill() {
    let fx = fixture();

    // First run: decide every hunk with the default keys, then quit.
    let mut s = open(&fx);
    s.wait_ready("0/3 decided");
    s.key_then("a", "1/3 decided");
    s.key_then("r", "2/3 decided");
    s.key_then("x", "3/3 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    // The alternate screen is left on quit.
    s.wait_raw("\u{1b}[?1049l");

    // Second run: everything is there; comment on a hunk, then die without warning.
    let mut s = open(&fx);
    let screen = s.wait_ready("3/3 decided");
    assert!(
        screen.contains('✓') && screen.contains('✗') && screen.contains('!'),
        "{screen}"
    );
    s.keys("g");
    s.key_then("c", "comment");
    s.keys("why force?");
    s.key_then("\u{1b}", "comment saved");
    // Saved means on disk: the file is written right after the frame that says so.
    wait_for_file(&fx, "why force?");
    s.kill9();

    // Third run: the comment made just before the kill is there, and nothing else was lost.
    let mut s = open(&fx);
    let screen = s.wait_ready("3/3 decided");
    assert!(
        screen.contains('✎'),
        "the comment survives SIGKILL:\n{screen}"
    );
    s.key_then("c", "why force?");
    s.key_then("\u{1b}", "comment saved");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn resize_and_help_and_side_by_side() {
    let fx = fixture();
    let mut s = open(&fx);
    s.wait_ready("0/3 decided");
    s.key_then("?", "Esc closes");
    s.keys("\u{1b}");
    s.wait_until(|sc| !sc.contains("Esc closes"), "help closed");
    s.key_then("s", "│");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn sigterm_restores_the_terminal_and_keeps_decisions() {
    let fx = fixture();
    let mut s = open(&fx);
    s.wait_ready("0/3 decided");
    s.key_then("a", "1/3 decided");
    s.signal("TERM");
    s.wait_exit();
    s.wait_raw("\u{1b}[?1049l");
    s.wait_raw("\u{1b}[?25h");
    let mut s = open(&fx);
    s.wait_ready("1/3 decided");
    s.keys("q");
    s.wait_exit();
}

#[test]
fn redraws_on_resize_and_asks_for_room_when_too_small() {
    let fx = fixture();
    let mut s = open(&fx);
    s.wait_ready("0/3 decided");
    s.resize(50, 12);
    s.wait_for("Terminal too small");
    s.resize(80, 24);
    s.wait_until(
        |sc| sc.contains("0/3 decided") && !sc.contains("too small"),
        "redraw at 80x24",
    );
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn ctrl_z_suspends_and_the_screen_comes_back() {
    // Job control needs a shell: an orphaned process group cannot be stopped by Ctrl-Z.
    let fx = fixture();
    let mut env = fx.env();
    env.push(("PS1".into(), "shell$ ".into()));
    let mut s = Session::spawn(
        std::path::Path::new("/bin/bash"),
        &["--norc", "--noprofile", "-i"],
        &fx.path(),
        &env,
        (100, 30),
    );
    s.wait_for("shell$");
    s.keys(&format!("{}\r", common::bin().display()));
    s.wait_ready("0/3 decided");
    s.keys("\u{1a}");
    s.wait_for("Stopped");
    s.keys("fg\r");
    s.wait_ready("0/3 decided");
    s.key_then("a", "1/3 decided");
    s.keys("q");
    s.wait_until(
        |sc| sc.matches("shell$").count() >= 3,
        "back at the shell prompt",
    );
    s.keys("exit\r");
    s.wait_exit();
}

#[test]
fn e_opens_the_editor_at_the_line_and_returns() {
    let fx = fixture();
    let log = fx.home().join("editor.log");
    let editor = fx.home().join("editor.sh");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\necho \"$@\" > {}\n", log.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let mut env = fx.env();
    env.push(("EDITOR".into(), editor.display().to_string()));
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &env, (100, 30));
    s.wait_ready("0/3 decided");
    s.keys("j");
    s.keys("e");
    let start = std::time::Instant::now();
    while !log.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "editor never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.wait_ready("0/3 decided");
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.trim(),
        "+2 app.py",
        "the cursor line of the first hunk"
    );
    // The working tree moves on: `e` opens the commit's version, read-only, and says so.
    std::fs::write(fx.path().join("app.py"), "changed in the working tree\n").unwrap();
    std::fs::remove_file(&log).unwrap();
    s.keys("e");
    let said = s.wait_for("opened the commit's version");
    assert!(said.contains("read-only"), "{said}");
    let args = std::fs::read_to_string(&log).unwrap();
    let copy = args
        .trim()
        .strip_prefix("+2 ")
        .expect("the line")
        .to_string();
    let text = std::fs::read_to_string(&copy).unwrap();
    assert!(text.contains("return 10"), "the commit's content: {text}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).unwrap().permissions());
    assert_eq!(mode & 0o222, 0, "read-only");
    s.keys("\u{1b}");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn a_hangup_ends_the_program_with_the_decisions_saved() {
    let fx = fixture();
    let mut s = open(&fx);
    s.wait_ready("0/3 decided");
    s.key_then("a", "1/3 decided");
    // What a closing terminal sends. (The pty's master stays open in the reader thread here;
    // the end-of-file spin that follows a real close was checked by hand with tmux.)
    s.signal("HUP");
    s.wait_exit();
    let mut s = open(&fx);
    s.wait_ready("1/3 decided");
    s.keys("q");
    s.wait_exit();
}

/// `COUNTERSIGN_TIMINGS=FILE`: the real program, in a real terminal, appends its phase timings
/// to FILE when it exits (first frame, analysis complete, key-to-frame figures).
#[test]
fn timings_are_appended_to_the_file_named_in_the_environment() {
    let fx = fixture();
    let file = fx.home().join("timings.txt");
    std::fs::write(&file, "earlier run\n").unwrap();
    let mut env = fx.env();
    env.push(("COUNTERSIGN_TIMINGS".into(), file.display().to_string()));
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &env, (100, 30));
    s.wait_ready("0/3 decided");
    // A key whose frame shows it, so there is a key-to-frame time to report.
    s.key_then("a", "1/3 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("earlier run\n"),
        "appended, not replaced:\n{text}"
    );
    let value = |key: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
        line[key.len()..].trim().parse().unwrap()
    };
    let first = value("first-frame");
    let done = value("analysis-complete");
    assert!(first > 0.0 && done >= first, "{text}");
    assert!(text.contains("key-to-frame n="), "{text}");
    assert!(text.contains("slowest-frames "), "{text}");
}
