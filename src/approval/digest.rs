//! The content digest: the change the reviewer saw, in its place, reduced to 32 bytes.
//!
//! It covers, per changed file in path order: the paths (their exact bytes), the modes, the kind
//! of change, the blob ids before and after, and every hunk's lines with their context, in
//! order, as a patch shows them, without line numbers. The blob ids are what places the
//! change: two look-alike places in one file have the same context but not the same file, so
//! moving an approved line, or gathering approved lines elsewhere, gives another digest. The
//! lines are there so the digest says what was read, not only which files. Every field is
//! length-prefixed, so no two different changes frame to the same byte stream. The framing is
//! documented byte for byte in docs/approval-format.md and versioned by its domain tag.

use std::fmt;

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

use crate::model::FileChange;

/// The domain tag that starts the digested stream; a new framing gets a new tag.
pub const CONTENT_DOMAIN: &[u8] = b"countersign-content-v2\0";

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

/// The digest of a change (a commit against its first parent, or a branch's combined change),
/// as reviewed.
///
/// Fails when a file's hunks are not loaded yet: a digest over paths alone would approve
/// content nobody has seen.
pub fn content_digest(files: &[FileChange]) -> Result<Sha256Digest> {
    if let Some(file) = files.iter().find(|f| !f.loaded) {
        bail!(
            "cannot digest the change: the hunks of {} are not loaded yet",
            file.path()
        );
    }
    Ok(Sha256Digest(Sha256::digest(content_stream(files)).into()))
}

/// The exact byte stream that is hashed, exposed for the format's documentation and tests.
pub fn content_stream(files: &[FileChange]) -> Vec<u8> {
    let mut order: Vec<&FileChange> = files.iter().collect();
    // Path order by bytes, so the digest doesn't depend on the order the loader produced.
    order.sort_by(|a, b| {
        (a.new_path_bytes(), a.old_path_bytes()).cmp(&(b.new_path_bytes(), b.old_path_bytes()))
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
    put_opt_bytes(out, file.old_path_bytes());
    put_opt_bytes(out, file.new_path_bytes());
    out.extend_from_slice(&file.old_mode.to_be_bytes());
    out.extend_from_slice(&file.new_mode.to_be_bytes());
    // An absent side (added or deleted file) has mode 0 and no blob.
    let id = |mode: u32, id: &str| (mode != 0).then(|| id.as_bytes().to_vec());
    put_opt_bytes(out, id(file.old_mode, &file.old_id).as_deref());
    put_opt_bytes(out, id(file.new_mode, &file.new_id).as_deref());
    let hunks: Vec<_> = file.hunks.iter().filter(|h| !h.is_file_level()).collect();
    put_u64(out, hunks.len() as u64);
    for hunk in hunks {
        out.push(b'H');
        put_u64(out, hunk.lines.len() as u64);
        for line in &hunk.lines {
            out.push(line.kind.sign() as u8);
            out.push(u8::from(line.missing_newline));
            put_u64(out, line.bytes.len() as u64);
            out.extend_from_slice(&line.bytes);
        }
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
    use crate::model::{ChangeKind, Commit, FileKind, Hunk, Line, LineKind};

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
        content_digest(&files).unwrap()
    }

    #[test]
    fn line_numbers_do_not_count_but_context_and_place_do() {
        let a = digest(vec![text_file("a.py", 10, &["x = 1"], &["x = 2"])]);
        assert_eq!(
            a,
            digest(vec![text_file("a.py", 99, &["x = 1"], &["x = 2"])])
        );
        let mut other_context = text_file("a.py", 10, &["x = 1"], &["x = 2"]);
        other_context.hunks[0].lines[0] =
            Line::new(LineKind::Context, Some(10), Some(10), b"other");
        assert_ne!(a, digest(vec![other_context]));
        // The same lines in the other of two look-alike places: same context, other file.
        let mut elsewhere = text_file("a.py", 10, &["x = 1"], &["x = 2"]);
        elsewhere.new_id = "9".repeat(40);
        assert_ne!(a, digest(vec![elsewhere]));
    }

    #[test]
    fn paths_count_as_raw_bytes() {
        let mut fe = text_file("cfg/\u{fffd}.sh", 1, &[], &["x"]);
        let mut ff = fe.clone();
        fe.raw_new_path = Some(b"cfg/\xfe.sh".as_slice().into());
        ff.raw_new_path = Some(b"cfg/\xff.sh".as_slice().into());
        assert_ne!(digest(vec![fe]), digest(vec![ff]));
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
        bin.old_mode = 0o100644;
        bin.new_mode = 0o100644;
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
        assert!(content_digest(&[f]).is_err());
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
    use super::*;
    use crate::model::{ChangeKind, Hunk, Line, LineKind};

    /// The worked example in docs/approval-format.md: `src/lib.rs` going from `fn a() {}` to
    /// `fn a() { retry(3) }` (one line, so the hunk has no context). If this fails, the format
    /// changed, and the document (and every signed approval) with it.
    pub fn example() -> FileChange {
        let mut f = FileChange::new(
            Some("src/lib.rs".into()),
            Some("src/lib.rs".into()),
            ChangeKind::Modified,
        );
        f.old_mode = 0o100644;
        f.new_mode = 0o100644;
        f.old_id = "ca05282d78fc4edbdc73e5ec2ce1fe1e16725e42".into();
        f.new_id = "61e9c47d03aa8fe7fbef9f435b12fd731eb96020".into();
        let lines = vec![
            Line::new(LineKind::Removed, Some(1), None, b"fn a() {}"),
            Line::new(LineKind::Added, None, Some(1), b"fn a() { retry(3) }"),
        ];
        f.hunks
            .push(Hunk::new("src/lib.rs", (1, 1), (1, 1), "", lines));
        f.loaded = true;
        f
    }

    #[test]
    fn documented_example() {
        let f = example();
        let stream = content_stream(std::slice::from_ref(&f));
        let hex: String = stream.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, DOC_STREAM.concat());
        let d = content_digest(&[f]).unwrap();
        assert_eq!(d.to_string(), DOC_DIGEST);
    }

    const DOC_STREAM: &[&str] = &[
        "636f756e7465727369676e2d636f6e74656e742d763200",
        "0000000000000001",
        "46",
        "4d",
        "01000000000000000a7372632f6c69622e7273",
        "01000000000000000a7372632f6c69622e7273",
        "000081a4",
        "000081a4",
        "01000000000000002863613035323832643738666334656462646337336535656332636531666531653136373235653432",
        "01000000000000002836316539633437643033616138666537666265663966343335623132666437333165623936303230",
        "0000000000000001",
        "48",
        "0000000000000002",
        "2d000000000000000009666e20612829207b7d",
        "2b000000000000000013666e20612829207b207265747279283329207d",
    ];

    const DOC_DIGEST: &str =
        "sha256:4978ef6b030344bfdf34ac289c32f6f121d6783c641310ac02386a9f3fe3886f";
}
