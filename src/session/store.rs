//! The session on disk: one JSON file per repository in the user's state directory, replaced
//! atomically (temp file, fsync, rename, fsync of the directory) on every change, so a crash or
//! `kill -9` at any instant leaves either the old file or the new one, never half of one.
//!
//! Two screens on one repository share the file: a save takes a lock, reads what is on disk
//! and merges (a three-way merge against what this screen last read or wrote: what this
//! screen changed wins, everything else is kept as the other screen left it), so neither loses
//! the other's decisions.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use std::collections::BTreeMap;

use super::Session;
use crate::model::{Decision, HunkId};

pub struct Store {
    path: PathBuf,
    /// The decisions as this screen last read or wrote them: the merge base.
    base: std::sync::Mutex<BTreeMap<HunkId, Decision>>,
}

impl Store {
    /// The store of the repository with `repo_key`, under the user's state directory
    /// (`$XDG_STATE_HOME/countersign` on Linux; `COUNTERSIGN_STATE_DIR` overrides it).
    pub fn for_repo(repo_key: &str) -> Result<Store> {
        let dir = state_dir()?;
        Ok(Store::at(
            dir.join("sessions").join(format!("{repo_key}.json")),
        ))
    }

    pub fn at(path: PathBuf) -> Store {
        Store {
            path,
            base: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved session, or a new one. A damaged file is an error, never silently dropped:
    /// it holds the reviewer's work.
    pub fn load(&self) -> Result<Session> {
        let session = self.read()?;
        if let Ok(mut base) = self.base.lock() {
            *base = session.decisions.clone();
        }
        Ok(session)
    }

    fn read(&self) -> Result<Session> {
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

    /// Saves atomically and durably (temp file, fsync, rename, fsync of the directory), merged
    /// with what another screen saved meanwhile.
    pub fn save(&self, session: &Session) -> Result<()> {
        let dir = self.dir()?;
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let _lock = Lock::take(&self.path.with_extension("lock"))?;
        let mut base = self
            .base
            .lock()
            .map_err(|_| anyhow::anyhow!("a save panicked"))?;
        let merged = match self.read() {
            Ok(disk) => merge(session, &base, disk),
            // A damaged file is not overwritten with a merge of nothing: say so.
            Err(e) => return Err(e),
        };
        self.write(dir, &merged)?;
        *base = session.decisions.clone();
        Ok(())
    }

    fn write(&self, dir: &Path, session: &Session) -> Result<()> {
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

/// Ours where this screen changed a decision since `base` (a removal too), the disk's
/// otherwise; positions and undo history are this screen's, laid over the disk's positions.
fn merge(ours: &Session, base: &BTreeMap<HunkId, Decision>, disk: Session) -> Session {
    let mut out = ours.clone();
    let mut decisions = disk.decisions;
    let ids: std::collections::BTreeSet<HunkId> =
        ours.decisions.keys().chain(base.keys()).copied().collect();
    for id in ids {
        let mine = ours.decisions.get(&id);
        if mine != base.get(&id) {
            match mine {
                Some(d) => decisions.insert(id, d.clone()),
                None => decisions.remove(&id),
            };
        }
    }
    out.decisions = decisions;
    let mut positions = disk.positions;
    positions.extend(ours.positions.clone());
    out.positions = positions;
    // Rounds and what was seen in them only grow: another screen's round is kept beside ours.
    let mut rounds = disk.rounds;
    for r in &ours.rounds {
        match rounds
            .iter_mut()
            .find(|d| d.subject == r.subject && d.number == r.number)
        {
            Some(d) => *d = r.clone(),
            None => rounds.push(r.clone()),
        }
    }
    out.rounds = rounds;
    let mut seen = disk.seen;
    seen.extend(ours.seen.clone());
    out.seen = seen;
    out.prune_seen();
    out
}

/// An exclusive lock on a file beside the session, held while one screen reads, merges and
/// writes (flock: released when the file closes, or by the kernel if the process dies).
struct Lock {
    _file: File,
}

impl Lock {
    fn take(path: &Path) -> Result<Lock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open the lock {}", path.display()))?;
        // SAFETY: flock on a file descriptor this function owns; it only blocks.
        let rc =
            unsafe { libc::flock(std::os::unix::io::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
        if rc != 0 {
            anyhow::bail!(
                "cannot lock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
        Ok(Lock { _file: file })
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
    use crate::model::Verdict;

    #[test]
    fn saves_and_loads_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("a/b/s.json"));
        assert_eq!(store.load().unwrap(), Session::default());
        let mut s = Session::default();
        s.set_verdict(HunkId([3; 32]), Some(Verdict::Approved), "c", 1);
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap(), s);
        // The session and its lock file, no temp file.
        let mut left: Vec<String> = fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["s.json", "s.lock"], "no temp files left behind");
    }

    /// Two screens on one repository, each deciding its own hunk: both decisions are on disk,
    /// and a decision one screen takes back stays taken back.
    #[test]
    fn two_screens_keep_each_others_decisions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (one, two) = (Store::at(path.clone()), Store::at(path.clone()));
        let (mut a, mut b) = (one.load().unwrap(), two.load().unwrap());
        a.set_verdict(HunkId([1; 32]), Some(Verdict::Approved), "c", 1);
        one.save(&a).unwrap();
        b.set_verdict(HunkId([2; 32]), Some(Verdict::Rejected), "c", 2);
        two.save(&b).unwrap();
        let on_disk = Store::at(path.clone()).load().unwrap();
        assert_eq!(
            on_disk.verdict(&HunkId([1; 32])),
            Some(Verdict::Approved),
            "the first screen's decision survives the second's save"
        );
        assert_eq!(on_disk.verdict(&HunkId([2; 32])), Some(Verdict::Rejected));
        // The first screen undoes its decision: that is a change, and it wins.
        a.set_verdict(HunkId([1; 32]), None, "c", 3);
        one.save(&a).unwrap();
        let on_disk = Store::at(path).load().unwrap();
        assert_eq!(on_disk.verdict(&HunkId([1; 32])), None);
        assert_eq!(on_disk.verdict(&HunkId([2; 32])), Some(Verdict::Rejected));
    }

    /// Two screens on two branches of one repository, each opening a round: both rounds and
    /// what was seen in them are on disk.
    #[test]
    fn two_screens_keep_each_others_rounds() {
        use crate::model::{Hunk, Line, LineKind};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (one, two) = (Store::at(path.clone()), Store::at(path.clone()));
        let (mut a, mut b) = (one.load().unwrap(), two.load().unwrap());
        let h = |t: &str| {
            Hunk::new(
                "f",
                (1, 0),
                (1, 1),
                "",
                vec![Line::new(LineKind::Added, None, Some(1), t.as_bytes())],
            )
        };
        let (ha, hb) = (h("a"), h("b"));
        a.open_round("refs/heads/a", "ta", &[("f", &ha)], 1);
        one.save(&a).unwrap();
        b.open_round("refs/heads/b", "tb", &[("f", &hb)], 2);
        two.save(&b).unwrap();
        let disk = Store::at(path).load().unwrap();
        assert_eq!(disk.rounds.len(), 2);
        assert_eq!(disk.last_round("refs/heads/a"), Some(1));
        assert_eq!(disk.last_round("refs/heads/b"), Some(1));
        assert!(disk.seen.contains_key(&ha.id) && disk.seen.contains_key(&hb.id));
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
