//! Rename detection over files already read: which deleted file became which added one.
//!
//! Why not libgit2's `find_similar`: it reads every added and deleted blob a second time and
//! builds its own signatures, which took 40% of loading a large commit, on one thread, before
//! any renamed file could be shown. The loader has every added and deleted file's lines in hand
//! already, so pairing them costs a few milliseconds here.
//!
//! The rules are git's own (`diffcore-rename.c`), so the pairs match what `git diff -M` and
//! `git log` show:
//! - identical content (same blob id and file type) pairs first, preferring the same file name;
//! - otherwise a similarity score: both files cut into chunks at each newline or every 64 bytes
//!   (a CR before LF ignored), similarity = bytes in chunks common to both / the larger size;
//!   pairs below 50% (or whose sizes differ by more than half) are not renames;
//! - the best-scoring pairs are taken first, each file at most once.
//!
//! Binary files pair only when identical (their content is not read); empty files never pair.

use std::collections::HashMap;

use anyhow::Result;

use crate::model::{ChangeKind, FileChange, FileKind, LineKind};
use crate::parallel;

/// git's `MAX_SCORE` and default minimum score (50%).
const MAX_SCORE: u64 = 60_000;
const MIN_SCORE: u64 = MAX_SCORE / 2;
/// Above this many candidate pairs only identical files are paired, as git does with its
/// default `diff.renameLimit` of 1000.
const MAX_PAIRS: usize = 1_000 * 1_000;

/// A deleted file (index into the files) that became an added one, and how similar they are
/// (percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub deleted: usize,
    pub added: usize,
    pub similarity: u16,
}

/// The renames among `files` (the rename-free list of a commit, every file read). The
/// signatures and their scores are worked out on every core (`parallel`): this runs once a
/// commit's last file is in, with nothing else left to do.
pub fn pair(files: &[FileChange]) -> Result<Vec<Pair>> {
    pair_read(files, &[])
}

/// [`pair`], where some files were read as blobs rather than as lines: `contents[i]`, when
/// there is one, is `files[i]`'s content, and is what it is signed from.
pub fn pair_read(
    files: &[FileChange],
    contents: &[Option<std::sync::Arc<[u8]>>],
) -> Result<Vec<Pair>> {
    let deleted: Vec<usize> = candidates(files, ChangeKind::Deleted);
    let added: Vec<usize> = candidates(files, ChangeKind::Added);
    let mut taken_deleted = vec![false; files.len()];
    let mut taken_added = vec![false; files.len()];
    let mut out = Vec::new();

    // Identical content first, the same file name before any other. Deleted files by blob id,
    // so that moving thousands of files costs a lookup each, not a comparison with every other.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for &d in &deleted {
        by_id.entry(files[d].old_id.as_str()).or_default().push(d);
    }
    for same_name in [true, false] {
        for &a in &added {
            if taken_added[a] {
                continue;
            }
            let Some(same_content) = by_id.get(files[a].new_id.as_str()) else {
                continue;
            };
            let found = same_content.iter().copied().find(|&d| {
                !taken_deleted[d]
                    && same_type(files[d].old_mode, files[a].new_mode)
                    && (!same_name || base_name(&files[d]) == base_name(&files[a]))
            });
            if let Some(d) = found {
                taken_deleted[d] = true;
                taken_added[a] = true;
                out.push(Pair {
                    deleted: d,
                    added: a,
                    similarity: 100,
                });
            }
        }
    }

    let deleted: Vec<usize> = deleted
        .into_iter()
        .filter(|&d| !taken_deleted[d] && files[d].kind == FileKind::Text)
        .collect();
    let added: Vec<usize> = added
        .into_iter()
        .filter(|&a| !taken_added[a] && files[a].kind == FileKind::Text)
        .collect();
    if deleted.is_empty() || added.is_empty() || deleted.len() * added.len() > MAX_PAIRS {
        out.sort_by_key(|p| p.added);
        return Ok(out);
    }
    let both: Vec<usize> = deleted.iter().chain(&added).copied().collect();
    let sigs = parallel::map(
        both.len(),
        16,
        || Ok(()),
        |_, k| {
            let i = both[k];
            Ok(match contents.get(i).and_then(Option::as_deref) {
                Some(content) => Signature::of_content(content),
                None => Signature::of(&files[i]),
            })
        },
    )?;
    let (deleted_sigs, added_sigs) = sigs.split_at(deleted.len());
    // (score, same name, deleted, added): git sorts by score, then prefers the same name.
    let rows = parallel::map(
        added.len(),
        16,
        || Ok(()),
        |_, row| {
            let (a, a_sig) = (added[row], &added_sigs[row]);
            Ok(deleted
                .iter()
                .zip(deleted_sigs)
                .filter_map(|(&d, d_sig)| {
                    let score = d_sig.score(a_sig);
                    (score >= MIN_SCORE)
                        .then(|| (score, base_name(&files[d]) == base_name(&files[a]), d, a))
                })
                .collect::<Vec<_>>())
        },
    )?;
    let mut scored: Vec<_> = rows.into_iter().flatten().collect();
    scored.sort_by(|x, y| {
        (y.0, y.1)
            .cmp(&(x.0, x.1))
            .then((x.2, x.3).cmp(&(y.2, y.3)))
    });
    for (score, _, d, a) in scored {
        if taken_deleted[d] || taken_added[a] {
            continue;
        }
        taken_deleted[d] = true;
        taken_added[a] = true;
        out.push(Pair {
            deleted: d,
            added: a,
            // git prints the similarity rounded down to a percent.
            similarity: u16::try_from(score * 100 / MAX_SCORE).unwrap_or(100),
        });
    }
    out.sort_by_key(|p| p.added);
    Ok(out)
}

fn candidates(files: &[FileChange], change: ChangeKind) -> Vec<usize> {
    files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.change == change && f.kind != FileKind::Submodule)
        .filter(|(_, f)| f.old_size.max(f.new_size) > 0)
        .map(|(i, _)| i)
        .collect()
}

fn same_type(a: u32, b: u32) -> bool {
    a & 0o170000 == b & 0o170000
}

fn base_name(f: &FileChange) -> &str {
    let path = f.path();
    path.rsplit('/').next().unwrap_or(path)
}

/// A file's content as git's rename detection sees it: chunk hash → bytes in such chunks,
/// sorted by hash, and the file's size.
struct Signature {
    chunks: Vec<(u64, u64)>,
    size: u64,
}

impl Signature {
    fn of(file: &FileChange) -> Signature {
        let side = if file.change == ChangeKind::Deleted {
            LineKind::Removed
        } else {
            LineKind::Added
        };
        let mut chunks: Vec<(u64, u64)> = Vec::new();
        let mut chunk = Chunker::default();
        for line in file.hunks.iter().flat_map(|h| &h.lines) {
            if line.kind != side {
                continue;
            }
            let bytes = &line.bytes[..];
            // A CR right before the newline does not count (git, for text files).
            let body = match bytes.strip_suffix(b"\r") {
                Some(b) if !line.missing_newline => b,
                _ => bytes,
            };
            for &b in body {
                chunk.push(b, &mut chunks);
            }
            if !line.missing_newline {
                chunk.push(b'\n', &mut chunks);
            }
        }
        Signature::made(chunk, chunks, file.old_size.max(file.new_size))
    }

    /// The signature of a blob's bytes: the same as [`Signature::of`] its lines, a line at a
    /// time (a chunk never spans a newline) rather than a byte at a time.
    fn of_content(content: &[u8]) -> Signature {
        let mut chunks: Vec<(u64, u64)> = Vec::with_capacity(content.len() / 32 + 1);
        for line in content.split_inclusive(|&b| b == b'\n') {
            let (body, newline) = match line.strip_suffix(b"\n") {
                // A CR right before the newline does not count (git, for text files).
                Some(body) => (body.strip_suffix(b"\r").unwrap_or(body), true),
                None => (line, false),
            };
            let mut blocks = body.chunks_exact(64);
            for block in &mut blocks {
                chunks.push((fnv(FNV_START, block), 64));
            }
            let rest = blocks.remainder();
            if newline {
                let hash = fnv(fnv(FNV_START, rest), b"\n");
                chunks.push((hash, rest.len() as u64 + 1));
            } else if !rest.is_empty() {
                chunks.push((fnv(FNV_START, rest), rest.len() as u64));
            }
        }
        Signature::made(Chunker::default(), chunks, content.len() as u64)
    }

    fn made(mut chunk: Chunker, mut chunks: Vec<(u64, u64)>, size: u64) -> Signature {
        chunk.finish(&mut chunks);
        // Sorted by hash, equal hashes merged: (hash, bytes in such chunks).
        chunks.sort_unstable();
        chunks.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += next.1;
            }
            same
        });
        Signature { chunks, size }
    }

    /// git's `estimate_similarity`, on `MAX_SCORE`'s scale.
    fn score(&self, other: &Signature) -> u64 {
        let (max, min) = (self.size.max(other.size), self.size.min(other.size));
        if max == 0 || max * (MAX_SCORE - MIN_SCORE) < (max - min) * MAX_SCORE {
            return 0;
        }
        let (mut i, mut j, mut common) = (0, 0, 0u64);
        while i < self.chunks.len() && j < other.chunks.len() {
            let (a, b) = (self.chunks[i], other.chunks[j]);
            match a.0.cmp(&b.0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += a.1.min(b.1);
                    i += 1;
                    j += 1;
                }
            }
        }
        common * MAX_SCORE / max
    }
}

/// Cuts bytes into git's chunks: at each newline, or after 64 bytes.
#[derive(Default)]
struct Chunker {
    hash: u64,
    len: u64,
}

/// FNV-1a, the chunks' hash.
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Chunker {
    fn push(&mut self, b: u8, chunks: &mut Vec<(u64, u64)>) {
        if self.len == 0 {
            self.hash = FNV_START;
        }
        self.hash = fnv(self.hash, &[b]);
        self.len += 1;
        if self.len == 64 || b == b'\n' {
            self.finish(chunks);
        }
    }

    fn finish(&mut self, chunks: &mut Vec<(u64, u64)>) {
        if self.len > 0 {
            chunks.push((self.hash, self.len));
            self.len = 0;
        }
    }
}

#[cfg(test)]
mod tests;
