//! The review screen's state. Plain data plus the derived navigation order; `update` changes it,
//! `view` draws it, and neither touches git or the disk.

use crate::load::LoadEvent;
use crate::model::{HunkRef, Review, Severity, Verdict};
use crate::session::{Position, Session};

use super::keymap::Keymap;

mod rounds;
use super::textbox::TextBox;

/// The order hunks are walked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Commit by commit, file by file, as git lists them.
    File,
    /// Riskiest first: critical hunks, then high, …, then hunks with no finding.
    Triage,
}

/// What the reviewer must answer before something happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Approve a hunk not every line of which has been on screen.
    ApproveUnseen,
    /// Approving a critical hunk takes its own keypress.
    ApproveCritical,
    /// Write the signed approval.
    Sign,
    /// Some hunks were rejected or need work: export the review instead of signing.
    Export,
}

/// A window over the main screen; Esc closes any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The keys, generated from the keymap; the number is the first entry shown (it scrolls
    /// on a small terminal instead of cutting entries short).
    Help(usize),
    Comment(TextBox),
    Search(String),
    Confirm(Confirm),
    /// A result to read (what signing did, why it was refused): wrapped to the window,
    /// scrolled with j/k, closed with any other key.
    Message(Message),
    /// Go to a file by a fuzzy match of its path.
    Finder(Finder),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub text: String,
    pub error: bool,
    /// First wrapped line shown.
    pub scroll: usize,
}

/// Which commits and files of the list are folded (their hunks, or files, hidden). A default
/// with exceptions, so commits that arrive later from the loader fold like the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folds {
    pub files: bool,
    pub commits: bool,
    pub file: std::collections::HashMap<(usize, usize), bool>,
    pub commit: std::collections::HashMap<usize, bool>,
}

impl Folds {
    pub fn file_folded(&self, c: usize, f: usize) -> bool {
        self.file.get(&(c, f)).copied().unwrap_or(self.files)
    }

    pub fn commit_folded(&self, c: usize) -> bool {
        self.commit.get(&c).copied().unwrap_or(self.commits)
    }
}

/// Above this many list rows a review opens with its files folded: 3,000 hunk rows are not a
/// list anyone reads.
pub const FOLD_ABOVE_ROWS: usize = 400;

/// A file the finder can go to: where its first hunk is, and what is shown for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finder {
    pub query: String,
    /// Index into the current matches of the highlighted one.
    pub selected: usize,
}

/// One row of the file/hunk list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Commit(usize),
    File(usize, usize),
    Hunk(HunkRef),
}

/// A line for the status bar that stays until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// Progress of the decisions on hunks that need review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub decided: usize,
    pub total: usize,
    pub approved: usize,
    pub rejected: usize,
    pub needs_work: usize,
    /// Reviewable hunks per severity of their worst finding: critical, high, medium, low.
    pub by_severity: [usize; 4],
}

pub struct App {
    pub review: Review,
    pub session: Session,
    pub keymap: Keymap,
    pub order: Order,
    /// Every hunk in the current order (derived from the review and the order).
    pub nav: Vec<HunkRef>,
    /// The list's rows (derived).
    pub rows: Vec<Row>,
    /// Index into `nav` of the current hunk.
    pub pos: usize,
    /// Index into the current hunk's lines of the cursor line.
    pub line: usize,
    /// First line of the current hunk shown (set by `ensure_visible`).
    pub scroll: usize,
    pub overlay: Option<Overlay>,
    pub side_by_side: bool,
    pub notice: Option<Notice>,
    /// The background loader's progress in commits, while it runs.
    pub loading: Option<(usize, usize)>,
    /// Decisions carried over from an earlier version of the change.
    pub carried_over: usize,
    pub last_search: String,
    /// The key the resume position is saved under (the range's tip commit).
    pub position_key: String,
    /// The reviewer moved since the screen opened, so a finished load must not move them.
    pub moved: bool,
    /// Rows the hunk view shows, for paging (kept up to date by the runner).
    pub page: usize,
    /// Huge hunks the reviewer asked to see in full (the others show a summary).
    pub expanded: std::collections::HashSet<crate::model::HunkId>,
    /// The approval was signed and written: the commits under review have new ids now.
    pub signed: bool,
    /// Who signs and with which key, as the reviewer's git setup says (`Jane <jane@…> with SSH
    /// key …`), shown in the confirmation so nobody signs with a key they did not mean to.
    pub signing_as: Option<String>,
    /// Whether this reviewer's signature meets the policy's sign-off rules (said in the sign
    /// confirmation).
    pub sign_outlook: Option<crate::approval::signoff::Outlook>,
    /// When this screen opened (seconds since the epoch): decisions older than this were made
    /// in an earlier sitting, which the sign confirmation says.
    pub opened_at: i64,
    /// What signing and exporting said, printed again on stdout once the screen is closed (a
    /// window can be dismissed; the new tip and the undo command must not be lost).
    pub results: Vec<String>,
    /// The last save failed with this (cleared by the next save that works): quitting must
    /// not say "saved".
    pub save_error: Option<String>,
    /// The current hunk's layout as last drawn: how many screen rows each of its lines takes
    /// and how many rows the hunk view has. Paging moves by these rows (set by the view).
    pub geometry: Option<Geometry>,
    /// Per hunk, the line ranges that have been on screen in full: a hunk is approved with
    /// `a` only once every line of it has been shown.
    pub seen: std::collections::HashMap<crate::model::HunkId, Vec<(usize, usize)>>,
    /// The reviewer confirmed approving this hunk without having seen all of it.
    pub unseen_ok: Option<crate::model::HunkId>,
    /// The file list is hidden: the hunk takes the whole width.
    pub zoom: bool,
    /// Decisions pressed before their file's findings were known: applied, in order, when
    /// they arrive (a critical hunk then still asks its confirmation). (hunk, verdict, when)
    pub held: Vec<(crate::model::HunkId, crate::model::Verdict, i64)>,
    /// Folded commits and files in the list (file order only).
    pub folds: Folds,
    /// Mouse clicks and the wheel are handled (the config's `mouse = false` turns them off).
    pub mouse: bool,
    /// This round against the reviewer's last one, once the review is whole.
    pub rounds: Option<crate::session::rounds::Comparison>,
    /// Per changed hunk, the hunk as last reviewed against the hunk now.
    pub interdiffs: std::collections::HashMap<crate::model::HunkId, crate::model::Hunk>,
    /// Changed hunks the reviewer switched to the plain hunk.
    pub plain: std::collections::HashSet<crate::model::HunkId>,
    /// The list and the walk show only hunks changed or new since the last round.
    pub changed_only: bool,
}

/// The current hunk's layout on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    pub hunk: crate::model::HunkId,
    /// Rows the hunk view has for lines.
    pub height: usize,
    /// Screen rows of each line of the hunk (wrapping makes a line take more than one).
    pub rows: Vec<usize>,
}

impl Geometry {
    /// The first line from `scroll` on that is not shown in full (the hunk's length when
    /// every line from `scroll` to the end fits).
    pub fn visible_end(&self, scroll: usize) -> usize {
        let mut used = 0;
        for (i, r) in self.rows.iter().enumerate().skip(scroll) {
            used += r;
            if used > self.height {
                return i;
            }
        }
        self.rows.len()
    }
}

impl App {
    pub fn new(review: Review, session: Session, keymap: Keymap, position_key: String) -> App {
        let mut app = App {
            review,
            session,
            keymap,
            order: Order::File,
            nav: Vec::new(),
            rows: Vec::new(),
            pos: 0,
            line: 0,
            scroll: 0,
            overlay: None,
            side_by_side: false,
            notice: None,
            loading: None,
            carried_over: 0,
            last_search: String::new(),
            position_key,
            moved: false,
            page: 10,
            signed: false,
            expanded: std::collections::HashSet::new(),
            signing_as: None,
            sign_outlook: None,
            opened_at: crate::timefmt::now(),
            results: Vec::new(),
            save_error: None,
            geometry: None,
            seen: std::collections::HashMap::new(),
            unseen_ok: None,
            zoom: false,
            held: Vec::new(),
            folds: Folds::default(),
            mouse: true,
            rounds: None,
            interdiffs: std::collections::HashMap::new(),
            plain: std::collections::HashSet::new(),
            changed_only: false,
        };
        app.rebuild();
        if app.rows.len() > FOLD_ABOVE_ROWS {
            app.folds.files = true;
            app.rebuild();
        }
        app.carried_over = app.session.carried_over(&app.review);
        app.place_at_start();
        app
    }

    /// The reviewable hunks decided before this screen opened, and when the last of them was.
    pub fn earlier_decisions(&self) -> (usize, Option<i64>) {
        let mut count = 0;
        let mut last = None;
        for (_, h) in self.review.reviewable() {
            if let Some(d) = self.session.decision(&h.id) {
                if d.verdict.is_some() && d.at < self.opened_at {
                    count += 1;
                    last = last.max(Some(d.at));
                }
            }
        }
        (count, last)
    }

    /// Records that lines `from..to` of the hunk `id` were on screen in full.
    pub fn mark_seen(&mut self, id: crate::model::HunkId, from: usize, to: usize) {
        let ranges = self.seen.entry(id).or_default();
        ranges.push((from, to));
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for &(a, b) in ranges.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ranges = merged;
    }

    /// How many lines of the hunk at `r` have been on screen in full, and how many it has.
    pub fn seen_lines(&self, r: HunkRef) -> (usize, usize) {
        let Some(h) = self.review.hunk(r) else {
            return (0, 0);
        };
        let seen = self
            .seen
            .get(&h.id)
            .map(|ranges| ranges.iter().map(|(a, b)| b - a).sum())
            .unwrap_or(0);
        (seen.min(h.lines.len()), h.lines.len())
    }

    /// Every line of the hunk at `r` has been on screen (a file-level change is its summary).
    pub fn fully_seen(&self, r: HunkRef) -> bool {
        let (seen, total) = self.seen_lines(r);
        seen >= total && !self.is_collapsed(r)
    }

    pub fn current(&self) -> Option<HunkRef> {
        self.nav.get(self.pos).copied()
    }

    /// The list row that stands for the current hunk: its own, else its folded file's, else
    /// its folded commit's.
    pub fn selected_row(&self) -> Option<usize> {
        let r = self.current()?;
        let find = |want: Row| self.rows.iter().position(|row| *row == want);
        find(Row::Hunk(r))
            .or_else(|| find(Row::File(r.commit, r.file)))
            .or_else(|| find(Row::Commit(r.commit)))
    }

    /// The position in `nav` a list row leads to: the hunk, or the first hunk of the file or
    /// commit.
    pub fn row_target(&self, row: Row) -> Option<usize> {
        match row {
            Row::Hunk(r) => self.nav.iter().position(|n| *n == r),
            Row::File(c, f) => self.nav.iter().position(|n| n.commit == c && n.file == f),
            Row::Commit(c) => self.nav.iter().position(|n| n.commit == c),
        }
    }

    /// Recomputes the derived navigation order and list rows.
    pub fn rebuild(&mut self) {
        let mut nav: Vec<HunkRef> = self
            .review
            .hunk_refs()
            .filter(|r| !self.changed_only || self.is_changed_or_new(*r))
            .collect();
        if self.order == Order::Triage {
            // Stable: equal risk keeps file order.
            nav.sort_by_key(|r| {
                let h = self.review.hunk(*r);
                let risk = h.and_then(|h| h.risk());
                let review = h.is_some_and(|h| h.needs_review());
                (std::cmp::Reverse(risk), !review)
            });
        }
        let mut rows = Vec::new();
        match self.order {
            Order::File => {
                let many = self.review.commits.len() > 1;
                for (c, commit) in self.review.commits.iter().enumerate() {
                    if many {
                        rows.push(Row::Commit(c));
                        if self.folds.commit_folded(c) {
                            continue;
                        }
                    }
                    for (f, file) in commit.files.iter().enumerate() {
                        rows.push(Row::File(c, f));
                        if self.folds.file_folded(c, f) {
                            continue;
                        }
                        for h in 0..file.hunks.len() {
                            let r = HunkRef {
                                commit: c,
                                file: f,
                                hunk: h,
                            };
                            if !self.changed_only || self.is_changed_or_new(r) {
                                rows.push(Row::Hunk(r));
                            }
                        }
                    }
                }
            }
            Order::Triage => rows.extend(nav.iter().map(|r| Row::Hunk(*r))),
        }
        self.nav = nav;
        self.rows = rows;
    }

    /// Where a newly opened review starts: the saved position, else the first undecided
    /// AI-touched hunk, else the first hunk.
    pub fn place_at_start(&mut self) {
        let saved = self
            .session
            .positions
            .get(&self.position_key)
            .and_then(|p| p.hunk)
            .and_then(|id| self.find_id(id));
        let target = saved
            .or_else(|| self.find_from(0, |app, r| app.is_undecided(r)))
            .or_else(|| self.find_from(0, |app, r| app.needs_review(r)))
            .unwrap_or(0);
        self.go(target);
    }

    pub fn position(&self) -> Position {
        let at = self.current();
        Position {
            commit: at
                .and_then(|r| self.review.commits.get(r.commit))
                .map(|c| c.id.clone())
                .unwrap_or_default(),
            hunk: at.and_then(|r| self.review.hunk(r)).map(|h| h.id),
        }
    }

    pub fn go(&mut self, pos: usize) {
        self.pos = pos.min(self.nav.len().saturating_sub(1));
        self.line = 0;
        self.scroll = 0;
    }

    pub fn find_id(&self, id: crate::model::HunkId) -> Option<usize> {
        self.nav
            .iter()
            .position(|r| self.review.hunk(*r).is_some_and(|h| h.id == id))
    }

    /// The first position at or after `start` (wrapping round) that satisfies `pred`.
    pub fn find_from(&self, start: usize, pred: impl Fn(&App, HunkRef) -> bool) -> Option<usize> {
        let n = self.nav.len();
        (0..n)
            .map(|i| (start + i) % n)
            .find(|&i| pred(self, self.nav[i]))
    }

    /// The current hunk is huge and shown as a summary until the reviewer asks for it.
    pub fn is_collapsed(&self, r: HunkRef) -> bool {
        self.review
            .hunk(r)
            .is_some_and(|h| is_huge(h) && !self.expanded.contains(&h.id))
    }

    pub fn needs_review(&self, r: HunkRef) -> bool {
        self.review.hunk(r).is_some_and(|h| h.needs_review())
    }

    pub fn is_undecided(&self, r: HunkRef) -> bool {
        self.review
            .hunk(r)
            .is_some_and(|h| h.needs_review() && self.session.verdict(&h.id).is_none())
    }

    pub fn verdict(&self, r: HunkRef) -> Option<Verdict> {
        self.review
            .hunk(r)
            .and_then(|h| self.session.verdict(&h.id))
    }

    pub fn progress(&self) -> Progress {
        let mut p = Progress::default();
        for (_, h) in self.review.reviewable() {
            p.total += 1;
            match self.session.verdict(&h.id) {
                Some(Verdict::Approved) => p.approved += 1,
                Some(Verdict::Rejected) => p.rejected += 1,
                Some(Verdict::NeedsWork) => p.needs_work += 1,
                None => {}
            }
            if let Some(sev) = h.risk() {
                let i = match sev {
                    Severity::Critical => 0,
                    Severity::High => 1,
                    Severity::Medium => 2,
                    Severity::Low => 3,
                };
                p.by_severity[i] += 1;
            }
        }
        p.decided = p.approved + p.rejected + p.needs_work;
        p
    }

    /// Applies what the background loader reports, keeping the reviewer on the same hunk.
    pub fn apply_load(&mut self, event: LoadEvent) {
        match event {
            LoadEvent::Commit { index, commit } => {
                let current = self.current().and_then(|r| {
                    let h = self.review.hunk(r)?;
                    let path = self.review.commits[r.commit].files[r.file]
                        .path()
                        .to_string();
                    Some((r.commit, h.id, path))
                });
                if let Some(slot) = self.review.commits.get_mut(index) {
                    // What the first frame found out about the commit's approvals stays.
                    let stale = slot.stale_approval.take();
                    *slot = *commit;
                    if slot.stale_approval.is_none() {
                        slot.stale_approval = stale;
                    }
                }
                let line = self.line;
                let scroll = self.scroll;
                self.rebuild();
                if !self.moved {
                    self.place_at_start();
                } else if let Some((c, id, path)) = current {
                    let by_id = self.find_id(id);
                    let by_path = || {
                        self.nav.iter().position(|r| {
                            r.commit == c && self.review.commits[c].files[r.file].path() == path
                        })
                    };
                    if let Some(p) = by_id {
                        self.pos = p;
                        self.line = line;
                        self.scroll = scroll;
                    } else if let Some(p) = by_path() {
                        self.go(p);
                    } else {
                        self.go(self.pos);
                    }
                }
            }
            LoadEvent::Progress { done, total } => self.loading = Some((done, total)),
            LoadEvent::Done { .. } => {
                self.loading = None;
                // Counted once the review is whole: per commit it would walk every hunk of the
                // review again for each of a long range's commits.
                self.carried_over = self.session.carried_over(&self.review);
                self.open_round(crate::timefmt::now());
            }
            LoadEvent::Failed(message) => {
                self.loading = None;
                self.notice = Some(Notice {
                    text: format!("loading failed: {message}"),
                    error: true,
                });
            }
        }
    }
}

/// Hunks this long are summarised until asked for: a generated file or a data dump must not
/// bury the screen (or the reviewer's patience) by surprise.
pub const HUGE_LINES: usize = 5000;
const HUGE_BYTES: usize = 2 << 20;

pub fn is_huge(h: &crate::model::Hunk) -> bool {
    h.lines.len() > HUGE_LINES || h.lines.iter().map(|l| l.bytes.len()).sum::<usize>() > HUGE_BYTES
}
