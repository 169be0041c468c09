//! The decision store: every decision and comment, kept by hunk identity so that it survives a
//! quit, a crash, an amend or a rebase. `Session` is the data and its rules; `store` puts it on
//! disk atomically.

pub mod rounds;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Anchor, Decision, HunkId, Review, Verdict};

pub use store::Store;

const FORMAT_VERSION: u32 = 1;
/// Undo steps kept on disk: enough for any sitting, small enough to rewrite on every keystroke.
const UNDO_LIMIT: usize = 200;

/// Where the reviewer was, per range, so that reopening resumes there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub commit: String,
    pub hunk: Option<HunkId>,
}

/// One undoable change: the hunk and what its decision was before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoStep {
    pub hunk: HunkId,
    pub before: Option<Decision>,
}

/// Everything remembered for one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    #[serde(default)]
    pub decisions: BTreeMap<HunkId, Decision>,
    /// Keyed by the range's tip commit, so a new tip after an amend starts at its first hunk.
    #[serde(default)]
    pub positions: BTreeMap<String, Position>,
    #[serde(default)]
    pub undo: Vec<UndoStep>,
    /// Every sitting on a change that moved since the one before (see `rounds`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<rounds::Round>,
    /// What the reviewer saw of the hunks of recent rounds, so a later round can show what
    /// changed since without the old commits.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen: BTreeMap<HunkId, rounds::Seen>,
    /// The round this sitting's decisions are made in (0 until the screen knows it).
    #[serde(skip)]
    pub round: u32,
    /// What this sitting's rounds are kept under: the branch, else the range (empty until the
    /// screen knows it, and in a screen without rounds).
    #[serde(skip)]
    pub subject: String,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            version: FORMAT_VERSION,
            decisions: BTreeMap::new(),
            positions: BTreeMap::new(),
            undo: Vec::new(),
            rounds: Vec::new(),
            seen: BTreeMap::new(),
            round: 0,
            subject: String::new(),
        }
    }
}

impl Session {
    pub fn decision(&self, id: &HunkId) -> Option<&Decision> {
        self.decisions.get(id)
    }

    pub fn verdict(&self, id: &HunkId) -> Option<Verdict> {
        self.decisions.get(id).and_then(|d| d.verdict)
    }

    /// Sets the verdict of a hunk made on `commit` at time `now`; undoable.
    pub fn set_verdict(&mut self, id: HunkId, verdict: Option<Verdict>, commit: &str, now: i64) {
        self.change(id, commit, now, |d| {
            d.verdict = verdict;
            d.unseen = false;
        });
    }

    /// Approves a hunk the reviewer confirmed approving without having seen all of it.
    pub fn approve_unseen(&mut self, id: HunkId, commit: &str, now: i64) {
        self.change(id, commit, now, |d| {
            d.verdict = Some(Verdict::Approved);
            d.unseen = true;
        });
    }

    /// Sets the comment of a hunk, about the lines of `anchor`; an empty comment removes it.
    /// Undoable.
    pub fn set_comment(
        &mut self,
        id: HunkId,
        comment: &str,
        anchor: Option<Anchor>,
        commit: &str,
        now: i64,
    ) {
        let comment = comment.trim_end().to_string();
        self.change(id, commit, now, |d| {
            d.anchor = if comment.is_empty() { None } else { anchor };
            d.comment = comment;
        });
    }

    fn change(&mut self, id: HunkId, commit: &str, now: i64, f: impl FnOnce(&mut Decision)) {
        let before = self.decisions.get(&id).cloned();
        let mut after = before.clone().unwrap_or_default();
        f(&mut after);
        if Some(&after) == before.as_ref() {
            return;
        }
        after.at = now;
        after.commit = commit.to_string();
        after.round = self.round;
        self.undo.push(UndoStep { hunk: id, before });
        if self.undo.len() > UNDO_LIMIT {
            self.undo.remove(0);
        }
        if after.is_empty() {
            self.decisions.remove(&id);
        } else {
            self.decisions.insert(id, after);
        }
    }

    /// Reverts the last change; returns the hunk it touched.
    pub fn undo(&mut self) -> Option<HunkId> {
        let step = self.undo.pop()?;
        match step.before {
            Some(d) => self.decisions.insert(step.hunk, d),
            None => self.decisions.remove(&step.hunk),
        };
        Some(step.hunk)
    }

    /// Decisions on hunks of `review` that were made on another commit: carried over from an
    /// earlier version of the change (an amend or a rebase).
    pub fn carried_over(&self, review: &Review) -> usize {
        review
            .commits
            .iter()
            .flat_map(|c| {
                c.files
                    .iter()
                    .flat_map(|f| f.hunks.iter())
                    .map(move |h| (c, h))
            })
            .filter(|(c, h)| {
                self.decisions.get(&h.id).is_some_and(|d| {
                    d.verdict.is_some() && !d.commit.is_empty() && d.commit != c.id
                })
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> HunkId {
        HunkId([n; 32])
    }

    #[test]
    fn verdicts_and_comments_are_undoable_in_order() {
        let mut s = Session::default();
        s.set_verdict(id(1), Some(Verdict::Approved), "c1", 10);
        s.set_comment(id(1), "looks fine\n", None, "c1", 11);
        s.set_verdict(id(2), Some(Verdict::Rejected), "c1", 12);
        assert_eq!(s.decision(&id(1)).unwrap().comment, "looks fine");
        assert_eq!(s.undo(), Some(id(2)));
        assert_eq!(s.verdict(&id(2)), None);
        assert_eq!(s.undo(), Some(id(1)));
        assert_eq!(s.decision(&id(1)).unwrap().comment, "");
        assert_eq!(s.verdict(&id(1)), Some(Verdict::Approved));
        assert_eq!(s.undo(), Some(id(1)));
        assert!(s.decisions.is_empty());
        assert_eq!(s.undo(), None);
    }

    #[test]
    fn no_op_changes_do_not_fill_the_undo_stack() {
        let mut s = Session::default();
        s.set_verdict(id(1), Some(Verdict::Approved), "c", 1);
        s.set_verdict(id(1), Some(Verdict::Approved), "c", 2);
        assert_eq!(s.undo.len(), 1);
    }

    #[test]
    fn round_trips_through_json() {
        let mut s = Session::default();
        s.set_verdict(id(7), Some(Verdict::NeedsWork), "abc", 5);
        s.positions.insert(
            "abc".into(),
            Position {
                commit: "abc".into(),
                hunk: Some(id(7)),
            },
        );
        let text = serde_json::to_string(&s).unwrap();
        let back: Session = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
