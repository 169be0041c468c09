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

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let t = ctx.theme;
    let p = app.progress();
    let mut spans = vec![Span::styled(
        format!(" {}/{} decided ", p.decided, p.total),
        t.get("status.key"),
    )];
    for (i, sev) in Severity::ALL.iter().enumerate() {
        if p.by_severity[i] > 0 {
            spans.push(Span::styled(
                format!(" {} {} ", p.by_severity[i], sev.as_str()),
                super::severity_style(t, *sev),
            ));
        }
    }
    if let Some(at) = position(app) {
        spans.push(Span::styled(at, t.get("status")));
    }
    if let Some((done, total)) = app.loading {
        spans.push(Span::styled(
            format!(" loading {done}/{total} "),
            t.get("status.message"),
        ));
    } else if !app.review.is_complete() {
        spans.push(Span::styled(" loading… ", t.get("status.message")));
    }
    let left_w: usize = spans.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(left_w);
    let right: Vec<Span> = match &app.notice {
        Some(n) => vec![Span::styled(
            format!(" {} ", crate::text::printable(&n.text)),
            t.get(if n.error {
                "status.error"
            } else {
                "status.message"
            }),
        )],
        None => {
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
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.get("status")),
        area,
    );
}

/// Where the reviewer is, as tig says it: `c 1/3 f 2/10 h 3/19 L 8/152`.
pub fn position(app: &App) -> Option<String> {
    let r = app.current()?;
    let commit = app.review.commits.get(r.commit)?;
    let lines = app.review.hunk(r).map_or(0, |h| h.lines.len());
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
