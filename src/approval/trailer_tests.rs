//! Unit tests of the trailer format (kept apart so trailer.rs stays readable). The same
//! messages are checked against the real `git interpret-trailers` in tests/approval.rs.

use super::payload::tests::sample;
use super::signature::tests::fake_sshsig;
use super::signature::{Scheme, Signature};
use super::trailer::*;

fn set_with(blob: Vec<u8>) -> ApprovalSet {
    ApprovalSet::new(
        &sample(),
        Signature {
            scheme: Scheme::Ssh,
            blob,
        },
    )
}

fn set() -> ApprovalSet {
    set_with(fake_sshsig("countersign"))
}

#[test]
fn trailers_round_trip() {
    let msg = append_approval("Add retries\n\nBody.\n", &set(), false).unwrap();
    assert!(msg.starts_with("Add retries\n\nBody.\n\nCountersigned-by: Jane Doe <jane@example.com>\nCountersign-Approval: v2 commit 2026-11-21T21:00:00Z hunks=12/12 sha256:"), "{msg}");
    let parsed = parse_approvals(&msg);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.sets, vec![set()]);
    assert_eq!(parsed.sets[0].payload().unwrap(), sample());
}

#[test]
fn existing_trailers_and_text_are_kept_byte_for_byte() {
    let b = set().to_trailers(true);
    let coauthor = "Co-Authored-By: Claude <noreply@anthropic.com>\n";
    let cases = [
        ("Subject only".to_string(), format!("Subject only\n\n{b}")),
        ("Subject\n".to_string(), format!("Subject\n\n{b}")),
        (
            format!("Subject\n\nBody\n\nSigned-off-by: A <a@b>\n{coauthor}"),
            format!("Subject\n\nBody\n\nSigned-off-by: A <a@b>\n{coauthor}{b}"),
        ),
        (
            "Subject\n\nBody with trailing blank\n\n".to_string(),
            format!("Subject\n\nBody with trailing blank\n\n{b}\n"),
        ),
        (
            format!("Subject\n\n{coauthor}\n\n"),
            format!("Subject\n\n{coauthor}{b}\n\n"),
        ),
    ];
    for (original, expected) in cases {
        let msg = append_approval(&original, &set(), true).unwrap();
        assert_eq!(msg, expected, "{original:?}");
        assert_eq!(parse_approvals(&msg).sets.len(), 1);
    }
    assert!(append_approval("\n\n", &set(), false).is_err());
}

#[test]
fn several_reviewers_each_add_a_set() {
    let mut other = set();
    other.reviewer = super::payload::Identity::parse("Bob Ops <bob@example.com>").unwrap();
    let msg = append_approval("S\n\nSigned-off-by: A <a@b>\n", &set(), false).unwrap();
    let msg = append_approval(&msg, &other, true).unwrap();
    let parsed = parse_approvals(&msg);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.sets.len(), 2);
    assert_eq!(parsed.sets[1].reviewer.email, "bob@example.com");
}

#[test]
fn long_signatures_are_folded_and_unfolded() {
    let mut blob = fake_sshsig("countersign");
    // Make it RSA-sized: grow the signature field (the last string) to 400 bytes.
    let n = blob.len();
    blob.truncate(n - 83 - 4);
    blob.extend_from_slice(&400u32.to_be_bytes());
    blob.extend_from_slice(&[5u8; 400]);
    let long = set_with(blob);
    let trailers = long.to_trailers(false);
    let sig_lines: Vec<&str> = trailers
        .lines()
        .skip_while(|l| !l.starts_with("Countersign-Signature:"))
        .collect();
    assert_eq!(sig_lines[0], "Countersign-Signature: ssh");
    assert!(sig_lines[1..]
        .iter()
        .all(|l| l.starts_with(' ') && l.len() <= 77));
    let msg = append_approval("S\n", &long, false).unwrap();
    assert_eq!(parse_approvals(&msg).sets, vec![long]);
}

#[test]
fn problems_are_reported_not_guessed() {
    let good = set().to_trailers(false);
    let sig_line = good
        .lines()
        .find(|l| l.starts_with("Countersign-Signature"))
        .unwrap();
    let approval_end = good.find("Countersign-Signature").unwrap();
    let cases = [
        // missing signature
        (
            good[..approval_end].to_string(),
            "has no Countersign-Signature",
        ),
        // duplicated signature in one set
        (
            format!("{good}{sig_line}\n"),
            "duplicated Countersign-Signature",
        ),
        // orphan approval before any Countersigned-by
        (
            format!(
                "{}{good}",
                &good[good.find("Countersign-Approval").unwrap()..approval_end]
            ),
            "without a Countersigned-by",
        ),
        // garbled base64
        (good.replacen("ssh U1NI", "ssh U1N!", 1), "base64"),
        // a missing field in the approval
        (good.replacen(" hunks=12/12", "", 1), "expected 9 fields"),
        // an unknown version
        (good.replacen("v2 ", "v3 ", 1), "unsupported version"),
        // a v1 approval
        (good.replacen("v2 commit ", "v1 ", 1), "no longer accepted"),
        // the same set pasted twice
        (format!("{good}{good}"), "appears twice"),
    ];
    for (trailers, expected) in cases {
        let msg = format!("Subject\n\n{trailers}");
        let parsed = parse_approvals(&msg);
        let all: Vec<&str> = parsed.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            all.iter().any(|m| m.contains(expected)),
            "{expected}: {all:?}\n{msg}"
        );
    }
}

#[test]
fn trailers_outside_the_block_are_reported() {
    let msg = format!(
        "Subject\n\n{}\nMore prose after it.\n",
        set().to_trailers(false)
    );
    let parsed = parse_approvals(&msg);
    assert!(parsed.sets.is_empty());
    assert!(parsed
        .problems
        .iter()
        .any(|p| p.message.contains("outside the trailer block")));
}

#[test]
fn authors_with_separators_round_trip() {
    let mut odd = set();
    odd.authors = vec!["a b,c@x".into(), "d%e@y".into()];
    let msg = append_approval("S\n", &odd, false).unwrap();
    assert!(msg.contains("authors=a%20b%2Cc@x,d%25e@y "), "{msg}");
    assert_eq!(parse_approvals(&msg).sets, vec![odd]);
}

#[test]
fn a_break_glass_set_round_trips_and_its_reason_is_bound() {
    let mut bg = set();
    bg.break_glass = Some("INC-42 checkout down".into());
    let msg = append_approval("Hotfix\n", &bg, false).unwrap();
    assert!(
        msg.contains("Countersigned-by: Jane Doe <jane@example.com>\nCountersign-Break-Glass: INC-42 checkout down\nCountersign-Approval: v2"),
        "{msg}"
    );
    let parsed = parse_approvals(&msg);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.sets, vec![bg.clone()]);
    // The reason is part of what is signed: stripping it gives another payload.
    let stripped = msg.replace("Countersign-Break-Glass: INC-42 checkout down\n", "");
    let plain = &parse_approvals(&stripped).sets[0];
    assert_ne!(
        plain.payload().unwrap().to_canonical(),
        bg.payload().unwrap().to_canonical()
    );
    // Two reasons in one set are ambiguous: refused.
    let twice = msg.replace(
        "Countersign-Break-Glass: INC-42 checkout down\n",
        "Countersign-Break-Glass: INC-42 checkout down\nCountersign-Break-Glass: other\n",
    );
    let p = parse_approvals(&twice);
    assert!(
        p.sets.is_empty() && p.problems.iter().any(|x| x.fatal),
        "{:?}",
        p.problems
    );
}
