//! The status line: progress (`N/M decided`, per severity), loading, the last notice, and the
//! keys that matter now.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::ViewCtx;
use crate::model::Severity;
use crate::ui::action::Action;
use crate::ui::app::App;

/// Rows a notice takes at most when it does not fit beside the progress; past them it is cut
/// (the notices that long are errors whose full text is also printed after the screen closes).
const NOTICE_MAX_ROWS: usize = 3;

/// The progress part, as text and the theme key it is drawn with.
fn left(app: &App) -> Vec<(String, String)> {
    let p = app.progress();
    let mut parts = vec![(
        format!(" {}/{} decided ", p.decided, p.total),
        "status.key".to_string(),
    )];
    for (i, sev) in Severity::ALL.iter().enumerate() {
        if p.by_severity[i] > 0 {
            parts.push((
                format!(" {} {} ", p.by_severity[i], sev.as_str()),
                format!("finding.{}", sev.as_str()),
            ));
        }
    }
    if let Some(at) = position(app) {
        parts.push((at, "status".into()));
    }
    if let Some((done, total)) = app.loading {
        parts.push((format!(" loading {done}/{total} "), "status.message".into()));
    } else if !app.review.is_complete() {
        parts.push((" loading… ".into(), "status.message".into()));
    }
    parts
}

/// The notice's rows when it goes below the progress (it does not fit beside it), else empty.
fn notice_rows(app: &App, width: usize) -> Vec<String> {
    let Some(n) = &app.notice else {
        return Vec::new();
    };
    let text = crate::text::printable(&n.text);
    let left_w: usize = left(app)
        .iter()
        .map(|(s, _)| unicode_width::UnicodeWidthStr::width(s.as_str()))
        .sum();
    if unicode_width::UnicodeWidthStr::width(text.as_str()) + 2 + left_w <= width {
        return Vec::new();
    }
    let mut rows = super::overlay::wrap_words(&text, width.saturating_sub(2).max(10));
    if rows.len() > NOTICE_MAX_ROWS {
        rows.truncate(NOTICE_MAX_ROWS);
        if let Some(last) = rows.last_mut() {
            last.push('…');
        }
    }
    rows
}

/// Rows the status area needs: one, plus a long notice's own rows.
pub fn height(app: &App, width: u16) -> u16 {
    1 + notice_rows(app, width as usize).len() as u16
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let t = ctx.theme;
    let mut spans: Vec<Span> = left(app)
        .into_iter()
        .map(|(text, key)| Span::styled(text, t.get(&key)))
        .collect();
    let below = notice_rows(app, area.width as usize);
    let left_w: usize = spans.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(left_w);
    let right: Vec<Span> = match &app.notice {
        Some(n) if below.is_empty() => vec![Span::styled(
            format!(" {} ", crate::text::printable(&n.text)),
            t.get(if n.error {
                "status.error"
            } else {
                "status.message"
            }),
        )],
        _ => {
            // Drop hints from the end (help last of all) until they fit.
            let mut h = hints(app, ctx);
            while h.iter().map(|s| s.width()).sum::<usize>() > room && h.len() > 2 {
                let help = h.split_off(h.len() - 2);
                h.truncate(h.len().saturating_sub(2));
                h.extend(help);
                if h.len() <= 2 {
                    break;
                }
            }
            h
        }
    };
    let right_w: usize = right.iter().map(|s| s.width()).sum();
    let gap = (area.width as usize).saturating_sub(left_w + right_w);
    spans.push(Span::styled(" ".repeat(gap), t.get("status")));
    spans.extend(right);
    let mut lines = vec![Line::from(spans)];
    if let Some(n) = &app.notice {
        let style = t.get(if n.error {
            "status.error"
        } else {
            "status.message"
        });
        lines.extend(
            below
                .into_iter()
                .map(|row| Line::from(Span::styled(format!(" {row} "), style))),
        );
    }
    frame.render_widget(Paragraph::new(lines).style(t.get("status")), area);
}

/// Where the reviewer is, as tig says it: `c 1/3 f 2/10 h 3/19 L 8/152`.
pub fn position(app: &App) -> Option<String> {
    let r = app.current()?;
    let commit = app.review.commits.get(r.commit)?;
    let lines = app.shown(r).map_or(0, |h| h.lines.len());
    let commits = if app.review.commits.len() > 1 {
        format!("c {}/{} ", r.commit + 1, app.review.commits.len())
    } else {
        String::new()
    };
    let line = if lines > 0 {
        format!(" L {}/{}", app.line + 1, lines)
    } else {
        String::new()
    };
    Some(format!(
        " {commits}f {}/{} h {}/{}{line} ",
        r.file + 1,
        commit.files.len(),
        app.pos + 1,
        app.nav.len()
    ))
}

fn hints<'a>(app: &App, ctx: &ViewCtx) -> Vec<Span<'a>> {
    let t = ctx.theme;
    let p = app.progress();
    let actions: &[Action] = if p.total > 0 && p.approved == p.total {
        &[Action::Sign, Action::Undo, Action::Help]
    } else {
        &[
            Action::Approve,
            Action::Reject,
            Action::NeedsWork,
            Action::Comment,
            Action::NextHunk,
            Action::Help,
        ]
    };
    let mut out = Vec::new();
    for a in actions {
        out.push(Span::styled(app.keymap.label(*a), t.get("status.key")));
        let word = match a {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::NeedsWork => "needs-work",
            Action::Comment => "comment",
            Action::NextHunk => "next",
            Action::Sign => "sign",
            Action::Undo => "undo",
            _ => "help",
        };
        out.push(Span::styled(format!(" {word}  "), t.get("status")));
    }
    out
}
