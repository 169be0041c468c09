//! Helpers for tests/approval.rs: keys made with the real ssh-keygen, a small git2 loader
//! that turns a fixture commit into the model (the real loader lives in src/git/ and is built
//! separately), and the sign → write → verify flow.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use countersign::approval::check::{check_commit, CommitCheck};
use countersign::approval::sign::{Signer, SigningConfig};
use countersign::approval::signers::TrustedFile;
use countersign::approval::verify_sig::{TrustedSigners, Verifier, VerifyOptions};
use countersign::approval::{append_approval, parse_approvals, ApprovalSet, Payload, ReviewRecord};
use countersign::model::{
    ChangeKind, Commit, Decision, FileChange, FileKind, Hunk, Line, LineKind, Person, Verdict,
};
use countersign::policy::Approval;

use crate::common::{Fixture, EPOCH};

pub const JANE: &str = "Jane Doe <jane@example.com>";
pub const BOB: &str = "Bob Ops <bob@example.com>";

/// A directory of throw-away keys and an allowed-signers file.
pub struct Keys {
    pub dir: tempfile::TempDir,
}

impl Keys {
    pub fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `ssh-keygen -t <kind>` with no passphrase; returns the private key's path.
    pub fn make(&self, name: &str, kind: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
            .arg(&path);
        if kind == "rsa" {
            cmd.args(["-b", "3072"]);
        }
        let out = cmd.output().expect("run ssh-keygen");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    }

    pub fn public(&self, key: &Path) -> String {
        let text = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
        let mut parts = text.split_whitespace();
        format!("{} {}", parts.next().unwrap(), parts.next().unwrap())
    }

    /// Writes an allowed-signers file of `(principal, options, key)` lines.
    pub fn allowed(&self, entries: &[(&str, &str, &Path)]) -> PathBuf {
        let path = self.dir.path().join("allowed_signers");
        let text: String = entries
            .iter()
            .map(|(who, opts, key)| {
                let opts = if opts.is_empty() {
                    String::new()
                } else {
                    format!("{opts} ")
                };
                format!("{who} {opts}{}\n", self.public(key))
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        path
    }
}

pub fn ssh_config(key: &Path) -> SigningConfig {
    SigningConfig {
        format: Some("ssh".into()),
        signing_key: Some(key.display().to_string()),
        ..SigningConfig::default()
    }
}

/// The commit `rev` of the fixture as the model, diffed against its first parent.
pub fn load(fx: &Fixture, rev: &str) -> Commit {
    let repo = git2::Repository::open(fx.path()).unwrap();
    let c = repo.revparse_single(rev).unwrap().peel_to_commit().unwrap();
    let tree = c.tree().unwrap();
    let parent = c.parent(0).ok();
    let parent_tree = parent.as_ref().map(|p| p.tree().unwrap());
    let mut diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .unwrap();
    diff.find_similar(None).unwrap();
    let mut files = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        let path = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().into_owned());
        let change = match delta.status() {
            git2::Delta::Added => ChangeKind::Added,
            git2::Delta::Deleted => ChangeKind::Deleted,
            git2::Delta::Renamed => ChangeKind::Renamed,
            git2::Delta::Copied => ChangeKind::Copied,
            git2::Delta::Typechange => ChangeKind::TypeChanged,
            _ => ChangeKind::Modified,
        };
        let old = (change != ChangeKind::Added)
            .then(|| path(delta.old_file()))
            .flatten();
        let new = (change != ChangeKind::Deleted)
            .then(|| path(delta.new_file()))
            .flatten();
        let mut f = FileChange::new(old, new, change);
        f.old_mode = u32::from(delta.old_file().mode());
        f.new_mode = u32::from(delta.new_file().mode());
        f.old_id = delta.old_file().id().to_string();
        f.new_id = delta.new_file().id().to_string();
        let patch = git2::Patch::from_diff(&diff, i).unwrap().unwrap();
        if delta.flags().is_binary() {
            f.kind = FileKind::Binary;
        }
        let file_path = f.path().to_string();
        for h in 0..patch.num_hunks() {
            let (hunk, n) = patch.hunk(h).unwrap();
            let mut lines: Vec<Line> = Vec::new();
            for l in 0..n {
                let line = patch.line_in_hunk(h, l).unwrap();
                let kind = match line.origin() {
                    '+' => LineKind::Added,
                    '-' => LineKind::Removed,
                    ' ' => LineKind::Context,
                    _ => {
                        // '=', '>', '<': the line before has no newline at end of file.
                        if let Some(last) = lines.last_mut() {
                            last.missing_newline = true;
                        }
                        continue;
                    }
                };
                let bytes = line.content();
                let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                lines.push(Line::new(kind, line.old_lineno(), line.new_lineno(), bytes));
            }
            let old = (hunk.old_start(), hunk.old_lines());
            let new = (hunk.new_start(), hunk.new_lines());
            f.hunks.push(Hunk::new(&file_path, old, new, "", lines));
        }
        if f.hunks.is_empty() {
            f.hunks
                .push(Hunk::file_level(&file_path, "file", f.new_id.as_bytes()));
        }
        f.loaded = true;
        files.push(f);
    }
    let person = |s: git2::Signature| Person {
        name: s.name().unwrap_or("").into(),
        email: s.email().unwrap_or("").into(),
        time: s.when().seconds(),
    };
    Commit {
        id: c.id().to_string(),
        parent_ids: c.parent_ids().map(|p| p.to_string()).collect(),
        tree_id: tree.id().to_string(),
        parent_tree_ids: c.parents().map(|p| p.tree_id().to_string()).collect(),
        author: person(c.author()),
        committer: person(c.committer()),
        summary: c.summary().ok().flatten().unwrap_or("").into(),
        message: c.message().unwrap_or("").into(),
        files,
        complete: true,
        ..Commit::default()
    }
}

/// The payload a review of `commit` by `reviewer` (every hunk approved) signs.
pub fn payload_for(commit: &Commit, reviewer: &str) -> Payload {
    let record = ReviewRecord::from_commit(commit, reviewer, EPOCH, |_| {
        Some(Decision {
            verdict: Some(Verdict::Approved),
            ..Decision::default()
        })
    })
    .unwrap();
    Payload::for_commit(commit, &record).unwrap()
}

/// Signs a review of `commit` with `config`, returns the set.
pub fn sign(commit: &Commit, reviewer: &str, config: &SigningConfig) -> ApprovalSet {
    let payload = payload_for(commit, reviewer);
    let signer = Signer::from_config(config).unwrap();
    let sig = signer.sign(payload.to_canonical().as_bytes()).unwrap();
    ApprovalSet::new(&payload, sig)
}

/// Rewrites HEAD's message exactly (no cleanup), keeping its tree.
pub fn set_head_message(fx: &Fixture, message: &str) {
    let file = fx.dir.path().join("msg");
    std::fs::write(&file, message).unwrap();
    let file = file.display().to_string();
    fx.git(&[
        "commit",
        "-q",
        "--amend",
        "--allow-empty",
        "--cleanup=verbatim",
        "-F",
        &file,
    ]);
}

/// Approves HEAD as `reviewer` and writes the trailers into its message.
pub fn approve_head(fx: &Fixture, reviewer: &str, config: &SigningConfig) -> String {
    let commit = load(fx, "HEAD");
    let set = sign(&commit, reviewer, config);
    let message = append_approval(&commit.message, &set, false).unwrap();
    assert_parsed_by_git(fx, &message);
    set_head_message(fx, &message);
    message
}

/// `git interpret-trailers --parse` must list every countersign trailer of the message.
pub fn assert_parsed_by_git(fx: &Fixture, message: &str) -> String {
    let mut child = fx
        .command("git")
        .args(["interpret-trailers", "--parse"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let parsed = String::from_utf8(out.stdout).unwrap();
    let ours = parse_approvals(message);
    for set in &ours.sets {
        assert!(
            parsed.contains(&format!("Countersigned-by: {}\n", set.reviewer)),
            "{parsed}"
        );
        assert!(
            parsed.contains(&format!("Countersign-Approval: {}\n", set.approval_value())),
            "{parsed}"
        );
        assert!(
            parsed.contains(&format!(
                "Countersign-Signature: {}",
                set.signature.to_value().split_at(20).0
            )),
            "{parsed}"
        );
    }
    parsed
}

/// A verifier trusting the allowed-signers file at `allowed` (and nothing else).
pub fn verifier(allowed: &Path) -> Verifier {
    let bytes = std::fs::read(allowed).expect("allowed signers");
    let files = TrustedSigners {
        allowed_signers: Some(TrustedFile::new(allowed.display().to_string(), bytes)),
        ..TrustedSigners::default()
    };
    Verifier::from_trusted(files, VerifyOptions::default()).expect("verifier")
}

/// Verifies `rev` of the fixture as CI would: the commit as it is now, its message's trailers.
pub fn verify(fx: &Fixture, rev: &str, policy: &Approval, verifier: &Verifier) -> CommitCheck {
    let commit = load(fx, rev);
    let parsed = parse_approvals(&commit.message);
    check_commit(&commit, &parsed, policy, &[], &mut |c| verifier.verify(c)).unwrap()
}

/// The failed checks' names and reasons, for assertions and failure messages.
pub fn failures(result: &CommitCheck) -> Vec<(String, String)> {
    result
        .failures()
        .map(|c| (c.name.to_string(), c.reason.clone()))
        .collect()
}
