//! A commit's diff against its first parent (the empty tree for a root commit), read into the
//! model. Listing the files is cheap; reading a file's hunks is the work, so the two are apart
//! and the loader can show the first file before the rest is read.

use std::path::Path;

use anyhow::{Context, Result};
pub use git2::Diff;
use git2::{Delta, DiffOptions, Oid, Patch, Repository};

use crate::model::{ChangeKind, Commit, FileChange, FileKind, Hunk, Line, LineKind, Person, Text};

const MODE_LINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// A commit's metadata, without its files.
pub fn commit_meta(git: &Repository, oid: Oid) -> Result<Commit> {
    let c = git
        .find_commit(oid)
        .with_context(|| format!("cannot read commit {oid}"))?;
    let person = |s: git2::Signature| Person {
        name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
        time: s.when().seconds(),
    };
    let mut parent_tree_ids = Vec::new();
    for p in c.parents() {
        parent_tree_ids.push(p.tree_id().to_string());
    }
    Ok(Commit {
        id: oid.to_string(),
        parent_ids: c.parent_ids().map(|p| p.to_string()).collect(),
        tree_id: c.tree_id().to_string(),
        parent_tree_ids,
        author: person(c.author()),
        committer: person(c.committer()),
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
        message: String::from_utf8_lossy(c.message_bytes()).into_owned(),
        ..Commit::default()
    })
}

/// The tree-to-tree diff of a commit against its first parent, without rename detection: that
/// is done over the files once read (`git::renames`, `load_pair`).
pub fn diff_commit(git: &Repository, oid: Oid) -> Result<Diff<'_>> {
    let commit = git.find_commit(oid)?;
    let new_tree = commit.tree()?;
    let old_tree = match commit.parent(0) {
        Ok(parent) => Some(parent.tree()?),
        Err(_) => None,
    };
    git.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(&mut options()))
        .with_context(|| format!("cannot diff commit {oid}"))
}

/// The diff between two trees (None: the empty tree), without rename detection.
pub fn diff_trees(git: &Repository, old: Option<Oid>, new: Oid) -> Result<Diff<'_>> {
    let new_tree = git
        .find_tree(new)
        .with_context(|| format!("cannot read tree {new}"))?;
    let old_tree = old
        .map(|o| {
            git.find_tree(o)
                .with_context(|| format!("cannot read tree {o}"))
        })
        .transpose()?;
    git.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(&mut options()))
        .with_context(|| format!("cannot diff tree {new}"))
}

/// A commit's first parent's tree (None for a root) and its own tree.
pub fn commit_trees(git: &Repository, oid: Oid) -> Result<(Option<Oid>, Oid)> {
    let commit = git
        .find_commit(oid)
        .with_context(|| format!("cannot read commit {oid}"))?;
    let parent = commit.parent_ids().next();
    let old = parent
        .map(|p| git.find_commit(p).map(|c| c.tree_id()))
        .transpose()
        .with_context(|| format!("cannot read the parent of {oid}"))?;
    Ok((old, commit.tree_id()))
}

fn options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(3).ignore_submodules(false);
    opts
}

/// A blob's bytes.
pub fn blob(git: &Repository, id: &str) -> Result<Vec<u8>> {
    let oid = Oid::from_str(id).with_context(|| format!("'{id}' is not a blob id"))?;
    Ok(git
        .find_blob(oid)
        .with_context(|| format!("cannot read blob {id}"))?
        .content()
        .to_vec())
}

/// How many files a diff changes.
pub fn file_count(diff: &Diff) -> usize {
    diff.deltas().len()
}

/// The diff adds a file and deletes one: rename detection may pair them.
pub fn may_pair(diff: &Diff) -> bool {
    let has = |s: git2::Delta| diff.deltas().any(|d| d.status() == s);
    has(git2::Delta::Added) && has(git2::Delta::Deleted)
}

/// Every changed file, without hunks: what the first frame needs.
pub fn list_files(diff: &Diff) -> Vec<FileChange> {
    diff.deltas().map(|d| skeleton(&d)).collect()
}

/// Every file with its hunks.
pub fn load_files(diff: &Diff) -> Result<Vec<FileChange>> {
    (0..diff.deltas().len())
        .map(|i| load_file(diff, i))
        .collect()
}

/// One file, with its hunks read.
pub fn load_file(diff: &Diff, index: usize) -> Result<FileChange> {
    let patch = Patch::from_diff(diff, index)
        .with_context(|| format!("cannot read the diff of file #{index}"))?;
    let Some(patch) = patch else {
        // libgit2 gives no patch for an unchanged entry; show it as a bare file-level change.
        let delta = diff
            .get_delta(index)
            .context("the diff changed while it was read")?;
        let mut file = skeleton(&delta);
        add_file_level_hunk(&mut file);
        file.loaded = true;
        return Ok(file);
    };
    let mut file = skeleton(&patch.delta());
    fill(&mut file, &patch)?;
    Ok(file)
}

/// An added or deleted text file of `diff`, not diffed: its metadata (sizes, binary or not) and
/// its blob. None for any other file (read it with [`load_file`]).
///
/// Why: in a commit whose added and deleted files rename detection may pair, diffing each of
/// them against nothing (most of reading a change that moves files) is wasted on the files a
/// pair takes, which are diffed against their other side ([`load_pair`]). So they are read as
/// blobs for the pairing's signatures, and only the files no pair takes are diffed
/// ([`load_unpaired`]), as git's `diff -M` does.
pub fn read_blob<'r>(
    git: &'r Repository,
    diff: &Diff,
    index: usize,
) -> Result<Option<(FileChange, Option<git2::Blob<'r>>)>> {
    let delta = diff
        .get_delta(index)
        .context("the diff changed while it was read")?;
    let mut file = skeleton(&delta);
    let side = match file.change {
        ChangeKind::Added => delta.new_file(),
        ChangeKind::Deleted => delta.old_file(),
        _ => return Ok(None),
    };
    if file.kind != FileKind::Text {
        return Ok(None);
    }
    let driver = side.path().and_then(|p| driver_binary(git, p));
    if driver == Some(true) {
        // Binary by attribute: libgit2 does not read the blob (its size stays unknown).
        file.kind = FileKind::Binary;
        return Ok(Some((file, None)));
    }
    let blob = git
        .find_blob(side.id())
        .with_context(|| format!("cannot read blob {}", side.id()))?;
    let size = blob.size() as u64;
    if file.change == ChangeKind::Added {
        file.new_size = size;
    } else {
        file.old_size = size;
    }
    if driver.is_none() && content_is_binary(blob.content()) {
        file.kind = FileKind::Binary;
    }
    Ok(Some((file, Some(blob))))
}

/// What the diff driver of `path` says, as libgit2 reads it (`diff_driver.c`): the `diff`
/// attribute unset (`-diff`, `binary`) says binary, set says text, and a driver (`diff=name`)
/// says so by `diff.<name>.binary`; None leaves it to the content ([`content_is_binary`]).
/// With it the loader decides which added and deleted files rename detection compares by
/// content, and whether such a file no pair takes is text ([`load_unpaired`]).
fn driver_binary(git: &Repository, path: &Path) -> Option<bool> {
    let attr = git
        .get_attr_bytes(path, "diff", git2::AttrCheckFlags::FILE_THEN_INDEX)
        .ok()
        .flatten();
    let name = match git2::AttrValue::from_bytes(attr) {
        git2::AttrValue::False => return Some(true),
        git2::AttrValue::True => return Some(false),
        git2::AttrValue::String(name) => name.as_bytes(),
        git2::AttrValue::Bytes(name) => name,
        git2::AttrValue::Unspecified => return None,
    };
    let key = format!("diff.{}.binary", String::from_utf8_lossy(name));
    git.config().ok()?.get_bool(&key).ok()
}

/// libgit2's check without a driver's word (`diff_file.c`): larger than 512 MiB, or a NUL in
/// the first 8,000 bytes.
fn content_is_binary(content: &[u8]) -> bool {
    const MAX_SIZE: usize = 0x2000_0000;
    const NUL_WITHIN: usize = 8_000;
    content.len() > MAX_SIZE || content[..content.len().min(NUL_WITHIN)].contains(&0)
}

/// An added or deleted file [`read_blob`] read, diffed now against nothing from its content
/// (None for a binary one). Against nothing, every line of the file is added (or removed) in
/// one hunk, `@@ -0,0 +1,N @@` with no section heading, as libgit2 gives it; so the lines are
/// cut here from the content itself and share its buffer (`model::Text`), rather than copied
/// out of a patch into a second one: the content held for rename pairing becomes the model.
/// The binary check is [`read_blob`]'s.
pub fn load_unpaired(
    mut file: FileChange,
    content: Option<&std::sync::Arc<[u8]>>,
) -> Result<FileChange> {
    if file.kind == FileKind::Text {
        let content = content.context("the content of an unpaired file is missing")?;
        whole_file_hunk(&mut file, content);
    }
    add_file_level_hunk(&mut file);
    file.loaded = true;
    Ok(file)
}

/// The one hunk of an added or deleted text file, its lines slices of `content`.
fn whole_file_hunk(file: &mut FileChange, content: &std::sync::Arc<[u8]>) {
    if content.is_empty() {
        return;
    }
    let added = file.change == ChangeKind::Added;
    let kind = if added {
        LineKind::Added
    } else {
        LineKind::Removed
    };
    let mut lines = Vec::new();
    let (mut start, mut crlf) = (0usize, 0usize);
    while start < content.len() {
        let end = content[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(content.len(), |p| start + p);
        let missing_newline = end == content.len();
        let n = u32::try_from(lines.len() + 1).unwrap_or(u32::MAX);
        let (old_no, new_no) = if added {
            (None, Some(n))
        } else {
            (Some(n), None)
        };
        crlf += usize::from(content[..end].ends_with(b"\r") && end > start);
        lines.push(Line {
            kind,
            old_no,
            new_no,
            bytes: Text::shared(content, start..end),
            missing_newline,
        });
        start = end + 1;
    }
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    if added {
        file.added += lines.len();
        file.crlf = crlf * 2 > lines.len();
    } else {
        file.removed += lines.len();
    }
    // A multi-byte character never spans a newline, so the whole content is valid UTF-8
    // exactly when each of its lines is.
    file.lossy |= std::str::from_utf8(content).is_err();
    let (old, new) = if added {
        ((0, 0), (1, count))
    } else {
        ((1, count), (0, 0))
    };
    let path = file.path().to_string();
    file.hunks.push(Hunk::new(&path, old, new, "", lines));
}

/// A deleted and an added file that rename detection paired, as one renamed file: the diff
/// between the two blobs, under both paths.
pub fn load_pair(
    git: &Repository,
    deleted: &FileChange,
    added: &FileChange,
    similarity: u16,
) -> Result<FileChange> {
    let mut file = FileChange::new(
        deleted.old_path.clone(),
        added.new_path.clone(),
        ChangeKind::Renamed,
    );
    file.raw_old_path = deleted.raw_old_path.clone();
    file.raw_new_path = added.raw_new_path.clone();
    file.old_mode = deleted.old_mode;
    file.new_mode = added.new_mode;
    file.old_id = deleted.old_id.clone();
    file.new_id = added.new_id.clone();
    file.old_size = deleted.old_size;
    file.new_size = added.new_size;
    file.similarity = Some(similarity);
    file.kind = if deleted.kind == added.kind {
        added.kind
    } else {
        FileKind::Binary
    };
    if file.old_id == file.new_id {
        add_file_level_hunk(&mut file);
        file.loaded = true;
        return Ok(file);
    }
    let blob = |id: &str| -> Result<git2::Blob<'_>> {
        let oid = Oid::from_str(id).context("bad blob id")?;
        git.find_blob(oid)
            .with_context(|| format!("cannot read blob {id}"))
    };
    let (old, new) = (blob(&file.old_id)?, blob(&file.new_id)?);
    let patch = Patch::from_blobs(
        &old,
        deleted.old_path.as_deref().map(Path::new),
        &new,
        added.new_path.as_deref().map(Path::new),
        Some(&mut options()),
    )
    .with_context(|| format!("cannot diff the rename of {}", deleted.display_path()))?;
    fill(&mut file, &patch)?;
    Ok(file)
}

/// Reads a file's patch into it: sizes, binary or not, hunks.
fn fill(file: &mut FileChange, patch: &Patch) -> Result<()> {
    let delta = patch.delta();
    file.old_size = delta.old_file().size();
    file.new_size = delta.new_file().size();
    if delta.flags().is_binary() && file.kind == FileKind::Text {
        file.kind = FileKind::Binary;
    }
    if file.kind == FileKind::Text || file.kind == FileKind::Symlink {
        read_hunks(patch, file)?;
    }
    add_file_level_hunk(file);
    file.loaded = true;
    Ok(())
}

fn skeleton(delta: &git2::DiffDelta) -> FileChange {
    let path = |f: git2::DiffFile| {
        f.path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    };
    let change = match delta.status() {
        Delta::Added => ChangeKind::Added,
        Delta::Deleted => ChangeKind::Deleted,
        Delta::Renamed => ChangeKind::Renamed,
        Delta::Copied => ChangeKind::Copied,
        Delta::Typechange => ChangeKind::TypeChanged,
        _ => ChangeKind::Modified,
    };
    let (old_path, new_path) = match change {
        ChangeKind::Added => (None, path(delta.new_file())),
        ChangeKind::Deleted => (path(delta.old_file()), None),
        _ => (path(delta.old_file()), path(delta.new_file())),
    };
    let mut file = FileChange::new(old_path, new_path, change);
    let raw = |f: git2::DiffFile| {
        f.path_bytes()
            .filter(|p| std::str::from_utf8(p).is_err())
            .map(Box::<[u8]>::from)
    };
    if change != ChangeKind::Added {
        file.raw_old_path = raw(delta.old_file());
    }
    if change != ChangeKind::Deleted {
        file.raw_new_path = raw(delta.new_file());
    }
    file.old_mode = mode(delta.old_file());
    file.new_mode = mode(delta.new_file());
    file.old_id = delta.old_file().id().to_string();
    file.new_id = delta.new_file().id().to_string();
    file.kind = if file.old_mode == MODE_GITLINK || file.new_mode == MODE_GITLINK {
        FileKind::Submodule
    } else if file.old_mode == MODE_LINK || file.new_mode == MODE_LINK {
        FileKind::Symlink
    } else if delta.flags().is_binary() {
        FileKind::Binary
    } else {
        FileKind::Text
    };
    file
}

fn mode(f: git2::DiffFile) -> u32 {
    if f.id().is_zero() {
        return 0;
    }
    u32::from(f.mode())
}

fn read_hunks(patch: &Patch, file: &mut FileChange) -> Result<()> {
    let path = file.path().to_string();
    let mut crlf_lines = 0usize;
    let mut new_lines = 0usize;
    for h in 0..patch.num_hunks() {
        let (hunk, count) = patch.hunk(h).context("cannot read a hunk")?;
        // The hunk's lines go into one buffer they share (`model::Text`).
        let mut text = Vec::new();
        let mut cut = Vec::with_capacity(count);
        for l in 0..count {
            let dl = patch
                .line_in_hunk(h, l)
                .context("cannot read a line of a hunk")?;
            let kind = match dl.origin() {
                '+' => LineKind::Added,
                '-' => LineKind::Removed,
                ' ' => LineKind::Context,
                // '=', '>' and '<' are git's "\ No newline at end of file" markers: a flag on
                // the line before (whose content already lacks the newline), not a line.
                _ => continue,
            };
            let content = dl.content();
            let (bytes, missing_newline) = match content.strip_suffix(b"\n") {
                Some(stripped) => (stripped, false),
                None => (content, true),
            };
            if kind != LineKind::Removed {
                new_lines += 1;
                crlf_lines += usize::from(bytes.ends_with(b"\r"));
            }
            if kind == LineKind::Added {
                file.added += 1;
            } else if kind == LineKind::Removed {
                file.removed += 1;
            }
            file.lossy |= std::str::from_utf8(bytes).is_err();
            let at = text.len();
            text.extend_from_slice(bytes);
            cut.push((
                kind,
                dl.old_lineno(),
                dl.new_lineno(),
                at..text.len(),
                missing_newline,
            ));
        }
        let text: std::sync::Arc<[u8]> = text.into();
        let lines = cut
            .into_iter()
            .map(|(kind, old_no, new_no, range, missing_newline)| Line {
                kind,
                old_no,
                new_no,
                bytes: Text::shared(&text, range),
                missing_newline,
            })
            .collect();
        let header = function_context(hunk.header());
        file.hunks.push(Hunk::new(
            &path,
            (hunk.old_start(), hunk.old_lines()),
            (hunk.new_start(), hunk.new_lines()),
            &header,
            lines,
        ));
    }
    file.crlf = new_lines > 0 && crlf_lines * 2 > new_lines;
    Ok(())
}

/// `@@ -1,3 +1,4 @@ fn main() {` → `fn main() {`
fn function_context(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    let text = text.trim_end();
    match text.get(2..).and_then(|rest| rest.find("@@")) {
        Some(end) => text[end + 4..].trim().to_string(),
        None => String::new(),
    }
}

/// Changes without lines to show still need a decision: a binary or submodule change, a mode
/// change, a pure rename, an empty file added or deleted.
fn add_file_level_hunk(file: &mut FileChange) {
    let path = file.path().to_string();
    let identity = format!(
        "{}\0{}\0{:o}\0{:o}\0{}\0{}",
        file.old_path.as_deref().unwrap_or(""),
        file.new_path.as_deref().unwrap_or(""),
        file.old_mode,
        file.new_mode,
        file.old_id,
        file.new_id
    );
    let summary = match file.kind {
        FileKind::Binary => Some(format!(
            "binary file {}: {} → {} bytes",
            verb(file.change),
            file.old_size,
            file.new_size
        )),
        FileKind::Submodule => Some(format!(
            "submodule {}: {} → {}",
            verb(file.change),
            short(&file.old_id),
            short(&file.new_id)
        )),
        _ if file.hunks.is_empty() => Some(match file.change {
            ChangeKind::Renamed | ChangeKind::Copied => format!(
                "{} without changes: {}",
                verb(file.change),
                file.display_path()
            ),
            ChangeKind::Added => "empty file added".to_string(),
            ChangeKind::Deleted => "empty file deleted".to_string(),
            _ if file.mode_changed() => mode_summary(file),
            _ => "no content change".to_string(),
        }),
        _ if file.mode_changed() => Some(mode_summary(file)),
        _ => None,
    };
    if let Some(summary) = summary {
        // The file-level change goes first: it is what the file's header describes.
        file.hunks
            .insert(0, Hunk::file_level(&path, &summary, identity.as_bytes()));
    }
}

fn mode_summary(file: &FileChange) -> String {
    format!("mode changed {:o} → {:o}", file.old_mode, file.new_mode)
}

fn verb(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "added",
        ChangeKind::Deleted => "deleted",
        ChangeKind::Renamed => "renamed",
        ChangeKind::Copied => "copied",
        ChangeKind::TypeChanged => "changed type",
        ChangeKind::Modified => "modified",
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}
