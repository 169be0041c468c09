//! Reads the signing settings `git commit -S` uses into the plain struct the approval module
//! takes, so that approval never depends on git2.
//!
//! The programs and the key command (`gpg.program`, `gpg.openpgp.program`, `gpg.ssh.program`,
//! `gpg.ssh.defaultKeyCommand`) come only from the reviewer's global and system config, never
//! from the reviewed repository's own `.git/config`, which an agent can write: a program named
//! there would run as the reviewer, with the reviewer's key, on a payload of its choosing. The
//! identity and the key's name may come from the repository (as git layers them): a wrong
//! identity or key can only make the signature fail verification.

use anyhow::{Context, Result};

use crate::approval::sign::SigningConfig;

/// The signing settings for `repo`, programs from outside it.
pub fn read(repo: &git2::Repository) -> Result<SigningConfig> {
    let layered = repo
        .config()
        .context("reading git config")?
        .snapshot()
        .context("reading git config")?;
    let mut settings = from_config(&layered);
    let outside = git2::Config::open_default()
        .and_then(|mut c| c.snapshot())
        .context("reading the global git config")?;
    let trusted = from_config(&outside);
    settings.ssh_program = trusted.ssh_program;
    settings.ssh_default_key_command = trusted.ssh_default_key_command;
    settings.gpg_program = trusted.gpg_program;
    Ok(settings)
}

/// The settings of one git2 config, as git would read them.
pub fn from_config(config: &git2::Config) -> SigningConfig {
    // A key that is not set is an error in git2; here it is simply None.
    let get = |key: &str| config.get_string(key).ok().filter(|v| !v.is_empty());
    SigningConfig {
        format: get("gpg.format"),
        signing_key: get("user.signingkey"),
        ssh_program: get("gpg.ssh.program"),
        ssh_default_key_command: get("gpg.ssh.defaultkeycommand"),
        gpg_program: get("gpg.openpgp.program").or_else(|| get("gpg.program")),
        user_name: get("user.name"),
        user_email: get("user.email"),
        home: std::env::var_os("HOME").map(std::path::PathBuf::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repo_settings() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let path = dir.path().join(".git/config");
        let mut cfg = git2::Config::open(&path).unwrap();
        cfg.set_str("gpg.format", "ssh").unwrap();
        cfg.set_str("user.signingKey", "~/.ssh/id_ed25519.pub")
            .unwrap();
        cfg.set_str("gpg.program", "gpg2").unwrap();
        cfg.set_str("gpg.ssh.defaultKeyCommand", "ssh-add -L")
            .unwrap();
        let read = from_config(&git2::Config::open(&path).unwrap());
        assert_eq!(read.format.as_deref(), Some("ssh"));
        assert_eq!(read.signing_key.as_deref(), Some("~/.ssh/id_ed25519.pub"));
        assert_eq!(read.gpg_program.as_deref(), Some("gpg2"));
        assert_eq!(read.ssh_default_key_command.as_deref(), Some("ssh-add -L"));
        assert!(read.ssh_program.is_none());
        drop(repo);
    }

    #[test]
    fn programs_never_come_from_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let mut cfg = git2::Config::open(&dir.path().join(".git/config")).unwrap();
        cfg.set_str("gpg.ssh.program", "/tmp/evil").unwrap();
        cfg.set_str("gpg.program", "/tmp/evil").unwrap();
        cfg.set_str("gpg.ssh.defaultKeyCommand", "/tmp/evil")
            .unwrap();
        cfg.set_str("user.name", "Repo Name").unwrap();
        let read = read(&repo).unwrap();
        assert_ne!(read.ssh_program.as_deref(), Some("/tmp/evil"));
        assert_ne!(read.gpg_program.as_deref(), Some("/tmp/evil"));
        assert_ne!(read.ssh_default_key_command.as_deref(), Some("/tmp/evil"));
        assert_eq!(read.user_name.as_deref(), Some("Repo Name"));
    }
}
