use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{severity_badge, severity_style, verdict_mark, ViewCtx};
use crate::session::rounds::Since;
use crate::text::printable;
use crate::ui::app::{App, Order, Row};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let t = ctx.theme;
    let title = match app.order {
        Order::File => " files ",
        Order::Triage => " triage: riskiest first ",
    };
    let block = Block::default()
        .borders(Borders::RIGHT)
        .border_style(t.get("border"))
        .title(Span::styled(title, t.get("list.commit")));
    let inner = inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let width = inner.width as usize;
    let (start, selected) = window(app, height);
    let lines: Vec<Line> = app.rows[start..]
        .iter()
        .take(height)
        .enumerate()
        .map(|(i, row)| row_line(app, ctx, *row, start + i == selected, width))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The first row shown in a list `height` rows tall, and the selected row: the selection stays
/// in the middle third once the list scrolls. Drawing and mouse clicks both place rows by this.
pub fn window(app: &App, height: usize) -> (usize, usize) {
    let selected = app.selected_row().unwrap_or(0);
    let start = selected
        .saturating_sub(height / 3)
        .min(app.rows.len().saturating_sub(height));
    (start, selected)
}

/// The list's inner area (inside its border, below its title) within the list's area.
pub fn inner(area: Rect) -> Rect {
    Block::default()
        .borders(Borders::RIGHT)
        .title(" ")
        .inner(area)
}

fn row_line<'a>(app: &'a App, ctx: &ViewCtx, row: Row, selected: bool, width: usize) -> Line<'a> {
    let t = ctx.theme;
    let sel = if selected {
        t.get("list.selected")
    } else {
        Style::default()
    };
    match row {
        Row::Commit(c) => {
            let commit = &app.review.commits[c];
            // The selection glyph, then the fold: ▶ folded, ▼ open.
            let fold = if app.folds.commit_folded(c) {
                "▶"
            } else {
                "▼"
            };
            Line::from(vec![
                Span::styled(if selected { "▸" } else { " " }, sel),
                Span::styled(
                    fit(
                        &format!(
                            "{fold} {} {}",
                            commit.short_id(),
                            printable(&commit.summary)
                        ),
                        width.saturating_sub(1),
                    ),
                    t.get("list.commit").patch(sel),
                ),
            ])
        }
        Row::File(c, f) => {
            let file = &app.review.commits[c].files[f];
            let badge = file.risk().map(severity_badge).unwrap_or("");
            let stats = if file.loaded {
                format!("+{} -{}", file.added, file.removed)
            } else {
                "…".to_string()
            };
            let fold = if app.order == Order::File && app.folds.file_folded(c, f) {
                "▶"
            } else {
                " "
            };
            let tail = format!(" {stats} {badge}");
            let name_w = width.saturating_sub(tail.chars().count() + 4);
            let name = fit_left(&printable(&file.display_path()), name_w);
            let mut spans = vec![
                Span::styled(if selected { "▸" } else { " " }, sel),
                Span::styled(
                    format!("{fold}{} ", file.change.letter()),
                    t.get("list.file").patch(sel),
                ),
                Span::styled(format!("{name:<name_w$}"), t.get("list.file").patch(sel)),
                Span::styled(format!(" {stats} "), t.get("list.hunk").patch(sel)),
            ];
            if let Some(sev) = file.risk() {
                spans.push(Span::styled(badge, severity_style(t, sev).patch(sel)));
            }
            Line::from(spans)
        }
        Row::Hunk(r) => {
            let Some(h) = app.review.hunk(r) else {
                return Line::default();
            };
            let (mark, style) = verdict_mark(app.session.verdict(&h.id));
            let label = if h.is_file_level() {
                printable(&h.header)
            } else {
                format!("@@ {},{}", h.new_start, h.new_lines)
            };
            let tail_w = h.risk().map(severity_badge).unwrap_or("").len() + 3;
            let label = if app.order == Order::Triage {
                // Rows of many files mixed: as much of the path as fits, its end kept, so five
                // Dockerfiles in five services read apart.
                // On a narrow list the path wins over the hunk's @@ position (the hunk view's
                // title has it).
                let file = &app.review.commits[r.commit].files[r.file];
                let path = printable(file.path());
                let room = width.saturating_sub(4 + tail_w);
                let with_label = room.saturating_sub(label.chars().count() + 1);
                if with_label >= path.chars().count().min(16) {
                    format!("{} {label}", fit_left(&path, with_label))
                } else {
                    fit_left(&path, room)
                }
            } else {
                label
            };
            let human = !h.needs_review();
            let badge = h.risk().map(severity_badge).unwrap_or("");
            let comment = app
                .session
                .decision(&h.id)
                .is_some_and(|d| !d.comment.is_empty());
            let label_w = width.saturating_sub(4 + tail_w);
            let label_style = if human {
                t.get("list.human")
            } else {
                t.get("list.hunk")
            };
            // The selection is marked by a glyph too, so it shows without colour.
            let mut spans = vec![
                Span::styled(if selected { "▸ " } else { "  " }, sel),
                Span::styled(mark, t.get(style).patch(sel)),
                // Since the last round: ~ changed, + new (a glyph, so it reads without colour).
                match app.since(r) {
                    Some(Since::Changed(_)) => Span::styled("~", t.get("round.changed").patch(sel)),
                    Some(Since::New) => Span::styled("+", t.get("round.new").patch(sel)),
                    _ => Span::styled(" ", sel),
                },
                Span::styled(
                    format!("{:<label_w$}", fit(&label, label_w)),
                    label_style.patch(sel),
                ),
                Span::styled(
                    if comment {
                        " ✎"
                    } else if human {
                        " h"
                    } else {
                        "  "
                    },
                    label_style.patch(sel),
                ),
                Span::styled(" ", sel),
            ];
            if let Some(sev) = h.risk() {
                spans.push(Span::styled(badge, severity_style(t, sev).patch(sel)));
            }
            Line::from(spans)
        }
    }
}

/// Cuts to `w` characters from the right end.
fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Cuts to `w` characters keeping the end (a path's file name matters most).
fn fit_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        s.to_string()
    } else {
        let skip = n - w.saturating_sub(1);
        format!("…{}", s.chars().skip(skip).collect::<String>())
    }
}
