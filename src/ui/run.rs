//! The event loop: input first (drained before drawing, so held keys never pile up behind
//! frames), then whatever the loader and the highlighter finished, then one draw.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyEventKind};
use ratatui::layout::Rect;

use super::app::{App, Notice, Overlay};
use super::highlight::Highlighter;
use super::terminal;
use super::theme::Theme;
use super::update::{handle_key, Effect};
use super::view::{self, ViewCtx};
use crate::load::LoadEvent;
use crate::model::Review;
use crate::session::{Session, Store};

/// Hunks ahead of the current one whose colours are prepared before they are needed.
const HIGHLIGHT_AHEAD: usize = 3;

/// What the review screen asks of the program around it: the parts that touch git and keys.
pub trait Host {
    /// Signs the approval and writes it; returns what to tell the reviewer.
    fn sign(&mut self, review: &Review, session: &Session) -> Result<String>;
    /// Writes the review for the author; returns what to tell the reviewer.
    fn export(&mut self, review: &Review, session: &Session) -> Result<String>;
}

pub struct RunOptions {
    pub theme: Theme,
    pub loader: Option<Receiver<LoadEvent>>,
    pub store: Store,
    /// Where `$EDITOR` runs, for `e`.
    pub workdir: Option<PathBuf>,
}

/// Runs the review screen until the reviewer quits; returns the final state.
pub fn run(mut app: App, mut opts: RunOptions, host: &mut dyn Host) -> Result<App> {
    let stop = terminal::termination_flag()?;
    let (mut term, _guard) = terminal::enter()?;
    let mut hl = Highlighter::start(opts.theme.syntax.as_deref());
    let mut dirty = true;
    let mut timings = crate::timings::Timings::from_env();
    // When the oldest key not yet drawn arrived, for key-to-frame timings.
    let mut key_at: Option<std::time::Instant> = None;
    // Decisions made since the last frame: saved right after the frame is drawn, once for a
    // whole burst of keys, so the disk's latency never delays what the reviewer sees.
    let mut pending_save = false;
    'main: loop {
        if terminal::terminated(&stop) {
            save(&mut app, &opts.store);
            break;
        }
        if let Some(rx) = &opts.loader {
            let mut finished = false;
            loop {
                match rx.try_recv() {
                    Ok(ev) => {
                        if matches!(ev, LoadEvent::Done { .. }) {
                            timings.analysis_complete = Some(crate::timings::since_start());
                        }
                        app.apply_load(ev);
                        dirty = true;
                    }
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        finished = true;
                        break;
                    }
                }
            }
            if finished {
                opts.loader = None;
            }
        }
        if hl.receive() {
            dirty = true;
        }
        if dirty {
            let size = term.size().context("cannot read the terminal size")?;
            let area = Rect::new(0, 0, size.width, size.height);
            view::ensure_visible(&mut app, area);
            request_highlights(&app, &mut hl);
            let ctx = ViewCtx {
                theme: &opts.theme,
                highlight: &hl,
            };
            term.draw(|f| view::draw(f, &app, &ctx))
                .context("cannot draw")?;
            dirty = false;
            if timings.first_frame.is_none() {
                timings.first_frame = Some(crate::timings::since_start());
            }
            if let Some(at) = key_at.take() {
                if timings.enabled() {
                    timings.frames.push(at.elapsed());
                }
            }
            if std::mem::take(&mut pending_save) && !save(&mut app, &opts.store) {
                dirty = true;
            }
        }
        // Background work reports through channels that cannot wake the keyboard poll, so the
        // poll wakes up to look: often while commits are loading (the reviewer waits for each),
        // less often while highlights are computed, rarely when idle.
        let wait = Duration::from_millis(if opts.loader.is_some() {
            2
        } else if hl.is_busy() {
            15
        } else {
            250
        });
        if !event::poll(wait).context("cannot read the keyboard")? {
            continue;
        }
        key_at.get_or_insert_with(std::time::Instant::now);
        // Take every key already typed before drawing again.
        loop {
            let effects = match event::read().context("cannot read the keyboard")? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    handle_key(&mut app, k, crate::timefmt::now())
                }
                Event::Paste(text) => {
                    if let Some(Overlay::Comment(tb)) = &mut app.overlay {
                        for c in text.chars() {
                            if c == '\n' {
                                tb.newline()
                            } else {
                                tb.insert(c)
                            }
                        }
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            };
            dirty = true;
            for effect in effects {
                // Anything that leaves the screen saves first: the process may be stopped or
                // killed while it is away.
                if !matches!(effect, Effect::Save) && std::mem::take(&mut pending_save) {
                    save(&mut app, &opts.store);
                }
                match effect {
                    Effect::Save => pending_save = true,
                    Effect::Quit => {
                        save(&mut app, &opts.store);
                        break 'main;
                    }
                    Effect::Suspend => terminal::suspend(&mut term)?,
                    Effect::Edit { path, line } => {
                        let dir = opts.workdir.clone();
                        let result = terminal::pause(&mut term, || open_editor(dir, &path, line))?;
                        if let Err(e) = result {
                            app.notice = Some(error(&e));
                        }
                    }
                    Effect::Sign => {
                        app.notice = Some(match host.sign(&app.review, &app.session) {
                            Ok(msg) => Notice {
                                text: msg,
                                error: false,
                            },
                            Err(e) => error(&e),
                        });
                    }
                    Effect::Export => {
                        app.notice = Some(match host.export(&app.review, &app.session) {
                            Ok(msg) => Notice {
                                text: msg,
                                error: false,
                            },
                            Err(e) => error(&e),
                        });
                    }
                }
            }
            // A closed terminal (SIGHUP) can keep reporting input forever: stop here too.
            if terminal::terminated(&stop) {
                save(&mut app, &opts.store);
                break 'main;
            }
            if !event::poll(Duration::ZERO).context("cannot read the keyboard")? {
                break;
            }
        }
    }
    Ok(app)
}

fn error(e: &anyhow::Error) -> Notice {
    Notice {
        text: crate::error::one_line(e),
        error: true,
    }
}

/// Writes the session (with the current position) atomically and durably; a failure is shown,
/// loudly, and the decisions stay in memory for the next attempt. False when it failed.
fn save(app: &mut App, store: &Store) -> bool {
    let pos = app.position();
    app.session.positions.insert(app.position_key.clone(), pos);
    match store.save(&app.session) {
        Ok(()) => true,
        Err(e) => {
            app.notice = Some(Notice {
                text: format!("NOT SAVED: {}", crate::error::one_line(&e)),
                error: true,
            });
            false
        }
    }
}

fn request_highlights(app: &App, hl: &mut Highlighter) {
    for r in app.nav.iter().skip(app.pos).take(HIGHLIGHT_AHEAD + 1) {
        let file = &app.review.commits[r.commit].files[r.file];
        if let Some(h) = file.hunks.get(r.hunk) {
            hl.request(file.path(), h);
        }
    }
}

/// `$VISUAL`/`$EDITOR` (else vi) at `+line`, in the working tree.
fn open_editor(workdir: Option<PathBuf>, path: &str, line: u32) -> Result<()> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".to_string());
    let dir = workdir.context("the repository has no working tree to edit in")?;
    // Through sh so that EDITOR="code -w" works; the path is an argument, never shell text.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("editor")
        .arg(format!("+{line}"))
        .arg(path)
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot start the editor '{editor}'"))?;
    if !status.success() {
        anyhow::bail!("the editor '{editor}' exited with {status}");
    }
    Ok(())
}
