//! The session on disk: one JSON file per repository in the user's state directory, replaced
//! atomically (temp file, fsync, rename, fsync of the directory) on every change, so a crash or
//! `kill -9` at any instant leaves either the old file or the new one, never half of one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Session;

pub struct Store {
    path: PathBuf,
}

impl Store {
    /// The store of the repository with `repo_key`, under the user's state directory
    /// (`$XDG_STATE_HOME/countersign` on Linux; `COUNTERSIGN_STATE_DIR` overrides it).
    pub fn for_repo(repo_key: &str) -> Result<Store> {
        let dir = state_dir()?;
        Ok(Store {
            path: dir.join("sessions").join(format!("{repo_key}.json")),
        })
    }

    pub fn at(path: PathBuf) -> Store {
        Store { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved session, or a new one. A damaged file is an error, never silently dropped:
    /// it holds the reviewer's work.
    pub fn load(&self) -> Result<Session> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Session::default()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the session {}", self.path.display()))
            }
        };
        serde_json::from_str(&text).with_context(|| {
            format!(
                "the session file {} is damaged; move it aside to start afresh",
                self.path.display()
            )
        })
    }

    /// Saves atomically and durably: temp file, fsync, rename, fsync of the directory.
    pub fn save(&self, session: &Session) -> Result<()> {
        let dir = self.dir()?;
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let json = serde_json::to_vec(session).context("cannot encode the session")?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        tmp.write_all(&json)
            .and_then(|_| tmp.as_file().sync_all())
            .with_context(|| format!("cannot write the session in {}", dir.display()))?;
        tmp.persist(&self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        // The rename is durable only once the directory entry is.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn dir(&self) -> Result<&Path> {
        self.path
            .parent()
            .context("the session path has no parent directory")
    }
}

fn state_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("COUNTERSIGN_STATE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "countersign")
        .context("cannot find a home directory for countersign's state (set HOME)")?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HunkId, Verdict};

    #[test]
    fn saves_and_loads_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("a/b/s.json"));
        assert_eq!(store.load().unwrap(), Session::default());
        let mut s = Session::default();
        s.set_verdict(HunkId([3; 32]), Some(Verdict::Approved), "c", 1);
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap(), s);
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
    }

    #[test]
    fn damaged_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        fs::write(&path, "{ not json").unwrap();
        let err = Store::at(path).load().unwrap_err();
        assert!(format!("{err:#}").contains("damaged"));
    }
}
