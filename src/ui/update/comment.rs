//! The comment box: editing keys, and saving the comment anchored to the lines it is about.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{info, Effect};
use crate::ui::app::{App, Overlay};
use crate::ui::textbox::TextBox;

pub(super) fn key(app: &mut App, mut tb: TextBox, key: KeyEvent, now: i64) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => {
            app.notice = Some(info("comment discarded"));
            return Vec::new();
        }
        KeyCode::Esc => return save_comment(app, &tb, now),
        KeyCode::Char('s') if ctrl => return save_comment(app, &tb, now),
        KeyCode::Enter => tb.newline(),
        KeyCode::Backspace => tb.backspace(),
        KeyCode::Delete => tb.delete(),
        KeyCode::Left => tb.left(),
        KeyCode::Right => tb.right(),
        KeyCode::Up => tb.up(),
        KeyCode::Down => tb.down(),
        KeyCode::Home => tb.home(),
        KeyCode::End => tb.end(),
        KeyCode::Char(c) if !ctrl => tb.insert(c),
        _ => {}
    }
    app.overlay = Some(Overlay::Comment(tb));
    Vec::new()
}

fn save_comment(app: &mut App, tb: &TextBox, now: i64) -> Vec<Effect> {
    let Some(r) = app.current() else {
        return Vec::new();
    };
    let Some(h) = app.review.hunk(r) else {
        return Vec::new();
    };
    let id = h.id;
    // On the interdiff the cursor is on a line of another hunk: the comment is on the hunk.
    let cursor = if app.showing_interdiff(r) {
        usize::MAX
    } else {
        app.line
    };
    let path = app.review.commits[r.commit].files[r.file].path();
    let anchor = crate::model::Anchor::at(path, h, cursor);
    let commit = app.review.commits[r.commit].id.clone();
    app.session
        .set_comment(id, &tb.text(), anchor, &commit, now);
    app.notice = Some(info("comment saved"));
    vec![Effect::Save]
}
