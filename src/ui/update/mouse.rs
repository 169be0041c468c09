//! The mouse: a click on a list row goes there, a click on a line puts the cursor on it, the
//! wheel scrolls what is under it. Off with `mouse = false` in the config.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{down, step, up, Effect};
use crate::ui::app::{App, Overlay};
use crate::ui::view;

/// Lines the wheel moves per notch, as less and most terminals' pagers do.
const WHEEL_LINES: usize = 3;

pub fn handle_mouse(app: &mut App, ev: MouseEvent, screen: Rect) -> Vec<Effect> {
    if !app.mouse {
        return Vec::new();
    }
    let at = Position::new(ev.column, ev.row);
    match &mut app.overlay {
        None => {}
        // Windows to read scroll with the wheel; clicks do nothing under a window.
        Some(Overlay::Help(top)) => {
            match ev.kind {
                MouseEventKind::ScrollDown => *top += WHEEL_LINES,
                MouseEventKind::ScrollUp => *top = top.saturating_sub(WHEEL_LINES),
                _ => {}
            }
            return Vec::new();
        }
        Some(Overlay::Message(m)) => {
            match ev.kind {
                MouseEventKind::ScrollDown => m.scroll += WHEEL_LINES,
                MouseEventKind::ScrollUp => m.scroll = m.scroll.saturating_sub(WHEEL_LINES),
                _ => {}
            }
            return Vec::new();
        }
        Some(_) => return Vec::new(),
    }
    let areas = view::areas(screen, app);
    let list = view::list_inner(areas.list);
    let in_list = list.contains(at);
    match ev.kind {
        MouseEventKind::ScrollDown if in_list => step(app, 1),
        MouseEventKind::ScrollUp if in_list => step(app, -1),
        MouseEventKind::ScrollDown => down(app, WHEEL_LINES),
        MouseEventKind::ScrollUp => up(app, WHEEL_LINES),
        MouseEventKind::Down(MouseButton::Left) if in_list => {
            let (start, _) = view::list_window(app, list.height as usize);
            let row = start + (at.y - list.y) as usize;
            if let Some(p) = app.rows.get(row).and_then(|r| app.row_target(*r)) {
                app.go(p);
            }
        }
        MouseEventKind::Down(MouseButton::Left) if areas.hunk.contains(at) => {
            click_line(app, (at.y - areas.hunk.y) as usize);
        }
        _ => return Vec::new(),
    }
    app.moved = true;
    Vec::new()
}

/// Puts the cursor on the line drawn at `row` of the hunk view (row 0 is its title).
fn click_line(app: &mut App, row: usize) {
    let Some(g) = app.geometry.as_ref() else {
        return;
    };
    if row == 0 {
        return;
    }
    let mut top = 1;
    for (i, rows) in g.rows.iter().enumerate().skip(app.scroll) {
        if row < top + rows {
            app.line = i;
            return;
        }
        top += rows;
    }
}
