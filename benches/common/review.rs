//! The review as the review command opens it, timed: resolve → policy → analysis →
//! first_frame → App::new → one draw on a 200x60 TestBackend, then the background loader
//! until Done, each loaded commit applied and drawn as the screen does.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

use countersign::git::{self, range};
use countersign::load::{self, Analysis, LoadEvent};
use countersign::session::Session;
use countersign::ui::app::App;
use countersign::ui::highlight::Highlighter;
use countersign::ui::keymap::Keymap;
use countersign::ui::run::LOAD_FRAME;
use countersign::ui::theme::Theme;
use countersign::ui::view::{self, ViewCtx};

pub struct Sample {
    pub first_frame: Duration,
    /// The first frame's time on a CPU (main thread), without waits for a busy core.
    pub first_frame_cpu: Duration,
    pub complete: Duration,
    /// The loader's own time, from its start to Done.
    pub loader: Duration,
}

/// The review opening on `spec` (None: the default range, as `countersign` with no argument).
pub fn review(dir: &Path, spec: Option<&str>) -> Result<Sample> {
    let t0 = Instant::now();
    let cpu0 = super::thread_cpu();
    let mut prepared = load::Prepared::start();
    let theme = Theme::load("dark", None, true)?;
    let keymap = Keymap::builtin();
    let repo = git::repo::open_at(dir)?;
    let range = range::resolve(&repo, spec)?;
    let policy = git::trusted::policy(
        &repo.git,
        git::trusted::of_base(&repo.git, range.base.as_deref())?.as_ref(),
    )?;
    let analysis = Arc::new(Analysis::with_rules(&policy, false, Some(&prepared))?);
    let (review, oids) = load::first_frame(
        &repo.git,
        &range,
        &analysis,
        &load::Reviewing::of(&repo.git, &policy),
    )?;
    if let Some(file) = review.commits.first().and_then(|c| c.files.first()) {
        prepared.warm(&analysis, file);
    }
    let key = oids.last().map(|o| o.to_string()).unwrap_or_default();
    let mut app = App::new(review, Session::default(), keymap, key);
    let hl = Highlighter::start(theme.syntax.as_deref());
    let mut term = Terminal::new(TestBackend::new(200, 60))?;
    let area = Rect::new(0, 0, 200, 60);
    let ctx = ViewCtx {
        theme: &theme,
        highlight: &hl,
    };
    view::ensure_visible(&mut app, area);
    term.draw(|f| view::draw(f, &app, &ctx))?;
    let first_frame = t0.elapsed();
    let first_frame_cpu = super::thread_cpu().saturating_sub(cpu0);

    let rx = load::spawn(repo.git_dir(), oids, analysis);
    let mut loader = Duration::ZERO;
    // As the screen's loop does: everything already in the inbox is taken in, then one frame,
    // at most one per `LOAD_FRAME` while only commits come in.
    let mut last_frame = Instant::now();
    'load: while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(ev) = next.take() {
            let done = match &ev {
                LoadEvent::Done { elapsed } => Some(*elapsed),
                LoadEvent::Failed(e) => anyhow::bail!("loading failed: {e}"),
                _ => None,
            };
            app.apply_load(ev);
            if let Some(elapsed) = done {
                loader = elapsed;
                view::ensure_visible(&mut app, area);
                term.draw(|f| view::draw(f, &app, &ctx))?;
                break 'load;
            }
            next = rx.try_recv().ok();
            if next.is_none() {
                if let Some(left) = LOAD_FRAME.checked_sub(last_frame.elapsed()) {
                    next = rx.recv_timeout(left).ok();
                }
            }
        }
        view::ensure_visible(&mut app, area);
        term.draw(|f| view::draw(f, &app, &ctx))?;
        last_frame = Instant::now();
    }
    Ok(Sample {
        first_frame,
        first_frame_cpu,
        complete: t0.elapsed(),
        loader,
    })
}
