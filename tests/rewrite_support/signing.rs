//! `commit.gpgsign`: rewritten commits are signed as `git commit -S` would sign them, with
//! the real ssh-keygen and gpg, and `git verify-commit` checks them.

use super::*;

#[test]
fn commits_are_re_signed_when_commit_gpgsign_is_set() {
    let fx = fixture();
    let keys = Keys::new();
    let key = keys.make("ada", "ed25519");
    let allowed = keys.allowed(&[("ada@example.com", "", &key)]);
    fx.git(&["config", "gpg.format", "ssh"]);
    fx.git(&["config", "user.signingKey", key.to_str().unwrap()]);
    fx.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    fx.git(&["config", "commit.gpgsign", "true"]);
    fx.write("signed.txt", "signed\n");
    let signed = fx.commit_ai("Signed by git");
    fx.git(&["verify-commit", &signed]);

    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Signed by git\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert!(
        out.signed_with.as_deref().unwrap_or("").contains("SSH key"),
        "{out:?}"
    );
    let check = fx.git_output(&["verify-commit", "-v", &out.new_tip.to_string()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);

    // Signing turned off: the rewrite can't keep the old signature, and says so.
    fx.git(&["config", "commit.gpgsign", "false"]);
    let plan = Plan::amend_head(
        &repo,
        "Signed by git\n\nReviewed-by: Bob <bob@example.com>\n",
    )
    .unwrap();
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert!(
        out.warnings.iter().any(|w| w.contains("was signed")),
        "{:?}",
        out.warnings
    );
    assert!(!fx
        .git_output(&["verify-commit", &out.new_tip.to_string()])
        .status
        .success());
}

#[test]
fn commits_are_re_signed_with_openpgp_keys_too() {
    let home = tempfile::Builder::new()
        .prefix("cs-gpg")
        .tempdir_in("/tmp")
        .unwrap();
    let made = std::process::Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--batch", "--no-tty", "--passphrase", ""])
        .args([
            "--quick-gen-key",
            "Ada Agent <ada@example.com>",
            "ed25519",
            "sign",
            "never",
        ])
        .stdin(std::process::Stdio::null())
        .output();
    match &made {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("skipping: gpg key generation unavailable: {made:?}");
            return;
        }
    }
    // gpg.program as a wrapper with its own keyring, so no global environment changes.
    let wrapper = home.path().join("gpg-wrapper");
    let script = format!(
        "#!/bin/sh\nexec gpg --homedir '{}' \"$@\"\n",
        home.path().display()
    );
    std::fs::write(&wrapper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let fx = fixture();
    // Signing programs are taken from the reviewer's global config only (never the
    // repository's), so the wrapper goes into a global config of this process's own.
    let global = home.path().join("global");
    std::fs::create_dir_all(&global).unwrap();
    std::fs::write(
        global.join(".gitconfig"),
        format!("[gpg]\n\tprogram = {}\n", wrapper.display()),
    )
    .unwrap();
    // SAFETY: libgit2's search path is process-wide; no other test in this binary signs
    // with OpenPGP, and the path is set before this test's repository reads its config.
    unsafe {
        git2::opts::set_search_path(git2::ConfigLevel::Global, &global).unwrap();
    }
    fx.git(&["config", "commit.gpgsign", "true"]);
    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert!(
        out.signed_with.as_deref().unwrap_or("").contains("OpenPGP"),
        "{out:?}"
    );
    let program = format!("gpg.program={}", wrapper.display());
    let check = fx.git_output(&[
        "-c",
        &program,
        "verify-commit",
        "-v",
        &out.new_tip.to_string(),
    ]);
    let _ = std::process::Command::new("gpgconf")
        .arg("--homedir")
        .arg(home.path())
        .args(["--kill", "gpg-agent"])
        .status();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stderr).contains("Good signature"));
}
