//! Review rounds: each sitting on a change that moved since the reviewer's last sitting (an
//! amend, a rebase, new commits, a force-push) is a new round. A round keeps what the reviewer
//! saw of each hunk (its lines and place, in `Session::seen`, not only its id), so what changed
//! since can be shown after the old commits are gone (`git gc --prune=now`).
//!
//! Pure: the review screen calls [`Session::open_round`] once the review is loaded, and draws
//! the [`Comparison`] it returns.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Session;
use crate::model::{Decision, Hunk, HunkId, Line, LineKind, Located, Verdict};

/// Pairs whose lines agree less than this are a removed hunk and a new one, not one changed.
const PAIR_RATIO: f32 = 0.3;

/// One sitting's worth of what was reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// What was reviewed: the branch (`refs/heads/topic`) or the range as given.
    pub subject: String,
    /// 1, 2, … per subject.
    pub number: u32,
    /// The range's tip commit when the round opened: another tip is another round.
    pub tip: String,
    /// Seconds since the epoch.
    pub opened_at: i64,
    /// The hunks that needed review in this round, and the hunk of the round before that each
    /// is a new version of (the chain an audit follows back).
    pub hunks: Vec<RoundHunk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundHunk {
    pub id: HunkId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<HunkId>,
}

/// What the reviewer saw of a hunk: enough to show it again with no commit to read it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub path: String,
    pub header: String,
    pub old_start: u32,
    pub new_start: u32,
    /// Each line with its sign first (`+`, `-`, ` `), as in a patch.
    pub lines: Vec<String>,
}

impl Seen {
    pub fn of(path: &str, hunk: &Hunk) -> Seen {
        Seen {
            path: path.to_string(),
            header: hunk.header.clone(),
            old_start: hunk.old_start,
            new_start: hunk.new_start,
            lines: hunk
                .lines
                .iter()
                .map(|l| format!("{}{}", l.kind.sign(), l.text()))
                .collect(),
        }
    }

    /// The lines of one side (`Removed`: the old side, `Added`: the new side), context included.
    pub fn side(&self, kind: LineKind) -> Vec<&str> {
        let other = if kind == LineKind::Added { '-' } else { '+' };
        self.lines
            .iter()
            .filter(|l| !l.starts_with(other))
            .map(|l| l.get(1..).unwrap_or(""))
            .collect()
    }

    /// The hunk as it was, rebuilt as a model hunk (for the anchors of its comments).
    pub fn to_hunk(&self) -> Hunk {
        let (mut old, mut new) = (self.old_start, self.new_start);
        let lines = self
            .lines
            .iter()
            .map(|l| {
                let text = l.get(1..).unwrap_or("").as_bytes();
                match l.as_bytes().first() {
                    Some(b'+') => {
                        new += 1;
                        Line::new(LineKind::Added, None, Some(new - 1), text)
                    }
                    Some(b'-') => {
                        old += 1;
                        Line::new(LineKind::Removed, Some(old - 1), None, text)
                    }
                    _ => {
                        old += 1;
                        new += 1;
                        Line::new(LineKind::Context, Some(old - 1), Some(new - 1), text)
                    }
                }
            })
            .collect();
        Hunk::new(
            &self.path,
            (self.old_start, 0),
            (self.new_start, 0),
            &self.header,
            lines,
        )
    }
}

/// A hunk of this round compared with the round before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// The same change in the same place: its decision carried over.
    Unchanged,
    /// A new version of the hunk the reviewer saw as `was`.
    Changed(HunkId),
    /// Nothing like it was there.
    New,
}

/// A decision or comment of the round before that belongs beside a hunk now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    /// The hunk it was made on.
    pub hunk: HunkId,
    pub round: u32,
    pub decision: Decision,
    /// Where the comment's lines are now; None when they are gone (the comment is outdated).
    pub now: Option<Located>,
}

/// A commented hunk of the round before that is gone: its comment no longer applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    pub seen: Seen,
    pub round: u32,
    pub decision: Decision,
}

/// This round against the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub round: u32,
    /// The round compared with, if there was one.
    pub previous: Option<u32>,
    /// The round was opened by this sitting (not resumed).
    pub fresh: bool,
    pub since: HashMap<HunkId, Since>,
    /// Earlier decisions and comments, by the hunk they stand beside now.
    pub earlier: HashMap<HunkId, Vec<Earlier>>,
    /// Commented hunks of the round before that are gone.
    pub gone: Vec<Gone>,
    pub carried: usize,
    pub changed: usize,
    pub new: usize,
}

impl Comparison {
    pub fn since(&self, id: &HunkId) -> Option<Since> {
        self.since.get(id).copied()
    }

    /// `round 3: 12 carried over, 4 changed, 2 new`, once there is a round to compare with.
    pub fn headline(&self) -> Option<String> {
        self.previous?;
        let mut s = format!(
            "round {}: {} carried over, {} changed, {} new",
            self.round, self.carried, self.changed, self.new
        );
        if !self.gone.is_empty() {
            s.push_str(&format!(", {} comment(s) outdated", self.gone.len()));
        }
        Some(s)
    }
}

/// Hunks longer than this are not kept as seen: a generated file would make the session
/// file (rewritten on every decision) huge; such a hunk is compared by identity only.
const SEEN_MAX_LINES: usize = 5000;

/// The subject rounds are kept under: the branch when the range ends at its tip (so an amend,
/// a rebase or a force-push of it is the same subject), else the range as given (an older
/// slice of the branch is not the branch).
pub fn subject(spec: &str, branch: Option<&str>, ends_at_tip: bool) -> String {
    match branch {
        Some(b) if ends_at_tip => b.to_string(),
        _ => spec.to_string(),
    }
}

impl Session {
    /// The rounds of `subject`, oldest first.
    pub fn rounds_of<'a>(&'a self, subject: &'a str) -> impl Iterator<Item = &'a Round> + 'a {
        self.rounds.iter().filter(move |r| r.subject == subject)
    }

    /// The number of the latest round of `subject`, if any.
    pub fn last_round(&self, subject: &str) -> Option<u32> {
        self.rounds_of(subject).map(|r| r.number).max()
    }

    /// The number of the round a sitting on `subject` at `tip` is: the last one again when
    /// the tip did not move, else the next.
    pub fn round_for(&self, subject: &str, tip: &str) -> u32 {
        match self.rounds_of(subject).last() {
            Some(r) if r.tip == tip => r.number,
            Some(r) => r.number + 1,
            None => 1,
        }
    }

    /// Keeps only what was seen of the hunks of each subject's last two rounds: the one a new
    /// round is compared with, and the one before it for a resumed sitting.
    pub fn prune_seen(&mut self) {
        let mut keep: HashSet<HunkId> = HashSet::new();
        let subjects: HashSet<&str> = self.rounds.iter().map(|r| r.subject.as_str()).collect();
        for subject in subjects {
            let mut numbers: Vec<u32> = self.rounds_of(subject).map(|r| r.number).collect();
            numbers.sort_unstable();
            let recent = &numbers[numbers.len().saturating_sub(2)..];
            for r in self
                .rounds_of(subject)
                .filter(|r| recent.contains(&r.number))
            {
                keep.extend(r.hunks.iter().map(|h| h.id));
            }
        }
        self.seen.retain(|id, _| keep.contains(id));
    }

    /// Opens this sitting's round of `subject` at `tip` on the hunks needing review (`(path,
    /// hunk)` in review order), or resumes it when the tip is the last round's; says what
    /// changed since the round before.
    pub fn open_round(
        &mut self,
        subject: &str,
        tip: &str,
        hunks: &[(&str, &Hunk)],
        now: i64,
    ) -> Comparison {
        let last = self.rounds_of(subject).last().cloned();
        let (number, previous, fresh) = match &last {
            Some(r) if r.tip == tip => {
                let before = self
                    .rounds_of(subject)
                    .filter(|p| p.number < r.number)
                    .last()
                    .cloned();
                (r.number, before, false)
            }
            Some(r) => (r.number + 1, Some(r.clone()), true),
            None => (1, None, true),
        };
        let mut cmp = self.compare(previous.as_ref(), hunks);
        cmp.round = number;
        cmp.fresh = fresh;
        self.round = number;
        if fresh {
            for (path, h) in hunks {
                if h.lines.len() <= SEEN_MAX_LINES {
                    self.seen.entry(h.id).or_insert_with(|| Seen::of(path, h));
                }
            }
            let hunks = hunks
                .iter()
                .map(|(_, h)| RoundHunk {
                    id: h.id,
                    was: match cmp.since(&h.id) {
                        Some(Since::Changed(was)) => Some(was),
                        _ => None,
                    },
                })
                .collect();
            self.rounds.push(Round {
                subject: subject.to_string(),
                number,
                tip: tip.to_string(),
                opened_at: now,
                hunks,
            });
            self.prune_seen();
        }
        cmp
    }

    fn compare(&self, previous: Option<&Round>, hunks: &[(&str, &Hunk)]) -> Comparison {
        let mut cmp = Comparison::default();
        let Some(prev) = previous else {
            return cmp;
        };
        cmp.previous = Some(prev.number);
        let now_ids: HashSet<HunkId> = hunks.iter().map(|(_, h)| h.id).collect();
        let before: HashSet<HunkId> = prev.hunks.iter().map(|h| h.id).collect();
        let left: Vec<(HunkId, &Seen)> = prev
            .hunks
            .iter()
            .filter(|h| !now_ids.contains(&h.id))
            .filter_map(|h| self.seen.get(&h.id).map(|s| (h.id, s)))
            .collect();
        let fresh: Vec<&(&str, &Hunk)> = hunks
            .iter()
            .filter(|(_, h)| !before.contains(&h.id))
            .collect();
        // Best pairs first, each side used once.
        let mut scored = Vec::new();
        for (i, (path, h)) in fresh.iter().enumerate() {
            for (j, (_, seen)) in left.iter().enumerate() {
                if seen.path == *path {
                    let score = likeness(seen, h);
                    if score >= PAIR_RATIO {
                        scored.push((score, i, j));
                    }
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (mut used_now, mut used_prev) = (HashSet::new(), HashSet::new());
        let mut pair: BTreeMap<usize, usize> = BTreeMap::new();
        for (_, i, j) in scored {
            if !used_now.contains(&i) && !used_prev.contains(&j) {
                used_now.insert(i);
                used_prev.insert(j);
                pair.insert(i, j);
            }
        }
        for (_, h) in hunks {
            let since = if before.contains(&h.id) {
                Since::Unchanged
            } else {
                Since::New
            };
            cmp.since.insert(h.id, since);
        }
        for (&i, &j) in &pair {
            cmp.since.insert(fresh[i].1.id, Since::Changed(left[j].0));
        }
        for s in cmp.since.values() {
            match s {
                Since::Unchanged => cmp.carried += 1,
                Since::Changed(_) => cmp.changed += 1,
                Since::New => cmp.new += 1,
            }
        }
        // Earlier decisions go beside the hunk their comment's lines are in now, else beside
        // the hunk's new version (outdated); with neither, a comment is listed as gone.
        let paired_to: HashMap<usize, usize> = pair.iter().map(|(&i, &j)| (j, i)).collect();
        for (j, (id, seen)) in left.iter().enumerate() {
            let Some(d) = self.decisions.get(id) else {
                continue;
            };
            let round = if d.round > 0 { d.round } else { prev.number };
            let located = d.anchor.as_ref().and_then(|a| {
                hunks
                    .iter()
                    .find_map(|(path, h)| a.locate(path, h).map(|l| (h.id, l)))
            });
            let beside = located
                .map(|(id, _)| id)
                .or_else(|| paired_to.get(&j).map(|&i| fresh[i].1.id));
            match beside {
                Some(at) => cmp.earlier.entry(at).or_default().push(Earlier {
                    hunk: *id,
                    round,
                    decision: d.clone(),
                    now: located.map(|(_, l)| l),
                }),
                None if !d.comment.is_empty() => cmp.gone.push(Gone {
                    seen: (*seen).clone(),
                    round,
                    decision: d.clone(),
                }),
                None => {}
            }
        }
        cmp
    }

    /// The verdicts given to earlier versions of hunk `id`, oldest first, following each
    /// round's links back: "approved after two rejections" reads `[(1, rejected), (2,
    /// rejected)]`.
    pub fn history(&self, subject: &str, id: HunkId) -> Vec<(u32, Verdict)> {
        let rounds: Vec<&Round> = self.rounds_of(subject).collect();
        let mut out = Vec::new();
        let mut at = id;
        for r in rounds.iter().rev() {
            let Some(was) = r.hunks.iter().find(|h| h.id == at).and_then(|h| h.was) else {
                continue;
            };
            if let Some(v) = self.decisions.get(&was).and_then(|d| d.verdict) {
                let round = self.decisions[&was].round;
                out.push((if round > 0 { round } else { r.number - 1 }, v));
            }
            at = was;
        }
        out.reverse();
        out
    }
}

/// How alike a hunk is to what was seen: the share of lines they have in common.
fn likeness(seen: &Seen, h: &Hunk) -> f32 {
    let now = Seen::of(&seen.path, h);
    let a: Vec<&str> = seen.lines.iter().map(String::as_str).collect();
    let b: Vec<&str> = now.lines.iter().map(String::as_str).collect();
    let ratio = similar::TextDiff::from_slices(&a, &b).ratio();
    // The same place counts too: an amend that rewrote every changed line in place keeps
    // its context.
    let overlaps = seen.new_start <= h.new_start + h.new_lines
        && h.new_start <= seen.new_start + seen.lines.len() as u32;
    if overlaps {
        ratio.max(PAIR_RATIO)
    } else {
        ratio
    }
}

/// The hunk as last reviewed against the hunk now: the file's lines after the change then
/// and now (before the change, when only what was removed differs), diffed line by line. The
/// old numbers are the reviewed version's, the new ones today's; drawn like any hunk, so the
/// word-level emphasis shows the words that changed since.
pub fn interdiff(seen: &Seen, now: &Hunk) -> Hunk {
    let now_seen = Seen::of(&seen.path, now);
    let (mut kind, mut a_start, mut b_start) = (LineKind::Added, seen.new_start, now.new_start);
    if seen.side(LineKind::Added) == now_seen.side(LineKind::Added) {
        kind = LineKind::Removed;
        a_start = seen.old_start;
        b_start = now.old_start;
    }
    let a = seen.side(kind);
    let b = now_seen.side(kind);
    let diff = similar::TextDiff::from_slices(&a, &b);
    let (mut o, mut n) = (a_start, b_start);
    let mut lines = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value().as_bytes();
        match change.tag() {
            similar::ChangeTag::Equal => {
                lines.push(Line::new(LineKind::Context, Some(o), Some(n), text));
                o += 1;
                n += 1;
            }
            similar::ChangeTag::Delete => {
                lines.push(Line::new(LineKind::Removed, Some(o), None, text));
                o += 1;
            }
            similar::ChangeTag::Insert => {
                lines.push(Line::new(LineKind::Added, None, Some(n), text));
                n += 1;
            }
        }
    }
    let mut h = Hunk::new(
        &seen.path,
        (a_start, a.len() as u32),
        (b_start, b.len() as u32),
        &now.header,
        lines,
    );
    h.origin = now.origin.clone();
    h
}

#[cfg(test)]
#[path = "rounds_tests.rs"]
mod tests;
