//! Detector tests on whole commits. Each built-in marker's own examples and near misses are
//! tested in markers.rs; here, how they combine on real-world messages and identities.

use super::*;
use crate::model::{Commit, EvidenceSource as S, Person};

fn person(ident: &str) -> Person {
    let (name, email) = ident.split_once(" <").unwrap_or((ident, ">"));
    Person {
        name: name.to_string(),
        email: email.trim_end_matches('>').to_string(),
        time: 0,
    }
}

fn commit(message: &str, author: &str, committer: &str) -> Commit {
    Commit {
        message: message.to_string(),
        author: person(author),
        committer: person(committer),
        ..Commit::default()
    }
}

const HUMAN: &str = "Jane Doe <jane@example.com>";

fn detect(message: &str) -> Vec<Evidence> {
    Detector::new(&Markers::default(), false)
        .unwrap()
        .commit_evidence(&commit(message, HUMAN, HUMAN))
}

/// (source, agent, model) of each piece of evidence.
fn summary(evidence: &[Evidence]) -> Vec<(S, String, Option<String>)> {
    evidence
        .iter()
        .map(|e| {
            (
                e.source,
                e.agent.clone().unwrap_or_default(),
                e.model.clone(),
            )
        })
        .collect()
}

#[test]
fn claude_code_commit_as_written_by_claude_code() {
    let msg = "Add retry to the uploader\n\nRetries three times with backoff.\n\n\
               🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n\
               Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n";
    let found = detect(msg);
    assert_eq!(
        summary(&found),
        vec![
            (
                S::Trailer,
                "Claude Code".into(),
                Some("Claude Opus 4.5".into())
            ),
            (S::Message, "Claude Code".into(), None),
        ]
    );
    assert_eq!(
        found[0].detail,
        "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>"
    );
}

#[test]
fn a_marker_line_right_under_the_subject_counts() {
    let found = detect("Fix the parser\nGenerated with Claude Code");
    assert_eq!(
        summary(&found),
        vec![(S::Message, "Claude Code".into(), None)]
    );
    assert!(
        detect("Generated with Claude Code").is_empty(),
        "the subject line itself is not"
    );
}

#[test]
fn one_trailer_per_agent_in_the_wild() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("Co-Authored-By: Claude <noreply@anthropic.com>", "Claude Code", None),
        ("Co-authored-by: Claude Sonnet 4 <noreply@anthropic.com>", "Claude Code", Some("Claude Sonnet 4")),
        ("Co-authored-by: Codex <noreply@openai.com>", "Codex", None),
        ("Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>", "GitHub Copilot", None),
        ("Co-authored-by: Cursor Agent <cursoragent@cursor.com>", "Cursor", None),
        ("Co-authored-by: aider (openai/gpt-4o) <aider@aider.chat>", "aider", Some("openai/gpt-4o")),
        ("Co-authored-by: google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>", "Jules", None),
        ("Co-authored-by: devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "Devin", None),
        ("Co-authored-by: Gemini CLI <gemini-cli@google.com>", "Gemini", None),
        ("Co-authored-by: Windsurf <noreply@windsurf.com>", "Windsurf", None),
        ("Co-authored-by: Kiro <noreply@kiro.dev>", "Kiro", None),
        ("Assisted-by: Claude:claude-3-opus coccinelle sparse", "Claude", Some("claude-3-opus")),
        ("Assisted-by: AGENT_NAME:MODEL_VERSION", "AGENT_NAME", Some("MODEL_VERSION")),
        ("Assisted-By: GitHub Copilot", "GitHub Copilot", None),
        ("Generated-by: ChatGPT", "ChatGPT", None),
    ];
    for (trailer, agent, model) in cases {
        let msg =
            format!("Fix the thing\n\nSome explanation.\n\n{trailer}\nSigned-off-by: {HUMAN}\n");
        let found = detect(&msg);
        assert_eq!(
            summary(&found),
            vec![(S::Trailer, agent.to_string(), model.map(str::to_string))],
            "{trailer}"
        );
    }
}

#[test]
fn humans_and_prose_are_not_evidence() {
    let not_evidence = [
        // A human co-author, including one called Claude.
        "Pair on parser\n\nCo-authored-by: Alice <alice@example.com>",
        "Pair on parser\n\nCo-authored-by: Claude Martin <claude.martin@example.com>",
        // The names in a subject or in prose.
        "Ask Claude and Copilot about the flaky test",
        "Compare Claude, Copilot and Cursor\n\nWe tried Claude Code and GitHub Copilot on this; neither helped.",
        // An AI trailer quoted in the body, not in the trailer block.
        "Document attribution\n\nAgents write lines like\nCo-Authored-By: Claude <noreply@anthropic.com>\nat the end.\n\nSigned-off-by: Jane Doe <jane@example.com>",
        // A subject-only message shaped like a trailer: the title is never a trailer.
        "Co-Authored-By: Claude <noreply@anthropic.com>",
        // Code generators are not AI agents.
        "Regenerate bindings\n\nGenerated with [sqlc](https://sqlc.dev)",
        // An empty attribution trailer.
        "Fix\n\nAssisted-by:\nSigned-off-by: Jane Doe <jane@example.com>",
    ];
    for msg in not_evidence {
        assert!(detect(msg).is_empty(), "{msg:?} gave {:?}", detect(msg));
    }
}

#[test]
fn agent_identities_as_author_and_committer() {
    let detector = Detector::new(&Markers::default(), false).unwrap();
    let cases: &[(&str, &str)] = &[
        ("Copilot <198982749+Copilot@users.noreply.github.com>", "GitHub Copilot"),
        ("Cursor Agent <cursoragent@cursor.com>", "Cursor"),
        ("Jane Doe (aider) <jane@example.com>", "aider"),
        ("devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "Devin"),
        ("google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>", "Jules"),
        ("amazon-q-developer[bot] <208079219+amazon-q-developer[bot]@users.noreply.github.com>", "Amazon Q Developer"),
        ("claude[bot] <209825114+claude[bot]@users.noreply.github.com>", "Claude Code"),
    ];
    for (ident, agent) in cases {
        let as_author = detector.commit_evidence(&commit("Fix", ident, HUMAN));
        assert_eq!(
            summary(&as_author),
            vec![(S::Author, agent.to_string(), None)],
            "{ident}"
        );
        assert_eq!(as_author[0].detail, format!("author {ident}"));
        let as_committer = detector.commit_evidence(&commit("Fix", HUMAN, ident));
        assert_eq!(
            summary(&as_committer),
            vec![(S::Committer, agent.to_string(), None)],
            "{ident}"
        );
    }
    for human in [
        "Devin Smith <devin@example.com>",
        "Jules Verne <jules@example.com>",
        "Claude Shannon <cs@example.com>",
    ] {
        assert!(
            detector
                .commit_evidence(&commit("Fix", human, human))
                .is_empty(),
            "{human}"
        );
    }
}

#[test]
fn evidence_is_ordered_strongest_first_and_deduplicated() {
    let detector = Detector::new(&Markers::default(), true).unwrap();
    let msg = "Fix\n\nGenerated with Claude Code\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Claude <noreply@anthropic.com>";
    let found = detector.commit_evidence(&commit(msg, "Jane (aider) <jane@example.com>", HUMAN));
    let sources: Vec<S> = found.iter().map(|e| e.source).collect();
    assert_eq!(sources, [S::Trailer, S::Author, S::Message, S::All]);
}

#[test]
fn policy_markers_extend_the_built_in_list() {
    let markers = Markers {
        trailers: vec!["X-AI-Agent".into()],
        identities: vec!["bot@corp.example".into(), "  ".into()],
        message_patterns: vec![r"^\[ai\]".into(), "written by our robot".into()],
        all: false,
    };
    let detector = Detector::new(&markers, false).unwrap();
    let msg =
        "[AI] tidy imports\n\nWritten by our ROBOT overnight.\n\nX-AI-Agent: internal-agent v2";
    let found = detector.commit_evidence(&commit(msg, "Build Bot <BOT@corp.example>", HUMAN));
    let details: Vec<&str> = found.iter().map(|e| e.detail.as_str()).collect();
    assert!(found.iter().all(|e| e.source == S::Policy), "{found:?}");
    assert_eq!(
        details,
        [
            "policy trailer X-AI-Agent: internal-agent v2",
            "policy identity 'bot@corp.example' in author Build Bot <BOT@corp.example>",
            "policy pattern '^\\[ai\\]' on \"[AI] tidy imports\"",
            "policy pattern 'written by our robot' on \"Written by our ROBOT overnight.\"",
        ]
    );
    // The blank identity was dropped rather than matching every commit.
    assert!(detector
        .commit_evidence(&commit("Fix", HUMAN, HUMAN))
        .is_empty());
}

#[test]
fn policy_all_and_flag_all_mark_every_commit() {
    let flag = Detector::new(&Markers::default(), true).unwrap();
    let found = flag.commit_evidence(&commit("Fix", HUMAN, HUMAN));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].source, S::All);
    assert!(found[0].detail.starts_with("--all"));

    let policy = Markers {
        all: true,
        ..Markers::default()
    };
    let found = Detector::new(&policy, false)
        .unwrap()
        .commit_evidence(&commit("Fix", HUMAN, HUMAN));
    assert!(
        found[0].detail.starts_with("policy markers.all"),
        "{found:?}"
    );
}

#[test]
fn a_bad_policy_pattern_is_an_error_naming_it() {
    for (pattern, expected) in [
        ("(unclosed", "message_patterns[1] '(unclosed'"),
        ("", "empty pattern"),
    ] {
        let markers = Markers {
            message_patterns: vec!["fine".into(), pattern.into()],
            ..Markers::default()
        };
        let err = Detector::new(&markers, false).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains(expected), "{msg}");
        assert!(!msg.contains('\n'), "one line: {msg}");
    }
}

/// argoproj/argo-helm bfaac8d02b: the agent's trailer sits in its own paragraph above the
/// `Signed-off-by:` one, where git does not read trailers; it is message evidence, not a trailer.
#[test]
fn a_trailer_paragraph_above_the_trailer_block_is_message_evidence() {
    let msg = "fix(argo-cd): fix the annotation template\n\nUse plain Prometheus syntax.\n\nCo-Authored-By: Claude Sonnet 4.6 <noreply@anthropic.com>\n\nSigned-off-by: Vincent Rivellino <github@vince-riv.io>\n";
    assert_eq!(
        summary(&detect(msg)),
        vec![(
            S::Message,
            "Claude Code".to_string(),
            Some("Claude Sonnet 4.6".to_string())
        )]
    );
}
