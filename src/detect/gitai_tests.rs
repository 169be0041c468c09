use super::*;

/// The complete example of the Git AI Standard v3.0.0 (section 1.2.5), messages shortened.
const SPEC_EXAMPLE: &str = r#"src/main.rs
  abcd1234abcd1234 1-10,15-20
  efgh5678efgh5678 25,30-35
src/lib.rs
  abcd1234abcd1234 1-50
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.0.23",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {
    "abcd1234abcd1234": {
      "agent_id": {"tool": "cursor", "id": "6ef2299e-a67f-432b-aa80-3d2fb4d28999", "model": "claude-4.5-opus"},
      "human_author": "Developer <dev@example.com>",
      "messages": [{"type": "user", "text": "Add error handling", "timestamp": "2025-12-05T01:22:13.211Z"}],
      "total_additions": 25, "total_deletions": 5, "accepted_lines": 20, "overriden_lines": 0
    },
    "efgh5678efgh5678": {
      "agent_id": {"tool": "cursor", "id": "a1b2c3d4", "model": "claude-3-sonnet"},
      "messages": [], "total_additions": 6, "total_deletions": 0, "accepted_lines": 6, "overriden_lines": 0
    }
  }
}"#;

/// git-ai ≥ 1.4: session keys with trace ids, known humans, a quoted path, mixed with a prompt.
const V14_EXAMPLE: &str = r#"src/main.rs
  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10
  h_a1b2c3d4e5f678 11-14
  s_c9883b05a2487d::t_a1b2c3d4e5f678 15-20
"docs/my notes.md"
  c9883b05a2487d6d 3
---
{
  "schema_version": "authorship/3.0.0",
  "base_commit_sha": "",
  "prompts": {"c9883b05a2487d6d": {"agent_id": {"tool": "claude", "id": "x", "model": "claude-opus-4-5"}}},
  "humans": {"h_a1b2c3d4e5f678": {"author": "Alice <alice@example.com>"}},
  "sessions": {
    "s_c9883b05a2487d": {"agent_id": {"tool": "cursor", "id": "session_123", "model": "gpt-4"},
                         "human_author": "alice@example.com", "custom_attributes": {"team": "x"}}
  },
  "some_future_field": [1, 2, 3]
}
"#;

#[test]
fn parses_the_spec_example() {
    let log = parse(SPEC_EXAMPLE).unwrap();
    assert_eq!(log.schema_version, "authorship/3.0.0");
    assert_eq!(
        log.base_commit.as_deref(),
        Some("7734793b756b3921c88db5375a8c156e9532447b")
    );
    assert_eq!(log.files.len(), 2);
    let main = log.file("src/main.rs").unwrap();
    assert_eq!(main.entries[0].ranges, vec![(1, 10), (15, 20)]);
    assert_eq!(main.entries[1].ranges, vec![(25, 25), (30, 35)]);
    let Author::Ai {
        session: Some(s), ..
    } = log.author("efgh5678efgh5678")
    else {
        panic!("an AI session")
    };
    assert_eq!(
        (s.tool.as_deref(), s.model.as_deref()),
        (Some("cursor"), Some("claude-3-sonnet"))
    );
    let sessions = log.ai_sessions();
    assert_eq!(sessions[0].0, "abcd1234abcd1234");
    assert_eq!((sessions[0].2, sessions[0].3), (16 + 50, 2));
    assert_eq!((sessions[1].2, sessions[1].3), (7, 1));
}

#[test]
fn routes_session_human_and_prompt_keys() {
    let log = parse(V14_EXAMPLE).unwrap();
    match log.author("s_c9883b05a2487d::t_9f8e7d6c5b4a32") {
        Author::Ai {
            key,
            session: Some(s),
        } => {
            assert_eq!(key, "s_c9883b05a2487d");
            assert_eq!(s.model.as_deref(), Some("gpt-4"));
            assert_eq!(s.human_author.as_deref(), Some("alice@example.com"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        log.author("h_a1b2c3d4e5f678"),
        Author::Human { .. }
    ));
    assert_eq!(
        log.humans["h_a1b2c3d4e5f678"].as_deref(),
        Some("Alice <alice@example.com>")
    );
    assert!(log.file("docs/my notes.md").is_some(), "quoted path");
    // Two trace ids of one session are one session.
    let sessions = log.ai_sessions();
    assert_eq!(sessions.len(), 2);
    assert_eq!((sessions[0].0, sessions[0].2), ("s_c9883b05a2487d", 16));
}

#[test]
fn a_key_without_metadata_is_still_an_ai() {
    let log = parse("a.rs\n  0123456789abcdef 1\n---\n{\"schema_version\":\"authorship/3.0.0\"}")
        .unwrap();
    assert_eq!(
        log.author("0123456789abcdef"),
        Author::Ai {
            key: "0123456789abcdef",
            session: None
        }
    );
}

#[test]
fn tolerates_crlf_tabs_blank_lines_and_spaces_in_ranges() {
    let note = "\u{feff}a.rs\r\n\r\n\t abc 1 - 5, 9 ,12-14,\r\n---  \r\n{\"schema_version\":\"authorship/3.1.0\"}\r\n";
    let log = parse(note).unwrap();
    assert_eq!(
        log.files[0].entries[0].ranges,
        vec![(1, 5), (9, 9), (12, 14)]
    );
}

#[test]
fn a_log_with_no_attestations_is_valid() {
    let log = parse("---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{}}").unwrap();
    assert!(log.files.is_empty());
    assert!(log.ai_sessions().is_empty());
}

#[test]
fn a_path_listed_twice_is_merged() {
    let log = parse(
        "a.rs\n  k1 1\nb.rs\n  k2 2\na.rs\n  k3 3\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
    )
    .unwrap();
    assert_eq!(log.files.len(), 2);
    let keys: Vec<&str> = log.files[0]
        .entries
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, ["k1", "k3"]);
}

#[test]
fn garbage_is_a_clear_error() {
    let cases: &[(&str, &str)] = &[
        ("hello world", "no '---'"),
        ("", "no '---'"),
        ("a.rs\n  k 1\n---\nnot json", "not valid"),
        ("a.rs\n  k 1\n---\n{}", "schema_version"),
        (
            "a.rs\n  k 1\n---\n{\"schema_version\":\"authorship/4.0.0\"}",
            "authorship/4.0.0",
        ),
        (
            "a.rs\n  k 0\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "1-based",
        ),
        (
            "a.rs\n  k 9-5\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "backwards",
        ),
        (
            "a.rs\n  k x-y\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "not a 1-based",
        ),
        (
            "a.rs\n  k 99999999999\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "1-based",
        ),
        (
            "a.rs\n  lonelykey\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "no line ranges",
        ),
        (
            "  k 1\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "before any file path",
        ),
        (
            "a.rs\n  k ,,\n---\n{\"schema_version\":\"authorship/3.0.0\"}",
            "no line ranges",
        ),
        (
            "---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":[]}",
            "not valid",
        ),
    ];
    for (note, expected) in cases {
        let err = format!("{:#}", parse(note).unwrap_err());
        assert!(err.contains(expected), "{note:?}: {err}");
    }
    // The line number of a bad attestation is given.
    let err = format!("{:#}", parse("a.rs\n  k 1\n  k 0\n---\n{}").unwrap_err());
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn never_panics_on_arbitrary_bytes() {
    // A cheap fuzz: every prefix of the examples, and some hostile shapes.
    for example in [SPEC_EXAMPLE, V14_EXAMPLE] {
        for end in (0..example.len()).filter(|&i| example.is_char_boundary(i)) {
            let _ = parse(&example[..end]);
        }
    }
    for hostile in [
        "---",
        "---\n",
        "\n---\n[]",
        "a\n  k 1-4294967295\n---\n{\"schema_version\":\"authorship/3\"}",
    ] {
        let _ = parse(hostile);
    }
}
