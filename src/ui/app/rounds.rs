//! The review screen's side of review rounds: opening this sitting's round once the review
//! is whole, and what the screen shows of it (the hunk or its interdiff, the earlier comments).

use super::{App, Notice};
use crate::model::HunkRef;

impl App {
    /// Keeps rounds under `subject`: this sitting's decisions are made in the round its tip
    /// opens (or resumes), which `open_round` compares with the last one once the review is
    /// whole.
    pub fn start_rounds(&mut self, subject: String) {
        self.session.round = self.session.round_for(&subject, &self.position_key);
        self.session.subject = subject;
    }

    /// Opens (or resumes) this sitting's round once the review is whole, and works out what
    /// changed since the reviewer's last one: the list's marks, the interdiffs, the earlier
    /// comments, and a notice of comments whose code is gone.
    pub fn open_round(&mut self, now: i64) {
        if self.session.subject.is_empty() || self.rounds.is_some() {
            return;
        }
        let subject = self.session.subject.clone();
        let hunks: Vec<(&str, &crate::model::Hunk)> = self
            .review
            .reviewable()
            .map(|(r, h)| (self.review.commits[r.commit].files[r.file].path(), h))
            .collect();
        let cmp = self
            .session
            .open_round(&subject, &self.position_key, &hunks, now);
        for (path, h) in &hunks {
            if let Some(crate::session::rounds::Since::Changed(was)) = cmp.since(&h.id) {
                if let Some(seen) = self.session.seen.get(&was) {
                    debug_assert_eq!(seen.path, *path);
                    // Drawn plain for a frame before the comparison was known: a flash is
                    // not a reading.
                    self.seen.remove(&h.id);
                    self.interdiffs
                        .insert(h.id, crate::session::rounds::interdiff(seen, h));
                }
            }
        }
        if cmp.fresh && !cmp.gone.is_empty() {
            let lines: Vec<String> = cmp
                .gone
                .iter()
                .map(|g| {
                    format!(
                        "your round-{} comment on {} @@ {} no longer applies: the code was removed",
                        g.round,
                        g.seen.path,
                        crate::text::printable(&g.seen.header)
                    )
                })
                .collect();
            self.notice = Some(Notice {
                text: lines.join("; "),
                error: false,
            });
        }
        self.rounds = Some(cmp);
    }

    /// How the hunk at `r` compares with the last round (None: no earlier round).
    pub fn since(&self, r: HunkRef) -> Option<crate::session::rounds::Since> {
        let cmp = self.rounds.as_ref()?;
        cmp.previous?;
        cmp.since(&self.review.hunk(r)?.id)
    }

    pub(super) fn is_changed_or_new(&self, r: HunkRef) -> bool {
        !matches!(
            self.since(r),
            Some(crate::session::rounds::Since::Unchanged) | None
        )
    }

    /// The hunk the screen shows for `r`: the interdiff of a changed hunk (until the reviewer
    /// switches to the plain hunk), else the hunk.
    pub fn shown(&self, r: HunkRef) -> Option<&crate::model::Hunk> {
        let h = self.review.hunk(r)?;
        if self.plain.contains(&h.id) || self.side_by_side {
            return Some(h);
        }
        Some(self.interdiffs.get(&h.id).unwrap_or(h))
    }

    /// The screen shows the interdiff of the hunk at `r`.
    pub fn showing_interdiff(&self, r: HunkRef) -> bool {
        match (self.review.hunk(r), self.shown(r)) {
            (Some(h), Some(s)) => !std::ptr::eq(h, s),
            _ => false,
        }
    }

    /// Earlier rounds' decisions and comments that stand beside the hunk at `r` until the
    /// reviewer decides it in this round.
    pub fn earlier(&self, r: HunkRef) -> &[crate::session::rounds::Earlier] {
        let Some(h) = self.review.hunk(r) else {
            return &[];
        };
        if self.session.verdict(&h.id).is_some() {
            return &[];
        }
        self.rounds
            .as_ref()
            .and_then(|c| c.earlier.get(&h.id))
            .map_or(&[], |v| v.as_slice())
    }
}
