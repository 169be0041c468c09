use super::{Evidence, FileChange};

/// The empty tree's id, in each object format.
pub const EMPTY_TREE_SHA1: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
pub const EMPTY_TREE_SHA256: &str =
    "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321";

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
    /// An approval in the message that no longer covers the commit, and where they differ:
    /// what to look at again before re-signing.
    pub stale_approval: Option<StaleApproval>,
}

/// An earlier approval of a commit that the commit has since moved away from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaleApproval {
    pub reviewer: String,
    /// Seconds since the epoch, as the approval claims.
    pub time: i64,
    /// The files whose change differs from the approved one.
    pub paths: Vec<String>,
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

    /// The tree the commit's change applies to: its first parent's, or for a root commit the
    /// empty tree (of the object format its ids have).
    pub fn base_tree(&self) -> &str {
        match self.parent_tree_ids.first() {
            Some(tree) => tree,
            None if self.tree_id.len() == 64 => EMPTY_TREE_SHA256,
            None => EMPTY_TREE_SHA1,
        }
    }
}
