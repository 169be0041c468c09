//! The content digest: what exactly the reviewer saw change, reduced to 32 bytes.
//!
//! It covers, per changed file in path order, the paths, the modes, the kind of change and the
//! exact bytes of every removed and added line (or the blob ids of binary content and
//! submodules). It leaves out line numbers and context, so a clean rebase (the same change on a
//! moved base) keeps the digest while any change to what was reviewed breaks it. Every field is
//! length-prefixed, so no two different changes can frame to the same byte stream. The framing
//! is documented byte for byte in docs/approval-format.md; changing it breaks every approval
//! already signed, so it is versioned by its domain tag.

use std::fmt;

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

use crate::model::{Commit, FileChange, FileKind, LineKind};

/// The domain tag that starts the digested stream; a new framing gets a new tag.
pub const CONTENT_DOMAIN: &[u8] = b"countersign-content-v1\0";

/// A SHA-256 digest, written `sha256:<64 lowercase hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses `sha256:<64 lowercase hex>` and nothing else (no upper case, no spaces), so that
    /// every digest has exactly one spelling and a signed text can't be varied.
    pub fn parse(s: &str) -> Option<Sha256Digest> {
        let hex = s.strip_prefix("sha256:")?;
        parse_lower_hex(hex).map(Sha256Digest)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", &self.to_hex()[..12])
    }
}

/// 64 lowercase hex digits into 32 bytes.
fn parse_lower_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !is_lower_hex(hex) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Lowercase hex only, as git prints object ids.
pub fn is_lower_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The digest of the change a commit makes (against its first parent), as reviewed.
///
/// Fails when a file's hunks are not loaded yet: a digest over paths alone would approve
/// content nobody has seen.
pub fn content_digest(commit: &Commit) -> Result<Sha256Digest> {
    for file in &commit.files {
        if !file.loaded {
            bail!(
                "cannot digest commit {}: the hunks of {} are not loaded yet",
                commit.short_id(),
                file.path()
            );
        }
    }
    Ok(Sha256Digest(
        Sha256::digest(content_stream(&commit.files)).into(),
    ))
}

/// The exact byte stream that is hashed, exposed for the format's documentation and tests.
pub fn content_stream(files: &[FileChange]) -> Vec<u8> {
    let mut order: Vec<&FileChange> = files.iter().collect();
    // Path order by bytes, so the digest doesn't depend on the order the loader produced.
    order.sort_by(|a, b| {
        (
            a.path().as_bytes(),
            a.old_path.as_deref().map(str::as_bytes),
        )
            .cmp(&(
                b.path().as_bytes(),
                b.old_path.as_deref().map(str::as_bytes),
            ))
    });
    let mut out = Vec::new();
    out.extend_from_slice(CONTENT_DOMAIN);
    put_u64(&mut out, order.len() as u64);
    for file in order {
        put_file(&mut out, file);
    }
    out
}

fn put_file(out: &mut Vec<u8>, file: &FileChange) {
    out.push(b'F');
    out.push(file.change.letter() as u8);
    put_opt_bytes(out, file.old_path.as_deref().map(str::as_bytes));
    put_opt_bytes(out, file.new_path.as_deref().map(str::as_bytes));
    out.extend_from_slice(&file.old_mode.to_be_bytes());
    out.extend_from_slice(&file.new_mode.to_be_bytes());
    let changed: Vec<_> = file
        .hunks
        .iter()
        .flat_map(|h| h.lines.iter())
        .filter(|l| l.is_change())
        .collect();
    // Binary content and submodules have no lines: their identity is the blob (or commit) id.
    // A symlink that came without lines is digested the same way, so that its target can't
    // change unseen.
    let by_id = matches!(file.kind, FileKind::Binary | FileKind::Submodule)
        || (file.kind == FileKind::Symlink && changed.is_empty());
    if by_id {
        out.push(b'B');
        put_opt_bytes(out, Some(file.old_id.as_bytes()));
        put_opt_bytes(out, Some(file.new_id.as_bytes()));
        return;
    }
    out.push(b'L');
    put_u64(out, changed.len() as u64);
    for line in changed {
        out.push(match line.kind {
            LineKind::Removed => b'-',
            _ => b'+',
        });
        out.push(u8::from(line.missing_newline));
        put_u64(out, line.bytes.len() as u64);
        out.extend_from_slice(&line.bytes);
    }
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_be_bytes());
}

/// `0x00` for absent; `0x01`, a u64 length and the bytes for present, so that an absent path
/// and an empty one differ.
fn put_opt_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_u64(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{ChangeKind, Hunk, Line};

    /// A loaded text file with one hunk: `removed` lines replaced by `added` lines.
    pub fn text_file(path: &str, start: u32, removed: &[&str], added: &[&str]) -> FileChange {
        let mut f = FileChange::new(Some(path.into()), Some(path.into()), ChangeKind::Modified);
        f.old_mode = 0o100644;
        f.new_mode = 0o100644;
        let mut lines = vec![Line::new(
            LineKind::Context,
            Some(start),
            Some(start),
            b"ctx",
        )];
        for (i, r) in removed.iter().enumerate() {
            lines.push(Line::new(
                LineKind::Removed,
                Some(start + 1 + i as u32),
                None,
                r.as_bytes(),
            ));
        }
        for (i, a) in added.iter().enumerate() {
            lines.push(Line::new(
                LineKind::Added,
                None,
                Some(start + 1 + i as u32),
                a.as_bytes(),
            ));
        }
        let n = (removed.len() + 1) as u32;
        let m = (added.len() + 1) as u32;
        f.hunks
            .push(Hunk::new(path, (start, n), (start, m), "", lines));
        f.loaded = true;
        f
    }

    pub fn commit_with(files: Vec<FileChange>) -> Commit {
        Commit {
            id: "a".repeat(40),
            tree_id: "b".repeat(40),
            parent_tree_ids: vec!["c".repeat(40)],
            files,
            complete: true,
            ..Commit::default()
        }
    }

    fn digest(files: Vec<FileChange>) -> Sha256Digest {
        content_digest(&commit_with(files)).unwrap()
    }

    #[test]
    fn line_numbers_and_context_do_not_count() {
        let a = digest(vec![text_file("a.py", 10, &["x = 1"], &["x = 2"])]);
        let mut moved = text_file("a.py", 99, &["x = 1"], &["x = 2"]);
        moved.hunks[0].lines[0] = Line::new(LineKind::Context, Some(99), Some(99), b"other");
        assert_eq!(a, digest(vec![moved]));
    }

    #[test]
    fn whitespace_and_newline_flags_count() {
        let a = digest(vec![text_file("a.py", 1, &["x = 1"], &["x = 2"])]);
        assert_ne!(
            a,
            digest(vec![text_file("a.py", 1, &["x = 1"], &[" x = 2"])])
        );
        assert_ne!(
            a,
            digest(vec![text_file("a.py", 1, &["x = 1"], &["x = 2 "])])
        );
        let mut f = text_file("a.py", 1, &["x = 1"], &["x = 2"]);
        f.hunks[0].lines[2].missing_newline = true;
        assert_ne!(a, digest(vec![f]));
    }

    #[test]
    fn framing_is_unambiguous() {
        // Moving a byte between two lines, or between path and line, changes the digest.
        let a = digest(vec![text_file("a", 1, &[], &["ab", "c"])]);
        assert_ne!(a, digest(vec![text_file("a", 1, &[], &["a", "bc"])]));
        assert_ne!(a, digest(vec![text_file("a", 1, &["ab"], &["c"])]));
    }

    #[test]
    fn file_order_does_not_matter_but_paths_and_modes_do() {
        let f1 = text_file("b.rs", 1, &[], &["1"]);
        let f2 = text_file("a.rs", 1, &[], &["2"]);
        let a = digest(vec![f1.clone(), f2.clone()]);
        assert_eq!(a, digest(vec![f2.clone(), f1.clone()]));
        let mut exec = f1.clone();
        exec.new_mode = 0o100755;
        assert_ne!(a, digest(vec![exec, f2.clone()]));
        let mut renamed = f1;
        renamed.new_path = Some("c.rs".into());
        renamed.change = ChangeKind::Renamed;
        assert_ne!(a, digest(vec![renamed, f2]));
    }

    #[test]
    fn binary_files_count_by_blob_id() {
        let mut bin = FileChange::new(
            Some("x.png".into()),
            Some("x.png".into()),
            ChangeKind::Modified,
        );
        bin.kind = FileKind::Binary;
        bin.old_id = "1".repeat(40);
        bin.new_id = "2".repeat(40);
        bin.loaded = true;
        let a = digest(vec![bin.clone()]);
        bin.new_id = "3".repeat(40);
        assert_ne!(a, digest(vec![bin]));
    }

    #[test]
    fn unloaded_files_are_refused() {
        let mut f = text_file("a", 1, &[], &["x"]);
        f.loaded = false;
        assert!(content_digest(&commit_with(vec![f])).is_err());
    }

    #[test]
    fn digest_spelling_is_unique() {
        let d = Sha256Digest::of(b"x");
        assert_eq!(Sha256Digest::parse(&d.to_string()), Some(d));
        assert_eq!(Sha256Digest::parse(&d.to_string().to_uppercase()), None);
        assert_eq!(
            Sha256Digest::parse(&format!("sha256:{}", &d.to_hex()[1..])),
            None
        );
    }
}

#[cfg(test)]
mod doc_example {
    use super::tests::{commit_with, text_file};
    use super::*;

    /// The worked example in docs/approval-format.md; if this fails, the format changed and
    /// the document (and every signed approval) with it.
    #[test]
    fn documented_example() {
        let f = text_file("src/lib.rs", 1, &["fn a() {}"], &["fn a() { retry(3) }"]);
        let stream = content_stream(std::slice::from_ref(&f));
        let hex: String = stream.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, DOC_STREAM);
        let d = content_digest(&commit_with(vec![f])).unwrap();
        assert_eq!(d.to_string(), DOC_DIGEST);
    }

    const DOC_STREAM: &str = concat!(
        "636f756e7465727369676e2d636f6e74656e742d763100",
        "0000000000000001",
        "46",
        "4d",
        "01000000000000000a7372632f6c69622e7273",
        "01000000000000000a7372632f6c69622e7273",
        "000081a4",
        "000081a4",
        "4c",
        "0000000000000002",
        "2d000000000000000009666e20612829207b7d",
        "2b000000000000000013666e20612829207b207265747279283329207d",
    );

    const DOC_DIGEST: &str =
        "sha256:29d89c5a90935618df4d22b407c37951ae5c00bd246e15748877fbad757e3060";
}
