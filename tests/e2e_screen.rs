//! The review screen in a real pseudo-terminal: paging never skips a line, a hunk is not
//! approved unseen without saying so, a key config that would defeat the critical confirmation
//! is refused, and a save that fails is never reported as saved.

mod common;

use common::pty::Session;
use common::Fixture;

fn with_file(path: &str, content: &str) -> Fixture {
    let fx = Fixture::new();
    fx.write("README", "x\n").commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(path, content);
    fx.commit_ai("Add a file");
    fx
}

/// Markers on every line, every fifth line long enough to wrap at 80 columns.
fn long_file(lines: usize) -> String {
    (1..=lines)
        .map(|i| {
            if i % 5 == 0 {
                format!("mark{i:03} {}\n", "wrapped words go on and on ".repeat(6))
            } else {
                format!("mark{i:03} = {i}\n")
            }
        })
        .collect()
}

#[test]
fn paging_through_a_wrapped_hunk_at_80x24_shows_every_line() {
    let fx = with_file("long.py", &long_file(150));
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (80, 24));
    s.wait_ready("0/1 decided");
    let mut seen = std::collections::BTreeSet::new();
    let mut screen = s.screen();
    for _ in 0..100 {
        for word in screen.split_whitespace() {
            if let Some(n) = word
                .strip_prefix("mark")
                .and_then(|n| n.parse::<usize>().ok())
            {
                seen.insert(n);
            }
        }
        if seen.contains(&150) {
            break;
        }
        let before = screen.clone();
        s.keys(" ");
        screen = s.wait_change(&before);
    }
    let missing: Vec<usize> = (1..=150).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "never on screen: {missing:?}");
    // Every line was shown: `a` approves at once.
    s.key_then("a", "1/1 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn a_summarised_hunk_is_not_approved_unseen_without_saying_so() {
    let fx = with_file("big.txt", &long_file(6000));
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30));
    s.wait_ready("0/1 decided");
    let asked = s.key_then("a", "approve unseen?");
    assert!(asked.contains("0 of this hunk's 6000 lines"), "{asked}");
    s.key_then("n", "cancelled");
    assert!(s.screen().contains("0/1 decided"));
    // Expanded, a screenful is seen: still not all of it.
    s.keys("\r");
    let asked = s.key_then("a", "approve unseen?");
    assert!(!asked.contains("0 of this hunk's"), "{asked}");
    s.key_then("y", "1/1 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    let dir = fx.home().join(".local/state/countersign/sessions");
    let session: String = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(session.contains("\"unseen\":true"), "{session}");
}

#[test]
fn an_approve_key_that_would_answer_the_critical_confirmation_is_refused() {
    let fx = with_file("a.py", "x = 1\n");
    let config = fx.home().join(".config/countersign");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        "[keys]\napprove = [\"a\", \"y\"]\n",
    )
    .unwrap();
    let out = fx
        .command(common::bin().to_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("key 'y' cannot be bound to approve"), "{err}");
}

#[test]
fn a_state_directory_that_cannot_be_written_is_reported_and_never_called_saved() {
    let fx = with_file("a.py", "x = 1\n");
    let state = fx.home().join("state");
    let mut env = fx.env();
    env.push(("COUNTERSIGN_STATE_DIR".into(), state.display().to_string()));
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &env, (100, 30));
    s.wait_ready("0/1 decided");
    // The state directory goes bad under the open review (as a full or read-only disk would,
    // for a user who is not root): a file stands where the sessions directory was.
    let _ = std::fs::remove_dir_all(state.join("sessions"));
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("sessions"), "").unwrap();
    let shown = s.key_then("a", "NOT SAVED");
    assert!(shown.contains("1/1 decided"), "{shown}");
    s.keys("q");
    assert_eq!(s.wait_exit(), 2);
    // The reader may lag behind the exit: wait for the last words printed.
    s.wait_raw("NOT SAVED (");
    let after = s.wait_for("approved");
    assert!(after.contains("NOT SAVED"), "{after}");
    assert!(!after.contains("; saved."), "{after}");
    assert!(
        after.contains("approved"),
        "the decisions are printed: {after}"
    );
}

#[test]
fn two_screens_on_one_repository_keep_both_decisions() {
    let fx = Fixture::new();
    fx.write("a.py", "a = 1\n")
        .write("b.py", "b = 1\n")
        .commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("a.py", "a = 2\n").write("b.py", "b = 2\n");
    fx.commit_ai("Tune a and b");
    let mut one = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30));
    let mut two = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30));
    one.wait_ready("0/2 decided");
    two.wait_ready("0/2 decided");
    one.key_then("a", "1/2 decided");
    two.keys("n");
    two.key_then("r", "1/2 decided");
    one.keys("q");
    two.keys("q");
    assert_eq!(one.wait_exit(), 0);
    assert_eq!(two.wait_exit(), 0);
    let dir = fx.home().join(".local/state/countersign/sessions");
    let session: String = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        session.contains("\"approved\"") && session.contains("\"rejected\""),
        "{session}"
    );
}

/// Colours as deep as the terminal says it shows: 256 for `xterm-256color` without
/// COLORTERM, 24-bit with `COLORTERM=truecolor`.
#[test]
fn colour_depth_follows_the_terminal() {
    let fx = with_file("a.py", "x = 1\n");
    let raw = |extra: &[(&str, &str)]| {
        let mut env = fx.env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut s = Session::spawn(common::bin(), &[], &fx.path(), &env, (100, 30));
        s.wait_ready("0/1 decided");
        s.keys("q");
        assert_eq!(s.wait_exit(), 0);
        let bytes = s.raw.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let indexed = raw(&[]);
    assert!(indexed.contains("38;5;"), "256 colours are used");
    assert!(
        !indexed.contains("38;2;"),
        "no 24-bit colour on a 256-colour terminal"
    );
    let full = raw(&[("COLORTERM", "truecolor")]);
    assert!(
        full.contains("38;2;"),
        "24-bit colour where the terminal says it has it"
    );
}

/// Two AI commits, three files, for the flows of a larger review.
fn three_files() -> Fixture {
    let fx = Fixture::new();
    fx.write("README", "x\n").commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("a.py", "x = 1\n");
    fx.write("lib/util.py", "def f():\n    return 1\n");
    fx.commit_ai("Add the helpers");
    fx.write("services/payments/Dockerfile", "FROM python:3.12\n");
    fx.commit_ai("Containerise payments");
    fx
}

#[test]
fn the_list_folds_a_file_is_found_by_its_path_and_the_mouse_selects() {
    let fx = three_files();
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30));
    s.wait_ready("0/3 decided");
    s.wait_raw("\u{1b}[?1000h");
    // Every file folded: the list shows files, no hunk rows.
    let folded = s.key_then("-", "▶A a.py");
    assert!(!folded.contains("@@ 1,1"), "{folded}");
    // The finder: a fuzzy path, Enter goes there.
    s.key_then("f", "find a file");
    s.keys("paydock");
    s.wait_for("1 of 3");
    s.keys("\r");
    s.wait_until(
        |sc| sc.contains("undecided A services/payments/Dockerfile"),
        "the Dockerfile's hunk",
    );
    // A click on a.py's row (SGR mouse report, 1-based column and row) goes to a.py.
    let screen = s.screen();
    let row = screen
        .lines()
        .position(|l| l.contains("▶A a.py"))
        .expect("a.py listed") as u16;
    s.keys(&format!("\u{1b}[<0;6;{}M\u{1b}[<0;6;{}m", row + 1, row + 1));
    s.wait_until(
        |sc| sc.contains("undecided A a.py"),
        "a.py's hunk after the click",
    );
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    s.wait_raw("\u{1b}[?1000l");
}

#[test]
fn mouse_false_in_the_config_leaves_the_mouse_to_the_terminal() {
    let fx = three_files();
    let config = fx.home().join(".config/countersign");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "mouse = false\n").unwrap();
    let mut s = Session::spawn(common::bin(), &[], &fx.path(), &fx.env(), (100, 30));
    s.wait_ready("0/3 decided");
    s.keys("q");
    assert_eq!(s.wait_exit(), 0);
    let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).to_string();
    assert!(
        !raw.contains("\u{1b}[?1000h"),
        "mouse reports were asked for"
    );
}
