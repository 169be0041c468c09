use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::ViewCtx;
use crate::text::printable;
use crate::ui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, ctx: &ViewCtx) {
    let t = ctx.theme;
    let n = app.review.commits.len();
    let ci = app.current().map(|r| r.commit).unwrap_or(0);
    let Some(commit) = app.review.commits.get(ci) else {
        return;
    };
    let mut first = vec![
        Span::styled(" countersign ", t.get("header.ai")),
        Span::styled(format!(" {} ", commit.short_id()), t.get("header")),
        Span::styled(printable(&commit.summary), t.get("header")),
    ];
    if n > 1 {
        first.push(Span::styled(
            format!(
                "  (commit {}/{n} of {})",
                ci + 1,
                printable(&app.review.range)
            ),
            t.get("header.dim"),
        ));
    }
    let evidence = match commit.evidence.first() {
        Some(e) => {
            let who = e
                .agent
                .clone()
                .or_else(|| e.model.clone())
                .unwrap_or_else(|| "AI".into());
            let more = if commit.evidence.len() > 1 {
                format!(" +{}", commit.evidence.len() - 1)
            } else {
                String::new()
            };
            format!("AI: {} ({}{more})", printable(&who), source_name(e.source))
        }
        None => "no AI evidence".to_string(),
    };
    let mut second = vec![
        Span::styled(
            format!(" by {}  ", printable(&commit.author.ident())),
            t.get("header.dim"),
        ),
        Span::styled(evidence, t.get("header.ai")),
    ];
    let headline = app.rounds.as_ref().and_then(|c| c.headline());
    // What changed since the reviewer's last round says the carried-over count too.
    if headline.is_none() && app.carried_over > 0 {
        second.push(Span::styled(
            format!(
                "  {} decision{} carried over from an earlier version",
                app.carried_over,
                if app.carried_over == 1 { "" } else { "s" }
            ),
            t.get("header.dim"),
        ));
    }
    let mut lines = vec![Line::from(first), Line::from(second)];
    if let Some(headline) = headline {
        let keys = format!(
            "  ({} changed or new only)",
            app.keymap.label(crate::ui::action::Action::ChangedOnly)
        );
        lines.push(Line::from(vec![
            Span::styled(format!(" {headline}"), t.get("round.changed")),
            Span::styled(keys, t.get("header.dim")),
        ]));
    }
    if let Some(stale) = &commit.stale_approval {
        let shown: Vec<&str> = stale.paths.iter().take(4).map(String::as_str).collect();
        let more = stale.paths.len().saturating_sub(shown.len());
        lines.push(Line::from(Span::styled(
            format!(
                " changed since the approval by {} ({}): {}{}",
                printable(&stale.reviewer),
                crate::timefmt::rfc3339(stale.time),
                printable(&shown.join(", ")),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            t.get("finding.high"),
        )));
    }
    if let Some(plan) = &app.review.plan_summary {
        lines.push(Line::from(Span::styled(
            format!(" {}", printable(plan)),
            t.get("finding.critical"),
        )));
    }
    let style = t.get("header");
    frame.render_widget(Paragraph::new(lines).style(style), area);
}

fn source_name(s: crate::model::EvidenceSource) -> &'static str {
    use crate::model::EvidenceSource::*;
    match s {
        Notes => "git-ai notes",
        Trailer => "trailer",
        Author => "author",
        Committer => "committer",
        Message => "message",
        Policy => "policy marker",
        All => "--all",
    }
}
