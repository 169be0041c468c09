use std::borrow::Cow;

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
    pub bytes: Box<[u8]>,
    /// git's "\ No newline at end of file" applies to this line.
    pub missing_newline: bool,
}

impl Line {
    pub fn new(kind: LineKind, old_no: Option<u32>, new_no: Option<u32>, bytes: &[u8]) -> Line {
        Line {
            kind,
            old_no,
            new_no,
            bytes: bytes.into(),
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
