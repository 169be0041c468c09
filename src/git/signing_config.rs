//! Reads the signing settings `git commit -S` uses into the plain struct the approval module
//! takes, so that approval never depends on git2. The repository's config is layered over the
//! global and system ones, exactly as git layers them.

use anyhow::{Context, Result};

use crate::approval::sign::SigningConfig;

/// The signing settings as git would see them in `repo`.
pub fn read(repo: &git2::Repository) -> Result<SigningConfig> {
    let config = repo
        .config()
        .context("reading git config")?
        .snapshot()
        .context("reading git config")?;
    Ok(from_config(&config))
}

/// The same from any git2 config (the global one, when there is no repository).
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
}
