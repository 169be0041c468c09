use super::*;
use crate::detect::gitai;
use crate::model::{ChangeKind, FileChange, Line};

/// A hunk at new-side line `start` removing `removed` old lines, then adding `added` lines.
fn hunk(path: &str, removed: u32, added: std::ops::Range<u32>) -> Hunk {
    let mut lines = Vec::new();
    let start = added.start;
    for i in 0..removed {
        lines.push(Line::new(LineKind::Removed, Some(start + i), None, b"old"));
    }
    for n in added.clone() {
        lines.push(Line::new(
            LineKind::Added,
            None,
            Some(n),
            format!("line {n}").as_bytes(),
        ));
    }
    let count = added.len() as u32;
    Hunk::new(path, (start, removed), (start, count), "", lines)
}

fn commit(files: Vec<(&str, Vec<Hunk>)>, evidence: Vec<Evidence>) -> Commit {
    Commit {
        evidence,
        files: files
            .into_iter()
            .map(|(path, hunks)| {
                let mut f =
                    FileChange::new(Some(path.into()), Some(path.into()), ChangeKind::Modified);
                f.hunks = hunks;
                f
            })
            .collect(),
        ..Commit::default()
    }
}

fn trailer_evidence() -> Vec<Evidence> {
    vec![Evidence {
        source: EvidenceSource::Trailer,
        agent: Some("Claude Code".into()),
        model: None,
        detail: "Co-Authored-By: Claude <noreply@anthropic.com>".into(),
    }]
}

const LOG: &str = r#"src/a.rs
  s_aaaaaaaaaaaaaa::t_00000000000001 10-12
  h_bbbbbbbbbbbbbb 20-25
  s_aaaaaaaaaaaaaa::t_00000000000002 22
  cccccccccccccccc 40-41
---
{"schema_version": "authorship/3.0.0",
 "sessions": {"s_aaaaaaaaaaaaaa": {"agent_id": {"tool": "claude", "id": "1", "model": "claude-opus-4-5"}}},
 "prompts": {"cccccccccccccccc": {"agent_id": {"tool": "cursor", "id": "2", "model": "gpt-5"}}},
 "humans": {"h_bbbbbbbbbbbbbb": {"author": "Alice <alice@example.com>"}}}
"#;

fn origins(c: &Commit) -> Vec<Origin> {
    c.files
        .iter()
        .flat_map(|f| f.hunks.iter().map(|h| h.origin.clone()))
        .collect()
}

#[test]
fn without_a_log_the_commit_decides() {
    let mut ai = commit(vec![("a", vec![hunk("a", 1, 1..3)])], trailer_evidence());
    attribute(&mut ai, None, false, true);
    assert_eq!(origins(&ai), [Origin::Ai]);
    assert!(!ai.has_line_attribution);

    let mut human = commit(
        vec![("a", vec![hunk("a", 1, 1..3), hunk("a", 3, 9..10)])],
        vec![],
    );
    attribute(&mut human, None, false, true);
    assert_eq!(origins(&human), [Origin::Human, Origin::Human]);

    attribute(&mut human, None, true, true);
    assert_eq!(origins(&human), [Origin::Ai, Origin::Ai]);
}

#[test]
fn with_a_log_each_hunk_is_judged_by_its_added_lines() {
    let log = gitai::parse(LOG).unwrap();
    let mut c = commit(
        vec![(
            "src/a.rs",
            vec![
                hunk("src/a.rs", 0, 10..12), // AI session
                hunk("src/a.rs", 2, 20..22), // all human
                hunk("src/a.rs", 0, 21..24), // human, then AI on 22 (the later entry wins)
                hunk("src/a.rs", 0, 30..32), // no entry
                hunk("src/a.rs", 0, 25..27), // human + no entry
                hunk("src/a.rs", 0, 40..41), // a prompt key
            ],
        )],
        vec![],
    );
    attribute(&mut c, Some(&log), false, true);
    assert!(c.has_line_attribution);
    use Origin::*;
    assert_eq!(origins(&c), [Ai, Human, Ai, Unknown, Unknown, Ai]);
    // Untrusted (the default policy), a note that says "human" is advice: still reviewed.
    let mut untrusted = c.clone();
    attribute(&mut untrusted, Some(&log), false, false);
    assert_eq!(origins(&untrusted), [Ai, Unknown, Ai, Unknown, Unknown, Ai]);

    let hunks = &c.files[0].hunks;
    let e = &hunks[0].evidence[0];
    assert_eq!(e.source, EvidenceSource::Notes);
    assert_eq!(
        (e.agent.as_deref(), e.model.as_deref()),
        (Some("claude"), Some("claude-opus-4-5"))
    );
    assert!(e.detail.contains("lines 10-11"), "{}", e.detail);
    assert!(e.detail.contains("s_aaaaaaaaaaaaaa"), "{}", e.detail);
    assert!(
        hunks[2].evidence[0].detail.contains("lines 22 "),
        "{}",
        hunks[2].evidence[0].detail
    );
    assert!(hunks[1].evidence.is_empty() && hunks[3].evidence.is_empty());
    assert_eq!(hunks[5].evidence[0].agent.as_deref(), Some("cursor"));

    // The commit gains one Notes evidence per session, first, and only once however often called.
    attribute(&mut c, Some(&log), false, true);
    let notes: Vec<&Evidence> = c
        .evidence
        .iter()
        .filter(|e| e.source == EvidenceSource::Notes)
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(
        notes[0].detail.contains("wrote 4 lines in 1 file"),
        "{}",
        notes[0].detail
    );
}

#[test]
fn a_file_the_log_does_not_mention_is_unknown() {
    let log = gitai::parse(LOG).unwrap();
    let mut c = commit(
        vec![("other.rs", vec![hunk("other.rs", 0, 10..12)])],
        vec![],
    );
    attribute(&mut c, Some(&log), false, true);
    assert_eq!(origins(&c), [Origin::Unknown]);
    attribute(&mut c, Some(&log), true, true);
    assert_eq!(origins(&c), [Origin::Ai], "--all wins");

    // The policy's markers.all reaches attribute as All evidence on the commit.
    let all = Evidence {
        source: EvidenceSource::All,
        agent: None,
        model: None,
        detail: "policy markers.all".into(),
    };
    let mut c = commit(
        vec![("other.rs", vec![hunk("other.rs", 0, 10..12)])],
        vec![all],
    );
    attribute(&mut c, Some(&log), false, true);
    assert_eq!(origins(&c), [Origin::Ai]);
}

#[test]
fn a_pure_deletion_follows_the_commit_evidence() {
    let deletion = || hunk("src/a.rs", 3, 5..5); // 3 removed, nothing added
    let empty = gitai::parse("---\n{\"schema_version\":\"authorship/3.0.0\"}").unwrap();
    let mut plain = commit(vec![("src/a.rs", vec![deletion()])], vec![]);
    attribute(&mut plain, Some(&empty), false, true);
    assert_eq!(origins(&plain), [Origin::Unknown]);

    let mut marked = commit(vec![("src/a.rs", vec![deletion()])], trailer_evidence());
    attribute(&mut marked, Some(&empty), false, true);
    assert_eq!(origins(&marked), [Origin::Ai]);

    // A log with AI sessions is itself AI evidence for the commit.
    let log = gitai::parse(LOG).unwrap();
    let mut noted = commit(vec![("src/a.rs", vec![deletion()])], vec![]);
    attribute(&mut noted, Some(&log), false, true);
    assert_eq!(origins(&noted), [Origin::Ai]);
    assert!(noted.is_ai_assisted());
}

#[test]
fn line_index_picks_the_latest_entry_and_merges_runs() {
    let log = gitai::parse(
        "f\n  a 1-100\n  b 50-60,200\n  a 55\n  c 1-3,4-6\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
    )
    .unwrap();
    let file = &log.files[0];
    let index = LineIndex::new(file);
    let key = |n: u32| index.owner(n).map(|i| file.entries[i].key.as_str());
    assert_eq!(key(0), None);
    assert_eq!(key(1), Some("c"));
    assert_eq!(key(6), Some("c"));
    assert_eq!(key(7), Some("a"));
    assert_eq!(key(50), Some("b"));
    assert_eq!(key(55), Some("a"));
    assert_eq!(key(56), Some("b"));
    assert_eq!(key(61), Some("a"));
    assert_eq!(key(100), Some("a"));
    assert_eq!(key(101), None);
    assert_eq!(key(200), Some("b"));
    assert_eq!(key(u32::MAX), None);
    // 1-6 from c's two adjacent ranges is one segment.
    assert_eq!(index.starts[0..2], [1, 7]);
}

#[test]
fn range_details_are_compact() {
    assert_eq!(ranges(&[3, 4, 5, 9, 12, 13]), "3-5, 9, 12-13");
    let many: Vec<u32> = (0..20).map(|i| i * 2).collect();
    assert!(ranges(&many).ends_with("… (14 more)"), "{}", ranges(&many));
}
