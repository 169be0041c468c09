//! (c) Keystroke to frame on the large change, fully loaded: 200 scripted steps of `n`, `j`,
//! page-down, `a` through `handle_key` → `ensure_visible` → draw into a ratatui
//! `CrosstermBackend` at 200x60 writing into a counting sink (the bytes a terminal would get).
//! Twice: "reading" (the highlighter catches up between keys, as when a reviewer reads) and
//! "typing" (keys back to back while the highlighter works on the other core). Then bursts of
//! 30 `j` (and 30 `n`) handled before one draw, as the event loop drains held keys.

mod common;

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use common::{median, ms, percentile};
use countersign::git::{self, range};
use countersign::load::{self, Analysis};
use countersign::session::Session;
use countersign::ui::app::App;
use countersign::ui::highlight::Highlighter;
use countersign::ui::keymap::Keymap;
use countersign::ui::theme::Theme;
use countersign::ui::update::handle_key;
use countersign::ui::view::{self, ViewCtx};

/// Counts what would reach the terminal and throws it away.
struct Sink(Rc<Cell<usize>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const W: u16 = 200;
const H: u16 = 60;

fn loaded_app(dir: &std::path::Path) -> Result<App> {
    let repo = git::repo::open_at(dir)?;
    // COUNTERSIGN_BENCH_RANGE names a range on another repository (COUNTERSIGN_BENCH_REPO),
    // e.g. big-base..big of scripts/prepare-real-bench.sh's ripgrep.
    let spec = std::env::var("COUNTERSIGN_BENCH_RANGE").ok();
    let range = range::resolve(&repo, spec.as_deref())?;
    let policy = git::trusted::policy(
        &repo.git,
        git::trusted::of_base(&repo.git, range.base.as_deref())?.as_ref(),
    )?;
    let analysis = Arc::new(Analysis::new(&policy, false)?);
    let (review, oids) = load::first_frame(
        &repo.git,
        &range,
        &analysis,
        &load::Reviewing::of(&repo.git, &policy),
    )?;
    let key = oids.last().map(|o| o.to_string()).unwrap_or_default();
    let mut app = App::new(review, Session::default(), Keymap::builtin(), key);
    for ev in load::spawn(repo.git_dir(), oids, analysis).iter() {
        app.apply_load(ev);
    }
    Ok(app)
}

struct Screen {
    term: Terminal<CrosstermBackend<Sink>>,
    bytes: Rc<Cell<usize>>,
    theme: Theme,
    hl: Highlighter,
}

impl Screen {
    fn new() -> Result<Screen> {
        let bytes = Rc::new(Cell::new(0));
        let term = Terminal::with_options(
            CrosstermBackend::new(Sink(Rc::clone(&bytes))),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, W, H)),
            },
        )?;
        let theme = Theme::load("dark", None, true)?;
        let hl = Highlighter::start(theme.syntax.as_deref());
        Ok(Screen {
            term,
            bytes,
            theme,
            hl,
        })
    }

    /// What the run loop does once input is drained: colours in, scroll, requests, one frame.
    /// Returns the bytes written.
    fn frame(&mut self, app: &mut App) -> Result<usize> {
        self.hl.receive();
        countersign::ui::prepare_frame(app, &mut self.hl, Rect::new(0, 0, W, H), true);
        let before = self.bytes.get();
        let ctx = ViewCtx {
            theme: &self.theme,
            highlight: &self.hl,
        };
        self.term.draw(|f| view::draw(f, app, &ctx))?;
        Ok(self.bytes.get() - before)
    }

    /// The reviewer reads: the highlighter finishes, and its colours are drawn (untimed).
    fn settle(&mut self, app: &mut App) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.hl.is_busy() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
            if self.hl.receive() {
                self.frame(app)?;
            }
        }
        Ok(())
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The current hunk, for naming slow frames.
fn describe(app: &App) -> String {
    let Some(r) = app.current() else {
        return "no hunk".into();
    };
    let file = &app.review.commits[r.commit].files[r.file];
    let lines = file.hunks.get(r.hunk).map_or(0, |h| h.lines.len());
    let widest = file
        .hunks
        .get(r.hunk)
        .and_then(|h| h.lines.iter().map(|l| l.bytes.len()).max())
        .unwrap_or(0);
    format!(
        "{} hunk {} ({lines} lines, widest {widest} bytes, cursor line {})",
        file.path(),
        r.hunk,
        app.line
    )
}

fn script(mut app: App, reading: bool) -> Result<()> {
    let mut screen = Screen::new()?;
    screen.frame(&mut app)?;
    screen.settle(&mut app)?;
    let steps = [
        key(KeyCode::Char('n')),
        key(KeyCode::Char('j')),
        key(KeyCode::PageDown),
        key(KeyCode::Char('a')),
    ];
    let (mut times, mut bytes, mut redraws, mut slow) = (vec![], vec![], vec![], vec![]);
    let mut cpu = Vec::new();
    let mut per_key: [Vec<Duration>; 4] = Default::default();
    for i in 0..200 {
        let started = Instant::now();
        let cpu0 = common::thread_cpu();
        handle_key(&mut app, steps[i % steps.len()], 1_795_294_800);
        let written = screen.frame(&mut app)?;
        let took = started.elapsed();
        cpu.push(common::thread_cpu().saturating_sub(cpu0));
        per_key[i % steps.len()].push(took);
        times.push(took);
        bytes.push(written);
        // The same frame again: the view's own cost without the key, to tell a slow frame
        // from a moment the scheduler gave the core to someone else.
        let again = Instant::now();
        screen.frame(&mut app)?;
        redraws.push(again.elapsed());
        slow.push((took, i, describe(&app)));
        if reading {
            screen.settle(&mut app)?;
        }
    }
    let max = times.iter().max().copied().unwrap_or_default();
    let (p95, mid) = (percentile(&times, 0.95), median(&times));
    bytes.sort();
    slow.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, i, what) in slow.iter().take(3) {
        println!("      slow step {i}: {:.2} ms at {what}", ms(*took));
    }
    println!(
        "      on-CPU (schedstat, updated per scheduler tick: indicative) of the 200 frames: median {:.3} ms, p95 {:.3} ms, max {:.3} ms",
        ms(median(&cpu)),
        ms(percentile(&cpu, 0.95)),
        ms(cpu.iter().max().copied().unwrap_or_default())
    );
    println!(
        "      median by key (wall): n {:.3} ms, j {:.3} ms, page-down {:.3} ms, a {:.3} ms",
        ms(median(&per_key[0])),
        ms(median(&per_key[1])),
        ms(median(&per_key[2])),
        ms(median(&per_key[3]))
    );
    println!(
        "      same frames redrawn (view cost without the key): median {:.3} ms, p95 {:.3} ms, max {:.3} ms",
        ms(median(&redraws)),
        ms(percentile(&redraws, 0.95)),
        ms(redraws.iter().max().copied().unwrap_or_default())
    );
    println!(
        "  (c) {:<8} 200 keys: median {:.3} ms, p95 {:.3} ms (target <= 4: {}), max {:.3} ms (target <= 16: {}); bytes/frame median {} max {}",
        if reading { "reading" } else { "typing" },
        ms(mid),
        ms(p95),
        if ms(p95) <= 4.0 { "MET" } else { "MISSED" },
        ms(max),
        if ms(max) <= 16.0 { "MET" } else { "MISSED" },
        bytes[bytes.len() / 2],
        bytes[bytes.len() - 1],
    );
    Ok(())
}

fn burst(mut app: App, code: KeyCode) -> Result<()> {
    let mut screen = Screen::new()?;
    screen.frame(&mut app)?;
    let mut times = Vec::new();
    for _ in 0..20 {
        screen.settle(&mut app)?;
        let started = Instant::now();
        for _ in 0..30 {
            handle_key(&mut app, key(code), 1_795_294_800);
        }
        screen.frame(&mut app)?;
        times.push(started.elapsed());
        // Somewhere else for the next burst.
        handle_key(&mut app, key(KeyCode::Char('}')), 1_795_294_800);
        screen.frame(&mut app)?;
    }
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "  (c) burst of 30 {:?} then one frame (20 bursts): median {:.3} ms, max {:.3} ms (target <= 50: {})",
        code,
        ms(median(&times)),
        ms(max),
        if ms(max) <= 50.0 { "MET" } else { "MISSED" }
    );
    Ok(())
}

/// "Screen settled": from a key to the last frame it causes, highlighting included, as the
/// event loop runs it: the highlighter wakes the loop when a result is ready (no polling), the
/// loop takes it in and draws again. 200 alternating `n` and `j`.
fn settled(mut app: App) -> Result<()> {
    let bytes = Rc::new(Cell::new(0));
    let mut term = Terminal::with_options(
        CrosstermBackend::new(Sink(Rc::clone(&bytes))),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, W, H)),
        },
    )?;
    let theme = Theme::load("dark", None, true)?;
    let (wake_tx, wake_rx) = std::sync::mpsc::channel::<()>();
    let mut hl = Highlighter::start_waking(
        theme.syntax.as_deref(),
        countersign::ui::colors::Depth::TrueColor,
        move || {
            let _ = wake_tx.send(());
        },
    );
    let mut draw = |app: &mut App, hl: &mut Highlighter| -> Result<()> {
        countersign::ui::prepare_frame(app, hl, Rect::new(0, 0, W, H), true);
        let ctx = ViewCtx {
            theme: &theme,
            highlight: hl,
        };
        term.draw(|f| view::draw(f, app, &ctx))?;
        Ok(())
    };
    draw(&mut app, &mut hl)?;
    let steps = [key(KeyCode::Char('n')), key(KeyCode::Char('j'))];
    let (mut first, mut last, mut second_frames) = (Vec::new(), Vec::new(), 0);
    for i in 0..200 {
        // The reviewer reads between keys: nothing pending when the key comes.
        while hl.is_busy() {
            if wake_rx.recv_timeout(Duration::from_secs(5)).is_err() {
                break;
            }
            hl.receive();
        }
        let started = Instant::now();
        handle_key(&mut app, steps[i % 2], 1_795_294_800);
        draw(&mut app, &mut hl)?;
        first.push(started.elapsed());
        let mut settled_at = started.elapsed();
        // As the loop does: a second frame only when the hunk on screen was drawn plain.
        let current = app.current().and_then(|r| app.review.hunk(r)).map(|h| h.id);
        let mut plain = current.filter(|id| hl.get(id).is_none());
        while hl.is_busy() {
            if wake_rx.recv_timeout(Duration::from_secs(5)).is_err() {
                break;
            }
            hl.receive();
            if plain.is_some_and(|id| hl.get(&id).is_some()) {
                plain = None;
                draw(&mut app, &mut hl)?;
                settled_at = started.elapsed();
                second_frames += 1;
            }
        }
        last.push(settled_at);
    }
    println!(
        "  (c) screen settled after n/j (200 keys, {second_frames} of them redrawn with colours): first frame median {:.3} ms; settled median {:.3} ms, p95 {:.3} ms (target <= 8: {}), max {:.3} ms",
        ms(median(&first)),
        ms(median(&last)),
        ms(percentile(&last, 0.95)),
        if ms(percentile(&last, 0.95)) <= 8.0 { "MET" } else { "MISSED" },
        ms(last.iter().max().copied().unwrap_or_default())
    );
    Ok(())
}

fn main() -> Result<()> {
    let dir = common::repo();
    let started = Instant::now();
    let app = loaded_app(&dir)?;
    println!(
        "countersign keystroke benchmarks, large change ({} hunks, loaded in {:.0} ms), {W}x{H}",
        app.nav.len(),
        ms(started.elapsed())
    );
    script(loaded_app(&dir)?, true)?;
    script(loaded_app(&dir)?, false)?;
    burst(loaded_app(&dir)?, KeyCode::Char('j'))?;
    burst(loaded_app(&dir)?, KeyCode::Char('n'))?;
    settled(app)?;
    Ok(())
}
