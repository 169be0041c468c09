//! Folding the list: a file's hunk rows, or a commit's files, hidden behind one row. Only the
//! list folds; `n`, `j` and paging still walk every hunk.

use super::info;
use crate::ui::app::{App, Order};

/// Folds the current file; when it already is folded, its commit.
pub(super) fn fold(app: &mut App) {
    let Some(r) = app.current() else { return };
    if !file_order(app) {
        return;
    }
    let many = app.review.commits.len() > 1;
    if !app.folds.file_folded(r.commit, r.file) {
        app.folds.file.insert((r.commit, r.file), true);
    } else if many && !app.folds.commit_folded(r.commit) {
        app.folds.commit.insert(r.commit, true);
    } else {
        app.notice = Some(info("already folded"));
        return;
    }
    app.rebuild();
}

/// Unfolds the current hunk's commit and file.
pub(super) fn unfold(app: &mut App) {
    let Some(r) = app.current() else { return };
    if !file_order(app) {
        return;
    }
    app.folds.commit.insert(r.commit, false);
    app.folds.file.insert((r.commit, r.file), false);
    app.rebuild();
}

/// Folds every file; pressed again with every file folded, every commit.
pub(super) fn fold_all(app: &mut App) {
    if !file_order(app) {
        return;
    }
    let every_file = app.folds.files && app.folds.file.values().all(|f| *f);
    if every_file && app.review.commits.len() > 1 {
        app.folds.commits = true;
        app.folds.commit.clear();
        app.notice = Some(info("every commit folded (= unfolds all)"));
    } else {
        app.folds.files = true;
        app.folds.file.clear();
        app.notice = Some(info("every file folded (- again folds the commits)"));
    }
    app.rebuild();
}

pub(super) fn unfold_all(app: &mut App) {
    app.folds = Default::default();
    app.rebuild();
}

fn file_order(app: &mut App) -> bool {
    if app.order == Order::File {
        return true;
    }
    app.notice = Some(info(
        "the triage list does not fold: t returns to file order",
    ));
    false
}
