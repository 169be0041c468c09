//! Helpers for tests/approval.rs: keys made with the real ssh-keygen, fixture commits read by
//! the product's loader, and the sign → write → verify flow.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use countersign::approval::check::{
    check_change, check_paths, signers_needed, status, Candidate, CheckName, Coverage, Found,
    Landing, Oracle,
};
use countersign::approval::sign::{Signer, SigningConfig};
use countersign::approval::signers::TrustedFile;
use countersign::approval::verify_sig::{
    SignatureCheck, SignatureReport, TrustedSigners, Verifier, VerifyOptions,
};
use countersign::approval::{
    append_approval, content_digest, parse_approvals, ApprovalSet, Payload, ReviewRecord,
};
use countersign::load::{self, Analysis};
use countersign::model::{Commit, Decision, FileChange, Verdict};
use countersign::policy::{Approval, Policy};

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

/// The commit `rev` of the fixture as the model, read by the product's own loader.
pub fn load(fx: &Fixture, rev: &str) -> Commit {
    let repo = git2::Repository::open(fx.path()).unwrap();
    let oid = repo
        .revparse_single(rev)
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    let analysis = Analysis::new(&Policy::default(), false).unwrap();
    load::full_commit(&repo, &analysis, oid).unwrap()
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
    let parsed = fx.interpret_trailers(message);
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

/// Signatures by the real tools; no replays (the default policy needs none).
pub struct TestOracle<'v>(pub &'v Verifier);

impl Oracle for TestOracle<'_> {
    fn signature(&mut self, check: &SignatureCheck<'_>) -> SignatureReport {
        self.0.verify(check)
    }
    fn replays(&mut self, _: &ApprovalSet, _: &str, _: &str) -> Result<bool, String> {
        Err("no replays in these tests".into())
    }
}

/// Verifies `rev` of the fixture as CI would: the commit as it is now, its message's trailers.
pub fn verify(fx: &Fixture, rev: &str, policy: &Approval, verifier: &Verifier) -> Coverage {
    let commit = load(fx, rev);
    let parsed = parse_approvals(&commit.message);
    let landing = Landing {
        digest: content_digest(&commit.files).unwrap(),
        base_tree: commit.base_tree(),
        tree: &commit.tree_id,
        paths: commit.files.iter().flat_map(FileChange::paths).collect(),
    };
    let candidates: Vec<Candidate> = parsed
        .sets
        .into_iter()
        .map(|set| Candidate {
            set,
            found: Found::Message,
        })
        .collect();
    let mut c = check_change(
        &landing,
        &candidates,
        &parsed.problems,
        policy,
        &[],
        &mut TestOracle(verifier),
    );
    let need = signers_needed(policy, &landing.paths).unwrap();
    let have = c.signers.len();
    c.push(
        CheckName::Signers,
        None,
        status(have >= need),
        format!("{have} of {need} required distinct signer(s)"),
    );
    check_paths(&mut c, &landing.paths, policy, have).unwrap();
    c
}

/// The failed checks' names and reasons, for assertions and failure messages.
pub fn failures(result: &Coverage) -> Vec<(String, String)> {
    result
        .failures()
        .map(|c| (c.name.to_string(), c.reason.clone()))
        .collect()
}
