//! Search: the prompt, smart-case matching, and moving between matches (`match k of n`).

use crossterm::event::{KeyCode, KeyEvent};

use super::{info, Effect};
use crate::ui::app::{App, Notice, Overlay};

pub(super) fn search_key(app: &mut App, mut query: String, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            if !query.is_empty() {
                app.last_search = query;
            }
            app.moved = true;
            search(app, true);
            return Vec::new();
        }
        KeyCode::Backspace => {
            query.pop();
        }
        KeyCode::Char(c) if !c.is_control() => query.push(c),
        _ => {}
    }
    app.overlay = Some(Overlay::Search(query));
    Vec::new()
}

/// Smart case: a query with no capital letter matches case-insensitively.
pub fn matches(haystack: &str, query: &str) -> bool {
    if query.chars().any(char::is_uppercase) {
        haystack.contains(query)
    } else {
        haystack.to_lowercase().contains(query)
    }
}

/// Every match of `query` in the review, in the current order: (position in `nav`, line).
/// A path that matches counts as a match on its hunks' first line.
fn search_matches(app: &App, query: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (pos, r) in app.nav.iter().enumerate() {
        let file = &app.review.commits[r.commit].files[r.file];
        let Some(h) = app.review.hunk(*r) else {
            continue;
        };
        let before = out.len();
        out.extend(
            h.lines
                .iter()
                .enumerate()
                .filter(|(_, l)| matches(&l.text(), query))
                .map(|(i, _)| (pos, i)),
        );
        if out.len() == before && matches(&file.display_path(), query) {
            out.push((pos, 0));
        }
    }
    out
}

/// Moves to the next (or previous) match of the last search, wrapping round the review, and
/// says which match it is (`match 3 of 12`) and when it wrapped.
pub(super) fn search(app: &mut App, forward: bool) {
    let q = app.last_search.clone();
    if q.is_empty() {
        app.notice = Some(info("no search yet: press / to search"));
        return;
    }
    let all = search_matches(app, &q);
    if all.is_empty() {
        app.notice = Some(Notice {
            text: format!("not found: {q}"),
            error: true,
        });
        return;
    }
    let here = (app.pos, app.line);
    let (index, wrapped) = if forward {
        match all.iter().position(|m| *m > here) {
            Some(i) => (i, false),
            None => (0, true),
        }
    } else {
        match all.iter().rposition(|m| *m < here) {
            Some(i) => (i, false),
            None => (all.len() - 1, true),
        }
    };
    let (pos, line) = all[index];
    app.go(pos);
    app.line = line;
    app.notice = Some(info(&format!(
        "match {} of {} for {}{}",
        index + 1,
        all.len(),
        crate::text::printable(&q),
        match (wrapped, forward) {
            (true, true) => " (wrapped to the top)",
            (true, false) => " (wrapped to the bottom)",
            _ => "",
        }
    )));
}
