//! Screen snapshots through ratatui's TestBackend, and key sequences driving the app state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use countersign::model::{
    ChangeKind, Commit, Evidence, EvidenceSource, FileChange, Finding, Hunk, Line, LineKind,
    Origin, Person, Review, Severity, Verdict,
};
use countersign::session::Session;
use countersign::ui::app::App;
use countersign::ui::highlight::Highlighter;
use countersign::ui::keymap::Keymap;
use countersign::ui::theme::Theme;
use countersign::ui::update::{handle_key, Effect};
use countersign::ui::view::{self, ViewCtx};

fn line(kind: LineKind, old: Option<u32>, new: Option<u32>, text: &str) -> Line {
    Line::new(kind, old, new, text.as_bytes())
}

fn hunk(path: &str, old: (u32, u32), new: (u32, u32), header: &str, lines: Vec<Line>) -> Hunk {
    let mut h = Hunk::new(path, old, new, header, lines);
    h.origin = Origin::Ai;
    h
}

fn file(path: &str, change: ChangeKind, hunks: Vec<Hunk>) -> FileChange {
    let mut f = FileChange::new(Some(path.into()), Some(path.into()), change);
    f.added = hunks.iter().map(|h| h.added()).sum();
    f.removed = hunks.iter().map(|h| h.removed()).sum();
    f.hunks = hunks;
    f.loaded = true;
    f.analysed = true;
    f
}

fn sample_review() -> Review {
    use LineKind::*;
    let retry = hunk(
        "src/client.py",
        (10, 5),
        (10, 5),
        "def fetch(url):",
        vec![
            line(
                Context,
                Some(10),
                Some(10),
                "    session = requests.Session()",
            ),
            line(Removed, Some(11), None, "    timeout = 5"),
            line(Removed, Some(12), None, "    retries = 2"),
            line(Added, None, Some(11), "    timeout = 30"),
            line(Added, None, Some(12), "    retries = 5"),
            line(
                Context,
                Some(13),
                Some(13),
                "    return session.get(url, timeout=timeout)",
            ),
        ],
    );
    let mut verify = hunk(
        "src/client.py",
        (40, 3),
        (40, 3),
        "def post(url, body):",
        vec![
            line(Context, Some(40), Some(40), "    resp = session.post("),
            line(Removed, Some(41), None, "        url, json=body)"),
            line(
                Added,
                None,
                Some(41),
                "        url, json=body, verify=False)",
            ),
            line(Context, Some(42), Some(42), "    return resp"),
        ],
    );
    verify.findings.push(Finding {
        rule: "security.tls-verify-off".into(),
        severity: Severity::High,
        category: "security".into(),
        line_index: Some(2),
        line_no: Some(41),
        column: None,
        message: "TLS certificate verification is turned off.".into(),
    });
    let mut drop = hunk(
        "db/migrate.sql",
        (0, 0),
        (1, 2),
        "",
        vec![
            line(Added, None, Some(1), "BEGIN;"),
            line(Added, None, Some(2), "DELETE FROM sessions;"),
        ],
    );
    drop.findings.push(Finding {
        rule: "destructive.sql-delete-without-where".into(),
        severity: Severity::Critical,
        category: "destructive".into(),
        line_index: Some(1),
        line_no: Some(2),
        column: None,
        message: "DELETE without WHERE removes every row of the table.".into(),
    });
    let mut sql = file("db/migrate.sql", ChangeKind::Added, vec![drop]);
    sql.old_path = None;
    let commit = Commit {
        id: "1124a17d66aa3bb8c9d0e1f2a3b4c5d6e7f80912".into(),
        summary: "Fix flaky timeouts in the payments client".into(),
        author: Person {
            name: "Sam Okafor".into(),
            email: "sam@example.com".into(),
            time: 0,
        },
        evidence: vec![Evidence {
            source: EvidenceSource::Trailer,
            agent: Some("Claude Code".into()),
            model: None,
            detail: "Co-Authored-By: Claude <noreply@anthropic.com>".into(),
        }],
        files: vec![
            file("src/client.py", ChangeKind::Modified, vec![retry, verify]),
            sql,
        ],
        complete: true,
        ..Commit::default()
    };
    Review {
        range: "main..HEAD".into(),
        commits: vec![commit],
        ..Default::default()
    }
}

fn app_for(review: Review) -> App {
    let mut app = App::new(review, Session::default(), Keymap::builtin(), "tip".into());
    // The screens here open at the start of the tests' fixed clock: decisions they make are of
    // this sitting.
    app.opened_at = 0;
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    SIZE.with(|s| s.set((w, h)));
    let theme = Theme::load("dark", None, false).unwrap();
    let hl = Highlighter::off();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    view::ensure_visible(app, ratatui::layout::Rect::new(0, 0, w, h));
    term.draw(|f| {
        view::draw(
            f,
            app,
            &ViewCtx {
                theme: &theme,
                highlight: &hl,
            },
        )
    })
    .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut row = String::new();
        for x in 0..w {
            row.push_str(buf[(x, y)].symbol());
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

thread_local! {
    /// The size of the last screen drawn (100x30 before any): keys lay out at that size, as
    /// the runner does between frames.
    static SIZE: std::cell::Cell<(u16, u16)> = const { std::cell::Cell::new((100, 30)) };
}

/// A key as the runner handles it: the update, then the layout of what it brings on screen.
fn key(app: &mut App, c: char) -> Vec<Effect> {
    special(app, KeyCode::Char(c))
}

fn special(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let (w, h) = SIZE.with(|s| s.get());
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    view::ensure_visible(app, area);
    let effects = handle_key(app, KeyEvent::new(code, KeyModifiers::NONE), 100);
    view::ensure_visible(app, area);
    effects
}

#[test]
fn list_and_hunk_at_80x24() {
    let mut app = app_for(sample_review());
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = app_for(sample_review());
    key(&mut app, '?');
    let screen = render(&mut app, 80, 44);
    for a in countersign::ui::action::Action::ALL {
        assert!(screen.contains(a.description()), "help lacks {a:?}");
    }
    insta::assert_snapshot!(screen);
    // At 80x24 it scrolls: every entry is whole, and the last is reached with j.
    let small = render(&mut app, 80, 24);
    assert!(small.contains("j/k scroll"), "{small}");
    insta::assert_snapshot!("help_at_80x24", small);
    for _ in 0..countersign::ui::action::Action::ALL.len() {
        key(&mut app, 'j');
    }
    let end = render(&mut app, 80, 24);
    let last = countersign::ui::action::Action::ALL.last().unwrap();
    assert!(end.contains(last.description()), "{end}");
    special(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none(), "Esc closes the help");
}

#[test]
fn comment_box() {
    let mut app = app_for(sample_review());
    key(&mut app, 'c');
    for c in "Why 30s?".chars() {
        key(&mut app, c);
    }
    special(&mut app, KeyCode::Enter);
    for c in "The SLA is 10s.".chars() {
        key(&mut app, c);
    }
    insta::assert_snapshot!(render(&mut app, 80, 24));
    let effects = special(&mut app, KeyCode::Esc);
    assert_eq!(effects, vec![Effect::Save]);
    let id = app.review.commits[0].files[0].hunks[0].id;
    assert_eq!(
        app.session.decision(&id).unwrap().comment,
        "Why 30s?\nThe SLA is 10s."
    );
    // Saved, it is shown under the hunk it is about, with the lines it is on (the cursor was on
    // context, so the hunk's changed lines).
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("✎ your comment on lines 11-12:") && screen.contains("The SLA is 10s."),
        "{screen}"
    );
    insta::assert_snapshot!("comment_inline", screen);
}

/// A comment longer than the box wraps and scrolls with the cursor; the hunk's lines stay in
/// view above it.
#[test]
fn a_long_comment_wraps_and_scrolls_in_its_box() {
    let mut app = app_for(sample_review());
    key(&mut app, 'c');
    let words = "the timeout must stay below the upstream's own deadline ".repeat(12);
    for c in words.chars() {
        key(&mut app, c);
    }
    for c in "LAST".chars() {
        key(&mut app, c);
    }
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("LAST"),
        "the end of the comment is in view:\n{screen}"
    );
    assert!(
        screen.contains("timeout = 30"),
        "the hunk stays in view:\n{screen}"
    );
}

#[test]
fn side_by_side_view() {
    let mut app = app_for(sample_review());
    key(&mut app, 's');
    insta::assert_snapshot!(render(&mut app, 100, 20));
}

#[test]
fn escape_sequences_and_bidi_are_shown_not_obeyed() {
    use LineKind::*;
    let evil = hunk(
        "src/evil.js",
        (1, 1),
        (1, 3),
        "",
        vec![
            line(Removed, Some(1), None, "let ok = true;"),
            line(
                Added,
                None,
                Some(1),
                "let ok = true;\u{1b}[2J\u{1b}]0;owned\u{7}",
            ),
            line(
                Added,
                None,
                Some(2),
                "if (role === \"user\u{202e} \u{2066}// admin\u{2069} \u{2066}\") {",
            ),
            line(Added, None, Some(3), "const key\u{200b} = 1;\r"),
        ],
    );
    let mut review = sample_review();
    review.commits[0].files = vec![file("src/evil.js", ChangeKind::Modified, vec![evil])];
    let mut app = app_for(review);
    let screen = render(&mut app, 80, 24);
    assert!(
        !screen.chars().any(|c| c.is_control() && c != '\n'),
        "{screen:?}"
    );
    assert!(screen.contains("␛[2J"));
    assert!(screen.contains("<U+202E>"));
    assert!(screen.contains("<U+200B>"));
    insta::assert_snapshot!(screen);
}

#[test]
fn too_small_terminal_says_so() {
    let mut app = app_for(sample_review());
    let screen = render(&mut app, 40, 10);
    assert!(screen.contains("Terminal too small"), "{screen}");
}

#[test]
fn deciding_moves_to_the_next_undecided_hunk() {
    let mut app = app_for(sample_review());
    assert_eq!(app.pos, 0);
    assert_eq!(key(&mut app, 'a'), vec![Effect::Save]);
    assert_eq!(app.pos, 1);
    key(&mut app, 'a');
    assert_eq!(app.pos, 2);
    // The third hunk is critical: approving it asks first, and only `y` approves.
    assert!(key(&mut app, 'a').is_empty());
    assert!(app.overlay.is_some());
    key(&mut app, 'n');
    let critical = app.review.commits[0].files[1].hunks[0].id;
    assert_eq!(
        app.session.verdict(&critical),
        None,
        "any other key cancels"
    );
    key(&mut app, 'a');
    assert_eq!(key(&mut app, 'y'), vec![Effect::Save]);
    assert_eq!(app.session.verdict(&critical), Some(Verdict::Approved));
    assert_eq!(app.progress().decided, 3);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("3/3 decided"), "{screen}");
    // Undo takes back the last decision and goes to its hunk.
    key(&mut app, 'u');
    assert_eq!(app.progress().decided, 2);
    assert_eq!(app.pos, 2);
}

#[test]
fn triage_order_puts_the_riskiest_first() {
    let mut app = app_for(sample_review());
    key(&mut app, 't');
    let first = app.review.hunk(app.nav[0]).unwrap();
    assert_eq!(first.risk(), Some(Severity::Critical));
    let second = app.review.hunk(app.nav[1]).unwrap();
    assert_eq!(second.risk(), Some(Severity::High));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn search_finds_lines_across_hunks() {
    let mut app = app_for(sample_review());
    key(&mut app, '/');
    for c in "verify".chars() {
        key(&mut app, c);
    }
    special(&mut app, KeyCode::Enter);
    assert_eq!(app.pos, 1);
    assert_eq!(app.line, 2);
}

#[test]
fn sign_refuses_until_everything_is_approved() {
    let mut app = app_for(sample_review());
    key(&mut app, 'S');
    assert!(app.notice.as_ref().unwrap().text.contains("undecided"));
    key(&mut app, 'r');
    key(&mut app, 'S');
    assert_eq!(
        app.overlay,
        Some(countersign::ui::app::Overlay::Confirm(
            countersign::ui::app::Confirm::Export
        ))
    );
}

#[test]
fn sign_confirmation_names_the_identity_and_the_key() {
    let mut app = app_for(sample_review());
    app.signing_as = Some(
        "Jane Doe <jane@example.com> with SSH key /home/jane/.ssh/id_ed25519.pub (ed25519)".into(),
    );
    for _ in 0..app.nav.len() {
        key(&mut app, 'a');
        if matches!(app.overlay, Some(countersign::ui::app::Overlay::Confirm(_))) {
            key(&mut app, 'y');
        }
    }
    key(&mut app, 'S');
    assert_eq!(
        app.overlay,
        Some(countersign::ui::app::Overlay::Confirm(
            countersign::ui::app::Confirm::Sign
        ))
    );
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("<jane@example.com>"), "{screen}");
    assert!(screen.contains("id_ed25519.pub"), "{screen}");
    assert!(!screen.contains("earlier sitting"), "{screen}");
    insta::assert_snapshot!(screen);

    // Reopened later, the same decisions were made in an earlier sitting: the confirmation
    // says how many, and when the last was.
    app.opened_at = 10_000;
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("3 of these decisions") && screen.contains("earlier sitting"),
        "{screen}"
    );
    assert!(screen.contains("1970-01-01T00:01:40Z"), "{screen}");
}

#[test]
fn esc_then_a_key_in_one_burst_is_esc_then_the_key() {
    let mut app = app_for(sample_review());
    key(&mut app, 'c');
    key(&mut app, 'x');
    // What a terminal delivers for Esc followed at once by `q`: Alt+q.
    let effects = handle_key(
        &mut app,
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT),
        100,
    );
    assert_eq!(effects, vec![Effect::Save, Effect::Quit]);
    let id = app.review.commits[0].files[0].hunks[0].id;
    assert_eq!(app.session.decision(&id).unwrap().comment, "x");
}

#[test]
fn findings_panel_badges_and_gutter_marks() {
    let mut app = app_for(sample_review());
    key(&mut app, 'n');
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("HIGH L41"), "{screen}");
    assert!(screen.contains("TLS certificate verification"), "{screen}");
    assert!(screen.contains("[security.tls-verify-off]"), "{screen}");
    assert!(
        screen.contains("H     41 +"),
        "the gutter marks the line:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn critical_hunk_asks_for_its_own_confirmation() {
    let mut app = app_for(sample_review());
    key(&mut app, 'G');
    key(&mut app, 'a');
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("approve a CRITICAL hunk?"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_huge_hunk_is_summarised_until_asked_for() {
    use LineKind::*;
    let lines: Vec<Line> = (1..=6000)
        .map(|i| line(Added, None, Some(i), &format!("row {i}")))
        .collect();
    let big = hunk("data/dump.csv", (0, 0), (1, 6000), "", lines);
    let mut review = sample_review();
    review.commits[0].files = vec![file("data/dump.csv", ChangeKind::Added, vec![big])];
    let mut app = app_for(review);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("A huge hunk: 6000 lines"), "{screen}");
    assert!(!screen.contains("row 1"), "{screen}");
    key(&mut app, 'j');
    assert_eq!(app.line, 0, "no line cursor inside a summary");
    special(&mut app, KeyCode::Enter);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("row 1"), "{screen}");
}

#[test]
fn the_header_says_how_many_decisions_carried_over() {
    let review = sample_review();
    let id = review.commits[0].files[0].hunks[0].id;
    let mut session = Session::default();
    session.set_verdict(
        id,
        Some(Verdict::Approved),
        "an-earlier-version-of-the-commit",
        1,
    );
    let mut app = App::new(review, session, Keymap::builtin(), "tip".into());
    let screen = render(&mut app, 120, 24);
    assert!(
        screen.contains("1 decision carried over from an earlier version"),
        "{screen}"
    );
    assert_eq!(app.pos, 1, "opens on the first undecided hunk");
}

#[test]
fn a_hunk_cannot_be_decided_before_its_file_is_scanned() {
    let mut review = sample_review();
    review.commits[0].files[0].analysed = false;
    let mut app = app_for(review);
    assert!(key(&mut app, 'a').is_empty());
    assert!(app
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("held until this file's findings are in"));
    assert_eq!(app.progress().decided, 0);
    assert_eq!(app.held.len(), 1);
}

/// A repository-local `user.name` is the agent's to write: it reaches the screen only through
/// the escaping renderer.
#[test]
fn the_signing_identity_cannot_drive_the_terminal() {
    let mut app = app_for(sample_review());
    app.signing_as =
        Some("Jane\u{1b}[2J\u{1b}]0;owned\u{7} <jane@example.com> with SSH key k".into());
    for _ in 0..app.nav.len() {
        key(&mut app, 'a');
        if matches!(app.overlay, Some(countersign::ui::app::Overlay::Confirm(_))) {
            key(&mut app, 'y');
        }
    }
    key(&mut app, 'S');
    let screen = render(&mut app, 100, 30);
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen:?}"
    );
    assert!(screen.contains("␛[2J"), "{screen}");
}

#[test]
fn the_header_says_what_changed_since_an_approval() {
    let mut review = sample_review();
    review.commits[0].stale_approval = Some(countersign::model::StaleApproval {
        reviewer: "Jane Doe <jane@example.com>".into(),
        time: 1_795_294_800,
        paths: vec!["db/migrate.sql".into()],
    });
    let mut app = app_for(review);
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains(
            "changed since the approval by Jane Doe <jane@example.com> (2026-11-21T21:00:00Z): db/migrate.sql"
        ),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn zoom_hides_the_file_list_and_m_shows_the_whole_message() {
    let mut review = sample_review();
    review.commits[0].message = "Fix flaky timeouts in the payments client\n\nLet Terraform \
        recreate the receipts bucket cleanly, and raise the client's timeout to 30 s while the \
        new bucket warms up.\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
        .into();
    let mut app = app_for(review);
    let normal = render(&mut app, 100, 30);
    assert!(normal.contains("files"), "{normal}");
    key(&mut app, 'z');
    let zoomed = render(&mut app, 100, 30);
    assert!(!zoomed.contains(" files "), "{zoomed}");
    insta::assert_snapshot!("zoomed", zoomed);
    key(&mut app, 'z');
    key(&mut app, 'm');
    let message = render(&mut app, 100, 30);
    assert!(
        message.contains("Let Terraform recreate the receipts bucket"),
        "{message}"
    );
    assert!(message.contains("Co-Authored-By: Claude"), "{message}");
    insta::assert_snapshot!("message_view", message);
    special(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
}

#[test]
fn search_counts_matches_goes_back_and_says_when_it_wraps() {
    let mut app = app_for(sample_review());
    key(&mut app, '/');
    for c in "timeout".chars() {
        key(&mut app, c);
    }
    special(&mut app, KeyCode::Enter);
    let first = app.notice.as_ref().unwrap().text.clone();
    assert!(first.starts_with("match 1 of "), "{first}");
    let total: usize = first
        .trim_start_matches("match 1 of ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= 2, "{first}");
    // Back from the first match wraps to the last.
    handle_key(
        &mut app,
        KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL),
        100,
    );
    let back = app.notice.as_ref().unwrap().text.clone();
    assert_eq!(
        back,
        format!("match {total} of {total} for timeout (wrapped to the bottom)")
    );
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains(&format!("match {total} of {total}")),
        "{screen}"
    );
}

/// Keys pressed before the files are analysed are held, never dropped: `a a a` at once
/// decides all three once the findings arrive, and the critical one still asks.
#[test]
fn decisions_before_the_findings_are_held_then_applied() {
    let mut review = sample_review();
    let loaded = review.commits[0].clone();
    for f in &mut review.commits[0].files {
        f.analysed = false;
    }
    let mut app = app_for(review);
    for _ in 0..3 {
        key(&mut app, 'a');
    }
    assert_eq!(app.progress().decided, 0);
    assert_eq!(app.held.len(), 3, "{:?}", app.held);
    app.apply_load(countersign::load::LoadEvent::Commit {
        index: 0,
        commit: Box::new(loaded),
    });
    let effects = countersign::ui::update::apply_held(&mut app);
    assert!(!effects.is_empty(), "the applied decisions are saved");
    // The two ordinary hunks are approved; the critical one asks first.
    assert_eq!(app.progress().approved, 2);
    assert_eq!(
        app.overlay,
        Some(countersign::ui::app::Overlay::Confirm(
            countersign::ui::app::Confirm::ApproveCritical
        ))
    );
    key(&mut app, 'y');
    assert_eq!(app.progress().approved, 3);
}

/// The cursor has its own column: on a line with a finding both show, in the unified and the
/// side-by-side view (a capture has no colour, like NO_COLOR).
#[test]
fn the_cursor_is_visible_beside_a_finding_letter_in_both_views() {
    let mut app = app_for(sample_review());
    key(&mut app, 'n');
    key(&mut app, 'j');
    key(&mut app, 'j');
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("▸H"), "{screen}");
    key(&mut app, 's');
    let sbs = render(&mut app, 100, 30);
    assert!(
        sbs.contains("│▸ 41 +"),
        "the cursor line is marked on its side:\n{sbs}"
    );
    key(&mut app, 'k');
    let sbs = render(&mut app, 100, 30);
    assert!(sbs.contains("│▸ 41 -"), "and on the old side:\n{sbs}");
}

/// Paging through a hunk longer than the screen, with wrapped lines, at 80x24: every line is
/// on screen at some point.
#[test]
fn paging_never_skips_a_line() {
    let lines: Vec<Line> = (1..=150u32)
        .map(|i| {
            let text = if i % 5 == 0 {
                format!("mark{i:03} {}", "wrapped words go on and on ".repeat(6))
            } else {
                format!("mark{i:03} = {i}")
            };
            line(LineKind::Added, None, Some(i), &text)
        })
        .collect();
    let h = hunk("long.py", (0, 0), (1, 150), "", lines);
    let mut f = file("long.py", ChangeKind::Added, vec![h]);
    f.old_path = None;
    let mut review = sample_review();
    review.commits[0].files = vec![f];
    let mut app = app_for(review);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..100 {
        let screen = render(&mut app, 80, 24);
        for word in screen.split_whitespace() {
            if let Some(n) = word
                .strip_prefix("mark")
                .and_then(|n| n.parse::<u32>().ok())
            {
                seen.insert(n);
            }
        }
        if seen.contains(&150) {
            break;
        }
        key(&mut app, ' ');
    }
    let missing: Vec<u32> = (1..=150).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "never on screen: {missing:?}");
    assert!(app.fully_seen(app.current().unwrap()));
}

/// The findings pane shows whole findings and says how many more there are; `F` lists all.
#[test]
fn findings_that_do_not_fit_are_counted_and_listed_in_full() {
    let mut review = sample_review();
    let h = &mut review.commits[0].files[0].hunks[0];
    for i in 0..8 {
        h.findings.push(Finding {
            rule: format!("test.rule-{i}"),
            severity: Severity::Medium,
            category: "test".into(),
            line_index: Some(1),
            line_no: Some(11),
            column: None,
            message: format!(
                "Finding number {i} with a message long enough to wrap at eighty columns."
            ),
        });
    }
    let mut app = app_for(review);
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("more findings (F shows them all)"),
        "{screen}"
    );
    key(&mut app, 'F');
    let all = render(&mut app, 100, 40);
    for i in 0..8 {
        assert!(all.contains(&format!("Finding number {i}")), "{all}");
    }
}

/// A lone finding that fits the pane only without its rule id is shown so, not counted as
/// "1 more" (the demo's CI finding at 100x30 was).
#[test]
fn a_lone_finding_too_long_with_its_rule_id_is_shown_without_it() {
    let mut review = sample_review();
    let h = &mut review.commits[0].files[0].hunks[0];
    h.findings = vec![Finding {
        rule: "infrastructure.ci-pipeline".into(),
        severity: Severity::Low,
        category: "infrastructure".into(),
        line_index: Some(1),
        line_no: Some(14),
        column: None,
        message: "CI/CD pipeline: it runs with the repository's secrets and decides what gets built and deployed.".into(),
    }];
    h.findings_omitted = 0;
    let mut app = app_for(review);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("CI/CD pipeline: it runs"), "{screen}");
    assert!(!screen.contains("more finding"), "{screen}");
}

/// The sample commit and a second one touching another file, as a two-commit review.
fn two_commits() -> Review {
    use LineKind::*;
    let mut review = sample_review();
    let mut second = review.commits[0].clone();
    second.id = "77aa01b2c3d4e5f60718293a4b5c6d7e8f901234".into();
    second.summary = "Log the retry count".into();
    second.files = vec![file(
        "services/payments/Dockerfile",
        ChangeKind::Modified,
        vec![hunk(
            "services/payments/Dockerfile",
            (1, 2),
            (1, 2),
            "",
            vec![
                line(Removed, Some(1), None, "FROM python:3.11"),
                line(Added, None, Some(1), "FROM python:3.12"),
                line(Context, Some(2), Some(2), "COPY . /app"),
            ],
        )],
    )];
    review.commits.push(second);
    review
}

fn list_part(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.split('│').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_list_folds_files_then_commits_and_unfolds() {
    let mut app = app_for(two_commits());
    let open = list_part(&render(&mut app, 100, 30));
    assert!(open.contains("@@ 10,5"), "{open}");
    key(&mut app, '-');
    let files = render(&mut app, 100, 30);
    let list = list_part(&files);
    assert!(!list.contains("@@"), "every file folded: {list}");
    assert!(list.contains("▶M src/client.py"), "{list}");
    assert!(list.contains("77aa01b2c3 Log the retry"), "{list}");
    insta::assert_snapshot!("collapsed_list", files);
    key(&mut app, '-');
    let commits = list_part(&render(&mut app, 100, 30));
    assert!(
        !commits.contains("client.py"),
        "every commit folded: {commits}"
    );
    assert!(
        commits.contains("▸▶ 1124a17d66 Fix flaky"),
        "the current commit's row is selected: {commits}"
    );
    key(&mut app, '=');
    assert!(list_part(&render(&mut app, 100, 30)).contains("@@ 10,5"));
    // h folds the file under the cursor, h again its commit; l opens both.
    key(&mut app, 'h');
    let one = list_part(&render(&mut app, 100, 30));
    assert!(one.contains("▸▶M src/client.py"), "{one}");
    assert!(one.contains("db/migrate.sql"), "{one}");
    key(&mut app, 'h');
    assert!(!list_part(&render(&mut app, 100, 30)).contains("client.py"));
    key(&mut app, 'l');
    assert!(list_part(&render(&mut app, 100, 30)).contains("@@ 10,5"));
    // Navigation still walks every hunk while the list is folded.
    key(&mut app, '-');
    let before = app.pos;
    key(&mut app, 'n');
    assert_eq!(app.pos, before + 1);
}

#[test]
fn a_large_review_opens_with_its_files_folded() {
    use LineKind::*;
    let mut review = sample_review();
    review.commits[0].files = (0..300)
        .map(|i| {
            let path = format!("src/mod{i}.rs");
            let hunks = (0..2)
                .map(|k| {
                    hunk(
                        &path,
                        (k * 10 + 1, 1),
                        (k * 10 + 1, 1),
                        "",
                        vec![
                            line(Removed, Some(k * 10 + 1), None, &format!("old {i} {k}")),
                            line(Added, None, Some(k * 10 + 1), &format!("new {i} {k}")),
                        ],
                    )
                })
                .collect();
            file(&path, ChangeKind::Modified, hunks)
        })
        .collect();
    let app = app_for(review);
    assert!(app.folds.files);
    assert_eq!(app.rows.len(), 300, "one row a file: {}", app.rows.len());
}

#[test]
fn the_file_finder_goes_to_a_file_by_a_fuzzy_path() {
    let mut app = app_for(two_commits());
    key(&mut app, 'f');
    for c in "pyxl".chars() {
        key(&mut app, c);
    }
    let shown = render(&mut app, 100, 30);
    assert!(
        shown.contains("find a file · 0 of 3"),
        "no path has p…y…x…l: {shown}"
    );
    for _ in 0..4 {
        special(&mut app, KeyCode::Backspace);
    }
    for c in "paydock".chars() {
        key(&mut app, c);
    }
    let shown = render(&mut app, 100, 30);
    assert!(shown.contains("find a file · 1 of 3"), "{shown}");
    assert!(
        shown.contains("▸ services/payments/Dockerfile  77aa01b2c3"),
        "{shown}"
    );
    insta::assert_snapshot!("file_finder", shown);
    special(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let r = app.current().unwrap();
    assert_eq!(
        app.review.commits[r.commit].files[r.file].path(),
        "services/payments/Dockerfile"
    );
    // Esc leaves without moving.
    key(&mut app, 'f');
    key(&mut app, 'm');
    special(&mut app, KeyCode::Esc);
    assert_eq!(app.current(), Some(r));
}

#[test]
fn a_click_selects_a_row_and_the_wheel_scrolls() {
    use countersign::ui::update::handle_mouse;
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let area = ratatui::layout::Rect::new(0, 0, 100, 30);
    let at = |kind, column, row| MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let mut app = app_for(two_commits());
    let screen = render(&mut app, 100, 30);
    let row = screen
        .lines()
        .position(|l| l.contains("payments/Dockerfile"))
        .expect("the Dockerfile's row is listed") as u16;
    handle_mouse(
        &mut app,
        at(MouseEventKind::Down(MouseButton::Left), 5, row),
        area,
    );
    let r = app.current().unwrap();
    assert_eq!(
        app.review.commits[r.commit].files[r.file].path(),
        "services/payments/Dockerfile"
    );
    // A click on a line of the hunk puts the cursor there (row 1 of the view is its title).
    app.go(0);
    render(&mut app, 100, 30);
    let hunk_top = view::areas(area, &app).hunk.y;
    handle_mouse(
        &mut app,
        at(MouseEventKind::Down(MouseButton::Left), 60, hunk_top + 3),
        area,
    );
    assert_eq!(app.line, 2);
    handle_mouse(
        &mut app,
        at(MouseEventKind::ScrollDown, 60, hunk_top + 3),
        area,
    );
    assert_eq!(app.line, 5, "the wheel moves three lines");
    // Off in the config: nothing moves.
    app.mouse = false;
    handle_mouse(
        &mut app,
        at(MouseEventKind::ScrollUp, 60, hunk_top + 3),
        area,
    );
    assert_eq!(app.line, 5);
}

#[test]
fn a_long_notice_is_shown_whole_below_the_progress() {
    let mut app = app_for(sample_review());
    let text = "not signed: the branch agent/fix-flaky-timeouts moved since the review started \
                (it is at 4be1c0ffee now); review the new commits and sign again";
    app.notice = Some(countersign::ui::app::Notice {
        text: text.into(),
        error: true,
    });
    let screen = render(&mut app, 80, 24);
    let joined: String = screen
        .lines()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("review the new commits and sign again"),
        "{screen}"
    );
    assert!(
        joined.contains("agent/fix-flaky-timeouts moved since"),
        "{screen}"
    );
    insta::assert_snapshot!("long_notice", screen);
}

#[test]
fn the_header_says_how_many_resources_the_plan_destroys() {
    let mut review = sample_review();
    review.plan_summary =
        Some("the Terraform plan destroys 1 resource (1 of them recreated)".into());
    let mut app = app_for(review);
    let screen = render(&mut app, 80, 24);
    let header: Vec<&str> = screen.lines().take(4).collect();
    assert!(
        header
            .iter()
            .any(|l| l.contains("the Terraform plan destroys 1 resource")),
        "{screen}"
    );
    // Without a plan the header keeps its two lines.
    let mut app = app_for(sample_review());
    assert!(!render(&mut app, 80, 24).contains("Terraform plan"));
}

/// Round 1 on the sample: the SQL hunk rejected with a comment on its DELETE line, the rest
/// approved; round 2: the agent amended the DELETE and added a hunk to the client.
fn second_round() -> App {
    let mut first = app_for(sample_review());
    first.start_rounds("refs/heads/agent".into());
    first.open_round(0);
    let sql = first
        .find_id(first.review.commits[0].files[1].hunks[0].id)
        .unwrap();
    first.go(sql);
    first.line = 1;
    first.session.round = 1;
    key(&mut first, 'c');
    for c in "every session row goes: keep the last day".chars() {
        key(&mut first, c);
    }
    special(&mut first, KeyCode::Esc);
    let ids: Vec<_> = first.review.reviewable().map(|(_, h)| h.id).collect();
    for id in ids {
        let v = if first.review.commits[0].files[1].hunks[0].id == id {
            Verdict::Rejected
        } else {
            Verdict::Approved
        };
        first.session.set_verdict(id, Some(v), "old", 1);
    }
    let mut session = first.session.clone();
    session.round = 0;

    let mut review = sample_review();
    let c = &mut review.commits[0];
    c.id = "2235b28e77bb4cc9d0e1f2a3b4c5d6e7f8091234".into();
    c.files[1].hunks[0] = hunk(
        "db/migrate.sql",
        (0, 0),
        (1, 3),
        "",
        vec![
            line(LineKind::Added, None, Some(1), "BEGIN;"),
            line(
                LineKind::Added,
                None,
                Some(2),
                "DELETE FROM sessions WHERE seen_at < now() - interval '1 day';",
            ),
            line(LineKind::Added, None, Some(3), "COMMIT;"),
        ],
    );
    c.files[0].hunks.push(hunk(
        "src/client.py",
        (80, 1),
        (80, 2),
        "def close():",
        vec![
            line(LineKind::Context, Some(80), Some(80), "    session.close()"),
            line(LineKind::Added, None, Some(81), "    log.info('closed')"),
        ],
    ));
    let mut app = App::new(review, session, Keymap::builtin(), "tip2".into());
    app.opened_at = 0;
    app.start_rounds("refs/heads/agent".into());
    app.open_round(100);
    app
}

#[test]
fn a_changed_hunk_opens_on_what_changed_since_with_the_earlier_comment_beside_it() {
    let mut app = second_round();
    assert_eq!(app.session.round, 2);
    let sql = app.review.commits[0].files[1].hunks[0].id;
    app.go(app.find_id(sql).unwrap());
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("round 2: 2 carried over, 1 changed, 1 new"),
        "{screen}"
    );
    assert!(screen.contains("changes since round 1"), "{screen}");
    assert!(screen.contains("round 1: you rejected it"), "{screen}");
    assert!(
        screen.contains("every session row goes: keep the last day"),
        "{screen}"
    );
    // The interdiff: the DELETE as reviewed, removed; as it is now, added.
    assert!(screen.contains("- DELETE FROM sessions;"), "{screen}");
    assert!(
        screen.contains("+ DELETE FROM sessions WHERE seen_at"),
        "{screen}"
    );
    insta::assert_snapshot!("interdiff", screen);

    // Approving from the interdiff first shows the hunk as it is now: that is what is approved.
    key(&mut app, 'a');
    assert_eq!(
        app.session.verdict(&sql),
        None,
        "not approved from the interdiff"
    );
    assert!(!app.showing_interdiff(app.current().unwrap()));
    let plain = render(&mut app, 100, 30);
    assert!(!plain.contains("changes since round 1"), "{plain}");
    assert!(plain.contains("COMMIT;"), "{plain}");
    // i switches back and forth.
    key(&mut app, 'i');
    assert!(app.showing_interdiff(app.current().unwrap()));
    key(&mut app, 'i');
    render(&mut app, 100, 30);
    let effects = key(&mut app, 'a');
    assert!(effects.contains(&Effect::Save));
    assert_eq!(app.session.verdict(&sql), Some(Verdict::Approved));
    assert_eq!(app.session.decision(&sql).unwrap().round, 2);
    // Decided again: the earlier comment no longer stands beside it.
    app.go(app.find_id(sql).unwrap());
    let after = render(&mut app, 100, 30);
    assert!(!after.contains("round 1: you rejected it"), "{after}");
}

#[test]
fn the_list_marks_what_changed_since_the_last_round_and_filters_to_it() {
    let mut app = second_round();
    let screen = render(&mut app, 100, 30);
    let list = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split('│').next())
            .filter(|l| l.contains("@@"))
            .map(str::to_string)
            .collect()
    };
    let rows = list(&screen);
    assert_eq!(rows.len(), 4, "{screen}");
    assert_eq!(
        rows.iter().filter(|r| r.contains("~")).count(),
        1,
        "{screen}"
    );
    assert_eq!(
        rows.iter().filter(|r| r.contains("+@@")).count(),
        1,
        "{screen}"
    );
    key(&mut app, 'C');
    let filtered = render(&mut app, 100, 30);
    let rows = list(&filtered);
    assert_eq!(
        rows.len(),
        2,
        "only the changed and the new hunk: {filtered}"
    );
    assert_eq!(app.nav.len(), 2);
    insta::assert_snapshot!("changed_only_list", filtered);
    key(&mut app, 'C');
    assert_eq!(app.nav.len(), 4);
}
