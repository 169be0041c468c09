use std::fmt;

use sha2::{Digest, Sha256};

use super::{Evidence, Finding, Line, LineKind, Origin, Severity};

/// A hunk's identity is its content in its place: the file's path, the function context git
/// names, and the exact lines with their context, in order, without line numbers. An amend or
/// a rebase that leaves a hunk and its surroundings alone keeps its identity (and so its
/// decision); a change to its lines, or the same lines moved to another place, gives it a new
/// one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HunkId(pub [u8; 32]);

impl HunkId {
    pub fn of(path: &str, header: &str, lines: &[Line]) -> HunkId {
        let mut h = Sha256::new();
        h.update(b"countersign-hunk-v2\0");
        h.update(path.as_bytes());
        h.update(b"\0");
        h.update((header.len() as u64).to_le_bytes());
        h.update(header.as_bytes());
        for line in lines {
            h.update([line.kind.sign() as u8]);
            h.update((line.bytes.len() as u64).to_le_bytes());
            h.update(&line.bytes);
            h.update([u8::from(line.missing_newline)]);
        }
        HunkId(h.finalize().into())
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<HunkId> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(HunkId(out))
    }
}

impl fmt::Debug for HunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HunkId({})", &self.to_hex()[..12])
    }
}

impl fmt::Display for HunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl serde::Serialize for HunkId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for HunkId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HunkId::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not a hunk id"))
    }
}

/// A contiguous change in one file, as git's unified diff cuts it.
#[derive(Debug, Clone)]
pub struct Hunk {
    pub id: HunkId,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    /// The function context git prints after `@@ … @@`.
    pub header: String,
    pub lines: Vec<Line>,
    /// Who wrote it, as far as the evidence says (set by `detect`).
    pub origin: Origin,
    /// Line-level evidence (git-ai notes) that made this hunk AI-touched, if any.
    pub evidence: Vec<Evidence>,
    /// What the risk engine found (set by `risk`), most severe first.
    pub findings: Vec<Finding>,
    /// Findings dropped by the per-hunk cap, so the UI can say how many more there were.
    pub findings_omitted: usize,
}

impl Hunk {
    pub fn new(
        path: &str,
        old: (u32, u32),
        new: (u32, u32),
        header: &str,
        lines: Vec<Line>,
    ) -> Hunk {
        Hunk {
            id: HunkId::of(path, header, &lines),
            old_start: old.0,
            old_lines: old.1,
            new_start: new.0,
            new_lines: new.1,
            header: header.to_string(),
            lines,
            origin: Origin::Unknown,
            evidence: Vec::new(),
            findings: Vec::new(),
            findings_omitted: 0,
        }
    }

    /// Keeps the findings `keep` says yes to, judged with the hunk's lines in view (which a
    /// plain `findings.retain` cannot lend while it changes the list).
    pub fn retain_findings(&mut self, keep: impl Fn(&Hunk, &Finding) -> bool) {
        let verdicts: Vec<bool> = self.findings.iter().map(|x| keep(self, x)).collect();
        let mut verdicts = verdicts.into_iter();
        self.findings.retain(|_| verdicts.next().unwrap_or(true));
    }

    /// A change with no lines to show (binary content, a mode change, a pure rename, a
    /// submodule bump), which still needs its own decision. `identity` is what makes it this
    /// change (blob ids, modes, paths), so that it carries over exactly like a text hunk.
    pub fn file_level(path: &str, summary: &str, identity: &[u8]) -> Hunk {
        let mut h = Sha256::new();
        h.update(b"countersign-file-v1\0");
        h.update(path.as_bytes());
        h.update(b"\0");
        h.update(identity);
        let mut hunk = Hunk::new(path, (0, 0), (0, 0), summary, Vec::new());
        hunk.id = HunkId(h.finalize().into());
        hunk
    }

    /// This hunk stands for a whole-file change and has no lines.
    pub fn is_file_level(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn added(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.kind == LineKind::Added)
            .count()
    }

    pub fn removed(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.kind == LineKind::Removed)
            .count()
    }

    /// The most severe finding, which is the hunk's risk badge.
    pub fn risk(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Needs a human decision before the commit can be countersigned.
    pub fn needs_review(&self) -> bool {
        self.origin.is_ai_touched()
    }

    /// The first changed line: where the reviewer's eye (and `$EDITOR`) should go.
    pub fn first_change(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.is_change())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk(header: &str, before: &[u8], at: u32) -> Hunk {
        let lines = vec![
            Line::new(LineKind::Context, Some(at), Some(at), before),
            Line::new(
                LineKind::Removed,
                Some(at + 1),
                None,
                b"    check_auth(user)",
            ),
        ];
        Hunk::new("app.py", (at, 2), (at, 1), header, lines)
    }

    /// A decision carries over only to the same change in the same place: the line numbers
    /// may move (a rebase above it), the function and the surrounding lines may not.
    #[test]
    fn identity_is_the_change_in_its_place() {
        let approved = hunk("def test_helper(user):", b"def test_helper(user):", 1);
        assert_eq!(
            approved.id,
            hunk("def test_helper(user):", b"def test_helper(user):", 40).id
        );
        let other_function = hunk("def delete_account(user):", b"def delete_account(user):", 6);
        assert_ne!(approved.id, other_function.id);
        let other_context = hunk("def test_helper(user):", b"    # audited", 1);
        assert_ne!(approved.id, other_context.id);
    }
}
