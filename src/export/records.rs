//! Decisions from the review records in `refs/notes/countersign`: the latest record of each
//! reviewer, merged per hunk.

use std::collections::BTreeMap;

use crate::approval::ReviewRecord;
use crate::model::{Decision, HunkId, Verdict};

/// The latest record of each reviewer (by time; a later line wins a tie), in the order the
/// reviewers first appear. An earlier record of the same reviewer was superseded.
pub fn latest_per_reviewer(records: &[ReviewRecord]) -> Vec<&ReviewRecord> {
    let mut latest: Vec<&ReviewRecord> = Vec::new();
    for r in records {
        match latest.iter_mut().find(|l| l.reviewer == r.reviewer) {
            Some(l) if l.time <= r.time => *l = r,
            Some(_) => {}
            None => latest.push(r),
        }
    }
    latest
}

/// The decisions of several reviewers' records, merged per hunk: the gravest verdict wins
/// (rejected over needs work over approved), so one reviewer's objection is never hidden by
/// another's approval; with more than one reviewer, each comment is prefixed with its author.
pub fn decisions_from_records(records: &[&ReviewRecord]) -> BTreeMap<HunkId, Decision> {
    let grave = |v: Option<Verdict>| match v {
        None => 0,
        Some(Verdict::Approved) => 1,
        Some(Verdict::NeedsWork) => 2,
        Some(Verdict::Rejected) => 3,
    };
    let mut out: BTreeMap<HunkId, Decision> = BTreeMap::new();
    for r in records {
        let at = crate::timefmt::parse_rfc3339(&r.time).unwrap_or(0);
        for h in &r.hunks {
            let d = out.entry(h.hunk).or_default();
            if grave(h.verdict) > grave(d.verdict) {
                d.verdict = h.verdict;
            }
            let comment = h.comment.trim();
            if !comment.is_empty() {
                if !d.comment.is_empty() {
                    d.comment.push_str("\n\n");
                }
                if records.len() > 1 {
                    d.comment.push_str(&format!("{}: ", r.reviewer));
                }
                d.comment.push_str(comment);
            }
            d.at = d.at.max(at);
            d.round = d.round.max(h.round.unwrap_or(0));
            if d.commit.is_empty() {
                d.commit = r.commits.last().cloned().unwrap_or_default();
            }
        }
    }
    out.retain(|_, d| !d.is_empty());
    out
}
