//! Drawing only: each function takes the state and paints its part of the frame.

mod findings;
mod header;
mod hunk;
mod list;

pub use list::{inner as list_inner, window as list_window};
mod overlay;
mod side_by_side;
mod status;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::highlight::Highlighter;
use super::theme::Theme;

/// Below this the screen cannot show a hunk usefully; a message asks for a resize.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
/// Findings shown at most before the panel scrolls (it shows a count of the rest).
const FINDINGS_MAX_ROWS: u16 = 8;

/// What drawing needs besides the state.
pub struct ViewCtx<'a> {
    pub theme: &'a Theme,
    pub highlight: &'a Highlighter,
}

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub header: Rect,
    pub list: Rect,
    pub hunk: Rect,
    pub findings: Option<Rect>,
    /// The comment box, below the hunk, while a comment is being written: it takes the
    /// findings' place, so it never covers the lines under discussion.
    pub comment: Option<Rect>,
    pub status: Rect,
}

pub fn areas(area: Rect, app: &App) -> Areas {
    // A third header line says what changed since an approval that no longer covers the commit.
    let stale = app
        .current()
        .and_then(|r| app.review.commits.get(r.commit))
        .is_some_and(|c| c.stale_approval.is_some());
    let [header, body, status] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(
                2 + u16::from(stale)
                    + u16::from(app.review.plan_summary.is_some())
                    + u16::from(app.rounds.as_ref().is_some_and(|c| c.previous.is_some())),
            ),
            Constraint::Min(1),
            Constraint::Length(status::height(app, area.width)),
        ])
        .areas(area);
    let list_width = if app.zoom {
        0
    } else {
        (area.width / 3).clamp(24, 44)
    };
    let [list, right] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(list_width), Constraint::Min(1)])
        .areas(body);
    let findings_rows = app
        .current()
        .and_then(|r| app.review.hunk(r))
        .map(|h| h.findings.len() + usize::from(h.findings_omitted > 0))
        .unwrap_or(0) as u16;
    let commenting = matches!(app.overlay, Some(crate::ui::app::Overlay::Comment(_)));
    let (hunk, findings, comment) = if commenting && right.height > 8 {
        let rows = (right.height / 3).clamp(5, 12);
        let [h, c] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(4), Constraint::Length(rows)])
            .areas(right);
        (h, None, Some(c))
    } else if findings_rows > 0 && right.height > 8 {
        // Two rows a finding: at 80 columns a message and its rule id need them.
        let rows = (findings_rows * 2).min(FINDINGS_MAX_ROWS) + 1;
        let [h, f] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(4), Constraint::Length(rows)])
            .areas(right);
        (h, Some(f), None)
    } else {
        (right, None, None)
    };
    Areas {
        header,
        list,
        hunk,
        findings,
        comment,
        status,
    }
}

pub fn draw(frame: &mut Frame, app: &App, ctx: &ViewCtx) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small ({}×{}): countersign needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Resize to continue, or q to quit.",
            area.width, area.height
        );
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(Line::from(msg)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let a = areas(area, app);
    header::draw(frame, a.header, app, ctx);
    list::draw(frame, a.list, app, ctx);
    if app.side_by_side {
        side_by_side::draw(frame, a.hunk, app, ctx);
    } else {
        hunk::draw(frame, a.hunk, app, ctx);
    }
    if let Some(f) = a.findings {
        findings::draw(frame, f, app, ctx);
    }
    status::draw(frame, a.status, app, ctx);
    overlay::draw(frame, area, app, ctx);
}

/// Moves the hunk view's scroll so the cursor line is on screen.
pub fn ensure_visible(app: &mut App, size: Rect) {
    let a = areas(size, app);
    let height = a.hunk.height.saturating_sub(1) as usize;
    app.page = height.saturating_sub(2).max(1);
    if app.line < app.scroll {
        app.scroll = app.line;
    }
    let width = a.hunk.width as usize;
    // The rows above the lines (what changed since, earlier rounds' comments) are not rows
    // for lines: paging by rows must not count them.
    let height = app.current().map_or(height, |r| {
        height.saturating_sub(hunk::preamble(app, r, width).len())
    });
    let Some(h) = app.current().and_then(|r| app.shown(r)) else {
        return;
    };
    // The layout for paging by screen rows, and what is now on screen in full.
    let geometry = crate::ui::app::Geometry {
        hunk: h.id,
        height,
        rows: (0..h.lines.len())
            .map(|i| hunk::rows_of(h, i, width, app.side_by_side))
            .collect(),
    };
    let last = geometry.rows.len().saturating_sub(1);
    loop {
        let rows: usize = geometry
            .rows
            .iter()
            .take(app.line.min(last) + 1)
            .skip(app.scroll)
            .sum();
        if rows <= height || app.scroll >= app.line {
            break;
        }
        app.scroll += 1;
    }
    let Some(r) = app.current() else { return };
    if !app.is_collapsed(r) {
        let end = geometry.visible_end(app.scroll);
        let id = geometry.hunk;
        app.mark_seen(id, app.scroll, end);
    }
    app.geometry = Some(geometry);
}

/// The short badge of a severity: colour-free, so it reads in a plain capture too.
pub fn severity_badge(sev: crate::model::Severity) -> &'static str {
    match sev {
        crate::model::Severity::Critical => "CRIT",
        crate::model::Severity::High => "HIGH",
        crate::model::Severity::Medium => "MED",
        crate::model::Severity::Low => "LOW",
    }
}

pub fn severity_style(theme: &Theme, sev: crate::model::Severity) -> ratatui::style::Style {
    theme.get(&format!("finding.{}", sev.as_str()))
}

/// The decision mark of a hunk: ✓ approved, ✗ rejected, ! needs work, · undecided.
pub fn verdict_mark(v: Option<crate::model::Verdict>) -> (&'static str, &'static str) {
    use crate::model::Verdict;
    match v {
        Some(Verdict::Approved) => ("✓", "decision.approved"),
        Some(Verdict::Rejected) => ("✗", "decision.rejected"),
        Some(Verdict::NeedsWork) => ("!", "decision.needs-work"),
        None => ("·", "decision.undecided"),
    }
}
