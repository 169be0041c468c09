//! Keys of review rounds: the interdiff of a changed hunk, and the list of what changed since.

use super::info;
use crate::ui::app::App;

/// Between what changed since the last round and the hunk as it is now.
pub(super) fn toggle_interdiff(app: &mut App) {
    let Some(r) = app.current() else { return };
    let Some(id) = app.review.hunk(r).map(|h| h.id) else {
        return;
    };
    if !app.interdiffs.contains_key(&id) {
        app.notice = Some(info("this hunk did not change since your last round"));
        return;
    }
    if !app.plain.remove(&id) {
        app.plain.insert(id);
    }
    app.line = 0;
    app.scroll = 0;
}

pub(super) fn toggle_changed_only(app: &mut App) {
    let Some(previous) = app.rounds.as_ref().and_then(|c| c.previous) else {
        app.notice = Some(info("no earlier round of this review to compare with"));
        return;
    };
    let current = app.current();
    app.changed_only = !app.changed_only;
    app.rebuild();
    if app.nav.is_empty() {
        app.changed_only = false;
        app.rebuild();
        app.notice = Some(info(&format!(
            "nothing changed or new since round {previous}"
        )));
    } else {
        app.notice = Some(info(if app.changed_only {
            "only hunks changed or new since your last round"
        } else {
            "every hunk"
        }));
    }
    match current.and_then(|c| app.nav.iter().position(|r| *r == c)) {
        Some(p) => app.pos = p,
        None => app.go(0),
    }
}
