//! Review, approve every hunk, sign with a real SSH key in a real pseudo-terminal; then
//! `countersign verify` passes, `git interpret-trailers` reads the trailers, and tampering with
//! the content makes verify fail.

mod common;

use common::pty::Session;
use common::Fixture;

struct Signed {
    fx: Fixture,
    allowed: std::path::PathBuf,
}

fn setup() -> Signed {
    setup_with("")
}

/// The fixture with a reviewer key protected by `passphrase` (none when empty).
fn setup_with(passphrase: &str) -> Signed {
    let fx = Fixture::new();
    fx.write("svc.py", "TIMEOUT = 5\n\n\n\n\n\n\n\nRETRIES = 2\n");
    fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("svc.py", "TIMEOUT = 30\n\n\n\n\n\n\n\nRETRIES = 5\n");
    fx.commit_ai("Raise timeouts");
    let key = fx.home().join("id_ed25519");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "jane", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = fx.home().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!(
            "jane@example.com namespaces=\"countersign\" {}",
            pubkey.trim()
        ),
    )
    .unwrap();
    // The reviewer is not the author: self-approval is refused by default.
    fx.git(&["config", "user.name", "Jane Reviewer"]);
    fx.git(&["config", "user.email", "jane@example.com"]);
    fx.git(&["config", "gpg.format", "ssh"]);
    fx.git(&[
        "config",
        "user.signingKey",
        key.with_extension("pub").to_str().unwrap(),
    ]);
    Signed { fx, allowed }
}

fn verify(s: &Signed) -> (i32, String) {
    let out =
        s.fx.command(common::bin().to_str().unwrap())
            .args(["verify", "main..HEAD", "--allowed-signers"])
            .arg(&s.allowed)
            .output()
            .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn approve_sign_verify_then_tamper() {
    let s = setup();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "unsigned AI commit fails verify:\n{out}");
    assert!(out.contains("0 of 1 required distinct signer(s)"), "{out}");

    let mut pty = Session::spawn(common::bin(), &[], &s.fx.path(), &s.fx.env(), (100, 30));
    pty.wait_ready("0/2 decided");
    pty.key_then("a", "1/2 decided");
    pty.key_then("a", "2/2 decided");
    pty.key_then("S", "sign the approval?");
    // Signing leaves the screen (the signer may ask for a passphrase), then the result comes
    // back in a window; any key closes it, and it is printed again after the screen closes.
    let shown = pty.key_then("y", "signed 1 commit as Jane Reviewer");
    assert!(
        shown.contains("(undo: git") && shown.contains("update-ref -m"),
        "{shown}"
    );
    pty.key_then("\u{1b}", "2/2 decided");
    pty.keys("q");
    assert_eq!(pty.wait_exit(), 0);
    let after = pty.screen();
    assert!(
        after.contains("countersign: signed 1 commit as Jane Reviewer"),
        "{after}"
    );

    let msg = s.fx.git(&["log", "-1", "--format=%B"]);
    let trailers = s.fx.interpret_trailers(&msg);
    assert!(
        trailers.contains("Co-Authored-By: Claude <noreply@anthropic.com>"),
        "{trailers}"
    );
    assert!(
        trailers.contains("Countersigned-by: Jane Reviewer <jane@example.com>"),
        "{trailers}"
    );
    assert!(
        trailers.contains("Countersign-Approval: v2 commit "),
        "{trailers}"
    );
    assert!(trailers.contains("hunks=2/2 sha256:"), "{trailers}");
    assert!(
        trailers.contains("Countersign-Signature: ssh "),
        "{trailers}"
    );
    let note = s.fx.git(&["notes", "--ref", "countersign", "show", "HEAD"]);
    assert!(note.contains("\"verdict\":\"approved\""), "{note}");
    assert_eq!(
        s.fx.git(&["status", "--porcelain"]),
        "",
        "the working tree is untouched"
    );

    let (code, out) = verify(&s);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("countersigned by jane@example.com"), "{out}");

    // Change the content after approval: the digest no longer matches.
    s.fx.write("svc.py", "TIMEOUT = 300\n\n\n\n\n\n\n\nRETRIES = 5\n");
    s.fx.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("approves another change"), "{out}");
}

#[test]
fn a_rejection_offers_the_export_instead_of_signing() {
    let s = setup();
    let mut pty = Session::spawn(common::bin(), &[], &s.fx.path(), &s.fx.env(), (120, 30));
    pty.wait_ready("0/2 decided");
    pty.key_then("a", "1/2 decided");
    pty.keys("c");
    pty.keys("Timeouts above 10s break the SLA.");
    pty.key_then("\u{1b}", "comment saved");
    pty.key_then("r", "2/2 decided");
    pty.key_then("S", "not approved");
    pty.key_then("y", "review for the author written to");
    pty.keys("\u{1b}");
    pty.keys("q");
    assert_eq!(pty.wait_exit(), 0);
    let dir = s.fx.path().join(".git/countersign");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    // agent-review-<tip>.md, then review-<tip>.md.
    let agent = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        agent.contains("# Review of `main..HEAD`: changes requested, round 1"),
        "{agent}"
    );
    assert!(
        agent.contains("rejected: replace or remove this change (round 1)"),
        "{agent}"
    );
    let report = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        report.contains("Timeouts above 10s break the SLA."),
        "{report}"
    );
    assert!(report.contains("rejected"), "{report}");
    assert!(
        report.contains("RETRIES = 5"),
        "the hunk itself is in the report:\n{report}"
    );
    assert_eq!(
        s.fx.git(&["status", "--porcelain"]),
        "",
        "nothing written in the working tree"
    );
    let msg = s.fx.git(&["log", "-1", "--format=%B"]);
    assert!(!msg.contains("Countersign"), "nothing was signed");
}

/// A passphrase-protected key: signing hands the terminal to ssh-keygen, whose prompt shows on
/// the real screen and reads what is typed there; the review comes back afterwards.
#[test]
fn a_passphrase_is_typed_at_the_real_prompt() {
    let s = setup_with("correct horse");
    let mut pty = Session::spawn(common::bin(), &[], &s.fx.path(), &s.fx.env(), (100, 30));
    pty.wait_ready("0/2 decided");
    pty.key_then("a", "1/2 decided");
    pty.key_then("a", "2/2 decided");
    pty.key_then("S", "sign the approval?");
    let prompt = pty.key_then("y", "Enter passphrase");
    assert!(
        prompt.contains("countersign: signing 1 commit(s)"),
        "{prompt}"
    );
    // The prompt is on the normal screen, not drawn over the review.
    assert!(!prompt.contains("decided"), "{prompt}");
    pty.keys("correct horse\r");
    pty.wait_for("signed 1 commit as Jane Reviewer");
    pty.keys("\u{1b}");
    pty.keys("q");
    assert_eq!(pty.wait_exit(), 0);
    assert!(
        pty.screen().contains("countersign: signed 1 commit"),
        "{}",
        pty.screen()
    );
    let (code, out) = verify(&s);
    assert_eq!(code, 0, "{out}");
}
