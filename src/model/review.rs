use super::{Commit, Hunk};

/// Where a hunk sits in a review: commit, file and hunk indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct HunkRef {
    pub commit: usize,
    pub file: usize,
    pub hunk: usize,
}

/// Everything under review: the commits of the range, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// What the reviewer asked for (`HEAD`, `main..feature`), for headers and messages.
    pub range: String,
    pub commits: Vec<Commit>,
    /// What the Terraform plan given with `--plan` destroys, for the header.
    pub plan_summary: Option<String>,
}

impl Review {
    pub fn hunk(&self, at: HunkRef) -> Option<&Hunk> {
        self.commits
            .get(at.commit)?
            .files
            .get(at.file)?
            .hunks
            .get(at.hunk)
    }

    pub fn hunk_mut(&mut self, at: HunkRef) -> Option<&mut Hunk> {
        self.commits
            .get_mut(at.commit)?
            .files
            .get_mut(at.file)?
            .hunks
            .get_mut(at.hunk)
    }

    /// Every hunk in file order: commit by commit, file by file.
    pub fn hunk_refs(&self) -> impl Iterator<Item = HunkRef> + '_ {
        self.commits.iter().enumerate().flat_map(|(c, commit)| {
            commit.files.iter().enumerate().flat_map(move |(f, file)| {
                (0..file.hunks.len()).map(move |h| HunkRef {
                    commit: c,
                    file: f,
                    hunk: h,
                })
            })
        })
    }

    /// Every hunk that needs a decision before countersigning.
    pub fn reviewable(&self) -> impl Iterator<Item = (HunkRef, &Hunk)> + '_ {
        self.hunk_refs()
            .filter_map(|r| self.hunk(r).map(|h| (r, h)))
            .filter(|(_, h)| h.needs_review())
    }

    /// Every commit's hunks are loaded and analysed.
    pub fn is_complete(&self) -> bool {
        self.commits.iter().all(|c| c.complete)
    }
}
