//! The unified hunk view: line numbers, sign column, syntax colours, word emphasis, finding
//! marks in the gutter, wrapped long lines.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{severity_style, verdict_mark, ViewCtx};
use crate::model::{FileChange, Hunk, LineKind};
use crate::text::printable;
use crate::ui::app::App;
use crate::ui::render_line::{self, LineStyle};
use crate::ui::wordiff;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let Some(r) = app.current() else {
        frame.render_widget(Paragraph::new(" nothing to review"), area);
        return;
    };
    let file = &app.review.commits[r.commit].files[r.file];
    let real = &file.hunks[r.hunk];
    // A changed hunk shows what changed since the last round until the reviewer asks for it.
    let hunk = app.shown(r).unwrap_or(real);
    let mut out = vec![title(app, ctx, file, real, area.width as usize)];
    for (text, style) in preamble(app, r, area.width as usize) {
        out.push(TextLine::from(Span::styled(text, ctx.theme.get(style))));
    }
    if hunk.is_file_level() {
        out.push(TextLine::default());
        out.push(TextLine::from(Span::styled(
            format!("   {}", printable(&hunk.header)),
            ctx.theme.get("hunk.header"),
        )));
        frame.render_widget(Paragraph::new(out), area);
        return;
    }
    if app.is_collapsed(r) {
        let bytes: usize = hunk.lines.iter().map(|l| l.bytes.len()).sum();
        let t = ctx.theme;
        out.push(TextLine::default());
        out.push(TextLine::from(Span::styled(
            format!(
                "   A huge hunk: {} lines ({} added, {} removed), {:.1} MB.",
                hunk.lines.len(),
                hunk.added(),
                hunk.removed(),
                bytes as f64 / 1_048_576.0
            ),
            t.get("hunk.header"),
        )));
        out.push(TextLine::from(Span::styled(
            format!(
                "   Its findings are below. Press {} to show it in full.",
                app.keymap.label(crate::ui::action::Action::Expand)
            ),
            t.get("gutter"),
        )));
        frame.render_widget(Paragraph::new(out), area);
        return;
    }
    let height = area.height as usize;
    let width = area.width as usize;
    let gw = gutter_width(hunk);
    for i in app.scroll..hunk.lines.len() {
        if out.len() >= height {
            break;
        }
        let rows = line_rows(app, ctx, file, hunk, i, width.saturating_sub(gw));
        for (k, row) in rows.into_iter().enumerate() {
            if out.len() >= height {
                break;
            }
            let mut spans = if k == 0 {
                gutter(app, ctx, hunk, i, gw)
            } else {
                vec![Span::styled(
                    format!("{:>gw$}", "↪ "),
                    ctx.theme.get("gutter"),
                )]
            };
            spans.extend(row);
            out.push(TextLine::from(spans));
        }
        if i + 1 == hunk.lines.len() {
            comment_rows(app, ctx, real, width, height, &mut out);
        }
    }
    frame.render_widget(Paragraph::new(out), area);
}

/// Most rows the preamble takes: the lines under review keep the screen.
const PREAMBLE_MAX_ROWS: usize = 6;

/// Rows above a hunk's lines, with their style: that the screen shows what changed since the
/// last round, and the earlier rounds' decisions and comments standing beside the hunk until
/// it is decided again. Paging leaves them out of its rows (`ensure_visible`).
pub fn preamble(app: &App, r: crate::model::HunkRef, width: usize) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let previous = app.rounds.as_ref().and_then(|c| c.previous);
    if let (true, Some(previous)) = (app.showing_interdiff(r), previous) {
        out.push((
            format!(
                "   changes since round {previous} ({}: the hunk as it is now)",
                app.keymap.label(crate::ui::action::Action::Interdiff)
            ),
            "hunk.header",
        ));
    }
    for e in app.earlier(r) {
        let verdict = e.decision.verdict.map_or("commented", |v| v.as_str());
        let place = match (&e.now, &e.decision.anchor) {
            (Some(l), _) if l.start == l.end => format!(", on line {} now", l.start),
            (Some(l), _) => format!(", on lines {}-{} now", l.start, l.end),
            (None, Some(_)) => ", outdated: the lines it was on changed".to_string(),
            (None, None) => String::new(),
        };
        out.push((
            format!("   round {}: you {verdict} it{place}", e.round),
            "comment.earlier",
        ));
        for para in e.decision.comment.lines() {
            for row in super::overlay::wrap_words(&printable(para), width.saturating_sub(7).max(10))
            {
                out.push((format!("     “{row}”"), "comment.earlier"));
            }
        }
    }
    if out.len() > PREAMBLE_MAX_ROWS {
        out.truncate(PREAMBLE_MAX_ROWS - 1);
        out.push((
            "     … (the whole comment: countersign export)".to_string(),
            "comment.earlier",
        ));
    }
    out
}

/// The saved comment, under the hunk's last line, wrapped at words: it is read where the code
/// is, not only as a mark in the list.
fn comment_rows(
    app: &App,
    ctx: &ViewCtx,
    hunk: &Hunk,
    width: usize,
    height: usize,
    out: &mut Vec<TextLine<'static>>,
) {
    let Some(d) = app.session.decision(&hunk.id) else {
        return;
    };
    if d.comment.trim().is_empty() || out.len() + 1 >= height {
        return;
    }
    let style = ctx.theme.get("hunk.header");
    // Where the lines it is about are now (a rebase moves them), or that they changed.
    let path = app
        .current()
        .map(|r| app.review.commits[r.commit].files[r.file].path())
        .unwrap_or("");
    let place = match d.anchor.as_ref().map(|a| a.locate(path, hunk)) {
        Some(Some(l)) if l.start == l.end => format!(" on line {}", l.start),
        Some(Some(l)) => format!(" on lines {}-{}", l.start, l.end),
        Some(None) => " (outdated: the lines it was on changed)".to_string(),
        None => String::new(),
    };
    out.push(TextLine::from(Span::styled(
        format!("   ✎ your comment{place}:"),
        style,
    )));
    for para in d.comment.lines() {
        for row in super::overlay::wrap_words(&printable(para), width.saturating_sub(5).max(10)) {
            if out.len() >= height {
                return;
            }
            out.push(TextLine::from(Span::styled(format!("     {row}"), style)));
        }
    }
}

/// The file, the hunk's position and header, and its decision.
pub fn title<'a>(
    app: &App,
    ctx: &ViewCtx,
    file: &FileChange,
    hunk: &Hunk,
    width: usize,
) -> TextLine<'a> {
    let t = ctx.theme;
    let (mark, mstyle) = verdict_mark(app.session.verdict(&hunk.id));
    let verdict = app
        .session
        .verdict(&hunk.id)
        .map(|v| v.as_str())
        .unwrap_or("undecided");
    let origin = if hunk.needs_review() { "AI" } else { "human" };
    let mut spans = vec![
        Span::styled(format!("{mark} {verdict} "), t.get(mstyle)),
        Span::styled(
            format!(
                "{} {} ",
                file.change.letter(),
                printable(&file.display_path())
            ),
            t.get("list.file"),
        ),
    ];
    if !hunk.is_file_level() {
        spans.push(Span::styled(
            format!(
                "@@ -{},{} +{},{} @@ {}",
                hunk.old_start,
                hunk.old_lines,
                hunk.new_start,
                hunk.new_lines,
                printable(&hunk.header)
            ),
            t.get("hunk.header"),
        ));
    }
    spans.push(Span::styled(format!("  [{origin}]"), t.get("gutter")));
    if file.lossy {
        spans.push(Span::styled(" [not UTF-8: shown lossily]", t.get("hidden")));
    }
    if file.crlf {
        spans.push(Span::styled(" [CRLF]", t.get("gutter")));
    }
    if hunk.lines.len() > 2000 {
        spans.push(Span::styled(
            format!(" [{} lines]", hunk.lines.len()),
            t.get("finding.medium"),
        ));
    }
    TextLine::from(render_line::truncate(spans, width))
}

pub fn gutter_width(hunk: &Hunk) -> usize {
    let max = hunk.old_start.max(hunk.new_start) + hunk.old_lines.max(hunk.new_lines);
    let digits = max.to_string().len().max(3);
    // cursor, finding letter, old number, space, new number, space, sign, space
    1 + 1 + digits + 1 + digits + 1 + 1 + 1
}

fn gutter<'a>(app: &App, ctx: &ViewCtx, hunk: &Hunk, i: usize, gw: usize) -> Vec<Span<'a>> {
    let t = ctx.theme;
    let line = &hunk.lines[i];
    let digits = (gw - 6) / 2;
    let num = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let cursor = i == app.line;
    let base = if cursor {
        t.get("gutter").patch(t.get("line.cursor"))
    } else {
        t.get("gutter")
    };
    let finding = hunk
        .findings
        .iter()
        .filter(|f| f.line_index == Some(i))
        .map(|f| f.severity)
        .max();
    // The cursor has its own column, so a finding's letter never hides it (with NO_COLOR the
    // glyph is the only cursor there is).
    let cursor_mark = Span::styled(if cursor { "▸" } else { " " }, base);
    let mark = match finding {
        Some(sev) => Span::styled(
            sev.as_str()[..1].to_ascii_uppercase(),
            severity_style(t, sev),
        ),
        None => Span::styled(" ", base),
    };
    let sign_style = line_style(ctx, line.kind);
    vec![
        cursor_mark,
        mark,
        Span::styled(
            format!(
                "{:>digits$} {:>digits$} ",
                num(line.old_no),
                num(line.new_no)
            ),
            base,
        ),
        Span::styled(format!("{} ", line.kind.sign()), sign_style),
    ]
}

pub fn line_style(ctx: &ViewCtx, kind: LineKind) -> Style {
    ctx.theme.get(match kind {
        LineKind::Added => "line.added",
        LineKind::Removed => "line.removed",
        LineKind::Context => "line.context",
    })
}

/// The content of line `i` as styled spans (not wrapped).
pub fn content_spans(
    app: &App,
    ctx: &ViewCtx,
    file: &FileChange,
    hunk: &Hunk,
    i: usize,
) -> Vec<Span<'static>> {
    let t = ctx.theme;
    let line = &hunk.lines[i];
    let text = line.text();
    let (emph, emph_key) = match wordiff::partner(hunk, i) {
        Some(j) => {
            let other = hunk.lines[j].text();
            let (o, n) = if line.kind == LineKind::Removed {
                wordiff::emphasis(&text, &other)
            } else {
                wordiff::emphasis(&other, &text)
            };
            if line.kind == LineKind::Removed {
                (o, "line.removed.emph")
            } else {
                (n, "line.added.emph")
            }
        }
        None => (Vec::new(), "line.context"),
    };
    let syntax = ctx.highlight.get(&hunk.id).and_then(|sides| {
        let side = usize::from(line.kind != LineKind::Removed);
        let idx = side_index(hunk, i, side);
        sides[side].get(idx).map(|v| v.as_slice())
    });
    let mut base = line_style(ctx, line.kind);
    if i == app.line {
        base = base.patch(t.get("line.cursor"));
    }
    let st = LineStyle {
        base,
        syntax,
        emph: &emph,
        emph_style: t.get(emph_key),
        hidden_style: t.get("hidden"),
        search: (!app.last_search.is_empty())
            .then(|| (app.last_search.as_str(), t.get("search.match"))),
        crlf: file.crlf,
        whitespace: line.is_change().then(|| t.get("whitespace")),
    };
    let mut spans = render_line::spans(&text, &st);
    if line.missing_newline {
        spans.push(Span::styled(NO_NEWLINE, t.get("gutter")));
    }
    spans
}

fn line_rows(
    app: &App,
    ctx: &ViewCtx,
    file: &FileChange,
    hunk: &Hunk,
    i: usize,
    width: usize,
) -> Vec<Vec<Span<'static>>> {
    let starts = row_starts(hunk, i, width);
    render_line::wrap_at(content_spans(app, ctx, file, hunk, i), &starts)
}

/// Shown after a last line that has no newline.
const NO_NEWLINE: &str = " ⏎̸ no newline at end";

/// Where the wrapped rows of line `i` start, for a text area `width` columns wide: at words.
fn row_starts(hunk: &Hunk, i: usize, width: usize) -> Vec<usize> {
    let Some(line) = hunk.lines.get(i) else {
        return Vec::new();
    };
    let suffix = if line.missing_newline {
        unicode_width::UnicodeWidthStr::width(NO_NEWLINE)
    } else {
        0
    };
    render_line::row_starts(&line.text(), suffix, width)
}

/// Index of line `i` within its side (0: old = context + removed, 1: new = context + added).
fn side_index(hunk: &Hunk, i: usize, side: usize) -> usize {
    hunk.lines[..i]
        .iter()
        .filter(|l| match l.kind {
            LineKind::Context => true,
            LineKind::Removed => side == 0,
            LineKind::Added => side == 1,
        })
        .count()
}

/// Screen rows line `i` takes (wrapping in the unified view; one in side-by-side).
pub fn rows_of(hunk: &Hunk, i: usize, width: usize, side_by_side: bool) -> usize {
    if side_by_side {
        return 1;
    }
    let text_w = width.saturating_sub(gutter_width(hunk)).max(1);
    row_starts(hunk, i, text_w).len() + 1
}
