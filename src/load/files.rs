//! The files of a list of commits, read from git and scanned by worker threads, then
//! renames paired and each commit handed over in order.
//!
//! Why this shape: reading the patch (inflating blobs, diffing them) is most of loading a large
//! change, and files are independent, so workers (one per core, two to four) take them one at
//! a time from a shared cursor that runs through every commit's files in order, each worker
//! with its own repository handle (libgit2 objects are not shared between threads). A worker
//! that finishes a commit's last file goes straight on to the next commit, so no core waits for
//! the slowest file of a commit. Rename detection needs every added and deleted file's content:
//! in a commit that has both, the workers read those as blobs (`diff::read_blob`), pairing
//! signs and pairs them once the commit's last file is in (`git::renames`), and only then are
//! they diffed: a renamed pair blob to blob, the others against nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};

use crate::git::diff::Diff;
use crate::git::{Oid, Repository};
use anyhow::{Context, Result};

use super::Analysis;
use crate::git::{self, diff, renames};
use crate::model::{ChangeKind, FileChange, FileKind};

/// One change to read: the diff from `old` (None: the empty tree) to `new`, both tree ids. A
/// commit is its first parent's tree to its own; a branch is its base's tree to its tip's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreePair {
    pub old: Option<Oid>,
    pub new: Oid,
}

/// How many workers read files: the cores there are, at least two (one may wait on the disk
/// while the other works) and at most four (each worker diffs every commit's trees itself, so
/// more stop paying off).
fn workers() -> usize {
    crate::parallel::available().clamp(2, 4)
}

/// A commit with at most this many files is read whole by the worker that reaches it first,
/// so the other does not diff its trees too: in a long range of small commits the tree diffs
/// were paid once per worker.
const WHOLE_COMMIT_FILES: usize = 8;

/// A file as a worker read it: with its hunks, or, an added or deleted file of a commit that
/// may pair renames (`loaded` false), only its metadata and, if it is text, its blob's
/// content; it is diffed once pairing has said whether it was renamed.
struct Read {
    file: FileChange,
    /// A text file's blob, until it is diffed: rename detection signs it, and an unpaired
    /// file is diffed from it (reading it again was a second inflate of every added file of a
    /// change that also deletes some).
    content: Option<Content>,
}

/// A blob's bytes, shared: the lines of an unpaired file are cut from them (`model::Text`).
type Content = std::sync::Arc<[u8]>;

impl Read {
    fn whole(file: FileChange) -> Read {
        Read {
            file,
            content: None,
        }
    }
}

/// Reads file `i` of `d`: as a blob if `may_pair` and it is an added or deleted file, else with
/// its hunks.
fn read(git: &Repository, d: &Diff, i: usize, may_pair: bool) -> Result<Read> {
    if may_pair {
        if let Some((file, blob)) = diff::read_blob(git, d, i)? {
            let content = blob
                .filter(|_| file.kind == FileKind::Text)
                .map(|b| Content::from(b.content()));
            return Ok(Read { file, content });
        }
    }
    let file = diff::load_file(d, i).with_context(|| format!("reading file #{i}"))?;
    Ok(Read::whole(file))
}

/// What the workers share: where the cursor is, and every commit's files as they come in.
struct Shared<'a> {
    commits: &'a [TreePair],
    /// (commit, file) of the next file to read.
    cursor: Mutex<(usize, usize)>,
    /// Per commit: its number of files (known once a worker has diffed it; set, with the
    /// slots and the remaining count, under the cursor's lock), the files read, and how many
    /// are still to come.
    count: Vec<OnceLock<usize>>,
    /// Per commit, set with its count: it adds and deletes files, so renames may pair them.
    may_pair: Vec<OnceLock<bool>>,
    slots: Vec<Mutex<Vec<Option<Read>>>>,
    remaining: Vec<AtomicUsize>,
    /// Set when the caller stops early or a worker fails: everyone winds down.
    stop: AtomicBool,
}

/// Reads and scans every file of `commits`, and calls `deliver` with each commit's files in
/// order (renames paired; git's order, a renamed file where its new path is) as soon as that
/// commit is complete. `deliver` returns false to stop early.
pub(super) fn read_commits(
    git: &Repository,
    analysis: &Analysis,
    commits: &[TreePair],
    mut deliver: impl FnMut(usize, Vec<FileChange>) -> Result<bool>,
) -> Result<()> {
    if let [only] = commits {
        if read_small(git, analysis, *only, &mut deliver)? {
            return Ok(());
        }
    }
    let shared = Shared {
        commits,
        cursor: Mutex::new((0, 0)),
        count: commits.iter().map(|_| OnceLock::new()).collect(),
        may_pair: commits.iter().map(|_| OnceLock::new()).collect(),
        slots: commits.iter().map(|_| Mutex::new(Vec::new())).collect(),
        remaining: commits.iter().map(|_| AtomicUsize::new(0)).collect(),
        stop: AtomicBool::new(false),
    };
    let git_dir = git::git_dir(git);
    let (done_tx, done_rx) = mpsc::channel::<Result<usize>>();
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..workers() {
            let (shared, done_tx, git_dir) = (&shared, done_tx.clone(), &git_dir);
            s.spawn(move || {
                let result = git::repo::open_objects(git_dir)
                    .and_then(|repo| worker(&repo.git, analysis, shared, &done_tx));
                if let Err(e) = result {
                    shared.stop.store(true, Ordering::Relaxed);
                    let _ = done_tx.send(Err(e));
                }
            });
        }
        drop(done_tx);
        let result = deliver_in_order(git, analysis, &shared, &done_rx, &mut deliver);
        // Whatever happened, the workers stop taking files now.
        shared.stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Reads a change of at most [`WHOLE_COMMIT_FILES`] files on this thread, and delivers it;
/// false (nothing read) for a larger one. Why: a thread started on an idle core of a virtual
/// machine was seen to wait up to 2 ms before it first ran, longer than reading such a change
/// takes, and a small review is where that counts.
fn read_small(
    git: &Repository,
    analysis: &Analysis,
    change: TreePair,
    deliver: &mut impl FnMut(usize, Vec<FileChange>) -> Result<bool>,
) -> Result<bool> {
    // An object-only handle, as the workers use: the same diff drivers, no work-tree lookups.
    let repo = git::repo::open_objects(&git::git_dir(git))?;
    let d = diff::diff_trees(&repo.git, change.old, change.new)?;
    let n = diff::file_count(&d);
    if n > WHOLE_COMMIT_FILES {
        return Ok(false);
    }
    let may_pair = diff::may_pair(&d);
    let files = (0..n)
        .map(|i| {
            let mut r = read(&repo.git, &d, i, may_pair)?;
            if scan_when_read(&r.file, may_pair) {
                analysis.scan_file(&mut r.file);
            }
            Ok(r)
        })
        .collect::<Result<Vec<_>>>()?;
    finish_commit(git, analysis, 0, files, deliver)?;
    Ok(true)
}

/// Pairs a commit's renames, weighs its findings against the whole change, and delivers it.
fn finish_commit(
    git: &Repository,
    analysis: &Analysis,
    c: usize,
    files: Vec<Read>,
    deliver: &mut impl FnMut(usize, Vec<FileChange>) -> Result<bool>,
) -> Result<bool> {
    let mut files = pair_renames(git, analysis, files)?;
    if analysis.scan {
        crate::risk::Engine::weigh_change(&mut files);
    }
    deliver(c, files)
}

fn deliver_in_order(
    git: &Repository,
    analysis: &Analysis,
    shared: &Shared,
    done: &mpsc::Receiver<Result<usize>>,
    deliver: &mut impl FnMut(usize, Vec<FileChange>) -> Result<bool>,
) -> Result<()> {
    let mut complete = vec![false; shared.commits.len()];
    for c in 0..shared.commits.len() {
        while !complete[c] {
            let finished = done
                .recv()
                .map_err(|_| anyhow::anyhow!("the file readers stopped before the end"))??;
            complete[finished] = true;
        }
        let slots = std::mem::take(&mut *lock(&shared.slots[c])?);
        let files = slots
            .into_iter()
            .enumerate()
            .map(|(i, f)| f.with_context(|| format!("file #{i} of change #{c} was not read")))
            .collect::<Result<Vec<_>>>()?;
        if !finish_commit(git, analysis, c, files, deliver)? {
            return Ok(());
        }
    }
    Ok(())
}

/// In a commit that adds and deletes files (`may_pair`), those are read but not scanned by the
/// workers: rename detection may pair them, and then only the renamed file is scanned
/// (scanning both sides first was most of the work after the last file of ripgrep 11..15 was
/// read, on one thread). Elsewhere every file is scanned as it is read, on the workers.
fn scan_when_read(file: &FileChange, may_pair: bool) -> bool {
    !may_pair || !matches!(file.change, ChangeKind::Added | ChangeKind::Deleted)
}

/// Turns each deleted-and-added pair rename detection finds into one renamed file, where the
/// added one was, diffs the added and deleted files no pair took that were read as blobs, and
/// scans what is still unscanned. On every core: this waits for a commit's last file.
fn pair_renames(
    git: &Repository,
    analysis: &Analysis,
    files: Vec<Read>,
) -> Result<Vec<FileChange>> {
    let (files, mut contents): (Vec<FileChange>, Vec<Option<Content>>) =
        files.into_iter().map(|r| (r.file, r.content)).unzip();
    let pairs = renames::pair_read(&files, &contents)?;
    // A paired file's content is not needed any more (the pair is diffed blob to blob): let
    // it go before the diffs, which is when the loader holds the most.
    for p in &pairs {
        contents[p.deleted] = None;
        contents[p.added] = None;
    }
    let (mut paired, mut gone) = (vec![false; files.len()], vec![false; files.len()]);
    for p in &pairs {
        paired[p.deleted] = true;
        paired[p.added] = true;
        gone[p.deleted] = true;
    }
    let mut files: Vec<Option<FileChange>> = files.into_iter().map(Some).collect();
    // The files no pair took that are still to diff or to scan, each behind its own lock for
    // the job that does it.
    let alone: Vec<(usize, Mutex<FileChange>)> = (0..files.len())
        .filter(|&i| !paired[i])
        .filter_map(|i| match files[i].take() {
            Some(f) if !f.loaded || analysis.scan && !f.analysed => Some((i, Mutex::new(f))),
            kept => {
                files[i] = kept;
                None
            }
        })
        .collect();
    let side = |i: usize| files[i].as_ref().context("a paired file is missing");
    let git_dir = git::git_dir(git);
    // Each thread that diffs a pair opens its own object-only handle, as the workers read the
    // files; the others need none (opening one per commit was a tenth of a long range's CPU).
    let renamed = crate::parallel::map(
        pairs.len() + alone.len(),
        4,
        || Ok(None),
        |repo, job| {
            if let Some(p) = pairs.get(job) {
                let repo = match repo {
                    Some(repo) => repo,
                    None => repo.insert(git::repo::open_objects(&git_dir)?),
                };
                let f = diff::load_pair(&repo.git, side(p.deleted)?, side(p.added)?, p.similarity)?;
                return Ok(Some(scanned(analysis, f)));
            }
            let (i, file) = &alone[job - pairs.len()];
            let mut file = lock(file)?;
            if !file.loaded {
                let read =
                    std::mem::replace(&mut *file, FileChange::new(None, None, ChangeKind::Added));
                *file = diff::load_unpaired(read, contents[*i].as_ref())?;
            }
            if analysis.scan {
                analysis.scan_file(&mut file);
            }
            Ok(None)
        },
    )?;
    for (i, f) in alone {
        files[i] = Some(f.into_inner().map_err(|_| poisoned())?);
    }
    for (p, f) in pairs.iter().zip(renamed) {
        files[p.added] = Some(f.context("a renamed file was not read")?);
    }
    files
        .into_iter()
        .zip(gone)
        .filter(|(_, gone)| !gone)
        .map(|(f, _)| f.context("a file went missing while renames were paired"))
        .collect()
}

/// Takes files from the shared cursor until none are left, reading and scanning each.
fn worker(
    git: &Repository,
    analysis: &Analysis,
    shared: &Shared,
    done: &Sender<Result<usize>>,
) -> Result<()> {
    // This worker's own diff of each commit, made when it first reads one of its files.
    let mut diffs: Vec<Option<Diff>> = shared.commits.iter().map(|_| None).collect();
    // The rest of a small commit this worker took whole.
    let mut mine: std::collections::VecDeque<(usize, usize)> = Default::default();
    // Files read before the rules finish compiling (on another thread) are scanned once they
    // are ready, rather than waiting for them.
    let mut unscanned: Vec<(usize, usize, FileChange)> = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        if !unscanned.is_empty() && analysis.engine_if_ready().is_some() {
            for (c, i, file) in std::mem::take(&mut unscanned) {
                put(shared, c, i, Read::whole(scanned(analysis, file)), done)?;
            }
        }
        let taken = match mine.pop_front() {
            Some(file) => Some(file),
            None => next(git, shared, &mut diffs, &mut mine, done)?,
        };
        let Some((c, i)) = taken else {
            break;
        };
        let Some(plain) = &diffs[c] else {
            anyhow::bail!("change #{c} was not diffed");
        };
        let pairable = may_pair(shared, c);
        let r = read(git, plain, i, pairable)?;
        match analysis.engine_if_ready() {
            _ if !analysis.scan || !scan_when_read(&r.file, pairable) => {
                put(shared, c, i, r, done)?
            }
            Some(engine) => {
                let mut file = r.file;
                engine.scan_file_with(&mut file, analysis.plan.as_deref());
                file.analysed = true;
                put(shared, c, i, Read::whole(file), done)?;
            }
            None => unscanned.push((c, i, r.file)),
        }
    }
    for (c, i, file) in unscanned {
        put(shared, c, i, Read::whole(scanned(analysis, file)), done)?;
    }
    Ok(())
}

/// The next file to read, diffing its commit first if this worker has not yet. The diff is
/// made outside the cursor's lock, so both workers diff a new commit at the same time rather
/// than one after the other; a commit's slots are set up under the lock, before any of its
/// files is handed out.
fn next<'r>(
    git: &'r Repository,
    shared: &Shared,
    diffs: &mut [Option<Diff<'r>>],
    mine: &mut std::collections::VecDeque<(usize, usize)>,
    done: &Sender<Result<usize>>,
) -> Result<Option<(usize, usize)>> {
    loop {
        let c = lock(&shared.cursor)?.0;
        if c >= shared.commits.len() {
            return Ok(None);
        }
        if diffs[c].is_none() {
            let pair = shared.commits[c];
            diffs[c] = Some(diff::diff_trees(git, pair.old, pair.new)?);
        }
        let mut cursor = lock(&shared.cursor)?;
        let (c, i) = *cursor;
        if c >= shared.commits.len() {
            return Ok(None);
        }
        // The other worker moved the cursor on to a commit this one has not diffed yet.
        let Some(d) = &diffs[c] else {
            continue;
        };
        if shared.count[c].get().is_none() {
            let n = diff::file_count(d);
            *lock(&shared.slots[c])? = (0..n).map(|_| None).collect();
            shared.remaining[c].store(n, Ordering::Relaxed);
            let _ = shared.may_pair[c].set(diff::may_pair(d));
            let _ = shared.count[c].set(n);
            if n == 0 {
                let _ = done.send(Ok(c));
            }
        }
        let n = shared.count[c].get().copied().unwrap_or(0);
        if i == 0 && n > 1 && n <= WHOLE_COMMIT_FILES {
            *cursor = (c + 1, 0);
            mine.extend((1..n).map(|f| (c, f)));
            return Ok(Some((c, 0)));
        }
        if i < n {
            *cursor = (c, i + 1);
            return Ok(Some((c, i)));
        }
        *cursor = (c + 1, 0);
    }
}

/// Whether commit `c` may pair renames (true until its diff is in: scan later, not twice).
fn may_pair(shared: &Shared, c: usize) -> bool {
    shared.may_pair[c].get().copied().unwrap_or(true)
}

fn scanned(analysis: &Analysis, mut file: FileChange) -> FileChange {
    analysis.scan_file(&mut file);
    file
}

/// Stores file `i` of commit `c`; the commit's last file tells the caller it is complete.
fn put(
    shared: &Shared,
    c: usize,
    i: usize,
    file: Read,
    done: &Sender<Result<usize>>,
) -> Result<()> {
    lock(&shared.slots[c])?[i] = Some(file);
    if shared.remaining[c].fetch_sub(1, Ordering::AcqRel) == 1 {
        let _ = done.send(Ok(c));
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    m.lock().map_err(|_| poisoned())
}

fn poisoned() -> anyhow::Error {
    anyhow::anyhow!("a file reader thread panicked")
}
