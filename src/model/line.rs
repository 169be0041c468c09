use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

/// Which side of the diff a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

impl LineKind {
    /// The sign column, so that added and removed lines are told apart without colour.
    pub fn sign(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Added => '+',
            LineKind::Removed => '-',
        }
    }
}

/// One line of a hunk, kept as the exact bytes git stored.
///
/// The bytes are kept raw (not decoded) because the approval digest must be byte-exact and a
/// non-UTF-8 file must not be silently normalised; `text()` decodes for display and analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    /// The line's bytes without its trailing `\n` (a `\r` of a CRLF file stays).
    pub bytes: Text,
    /// git's "\ No newline at end of file" applies to this line.
    pub missing_newline: bool,
}

impl Line {
    pub fn new(kind: LineKind, old_no: Option<u32>, new_no: Option<u32>, bytes: &[u8]) -> Line {
        Line {
            kind,
            old_no,
            new_no,
            bytes: Text::new(bytes),
            missing_newline: false,
        }
    }

    /// The text for display and pattern matching; invalid UTF-8 becomes U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// The text had bytes that are not UTF-8, so `text()` is an approximation.
    pub fn is_lossy(&self) -> bool {
        std::str::from_utf8(&self.bytes).is_err()
    }

    pub fn is_change(&self) -> bool {
        self.kind != LineKind::Context
    }

    /// The line number a reader would look for: the new side's, or the old side's for a removal.
    pub fn number(&self) -> Option<u32> {
        self.new_no.or(self.old_no)
    }
}

/// A line's bytes: a slice of one buffer that its hunk's lines share, read as `[u8]`.
///
/// Why not a `Box<[u8]>` each: a patch is mostly short lines, and one allocation per line cost
/// about as much memory again as the text itself (malloc's header and rounding on ~40 bytes),
/// plus a call to malloc and one to free per line; a hunk's lines now make one allocation.
#[derive(Clone)]
pub struct Text {
    buf: Arc<[u8]>,
    start: u32,
    len: u32,
}

impl Text {
    /// The bytes in a buffer of their own. A line is never 4 GiB long (git does not diff such
    /// a file as text); if one were, it would read as its first 4 GiB.
    pub fn new(bytes: &[u8]) -> Text {
        Text {
            buf: Arc::from(bytes),
            start: 0,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        }
    }

    /// `range` of `buf`, shared with the other lines cut from it. A range past 4 GiB into the
    /// buffer is copied into a buffer of its own; one outside it reads as empty.
    pub fn shared(buf: &Arc<[u8]>, range: std::ops::Range<usize>) -> Text {
        match (u32::try_from(range.start), u32::try_from(range.len())) {
            (Ok(start), Ok(len)) if range.end <= buf.len() => Text {
                buf: Arc::clone(buf),
                start,
                len,
            },
            _ => Text::new(buf.get(range).unwrap_or_default()),
        }
    }
}

impl Deref for Text {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        let start = self.start as usize;
        &self.buf[start..start + self.len as usize]
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

impl From<&[u8]> for Text {
    fn from(bytes: &[u8]) -> Text {
        Text::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cut_from_one_buffer_read_as_their_own_bytes() {
        let buf: Arc<[u8]> = Arc::from(&b"fn main() {}hello"[..]);
        let (a, b) = (Text::shared(&buf, 0..12), Text::shared(&buf, 12..17));
        assert_eq!(&*a, b"fn main() {}");
        assert_eq!(&*b, b"hello");
        assert_eq!(b, Text::new(b"hello"));
        assert_ne!(a, b);
        assert!(Text::shared(&buf, 17..17).is_empty());
        // A range that is not in the buffer is no panic: an empty line.
        assert!(Text::shared(&buf, 10..40).is_empty());
    }
}
