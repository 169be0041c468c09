//! The side-by-side view: old on the left, new on the right, a change block's removed and added
//! lines paired row by row.

use ratatui::layout::Rect;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::hunk::{content_spans, line_style, title};
use super::ViewCtx;
use crate::model::{Hunk, LineKind};
use crate::ui::app::App;
use crate::ui::render_line;

/// Hunks longer than this are shown unified: pairing them on every frame costs too much.
const MAX_LINES: usize = 20_000;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let Some(r) = app.current() else { return };
    let file = &app.review.commits[r.commit].files[r.file];
    let hunk = &file.hunks[r.hunk];
    if hunk.is_file_level() || hunk.lines.len() > MAX_LINES || app.is_collapsed(r) {
        return super::hunk::draw(frame, area, app, ctx);
    }
    let width = area.width as usize;
    let half = width.saturating_sub(1) / 2;
    let digits = (hunk.old_start.max(hunk.new_start) + hunk.old_lines.max(hunk.new_lines))
        .to_string()
        .len()
        .max(3);
    let text_w = half.saturating_sub(digits + 4);
    let mut out = vec![title(app, ctx, file, hunk, width)];
    for (left, right) in pairs(hunk).into_iter().filter(|(l, r)| {
        l.or(*r).is_some_and(|i| i >= app.scroll) || r.is_some_and(|i| i >= app.scroll)
    }) {
        if out.len() >= area.height as usize {
            break;
        }
        let mut spans = side(app, ctx, hunk, left, digits, text_w, file);
        spans.push(Span::styled("│", ctx.theme.get("border")));
        spans.extend(side(app, ctx, hunk, right, digits, text_w, file));
        out.push(TextLine::from(spans));
    }
    frame.render_widget(Paragraph::new(out), area);
}

fn side<'a>(
    app: &App,
    ctx: &ViewCtx,
    hunk: &Hunk,
    i: Option<usize>,
    digits: usize,
    text_w: usize,
    file: &crate::model::FileChange,
) -> Vec<Span<'a>> {
    let blank = " ".repeat(digits + 4 + text_w);
    let Some(i) = i else {
        return vec![Span::styled(blank, ctx.theme.get("gutter"))];
    };
    let line = &hunk.lines[i];
    let no = match line.kind {
        LineKind::Removed => line.old_no,
        _ => line.new_no.or(line.old_no),
    };
    let gstyle = if i == app.line {
        ctx.theme.get("gutter").patch(ctx.theme.get("line.cursor"))
    } else {
        ctx.theme.get("gutter")
    };
    let mut spans = vec![
        // Its own cursor column, on both sides, visible without colour.
        Span::styled(if i == app.line { "▸" } else { " " }, gstyle),
        Span::styled(
            format!(
                "{:>digits$} ",
                no.map(|n| n.to_string()).unwrap_or_default()
            ),
            gstyle,
        ),
        Span::styled(format!("{} ", line.kind.sign()), line_style(ctx, line.kind)),
    ];
    let content = render_line::truncate(content_spans(app, ctx, file, hunk, i), text_w);
    let used: usize = content.iter().map(|s| s.width()).sum();
    spans.extend(content);
    spans.push(Span::styled(
        " ".repeat(text_w.saturating_sub(used)),
        line_style(ctx, line.kind),
    ));
    spans
}

/// Rows of (old line, new line) indices: context on both sides, a block's k-th removed line
/// beside its k-th added line.
pub fn pairs(hunk: &Hunk) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = Vec::new();
    let lines = &hunk.lines;
    let mut i = 0;
    while i < lines.len() {
        match lines[i].kind {
            LineKind::Context => {
                out.push((Some(i), Some(i)));
                i += 1;
            }
            _ => {
                let rs = i;
                while i < lines.len() && lines[i].kind == LineKind::Removed {
                    i += 1;
                }
                let a_start = i;
                while i < lines.len() && lines[i].kind == LineKind::Added {
                    i += 1;
                }
                let removed: Vec<usize> = (rs..a_start).collect();
                let added: Vec<usize> = (a_start..i).collect();
                for k in 0..removed.len().max(added.len()) {
                    out.push((removed.get(k).copied(), added.get(k).copied()));
                }
            }
        }
    }
    out
}
