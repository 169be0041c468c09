//! Opening the repository the way git itself would, so that a git alias, a subfolder or a linked
//! worktree all find the same one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;
use sha2::{Digest, Sha256};

use crate::error::UserError;

/// The repository under review, plus what the invocation environment said about it.
pub struct Repo {
    pub git: Repository,
}

/// Opens the repository from the environment: `GIT_DIR`, `GIT_WORK_TREE` and friends when set (as
/// under a git alias), else discovery upwards from the current directory.
pub fn open() -> Result<Repo> {
    tune_libgit2();
    let git = Repository::open_from_env().map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            UserError::new("not a git repository (or any parent directory)")
                .hint("run countersign inside a repository, or try `countersign demo`")
                .into()
        } else {
            anyhow::Error::from(e).context("cannot open the git repository")
        }
    })?;
    Ok(Repo { git })
}

/// Opens the repository at `path` (for background threads, which need their own handle).
pub fn open_at(path: &Path) -> Result<Repo> {
    tune_libgit2();
    let git = Repository::open(path)
        .with_context(|| format!("cannot open the git repository at {}", path.display()))?;
    Ok(Repo { git })
}

/// libgit2 re-hashes every object it reads to check its id; git itself does not (it checks on
/// fsck and transfer), and on a large patch it costs a tenth of the load. Our digests are
/// computed over the content we show, so a corrupt object cannot slip past a review unseen.
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| git2::opts::strict_hash_verification(false));
}

impl Repo {
    /// The git directory, enough for another thread to open the same repository.
    pub fn git_dir(&self) -> PathBuf {
        self.git.path().to_path_buf()
    }

    /// The common git directory: the same for every linked worktree of one repository.
    pub fn common_dir(&self) -> PathBuf {
        let common = self.git.commondir();
        common
            .canonicalize()
            .unwrap_or_else(|_| common.to_path_buf())
    }

    /// A stable key for the repository, used to file its review sessions.
    pub fn key(&self) -> String {
        let digest = Sha256::digest(self.common_dir().to_string_lossy().as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The working tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.git.workdir()
    }

    /// Where the user was when they typed the command: a git alias runs us at the top of the
    /// working tree and says in `GIT_PREFIX` which subfolder the user was in.
    pub fn user_dir(&self) -> PathBuf {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match (std::env::var_os("GIT_PREFIX"), self.workdir()) {
            (Some(prefix), Some(top)) if !prefix.is_empty() => top.join(prefix),
            _ => cwd,
        }
    }

    /// Resolves a file name the user typed, relative to where they typed it.
    pub fn user_path(&self, typed: &Path) -> PathBuf {
        if typed.is_absolute() {
            typed.to_path_buf()
        } else {
            self.user_dir().join(typed)
        }
    }
}
