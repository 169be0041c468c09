//! Signing backends and formats end to end: a folded RSA signature, a literal key through
//! ssh-agent, OpenPGP with a throw-away keyring, and the documented shell recipe.

use countersign::approval::check::CheckName;
use countersign::approval::sign::Signer;
use countersign::approval::signers::TrustedFile;
use countersign::approval::verify_sig::{TrustedSigners, Verifier, VerifyOptions};
use countersign::policy::Approval;

use crate::common::Fixture;
use crate::support::*;

fn fixture() -> Fixture {
    crate::fixture()
}

fn reason_of(r: &countersign::approval::check::Coverage, name: &str) -> String {
    crate::reason_of(r, name)
}

#[test]
fn folded_rsa_signature_round_trips() {
    let fx = fixture();
    let keys = Keys::new();
    let rsa = keys.make("jane-rsa", "rsa");
    let allowed = keys.allowed(&[("jane@example.com", "", &rsa)]);
    let message = approve_head(&fx, JANE, &ssh_config(&rsa));
    let sig_lines: Vec<&str> = message
        .lines()
        .skip_while(|l| !l.starts_with("Countersign-Signature"))
        .collect();
    assert!(
        sig_lines.len() > 5 && sig_lines[1].starts_with(' '),
        "{message}"
    );
    // git unfolds it into one value.
    let parsed = assert_parsed_by_git(&fx, &message);
    let value = parsed
        .lines()
        .find(|l| l.starts_with("Countersign-Signature"))
        .unwrap();
    assert!(value.len() > 1000, "{value}");
    assert!(verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed)).passed());
}
#[test]
fn literal_key_signs_through_the_agent_via_default_key_command() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    let sock = keys.dir.path().join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent");
    for _ in 0..50 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let add = std::process::Command::new("ssh-add")
        .arg(&jane)
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    // gpg.ssh.program as a wrapper that knows the agent, so no global environment changes.
    let wrapper = keys.dir.path().join("ssh-keygen-agent");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nSSH_AUTH_SOCK='{}' exec ssh-keygen \"$@\"\n",
            sock.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let config = countersign::approval::sign::SigningConfig {
        format: Some("ssh".into()),
        ssh_default_key_command: Some(format!("cat '{}.pub'", jane.display())),
        ssh_program: Some(wrapper.display().to_string()),
        ..Default::default()
    };
    let signer = Signer::from_config(&config).unwrap();
    assert!(!signer.needs_touch());
    assert!(
        signer.describe().contains("via ssh-agent"),
        "{}",
        signer.describe()
    );
    approve_head(&fx, JANE, &config);
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(verify(&fx, "HEAD", &Approval::default(), &verifier(&allowed)).passed());
}
#[test]
fn openpgp_sign_and_verify_with_a_throwaway_keyring() {
    let home = tempfile::Builder::new()
        .prefix("cs-gpg")
        .tempdir_in("/tmp")
        .unwrap();
    let gpg = |args: &[&str]| {
        std::process::Command::new("gpg")
            .arg("--homedir")
            .arg(home.path())
            .args(["--batch", "--no-tty"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
    };
    let made = gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        JANE,
        "ed25519",
        "sign",
        "never",
    ]);
    let Ok(made) = made.as_ref().map_err(|e| e.to_string()).and_then(|o| {
        if o.status.success() {
            Ok(o)
        } else {
            Err(String::from_utf8_lossy(&o.stderr).into_owned())
        }
    }) else {
        eprintln!("skipping: gpg key generation unavailable: {made:?}");
        return;
    };
    let _ = made;
    let fx = fixture();
    let wrapper = home.path().join("gpg-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec gpg --homedir '{}' \"$@\"\n",
            home.path().display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let config = countersign::approval::sign::SigningConfig {
        format: Some("openpgp".into()),
        signing_key: Some("jane@example.com".into()),
        gpg_program: Some(wrapper.display().to_string()),
        ..Default::default()
    };
    approve_head(&fx, JANE, &config);
    // The key is trusted by its fingerprint in the signers list; its keyring only does the
    // cryptography.
    let listing = gpg(&["--with-colons", "--list-keys", "jane@example.com"]).unwrap();
    let fpr = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|f| f.trim_matches(':').to_string())
        })
        .unwrap();
    let with_keyring = |home: &std::path::Path| {
        let files = TrustedSigners {
            openpgp_signers: Some(TrustedFile::new(
                "openpgp_signers",
                format!("jane@example.com {fpr}\n"),
            )),
            ..TrustedSigners::default()
        };
        let opts = VerifyOptions {
            ambient_gnupghome: Some(home.to_path_buf()),
            ..VerifyOptions::default()
        };
        Verifier::from_trusted(files, opts).unwrap()
    };
    let trusted = with_keyring(home.path());
    let r = verify(&fx, "HEAD", &Approval::default(), &trusted);
    assert!(r.passed(), "{:?}", r.checks);

    // The same signature checked against a keyring without Jane's key.
    let empty = tempfile::Builder::new()
        .prefix("cs-gpg")
        .tempdir_in("/tmp")
        .unwrap();
    let untrusted = with_keyring(empty.path());
    let r = verify(&fx, "HEAD", &Approval::default(), &untrusted);
    assert!(
        reason_of(&r, CheckName::SignerAllowed.as_str()).contains("not in the allowed keyring"),
        "{:?}",
        r.checks
    );
    for h in [home.path(), empty.path()] {
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(h)
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
/// The recipe in docs/approval-format.md: an approval checked with nothing but git, a shell
/// and ssh-keygen.
#[test]
fn documented_shell_recipe_verifies_with_git_and_ssh_keygen_alone() {
    let fx = fixture();
    let keys = Keys::new();
    let jane = keys.make("jane", "ed25519");
    let allowed = keys.allowed(&[("jane@example.com", "", &jane)]);
    approve_head(&fx, JANE, &ssh_config(&jane));
    let doc = include_str!("../../docs/approval-format.md");
    let start = doc.find("```sh\nappr=").expect("recipe in the doc") + "```sh\n".len();
    let script = &doc[start..start + doc[start..].find("```").unwrap()];
    let script = script.replace("allowed_signers", &allowed.display().to_string());
    let out = fx.command("sh").arg("-c").arg(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Good \"countersign\" signature for jane@example.com"),
        "{stdout}"
    );
}
