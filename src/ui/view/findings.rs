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
    let mut lines: Vec<Line> = h
        .findings
        .iter()
        .take(inner.height as usize)
        .map(|f| {
            let at = match (f.line_no, f.column) {
                (Some(l), Some(c)) => format!("L{l}:{}", c + 1),
                (Some(l), None) => format!("L{l}"),
                _ => "file".to_string(),
            };
            Line::from(vec![
                Span::styled(
                    format!("{:<4}", severity_badge(f.severity)),
                    severity_style(t, f.severity),
                ),
                Span::styled(format!(" {at:<8} "), t.get("gutter")),
                Span::styled(printable(&f.message), t.get("line.context")),
                Span::styled(format!(" [{}]", f.rule), t.get("gutter")),
            ])
        })
        .collect();
    let hidden = h.findings.len().saturating_sub(lines.len()) + h.findings_omitted;
    if hidden > 0 {
        if lines.len() == inner.height as usize {
            lines.pop();
        }
        lines.push(Line::from(Span::styled(
            format!(
                "… and {} more finding{}",
                hidden + 1,
                if hidden == 0 { "" } else { "s" }
            ),
            t.get("gutter"),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
