//! A commit's files read from git and scanned on two threads.
//!
//! Why two, and why this split: reading the patch (inflating blobs, diffing them) and rename
//! detection are the bulk of loading a large commit, and rename detection (libgit2 compares
//! every added blob with every deleted one) cannot start any file's reading early. But it only
//! pairs added with deleted files, so everything else reads the same without it. Both threads
//! therefore work through the rename-free list of files from a shared cursor, while one of
//! them first runs rename detection; at the end the renamed pairs are read from the
//! rename-aware diff, and the files are put in its order. The result is exactly what one
//! thread reading the rename-aware diff would produce.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::Analysis;
use crate::git::{self, diff};
use crate::model::{ChangeKind, FileChange};

/// A file's identity across the two diffs: what changed and its paths.
type Key = (ChangeKind, Option<String>, Option<String>);

fn key(f: &FileChange) -> Key {
    (f.change, f.old_path.clone(), f.new_path.clone())
}

/// Every file of commit `oid` with its hunks read and scanned, in the order of the
/// rename-aware diff.
pub(super) fn read_and_scan(
    git: &Repository,
    analysis: &Analysis,
    oid: Oid,
) -> Result<Vec<FileChange>> {
    let plain = diff::diff_commit(git, oid, false)?;
    let total = plain.deltas().len();
    let next = AtomicUsize::new(0);
    let done: Mutex<HashMap<Key, FileChange>> = Mutex::new(HashMap::with_capacity(total));
    let git_dir = git.path().to_path_buf();
    // Small commits are not worth a second repository handle and thread.
    let helper_wanted = total >= 8;
    let renamed = std::thread::scope(|s| -> Result<Vec<FileChange>> {
        let helper = helper_wanted.then(|| {
            s.spawn(|| -> Result<()> {
                let repo = git::repo::open_at(&git_dir)?;
                let plain = diff::diff_commit(&repo.git, oid, false)?;
                work(&plain, analysis, &next, &done)
            })
        });
        let aware = diff::diff_commit(git, oid, true)?;
        work(&plain, analysis, &next, &done)?;
        if let Some(helper) = helper {
            helper
                .join()
                .map_err(|_| anyhow::anyhow!("the file reader thread panicked"))??;
        }
        let mut done = std::mem::take(
            &mut *done
                .lock()
                .map_err(|_| anyhow::anyhow!("the file reader thread panicked"))?,
        );
        let mut files = Vec::with_capacity(aware.deltas().len());
        for (i, skeleton) in diff::list_files(&aware).iter().enumerate() {
            let file = match done.remove(&key(skeleton)) {
                Some(file) => file,
                // A rename pair (or anything rename detection changed): read it here.
                None => scanned(analysis, diff::load_file(&aware, i)?),
            };
            files.push(file);
        }
        Ok(files)
    })?;
    Ok(renamed)
}

/// Takes files from the shared cursor until none are left, reading and scanning each.
fn work(
    plain: &git2::Diff,
    analysis: &Analysis,
    next: &AtomicUsize,
    done: &Mutex<HashMap<Key, FileChange>>,
) -> Result<()> {
    let total = plain.deltas().len();
    // Files read before the rules finish compiling are scanned at the end.
    let mut unscanned = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let file = diff::load_file(plain, i).with_context(|| format!("reading file #{i}"))?;
        match analysis.engine_if_ready() {
            Some(engine) => {
                let mut file = file;
                engine.scan_file(&mut file);
                file.analysed = true;
                insert(done, file)?;
            }
            None => unscanned.push(file),
        }
    }
    for file in unscanned {
        insert(done, scanned(analysis, file))?;
    }
    Ok(())
}

fn scanned(analysis: &Analysis, mut file: FileChange) -> FileChange {
    analysis.engine().scan_file(&mut file);
    file.analysed = true;
    file
}

fn insert(done: &Mutex<HashMap<Key, FileChange>>, file: FileChange) -> Result<()> {
    done.lock()
        .map_err(|_| anyhow::anyhow!("the file reader thread panicked"))?
        .insert(key(&file), file);
    Ok(())
}
