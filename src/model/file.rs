use super::{Hunk, Severity};

/// What happened to the file as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
    Renamed,
    Copied,
    /// A file became a symlink or a submodule, or the other way round.
    TypeChanged,
}

impl ChangeKind {
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
            ChangeKind::Modified => 'M',
            ChangeKind::Renamed => 'R',
            ChangeKind::Copied => 'C',
            ChangeKind::TypeChanged => 'T',
        }
    }
}

/// What kind of content the file holds, which decides how it is shown and digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Text,
    Binary,
    Symlink,
    Submodule,
}

/// One changed file of a commit.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Path before the change (None for an added file).
    pub old_path: Option<String>,
    /// Path after the change (None for a deleted file).
    pub new_path: Option<String>,
    pub old_mode: u32,
    pub new_mode: u32,
    /// Blob ids (hex), the identity of binary content.
    pub old_id: String,
    pub new_id: String,
    pub change: ChangeKind,
    pub kind: FileKind,
    /// Rename/copy similarity in percent.
    pub similarity: Option<u16>,
    pub hunks: Vec<Hunk>,
    /// Lines added and removed; known from the file listing before hunks are loaded.
    pub added: usize,
    pub removed: usize,
    /// Sizes in bytes of the old and new blobs.
    pub old_size: u64,
    pub new_size: u64,
    /// Hunks have been read from git (the background loader fills them in).
    pub loaded: bool,
    /// The risk engine has scanned the file: its findings are known.
    pub analysed: bool,
    /// Some line is not valid UTF-8 and is shown lossily.
    pub lossy: bool,
    /// The new side uses CRLF line endings.
    pub crlf: bool,
    /// File-level findings (deleted file, binary, mode change…), which belong to no single hunk.
    pub findings: Vec<super::Finding>,
    /// The paths' exact bytes where they are not UTF-8 (`old_path`/`new_path` are then lossy):
    /// the approval digest must tell `cfg/\xfe.sh` from `cfg/\xff.sh`.
    pub raw_old_path: Option<Box<[u8]>>,
    pub raw_new_path: Option<Box<[u8]>>,
}

impl FileChange {
    pub fn new(old_path: Option<String>, new_path: Option<String>, change: ChangeKind) -> Self {
        FileChange {
            old_path,
            new_path,
            old_mode: 0,
            new_mode: 0,
            old_id: String::new(),
            new_id: String::new(),
            change,
            kind: FileKind::Text,
            similarity: None,
            hunks: Vec::new(),
            added: 0,
            removed: 0,
            old_size: 0,
            new_size: 0,
            loaded: false,
            analysed: false,
            lossy: false,
            crlf: false,
            findings: Vec::new(),
            raw_old_path: None,
            raw_new_path: None,
        }
    }

    /// The old path's exact bytes, as git stores them.
    pub fn old_path_bytes(&self) -> Option<&[u8]> {
        self.raw_old_path
            .as_deref()
            .or(self.old_path.as_deref().map(str::as_bytes))
    }

    /// The new path's exact bytes, as git stores them.
    pub fn new_path_bytes(&self) -> Option<&[u8]> {
        self.raw_new_path
            .as_deref()
            .or(self.new_path.as_deref().map(str::as_bytes))
    }

    /// The path the file has now (its old path if it was deleted).
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }

    /// Every path the change touches: the old one and the new one, where they exist.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        [self.old_path.as_deref(), self.new_path.as_deref()]
            .into_iter()
            .flatten()
    }

    /// `old → new` for a rename or copy, else the path.
    pub fn display_path(&self) -> String {
        match (&self.old_path, &self.new_path) {
            (Some(old), Some(new)) if old != new => format!("{old} → {new}"),
            _ => self.path().to_string(),
        }
    }

    pub fn mode_changed(&self) -> bool {
        self.old_mode != 0 && self.new_mode != 0 && self.old_mode != self.new_mode
    }

    /// The file's risk badge: its own findings and its hunks'.
    pub fn risk(&self) -> Option<Severity> {
        let own = self.findings.iter().map(|f| f.severity).max();
        let hunks = self.hunks.iter().filter_map(|h| h.risk()).max();
        own.max(hunks)
    }
}
