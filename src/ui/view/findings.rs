//! The findings of the current hunk: severity, rule, line and the one-sentence message.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::{severity_badge, severity_style, ViewCtx};
use crate::text::printable;
use crate::ui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let t = ctx.theme;
    let Some(h) = app.current().and_then(|r| app.review.hunk(r)) else {
        return;
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.get("border"))
        .title(Span::styled(" findings ", t.get("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Rows each finding takes once wrapped: the pane shows whole findings, and says how many
    // more there are (F opens them all) instead of cutting the last one.
    let width = (inner.width as usize).max(1);
    let height = inner.height as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut used = 0;
    let mut shown = 0;
    for f in &h.findings {
        let last = shown + 1 == h.findings.len() && h.findings_omitted == 0;
        // Keep a row for the "more" line unless this is the last finding.
        let room = height.saturating_sub(used + usize::from(!last));
        let rows = |line: &Line| line.width().div_ceil(width).max(1);
        let full = finding_line(f, ctx);
        let line = if rows(&full) <= room {
            full
        } else {
            // Without its rule id (F shows it) when the whole line does not fit.
            let short = finding_line_short(f, ctx);
            if rows(&short) > room {
                break;
            }
            short
        };
        used += rows(&line);
        shown += 1;
        lines.push(line);
    }
    let hidden = h.findings.len() - shown + h.findings_omitted;
    if hidden > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "… and {hidden} more finding{} ({} shows them all)",
                if hidden == 1 { "" } else { "s" },
                app.keymap.label(crate::ui::action::Action::Findings)
            ),
            t.get("gutter"),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// One finding as the pane and the full list show it.
pub fn finding_line(f: &crate::model::Finding, ctx: &ViewCtx) -> Line<'static> {
    let mut line = finding_line_short(f, ctx);
    line.spans.push(Span::styled(
        format!(" [{}]", f.rule),
        ctx.theme.get("gutter"),
    ));
    line
}

/// The same without the rule id, for a pane too small for the whole line.
fn finding_line_short(f: &crate::model::Finding, ctx: &ViewCtx) -> Line<'static> {
    let t = ctx.theme;
    Line::from(vec![
        Span::styled(
            format!("{:<4}", severity_badge(f.severity)),
            severity_style(t, f.severity),
        ),
        Span::styled(format!(" {:<8} ", f.place()), t.get("gutter")),
        Span::styled(printable(&f.message), t.get("line.context")),
    ])
}
