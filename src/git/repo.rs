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
    add_env_object_dirs(&git)?;
    Ok(Repo { git })
}

/// Opens the repository at `path` (for background threads, which need their own handle).
pub fn open_at(path: &Path) -> Result<Repo> {
    tune_libgit2();
    let git = Repository::open(path)
        .with_context(|| format!("cannot open the git repository at {}", path.display()))?;
    add_env_object_dirs(&git)?;
    Ok(Repo { git })
}

/// Opens the repository at `path` to read objects only, as if it were bare: without a work
/// tree, libgit2's attribute lookups (one per file diffed, for its diff driver) no longer stat
/// and resolve `.gitattributes` in every directory of the work tree, which cost about a tenth
/// of reading a large change. What is read is the commits' objects, whatever the work tree has.
pub fn open_objects(path: &Path) -> Result<Repo> {
    tune_libgit2();
    let git = Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::NO_SEARCH | git2::RepositoryOpenFlags::BARE,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .with_context(|| format!("cannot open the git repository at {}", path.display()))?;
    add_env_object_dirs(&git)?;
    freeze_config(&git);
    Ok(Repo { git })
}

/// Gives the handle a snapshot of its configuration, read now. libgit2 snapshots the
/// configuration for every diff it makes, and a snapshot of the files stats and rereads each
/// of them: a tenth of the tree diffs of a long range. A snapshot of a snapshot only copies its
/// entries. These handles only read objects, for one load, so a configuration changed
/// meanwhile would not have counted anyway. If it cannot be taken, the handle keeps reading
/// the files.
fn freeze_config(git: &Repository) {
    if let Ok(snapshot) = git.config().and_then(|mut c| c.snapshot()) {
        let _ = git.set_config(&snapshot);
    }
}

/// Inside a server's pre-receive hook the pushed objects are not in the repository yet: git
/// keeps them in a quarantine directory and tells its hooks where through the environment
/// (`GIT_OBJECT_DIRECTORY` the quarantine, `GIT_ALTERNATE_OBJECT_DIRECTORIES` the repository's
/// own objects). `open_from_env` reads both, but `Repository::open` (background threads) reads
/// neither, and libgit2 splits the list at every `:` where git quotes a path that holds one.
/// Adding them to every handle makes each see what git's own commands in the hook see; a
/// directory already in the object database is skipped by libgit2, and extra ones only add
/// objects, which are named by their content.
fn add_env_object_dirs(git: &Repository) -> Result<()> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("GIT_OBJECT_DIRECTORY") {
        dirs.push(dir.to_string_lossy().into_owned());
    }
    if let Some(list) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
        dirs.extend(split_alternates(&list.to_string_lossy()));
    }
    if dirs.is_empty() {
        return Ok(());
    }
    let odb = git.odb().context("cannot open the object database")?;
    for dir in dirs.iter().filter(|d| !d.is_empty()) {
        // A relative entry is relative to the repository, as git reads it.
        let path = git.path().join(dir);
        if !path.is_dir() {
            continue;
        }
        odb.add_disk_alternate(&path.to_string_lossy())
            .with_context(|| format!("cannot read the objects in {}", path.display()))?;
    }
    Ok(())
}

/// Splits git's `GIT_ALTERNATE_OBJECT_DIRECTORIES`: entries separated by `:`, an entry that
/// starts with `"` is C-quoted (git writes paths holding `:` or `"` that way).
fn split_alternates(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = list.chars().peekable();
    while chars.peek().is_some() {
        let mut entry = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => entry.push('\n'),
                        Some('t') => entry.push('\t'),
                        Some(other) => entry.push(other),
                        None => {}
                    },
                    _ => entry.push(c),
                }
            }
            // Whatever follows the closing quote up to the separator is not part of a path.
            for c in chars.by_ref() {
                if c == ':' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ':' {
                    break;
                }
                entry.push(c);
            }
        }
        out.push(entry);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::split_alternates;

    #[test]
    fn alternates_split_at_colons_and_unquote_c_quoted_entries() {
        assert_eq!(
            split_alternates("/a/objects:/b/objects"),
            ["/a/objects", "/b/objects"]
        );
        assert_eq!(
            split_alternates("\"/srv/a:b/objects\":/c"),
            ["/srv/a:b/objects", "/c"]
        );
        assert_eq!(split_alternates("\"/q\\\"x\""), ["/q\"x"]);
        assert!(split_alternates("").is_empty());
    }
}
