//! Windows over the main screen: help (generated from the keymap), the comment box, the search
//! prompt and confirmations.

use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::ViewCtx;
use crate::text::printable;
use crate::ui::action::Action;
use crate::ui::app::{App, Confirm, Overlay};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help(top)) => help(frame, area, app, *top, ctx),
        Some(Overlay::Comment(tb)) => {
            // Below the hunk (areas() leaves it room), or centred on a very small screen.
            let r = super::areas(area, app)
                .comment
                .unwrap_or_else(|| centered(area, 64, 12));
            comment_box(frame, r, tb, ctx);
        }
        Some(Overlay::Search(q)) => {
            let r = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
            frame.render_widget(Clear, r);
            let text = format!("/{}", printable(q));
            let w = text.chars().count() as u16;
            frame.render_widget(Paragraph::new(text).style(ctx.theme.get("overlay")), r);
            frame.set_cursor_position(Position::new(r.x + w.min(r.width.saturating_sub(1)), r.y));
        }
        Some(Overlay::Message(m)) => message(frame, area, m, ctx),
        Some(Overlay::Finder(f)) => finder(frame, area, app, f, ctx),
        Some(Overlay::Confirm(what)) => {
            let (title, body) = confirm_text(app, *what);
            // As tall as its text: what the signature still lacks is the end of the text, and
            // must never be cut off.
            let w = area.width.saturating_sub(4).clamp(40, 76);
            let rows: Vec<Line> = wrap_words(&body, w.saturating_sub(2) as usize)
                .into_iter()
                .map(Line::from)
                .collect();
            let r = centered(area, w, rows.len() as u16 + 2);
            let block = window(ctx, title);
            let inner = block.inner(r);
            frame.render_widget(Clear, r);
            frame.render_widget(block, r);
            frame.render_widget(Paragraph::new(rows).style(ctx.theme.get("overlay")), inner);
        }
    }
}

/// The comment being written, wrapped to the box (by characters, so the cursor maps exactly)
/// and scrolled to keep the cursor in view.
fn comment_box(frame: &mut Frame, r: Rect, tb: &crate::ui::textbox::TextBox, ctx: &ViewCtx) {
    let block = window(
        ctx,
        " comment · Esc save · Ctrl-C discard · Enter new line ",
    );
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    let w = (inner.width as usize).max(1);
    let mut rows: Vec<String> = Vec::new();
    let (mut cursor_row, mut cursor_col) = (0, 0);
    for (i, line) in tb.lines.iter().enumerate() {
        let chars: Vec<char> = printable(line).chars().collect();
        let chunks: Vec<String> = if chars.is_empty() {
            vec![String::new()]
        } else {
            chars.chunks(w).map(|c| c.iter().collect()).collect()
        };
        if i == tb.row {
            cursor_row = rows.len() + tb.col / w;
            cursor_col = tb.col % w;
            // At the very end of a full row the cursor starts the next one.
            if tb.col > 0 && tb.col % w == 0 && tb.col == chars.len() {
                cursor_row = rows.len() + chunks.len();
            }
        }
        rows.extend(chunks);
    }
    if cursor_row >= rows.len() {
        rows.push(String::new());
    }
    let height = (inner.height as usize).max(1);
    let scroll = cursor_row.saturating_sub(height - 1);
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(scroll)
        .take(height)
        .map(Line::from)
        .collect();
    frame.render_widget(Paragraph::new(lines).style(ctx.theme.get("overlay")), inner);
    frame.set_cursor_position(Position::new(
        inner.x + cursor_col as u16,
        inner.y + (cursor_row - scroll) as u16,
    ));
}

/// The file finder: the query on top, the matching files below, best first, the matched
/// characters marked, the chosen one marked by a glyph too (it must show without colour).
fn finder(frame: &mut Frame, area: Rect, app: &App, f: &crate::ui::app::Finder, ctx: &ViewCtx) {
    let t = ctx.theme;
    let found = crate::ui::update::finder_candidates(app, &f.query);
    let total = crate::ui::update::finder_candidates(app, "").len();
    let width = area.width.saturating_sub(4).clamp(20, 90);
    let height = area.height.saturating_sub(4).clamp(5, 22);
    let r = centered(area, width, height);
    let title = format!(
        " find a file · {} of {total} · ↑/↓ choose · Enter goes · Esc closes ",
        found.len()
    );
    let block = window(ctx, &title);
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    let rows = inner.height.saturating_sub(1) as usize;
    let selected = f.selected.min(found.len().saturating_sub(1));
    let top = selected.saturating_sub(rows.saturating_sub(1));
    let text_w = (inner.width as usize).saturating_sub(2);
    let mut lines = vec![Line::from(Span::styled(
        format!("> {}", printable(&f.query)),
        t.get("overlay"),
    ))];
    for (i, c) in found.iter().enumerate().skip(top).take(rows) {
        let chosen = i == selected;
        let base = if chosen {
            t.get("overlay").patch(t.get("list.selected"))
        } else {
            t.get("overlay")
        };
        let mut spans = vec![Span::styled(if chosen { "▸ " } else { "  " }, base)];
        let label = fit_start(&c.label, text_w);
        let cut = c.label.len() - label.len();
        for (at, ch) in label.char_indices() {
            let style = if c.hits.contains(&(at + cut)) {
                base.patch(t.get("search.match"))
            } else {
                base
            };
            spans.push(Span::styled(ch.to_string(), style));
        }
        lines.push(Line::from(spans));
    }
    if found.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no file matches",
            t.get("gutter"),
        )));
    }
    frame.render_widget(Paragraph::new(lines).style(t.get("overlay")), inner);
    let qw = unicode_width::UnicodeWidthStr::width(printable(&f.query).as_str()) as u16 + 2;
    frame.set_cursor_position(Position::new(
        inner.x + qw.min(inner.width.saturating_sub(1)),
        inner.y,
    ));
}

/// The end of `s` that fits `w` columns (a path's end tells files apart), whole characters.
fn fit_start(s: &str, w: usize) -> &str {
    let mut start = s.len();
    let mut used = 0;
    for (at, c) in s.char_indices().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w {
            break;
        }
        used += cw;
        start = at;
    }
    &s[start..]
}

/// A result window as wide as the screen allows, wrapped at words, as tall as its text (up to
/// the screen), scrolled by the reviewer when it is longer.
fn message(frame: &mut Frame, area: Rect, m: &crate::ui::app::Message, ctx: &ViewCtx) {
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let text_width = width.saturating_sub(2).max(1) as usize;
    // Each line of the text made safe on its own: printable() shows a newline as a symbol.
    let lines: Vec<String> = m
        .text
        .split('\n')
        .flat_map(|l| wrap_words(&printable(l), text_width))
        .collect();
    let height = (lines.len() as u16 + 2)
        .min(area.height.saturating_sub(2))
        .max(3);
    let visible = height.saturating_sub(2) as usize;
    let scroll = m.scroll.min(lines.len().saturating_sub(visible));
    let more = lines.len() > visible;
    let title = if more {
        format!(
            " {} · lines {}-{} of {} · j/k scroll · any other key closes ",
            m.title,
            scroll + 1,
            (scroll + visible).min(lines.len()),
            lines.len()
        )
    } else {
        format!(" {} · any key closes ", m.title)
    };
    let r = centered(area, width, height);
    let block =
        Block::default()
            .borders(Borders::ALL)
            .title(title)
            .style(
                ctx.theme
                    .get(if m.error { "status.error" } else { "overlay" }),
            );
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(visible)
        .map(Line::from)
        .collect();
    frame.render_widget(Paragraph::new(shown).style(ctx.theme.get("overlay")), inner);
}

/// Wraps at spaces, breaking a word only when it is longer than a line (a commit id, a path).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in para.split(' ') {
            let w = unicode_width::UnicodeWidthStr::width(word);
            if len > 0 && len + 1 + w > width {
                out.push(std::mem::take(&mut line));
                len = 0;
            }
            let mut word = word.to_string();
            while unicode_width::UnicodeWidthStr::width(word.as_str()) > width {
                let cut: String = word
                    .chars()
                    .take(width.saturating_sub(len).max(1))
                    .collect();
                word = word[cut.len()..].to_string();
                line.push_str(&cut);
                out.push(std::mem::take(&mut line));
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            len += unicode_width::UnicodeWidthStr::width(word.as_str());
            line.push_str(&word);
        }
        out.push(line);
    }
    out
}

fn confirm_text(app: &App, what: Confirm) -> (&'static str, String) {
    let p = app.progress();
    match what {
        Confirm::ApproveUnseen => {
            let (seen, total) = app.current().map(|r| app.seen_lines(r)).unwrap_or((0, 0));
            (
                " approve unseen? ",
                format!(
                    "{seen} of this hunk's {total} lines have been on screen. Page through it \
                     (PgDn) or expand it first, or press y to approve it unseen: the review \
                     record will say so. Any other key cancels."
                ),
            )
        }
        Confirm::ApproveCritical => (
            " approve a CRITICAL hunk? ",
            "This hunk has a critical finding. Approve it anyway? y approves, any other key cancels."
                .to_string(),
        ),
        Confirm::Sign => {
            let earlier = match app.earlier_decisions() {
                (0, _) => String::new(),
                (n, last) => format!(
                    " {n} of these decisions were made in an earlier sitting (the last at {}).",
                    last.map(crate::timefmt::rfc3339).unwrap_or_default()
                ),
            };
            (
                " sign the approval? ",
                format!(
                    "All {} AI-touched hunks are approved.{earlier} Sign as {} and write the trailer into {} commit(s)?{} y signs, any other key cancels.",
                    p.total,
                    crate::text::printable(
                        app.signing_as
                            .as_deref()
                            .unwrap_or("your git signing key")
                    ),
                    app.review.commits.len(),
                    app.sign_outlook
                        .as_ref()
                        .map(|o| format!(" {}", crate::text::printable(&o.describe(&app.review.commits))))
                        .unwrap_or_default()
                ),
            )
        }
        Confirm::Export => (
            " not approved ",
            format!(
                "{} rejected, {} need work: this cannot be signed. Export the review for the author? y exports, any other key cancels.",
                p.rejected, p.needs_work
            ),
        ),
    }
}

/// One entry a line, whole; on a screen too small for all of them it scrolls (j/k), and the
/// title says which entries are shown.
fn help(frame: &mut Frame, area: Rect, app: &App, top: usize, ctx: &ViewCtx) {
    let t = ctx.theme;
    let n = Action::ALL.len();
    let r = centered(area, 78, (n as u16 + 3).min(area.height));
    let visible = (r.height as usize).saturating_sub(3).max(1);
    let top = top.min(n.saturating_sub(visible));
    let title = if visible < n {
        format!(
            " keys {}-{} of {n} · j/k scroll · Esc closes ",
            top + 1,
            (top + visible).min(n)
        )
    } else {
        " keys · Esc closes ".to_string()
    };
    let block = window(ctx, &title);
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    let key_w = 18;
    let desc_w = (inner.width as usize).saturating_sub(key_w + 2);
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .skip(top)
        .take(visible)
        .map(|a| {
            let label: String = app
                .keymap
                .keys_of(*a)
                .iter()
                .take(4)
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join("/");
            Line::from(vec![
                Span::styled(format!(" {label:<key_w$}"), t.get("overlay.title")),
                Span::styled(format!("{:<desc_w$} ", a.description()), t.get("overlay")),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " Keys are set in ~/.config/countersign/config.toml [keys].",
        t.get("overlay"),
    )));
    frame.render_widget(Paragraph::new(lines).style(t.get("overlay")), inner);
}

fn window<'a>(ctx: &ViewCtx, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.get("overlay.title"))
        .style(ctx.theme.get("overlay"))
        .title(Span::styled(title, ctx.theme.get("overlay.title")))
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}
