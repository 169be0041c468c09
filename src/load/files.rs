//! A commit's files read from git and scanned on two threads, then renames paired.
//!
//! Why this shape: reading the patch (inflating blobs, diffing them) is most of loading a large
//! commit, and files are independent, so two threads take them from a shared cursor, each with
//! its own repository handle (libgit2 objects are not shared between threads). Rename
//! detection needs every added and deleted file's content, which that reading yields anyway,
//! so it runs afterwards over the files in hand (`git::renames`) and only the renamed pairs
//! are diffed again, blob to blob.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::Analysis;
use crate::git::{self, diff, renames};
use crate::model::FileChange;

/// Fewer files than this are read on the calling thread alone: a second repository handle and
/// thread cost more than they save.
const PARALLEL_FROM: usize = 8;

/// Every file of commit `oid` with its hunks read and scanned, renames paired; in git's order,
/// a renamed file where its new path is.
pub(super) fn read_and_scan(
    git: &Repository,
    analysis: &Analysis,
    oid: Oid,
) -> Result<Vec<FileChange>> {
    let plain = diff::diff_commit(git, oid)?;
    let total = plain.deltas().len();
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<FileChange>>> = Mutex::new(vec![None; total]);
    let git_dir = git.path().to_path_buf();
    std::thread::scope(|s| -> Result<()> {
        let helper = (total >= PARALLEL_FROM).then(|| {
            s.spawn(|| -> Result<()> {
                let repo = git::repo::open_at(&git_dir)?;
                let plain = diff::diff_commit(&repo.git, oid)?;
                work(&plain, analysis, &next, &slots)
            })
        });
        work(&plain, analysis, &next, &slots)?;
        if let Some(helper) = helper {
            helper.join().map_err(|_| panicked())??;
        }
        Ok(())
    })?;
    let mut files = slots
        .into_inner()
        .map_err(|_| panicked())?
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.with_context(|| format!("file #{i} of commit {oid} was not read")))
        .collect::<Result<Vec<_>>>()?;

    let pairs = renames::pair(&files);
    let mut gone = vec![false; files.len()];
    for p in &pairs {
        let renamed = diff::load_pair(git, &files[p.deleted], &files[p.added], p.similarity)?;
        files[p.added] = scanned(analysis, renamed);
        gone[p.deleted] = true;
    }
    let mut i = 0;
    files.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
    Ok(files)
}

fn panicked() -> anyhow::Error {
    anyhow::anyhow!("the file reader thread panicked")
}

/// Takes files from the shared cursor until none are left, reading and scanning each.
fn work(
    plain: &git2::Diff,
    analysis: &Analysis,
    next: &AtomicUsize,
    slots: &Mutex<Vec<Option<FileChange>>>,
) -> Result<()> {
    let total = plain.deltas().len();
    // Files read before the rules finish compiling (on another thread) are scanned at the end
    // rather than waiting for them.
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
                put(slots, i, file)?;
            }
            None => unscanned.push((i, file)),
        }
    }
    for (i, file) in unscanned {
        put(slots, i, scanned(analysis, file))?;
    }
    Ok(())
}

fn scanned(analysis: &Analysis, mut file: FileChange) -> FileChange {
    analysis.engine().scan_file(&mut file);
    file.analysed = true;
    file
}

fn put(slots: &Mutex<Vec<Option<FileChange>>>, i: usize, file: FileChange) -> Result<()> {
    slots.lock().map_err(|_| panicked())?[i] = Some(file);
    Ok(())
}
