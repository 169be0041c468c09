//! `update`: one key or action in, the state changed, and the effects the runner must carry out
//! (save, open an editor, sign, quit). No IO here, so every flow is testable with plain values.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::{App, Confirm, Notice, Overlay};
use super::textbox::TextBox;
use crate::model::{Severity, Verdict};

mod comment;
mod finder;
mod folds;
mod mouse;
mod rounds;
mod search;

pub use finder::{candidates as finder_candidates, Candidate};
pub use mouse::handle_mouse;
pub use search::matches;
use search::{search, search_key};

/// What the runner must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The session changed: write it to disk now.
    Save,
    /// Open `$EDITOR` on `path` (relative to the working tree) at `line`, as the file is in
    /// `blob` (the commit under review).
    Edit {
        path: String,
        line: u32,
        blob: String,
    },
    /// Sign and write the approval.
    Sign,
    /// Export the review (rejections, needs-work, comments) for the author.
    Export,
    Quit,
    Suspend,
}

/// Handles one key press in whatever mode the screen is in.
pub fn handle_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    // A terminal sends Esc followed quickly by a key as one sequence, which reads as Alt+key:
    // it is the Esc the reviewer typed, then the key.
    if key.modifiers.contains(KeyModifiers::ALT) {
        if let KeyCode::Char(_) = key.code {
            let mut effects = handle_key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), now);
            if effects.contains(&Effect::Quit) {
                return effects;
            }
            let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
            effects.extend(handle_key(app, plain, now));
            return effects;
        }
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('z') {
        return vec![Effect::Suspend];
    }
    match app.overlay.take() {
        None => {
            if ctrl && key.code == KeyCode::Char('c') {
                return vec![Effect::Quit];
            }
            app.notice = None;
            match app.keymap.action(&key) {
                Some(action) => update(app, action, now),
                None => Vec::new(),
            }
        }
        Some(Overlay::Help(top)) => {
            let top = match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => return Vec::new(),
                KeyCode::Char('j') | KeyCode::Down => top + 1,
                KeyCode::Char('k') | KeyCode::Up => top.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => top + 10,
                KeyCode::PageUp => top.saturating_sub(10),
                _ => top,
            };
            app.overlay = Some(Overlay::Help(top.min(Action::ALL.len().saturating_sub(1))));
            Vec::new()
        }
        Some(Overlay::Comment(tb)) => comment::key(app, tb, key, now),
        Some(Overlay::Search(q)) => search_key(app, q, key),
        Some(Overlay::Finder(f)) => finder::key(app, f, key),
        Some(Overlay::Message(mut m)) => {
            // Scroll keys move through it; any other key closes it (its text is printed again
            // when the screen closes).
            let step: isize = match key.code {
                KeyCode::Char('j') | KeyCode::Down => 1,
                KeyCode::Char('k') | KeyCode::Up => -1,
                KeyCode::PageDown | KeyCode::Char(' ') => 10,
                KeyCode::PageUp => -10,
                _ => 0,
            };
            if step != 0 {
                m.scroll = m.scroll.saturating_add_signed(step);
                app.overlay = Some(Overlay::Message(m));
            }
            Vec::new()
        }
        Some(Overlay::Confirm(what)) => {
            if key.code == KeyCode::Char('y') || key.code == KeyCode::Char('Y') {
                match what {
                    Confirm::ApproveUnseen => {
                        app.unseen_ok =
                            app.current().and_then(|r| app.review.hunk(r)).map(|h| h.id);
                        decide(app, Verdict::Approved, now, false)
                    }
                    Confirm::ApproveCritical => decide(app, Verdict::Approved, now, true),
                    Confirm::Sign => vec![Effect::Sign],
                    Confirm::Export => vec![Effect::Export],
                }
            } else {
                app.notice = Some(info("cancelled"));
                Vec::new()
            }
        }
    }
}

/// Applies one action in the main mode.
pub fn update(app: &mut App, action: Action, now: i64) -> Vec<Effect> {
    let moves = !matches!(
        action,
        Action::Help | Action::Quit | Action::SideBySide | Action::Sign
    );
    if moves {
        app.moved = true;
    }
    match action {
        Action::Down => down(app, 1),
        Action::Up => up(app, 1),
        Action::PageDown => page_down(app),
        Action::PageUp => page_up(app),
        Action::NextHunk => step(app, 1),
        Action::PrevHunk => step(app, -1),
        Action::NextUndecided => match app.find_from(app.pos + 1, |a, r| a.is_undecided(r)) {
            Some(p) => app.go(p),
            None => app.notice = Some(info("every AI-touched hunk is decided")),
        },
        Action::NextFile => file_step(app, true),
        Action::PrevFile => file_step(app, false),
        Action::First => app.go(0),
        Action::Last => app.go(app.nav.len().saturating_sub(1)),
        Action::Approve => return decide(app, Verdict::Approved, now, false),
        Action::Reject => return decide(app, Verdict::Rejected, now, false),
        Action::NeedsWork => return decide(app, Verdict::NeedsWork, now, false),
        Action::Comment => {
            if let Some(h) = app.current().and_then(|r| app.review.hunk(r)) {
                let text = app
                    .session
                    .decision(&h.id)
                    .map(|d| d.comment.clone())
                    .unwrap_or_default();
                app.overlay = Some(Overlay::Comment(TextBox::new(&text)));
            }
        }
        Action::Undo => match app.session.undo() {
            Some(id) => {
                if let Some(p) = app
                    .nav
                    .iter()
                    .position(|r| app.review.hunk(*r).is_some_and(|h| h.id == id))
                {
                    app.go(p);
                }
                app.notice = Some(info("undone"));
                return vec![Effect::Save];
            }
            None => app.notice = Some(info("nothing to undo")),
        },
        Action::Search => app.overlay = Some(Overlay::Search(String::new())),
        Action::SearchNext => search(app, true),
        Action::SearchPrev => search(app, false),
        Action::NextCommit => commit_step(app, true),
        Action::PrevCommit => commit_step(app, false),
        Action::Message => {
            if let Some(c) = app.current().and_then(|r| app.review.commits.get(r.commit)) {
                app.overlay = Some(Overlay::Message(super::app::Message {
                    title: format!("commit {} message", c.short_id()),
                    text: c.message.trim_end().to_string(),
                    error: false,
                    scroll: 0,
                }));
            }
        }
        Action::Zoom => app.zoom = !app.zoom,
        Action::Findings => {
            if let Some(h) = app.current().and_then(|r| app.review.hunk(r)) {
                let mut text: Vec<String> = h
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {} {} [{}]",
                            f.severity.as_str().to_uppercase(),
                            f.place(),
                            f.message,
                            f.rule
                        )
                    })
                    .collect();
                if h.findings_omitted > 0 {
                    text.push(format!(
                        "and {} more past the cap of {} per hunk (countersign scan --format json lists them)",
                        h.findings_omitted,
                        h.findings.len()
                    ));
                }
                if text.is_empty() {
                    text.push("no findings on this hunk".into());
                }
                app.overlay = Some(Overlay::Message(super::app::Message {
                    title: format!("{} finding(s)", h.findings.len() + h.findings_omitted),
                    text: text.join("\n"),
                    error: false,
                    scroll: 0,
                }));
            }
        }
        Action::SideBySide => app.side_by_side = !app.side_by_side,
        Action::TriageOrder => {
            let current = app.current();
            app.order = match app.order {
                super::app::Order::File => super::app::Order::Triage,
                super::app::Order::Triage => super::app::Order::File,
            };
            app.rebuild();
            if let Some(p) = current.and_then(|c| app.nav.iter().position(|r| *r == c)) {
                app.pos = p;
            }
            app.notice = Some(info(match app.order {
                super::app::Order::File => "file order",
                super::app::Order::Triage => "triage order: riskiest first",
            }));
        }
        Action::Edit => return edit(app),
        Action::Expand => {
            if let Some(h) = app.current().and_then(|r| app.review.hunk(r)) {
                app.expanded.insert(h.id);
            }
        }
        Action::Fold => folds::fold(app),
        Action::Unfold => folds::unfold(app),
        Action::FoldAll => folds::fold_all(app),
        Action::UnfoldAll => folds::unfold_all(app),
        Action::FindFile => finder::open(app),
        Action::Interdiff => rounds::toggle_interdiff(app),
        Action::ChangedOnly => rounds::toggle_changed_only(app),
        Action::Sign => sign(app),
        Action::Help => app.overlay = Some(Overlay::Help(0)),
        Action::Quit => return vec![Effect::Quit],
    }
    Vec::new()
}

fn info(text: &str) -> Notice {
    Notice {
        text: text.to_string(),
        error: false,
    }
}

fn lines_of_current(app: &App) -> usize {
    match app.current() {
        Some(r) if app.is_collapsed(r) => 0,
        Some(r) => app.shown(r).map(|h| h.lines.len()).unwrap_or(0),
        None => 0,
    }
}

fn down(app: &mut App, n: usize) {
    let len = lines_of_current(app);
    if app.line + n < len {
        app.line += n;
    } else if app.pos + 1 < app.nav.len() {
        app.go(app.pos + 1);
    } else {
        app.line = len.saturating_sub(1);
    }
}

/// The current hunk's layout as last drawn, if it is of the current hunk.
fn geometry(app: &App) -> Option<&super::app::Geometry> {
    let id = app.current().and_then(|r| app.shown(r))?.id;
    app.geometry.as_ref().filter(|g| g.hunk == id)
}

/// A screen further: the first line not yet shown in full goes to the top. Once the hunk's
/// last line has been on screen, the next hunk. Moving by screen rows, not diff lines, is
/// what makes paging never skip a line, wrapped or not.
fn page_down(app: &mut App) {
    let Some(g) = geometry(app) else {
        return down(app, app.page.max(1));
    };
    let end = g.visible_end(app.scroll);
    if end >= g.rows.len() || app.is_collapsed(app.nav[app.pos]) {
        if app.pos + 1 < app.nav.len() {
            app.go(app.pos + 1);
        } else {
            app.line = g.rows.len().saturating_sub(1);
        }
        return;
    }
    // A line taller than the screen still moves on.
    let top = if end == app.scroll { end + 1 } else { end };
    app.scroll = top.min(g.rows.len().saturating_sub(1));
    app.line = app.scroll;
}

/// A screen back: the rows above the top fill the screen; at the top, the previous hunk's end.
fn page_up(app: &mut App) {
    let Some(g) = geometry(app) else {
        return up(app, app.page.max(1));
    };
    if app.scroll == 0 {
        if app.line > 0 {
            app.line = 0;
        } else if app.pos > 0 {
            app.go(app.pos - 1);
            app.line = lines_of_current(app).saturating_sub(1);
        }
        return;
    }
    let mut top = app.scroll;
    let mut used = 0;
    while top > 0 && used + g.rows[top - 1] <= g.height {
        used += g.rows[top - 1];
        top -= 1;
    }
    if top == app.scroll {
        top -= 1;
    }
    app.scroll = top;
    app.line = top;
}

fn up(app: &mut App, n: usize) {
    if app.line >= n {
        app.line -= n;
    } else if app.line > 0 || app.pos == 0 {
        app.line = 0;
    } else {
        app.go(app.pos - 1);
        app.line = lines_of_current(app).saturating_sub(1);
    }
}

fn step(app: &mut App, delta: isize) {
    let target = app.pos as isize + delta;
    if target >= 0 && (target as usize) < app.nav.len() {
        app.go(target as usize);
    }
}

fn file_step(app: &mut App, forward: bool) {
    let Some(cur) = app.current() else { return };
    let same = |r: &crate::model::HunkRef| r.commit == cur.commit && r.file == cur.file;
    let target = if forward {
        (app.pos + 1..app.nav.len()).find(|&i| !same(&app.nav[i]))
    } else {
        // The first hunk of the previous file.
        let prev = (0..app.pos).rev().find(|&i| !same(&app.nav[i]));
        prev.map(|p| {
            let pf = app.nav[p];
            (0..=p)
                .rev()
                .take_while(|&i| app.nav[i].commit == pf.commit && app.nav[i].file == pf.file)
                .last()
                .unwrap_or(p)
        })
    };
    if let Some(t) = target {
        app.go(t);
    }
}

fn decide(app: &mut App, verdict: Verdict, now: i64, confirmed: bool) -> Vec<Effect> {
    let Some(r) = app.current() else {
        return Vec::new();
    };
    let Some(hunk) = app.review.hunk(r) else {
        return Vec::new();
    };
    // Until its file is scanned, a hunk's risk is unknown: a critical one could be approved
    // without its confirmation.
    if !app.review.commits[r.commit].files[r.file].analysed {
        // Held, never dropped: applied once the file's findings are in.
        if !app.held.iter().any(|(id, _, _)| *id == hunk.id) {
            app.held.push((hunk.id, verdict, now));
        }
        app.notice = Some(info(&format!(
            "{} held until this file's findings are in",
            verdict.as_str()
        )));
        let held: Vec<_> = app.held.iter().map(|(id, _, _)| *id).collect();
        if let Some(p) = app.find_from(app.pos + 1, |a, r| {
            a.is_undecided(r) && a.review.hunk(r).is_some_and(|h| !held.contains(&h.id))
        }) {
            app.go(p);
        }
        return Vec::new();
    }
    let id = hunk.id;
    if verdict == Verdict::Approved && app.showing_interdiff(r) && !app.fully_seen(r) {
        // What changed since is not the change: the hunk as it is now is what gets approved.
        app.plain.insert(id);
        app.line = 0;
        app.scroll = 0;
        app.notice = Some(info("this is the hunk as it is now: read it, then approve"));
        return Vec::new();
    }
    let unseen = verdict == Verdict::Approved && !app.fully_seen(r);
    if unseen && app.unseen_ok != Some(id) {
        app.overlay = Some(Overlay::Confirm(Confirm::ApproveUnseen));
        return Vec::new();
    }
    if verdict == Verdict::Approved && !confirmed && hunk.risk() == Some(Severity::Critical) {
        app.overlay = Some(Overlay::Confirm(Confirm::ApproveCritical));
        return Vec::new();
    }
    let commit = app.review.commits[r.commit].id.clone();
    if unseen {
        app.session.approve_unseen(id, &commit, now);
    } else {
        app.session.set_verdict(id, Some(verdict), &commit, now);
    }
    app.unseen_ok = None;
    match app.find_from(app.pos + 1, |a, r| a.is_undecided(r)) {
        Some(p) => app.go(p),
        None => {
            let p = app.progress();
            app.notice = Some(info(&if p.approved == p.total {
                format!(
                    "all {} hunks approved: press {} to sign",
                    p.total,
                    app.keymap.label(Action::Sign)
                )
            } else {
                format!("all {} hunks decided", p.total)
            }));
        }
    }
    vec![Effect::Save]
}

/// Applies the held decisions whose files are analysed now, in the order they were pressed.
/// One that needs a confirmation (a critical hunk, a hunk not seen in full) takes the reviewer
/// there and asks; the rest wait for the answer.
pub fn apply_held(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    while let Some(&(id, verdict, at)) = app.held.first() {
        let Some(pos) = app.find_id(id) else {
            // The hunk is gone (the loaded commit differs): nothing to apply it to.
            app.held.remove(0);
            continue;
        };
        let r = app.nav[pos];
        if !app.review.commits[r.commit].files[r.file].analysed || app.overlay.is_some() {
            break;
        }
        app.held.remove(0);
        let (line, scroll, here) = (app.line, app.scroll, app.pos);
        app.pos = pos;
        let before = app.session.verdict(&id);
        let out = decide(app, verdict, at, false);
        if app.overlay.is_some() {
            // It asks: stay on that hunk.
            app.go(pos);
            break;
        }
        if app.session.verdict(&id) != before {
            effects.extend(out);
        }
        // Back to where the reviewer is reading.
        app.pos = here;
        app.line = line;
        app.scroll = scroll;
    }
    effects
}

/// The first hunk of the next (or previous) commit.
fn commit_step(app: &mut App, forward: bool) {
    let Some(cur) = app.current() else { return };
    let target = if forward {
        (app.pos + 1..app.nav.len()).find(|&i| app.nav[i].commit != cur.commit)
    } else {
        let prev = (0..app.pos)
            .rev()
            .find(|&i| app.nav[i].commit != cur.commit);
        prev.map(|p| {
            let c = app.nav[p].commit;
            (0..=p)
                .rev()
                .take_while(|&i| app.nav[i].commit == c)
                .last()
                .unwrap_or(p)
        })
    };
    match target {
        Some(t) => app.go(t),
        None => {
            app.notice = Some(info(if forward {
                "no next commit"
            } else {
                "no previous commit"
            }))
        }
    }
}

fn edit(app: &mut App) -> Vec<Effect> {
    let Some(r) = app.current() else {
        return Vec::new();
    };
    let file = &app.review.commits[r.commit].files[r.file];
    let Some(path) = file.new_path.clone() else {
        app.notice = Some(info("the file was deleted in this change"));
        return Vec::new();
    };
    let Some(hunk) = app.shown(r) else {
        return Vec::new();
    };
    let line = hunk
        .lines
        .get(app.line)
        .and_then(|l| l.new_no.or(l.old_no))
        .unwrap_or(hunk.new_start.max(1));
    vec![Effect::Edit {
        path,
        line,
        blob: file.new_id.clone(),
    }]
}

fn sign(app: &mut App) {
    if app.signed {
        app.notice = Some(info("already signed: q quits"));
        return;
    }
    if app.loading.is_some() || !app.review.is_complete() {
        app.notice = Some(info("still loading: sign when every hunk is loaded"));
        return;
    }
    let p = app.progress();
    if p.total == 0 {
        app.notice = Some(info("no AI-touched hunks to approve"));
    } else if p.rejected + p.needs_work > 0 {
        app.overlay = Some(Overlay::Confirm(Confirm::Export));
    } else if p.approved < p.total {
        app.notice = Some(Notice {
            text: format!(
                "{} of {} hunks undecided: approve every AI-touched hunk before signing ({} finds the next)",
                p.total - p.approved,
                p.total,
                app.keymap.label(Action::NextUndecided)
            ),
            error: true,
        });
    } else {
        app.overlay = Some(Overlay::Confirm(Confirm::Sign));
    }
}
