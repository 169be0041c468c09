use super::{Evidence, FileChange};

/// An author or committer signature.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub time: i64,
}

impl Person {
    pub fn ident(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

/// One reviewed commit: its diff against its first parent (or the empty tree for a root).
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub id: String,
    pub parent_ids: Vec<String>,
    pub tree_id: String,
    pub parent_tree_ids: Vec<String>,
    pub author: Person,
    pub committer: Person,
    pub summary: String,
    pub message: String,
    /// Commit-level evidence that an AI wrote (part of) it, strongest first.
    pub evidence: Vec<Evidence>,
    /// The commit has line-level attribution (git-ai notes), so hunks are judged one by one.
    pub has_line_attribution: bool,
    pub files: Vec<FileChange>,
    /// Every file's hunks are loaded and analysed.
    pub complete: bool,
}

impl Commit {
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }

    pub fn is_ai_assisted(&self) -> bool {
        !self.evidence.is_empty()
    }

    pub fn is_merge(&self) -> bool {
        self.parent_ids.len() > 1
    }
}
