//! Reviewers with real SSH keys, signing through the same code the review screen's `S` runs,
//! and `countersign verify` run as CI runs it.

use std::path::PathBuf;

use countersign::commands::sign::{sign_as, Kind};
use countersign::git::{self, range, rewrite::Plan};
use countersign::load::{self, Analysis};
use countersign::model::{Review, Verdict};
use countersign::policy::Policy;
use countersign::session::Session;

use super::Fixture;

pub struct Reviewer {
    pub name: &'static str,
    pub email: &'static str,
    pub key: PathBuf,
}

pub fn keygen(fx: &Fixture, name: &str) -> PathBuf {
    let key = fx.home().join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key
}

pub fn reviewer(fx: &Fixture, name: &'static str, email: &'static str) -> Reviewer {
    Reviewer {
        name,
        email,
        key: keygen(fx, &email.replace(['@', '.'], "_")),
    }
}

/// The allowed-signers lines for `who`.
pub fn allowed_text(who: &[&Reviewer]) -> String {
    let lines: Vec<String> = who
        .iter()
        .map(|r| {
            let pubkey = std::fs::read_to_string(r.key.with_extension("pub")).unwrap();
            format!("{} namespaces=\"countersign\" {}", r.email, pubkey.trim())
        })
        .collect();
    lines.join("\n") + "\n"
}

/// An allowed-signers file for `who`, outside the repository.
pub fn allowed(fx: &Fixture, who: &[&Reviewer]) -> PathBuf {
    let path = fx.home().join("allowed_signers");
    std::fs::write(&path, allowed_text(who)).unwrap();
    path
}

/// Sets the repository's identity and signing key to `who`'s.
pub fn become_reviewer(fx: &Fixture, who: &Reviewer) {
    fx.git(&["config", "user.name", who.name]);
    fx.git(&["config", "user.email", who.email]);
    fx.git(&["config", "gpg.format", "ssh"]);
    fx.git(&[
        "config",
        "user.signingKey",
        who.key.with_extension("pub").to_str().unwrap(),
    ]);
}

/// Approves every hunk of `rev` as `who` and signs, as the review screen's `S` does; returns
/// what the screen would say.
pub fn approve_and_sign(fx: &Fixture, rev: &str, who: &Reviewer) -> String {
    sign_with(fx, rev, who, super::EPOCH + 3600, Kind::Review)
}

/// Signs `rev` as `who` at `now`: a finished review (every hunk approved), or a break-glass
/// approval (no hunk decided) as `countersign break-glass` signs it.
pub fn sign_with(fx: &Fixture, rev: &str, who: &Reviewer, now: i64, kind: Kind<'_>) -> String {
    become_reviewer(fx, who);
    let repo = git::repo::open_at(&fx.path()).unwrap();
    let r = range::resolve(&repo, Some(rev)).unwrap();
    let analysis = Analysis::new(&Policy::default(), false).unwrap();
    let commits: Vec<_> = r
        .commits
        .iter()
        .map(|o| load::full_commit(&repo.git, &analysis, *o).unwrap())
        .collect();
    let review = Review {
        range: rev.into(),
        commits,
        ..Default::default()
    };
    let mut session = Session::default();
    if kind == Kind::Review {
        for (_, h) in review.reviewable() {
            session.set_verdict(h.id, Some(Verdict::Approved), "c", 1);
        }
    }
    let plan = Plan::at_head(&repo.git).unwrap();
    let msg = sign_as(
        &repo.git,
        &review,
        &session,
        plan,
        &Policy::default(),
        now,
        kind,
    )
    .unwrap();
    assert!(msg.contains("signed"), "{msg}");
    msg
}

/// `countersign verify ARGS --allowed-signers FILE` with the clock at `now`.
pub fn verify_at(fx: &Fixture, args: &[&str], signers: &PathBuf, now: i64) -> (i32, String) {
    let out = fx
        .command(super::bin().to_str().unwrap())
        .arg("verify")
        .args(args)
        .arg("--allowed-signers")
        .arg(signers)
        .env("COUNTERSIGN_NOW", now.to_string())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `countersign verify ARGS --allowed-signers FILE`: exit code and everything printed.
pub fn verify(fx: &Fixture, args: &[&str], signers: &PathBuf) -> (i32, String) {
    let out = fx
        .command(super::bin().to_str().unwrap())
        .arg("verify")
        .args(args)
        .arg("--allowed-signers")
        .arg(signers)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}
