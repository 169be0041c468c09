use super::*;

fn h(path: &str, at: u32, lines: &[(LineKind, &str)]) -> Hunk {
    let (mut o, mut n) = (at, at);
    let lines = lines
        .iter()
        .map(|(k, t)| {
            let l = match k {
                LineKind::Added => Line::new(*k, None, Some(n), t.as_bytes()),
                LineKind::Removed => Line::new(*k, Some(o), None, t.as_bytes()),
                _ => Line::new(*k, Some(o), Some(n), t.as_bytes()),
            };
            if *k != LineKind::Added {
                o += 1;
            }
            if *k != LineKind::Removed {
                n += 1;
            }
            l
        })
        .collect();
    Hunk::new(path, (at, 2), (at, 2), "", lines)
}

use LineKind::{Added as A, Context as C, Removed as R};

#[test]
fn an_amended_hunk_is_changed_with_its_comment_beside_it_and_a_new_one_is_new() {
    let sql = h(
        "db.sql",
        1,
        &[(C, "BEGIN;"), (R, "SELECT 1;"), (A, "DELETE FROM s;")],
    );
    let app = h("app.py", 10, &[(C, "def f():"), (A, "    return 2")]);
    let mut s = Session::default();
    let first = s.open_round(
        "refs/heads/agent",
        "t1",
        &[("db.sql", &sql), ("app.py", &app)],
        1,
    );
    assert_eq!(
        (first.round, first.previous, first.headline()),
        (1, None, None)
    );
    s.set_verdict(sql.id, Some(Verdict::Rejected), "t1", 2);
    let anchor = crate::model::Anchor::at("db.sql", &sql, 2);
    s.set_comment(sql.id, "no WHERE: every row goes", anchor, "t1", 3);
    s.set_verdict(app.id, Some(Verdict::Approved), "t1", 4);

    let fixed = h(
        "db.sql",
        1,
        &[
            (C, "BEGIN;"),
            (R, "SELECT 1;"),
            (A, "DELETE FROM s WHERE old;"),
        ],
    );
    let added = h("app.py", 40, &[(C, "def g():"), (A, "    return 3")]);
    let hunks = [("db.sql", &fixed), ("app.py", &app), ("app.py", &added)];
    assert_eq!(s.round_for("refs/heads/agent", "t2"), 2);
    let cmp = s.open_round("refs/heads/agent", "t2", &hunks, 10);
    assert_eq!(cmp.since(&fixed.id), Some(Since::Changed(sql.id)));
    assert_eq!(cmp.since(&app.id), Some(Since::Unchanged));
    assert_eq!(cmp.since(&added.id), Some(Since::New));
    assert_eq!(
        cmp.headline().as_deref(),
        Some("round 2: 1 carried over, 1 changed, 1 new")
    );
    let earlier = &cmp.earlier[&fixed.id];
    assert_eq!(earlier.len(), 1);
    assert_eq!(earlier[0].decision.comment, "no WHERE: every row goes");
    assert_eq!(earlier[0].round, 1);
    assert_eq!(earlier[0].now, None, "the commented line itself changed");
    // The interdiff: the line as reviewed, and as it is now.
    let seen = &s.seen[&sql.id];
    let d = interdiff(seen, &fixed);
    let text: Vec<String> = d
        .lines
        .iter()
        .map(|l| format!("{}{}", l.kind.sign(), l.text()))
        .collect();
    assert_eq!(
        text,
        [" BEGIN;", "-DELETE FROM s;", "+DELETE FROM s WHERE old;"]
    );
    // Reopened at the same tip: the same round, compared with the same one.
    let again = s.open_round("refs/heads/agent", "t2", &hunks, 11);
    assert_eq!((again.round, again.fresh, again.changed), (2, false, 1));
    assert_eq!(s.rounds.len(), 2);
    // Approved now, after a rejection in round 1.
    s.round = 2;
    s.set_verdict(fixed.id, Some(Verdict::Approved), "t2", 12);
    assert_eq!(
        s.history("refs/heads/agent", fixed.id),
        [(1, Verdict::Rejected)]
    );
    assert_eq!(s.decision(&fixed.id).unwrap().round, 2);
}

#[test]
fn a_removed_hunk_with_a_comment_is_listed_as_gone_and_a_moved_comment_found() {
    let keep = h(
        "a.rs",
        1,
        &[(C, "fn a() {"), (A, "    unsafe { x() }"), (C, "}")],
    );
    let drop = h("b.rs", 5, &[(A, "panic!()")]);
    let mut s = Session::default();
    s.open_round("main..HEAD", "t1", &[("a.rs", &keep), ("b.rs", &drop)], 1);
    s.set_comment(
        drop.id,
        "why panic?",
        crate::model::Anchor::at("b.rs", &drop, 0),
        "t1",
        2,
    );
    s.set_comment(
        keep.id,
        "needs a SAFETY note",
        crate::model::Anchor::at("a.rs", &keep, 1),
        "t1",
        3,
    );
    // The hunk around the unsafe line was rewritten and moved down: the comment's line is
    // still there, at line 21 now.
    let moved = h(
        "a.rs",
        20,
        &[
            (C, "fn a() {"),
            (A, "    unsafe { x() }"),
            (A, "    y();"),
            (C, "}"),
        ],
    );
    let cmp = s.open_round("main..HEAD", "t2", &[("a.rs", &moved)], 5);
    assert_eq!(cmp.gone.len(), 1);
    assert_eq!(cmp.gone[0].decision.comment, "why panic?");
    assert_eq!(cmp.gone[0].seen.path, "b.rs");
    let beside = &cmp.earlier[&moved.id][0];
    assert_eq!(beside.decision.comment, "needs a SAFETY note");
    assert_eq!(beside.now, Some(Located { start: 21, end: 21 }));
    assert!(cmp.headline().unwrap().ends_with("1 comment(s) outdated"));
}

#[test]
fn only_the_last_two_rounds_keep_what_was_seen() {
    let mut s = Session::default();
    let hunks: Vec<Hunk> = (0..4)
        .map(|i| h("f", 1, &[(A, &format!("v{i}"))]))
        .collect();
    for (i, hk) in hunks.iter().enumerate() {
        s.open_round("b", &format!("t{i}"), &[("f", hk)], i as i64);
    }
    assert_eq!(s.rounds.len(), 4);
    assert!(!s.seen.contains_key(&hunks[0].id));
    assert!(!s.seen.contains_key(&hunks[1].id));
    assert!(s.seen.contains_key(&hunks[2].id) && s.seen.contains_key(&hunks[3].id));
    // The session on disk keeps them (and reads back the same).
    let back: Session = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back.rounds, s.rounds);
    assert_eq!(back.seen, s.seen);
}
