//! The event loop: it sleeps on one inbox (`inbox.rs`) until something arrives (a key, a
//! loaded commit, a highlighted hunk, a finished save), takes in everything already there, and
//! draws once. Saving runs off this thread; signing and `$EDITOR` get the real terminal.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use anyhow::{Context, Result};
use crossterm::event::{Event as CEvent, KeyEventKind};
use ratatui::layout::Rect;

use super::app::{App, Message, Notice, Overlay};
use super::highlight::Highlighter;
use super::inbox::{Event, Inbox, Input};
use super::terminal;
use super::theme::Theme;
use super::update::{handle_key, Effect};
use super::view::{self, ViewCtx};
use crate::load::LoadEvent;
use crate::model::Review;
use crate::session::{Session, Store};

/// Hunks ahead of the current one whose colours are prepared before they are needed.
const HIGHLIGHT_AHEAD: usize = 3;
/// How long a frame waits for the current hunk's colours before drawing it plain (and again
/// when they come): within the key-to-screen budget, so a hunk of ordinary size is drawn once,
/// in colour.
const HIGHLIGHT_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// While only the loader speaks, the screen is redrawn at most once in this long: a long range
/// delivers commit after commit, and a frame for each took the screen's thread from the
/// cores the loader reads on. A key, or the end of the load, is drawn at once.
pub const LOAD_FRAME: std::time::Duration = std::time::Duration::from_millis(16);
/// Hunks longer than this are not waited for: their colours come in a later frame.
const HIGHLIGHT_WAIT_LINES: usize = 400;

/// What the review screen asks of the program around it: the parts that touch git and keys.
pub trait Host {
    /// Signs the approval and writes it; returns what to tell the reviewer.
    fn sign(&mut self, review: &Review, session: &Session) -> Result<String>;
    /// The job that writes the review for the author (run off the screen's thread); it
    /// returns what to tell the reviewer.
    fn export(&mut self, review: &Review, session: &Session) -> Result<Job>;
    /// The content of a blob (a file as the commit under review has it).
    fn blob(&mut self, id: &str) -> Result<Vec<u8>>;
}

/// Work for a background thread, whose outcome comes back to the loop as an event.
pub type Job = Box<dyn FnOnce() -> Result<String> + Send>;

pub struct RunOptions {
    pub theme: Theme,
    /// The terminal's colour depth, which the syntax colours are mapped to.
    pub depth: super::colors::Depth,
    pub loader: Option<Receiver<LoadEvent>>,
    pub store: Store,
    /// Where `$EDITOR` runs, for `e`.
    pub workdir: Option<PathBuf>,
}

/// Runs the review screen until the reviewer quits; returns the final state.
pub fn run(mut app: App, mut opts: RunOptions, host: &mut dyn Host) -> Result<App> {
    let stop = terminal::termination_flag()?;
    let inbox = Inbox::new();
    // Keys are read from now on, before the first frame: none typed early is lost.
    let input = Input::start(inbox.tx.clone(), Arc::clone(&stop));
    if let Some(loader) = opts.loader.take() {
        inbox.forward_loader(loader);
    }
    let (mut term, _guard) = terminal::enter(app.mouse)?;
    let wake = inbox.tx.clone();
    let mut hl = Highlighter::start_waking(opts.theme.syntax.as_deref(), opts.depth, move || {
        let _ = wake.send(Event::Highlighted);
    });
    let saver = Saver::start(opts.store, inbox.tx.clone());
    let mut dirty = true;
    let mut timings = crate::timings::Timings::from_env();
    // When the oldest key not yet drawn arrived, for key-to-frame timings.
    let mut key_at: Option<std::time::Instant> = None;
    // Decisions made since the last frame: saved once the frame is drawn, once for a whole
    // burst of keys, off this thread, so the disk's latency never delays what is seen.
    let mut pending_save = false;
    let mut area = Rect::default();
    // Export jobs still running: quitting waits for them, so a file being written is whole and
    // what it says is printed after the screen closes.
    let mut jobs: Vec<std::thread::JoinHandle<()>> = Vec::new();
    // The hunk on screen when it was drawn without its colours (they were not ready).
    let mut plain: Option<crate::model::HunkId> = None;
    let mut last_frame = std::time::Instant::now();
    'main: loop {
        if dirty {
            let size = term.size().context("cannot read the terminal size")?;
            area = Rect::new(0, 0, size.width, size.height);
            // Not before the first frame: the highlighter is still loading its grammars, and
            // the first screen must not wait for colours.
            prepare_frame(&mut app, &mut hl, area, timings.first_frame.is_some());
            plain = app
                .current()
                .and_then(|r| app.shown(r))
                .map(|h| h.id)
                .filter(|id| hl.get(id).is_none());
            let ctx = ViewCtx {
                theme: &opts.theme,
                highlight: &hl,
            };
            term.draw(|f| view::draw(f, &app, &ctx))
                .context("cannot draw")?;
            last_frame = std::time::Instant::now();
            dirty = false;
            if timings.first_frame.is_none() {
                timings.first_frame = Some(crate::timings::since_start());
            }
            if let Some(at) = key_at.take() {
                if timings.enabled() {
                    timings.frames.push(at.elapsed());
                }
            }
            if std::mem::take(&mut pending_save) {
                saver.save(&app);
            }
        }
        // Sleep until something arrives, then take everything already there before drawing.
        let Ok(first) = inbox.rx.recv() else { break };
        let mut next = Some(first);
        // Whether all this batch brings is commits loaded (not the end of the load).
        let mut load_only = true;
        while let Some(ev) = next.take() {
            load_only &= matches!(
                ev,
                Event::Load(LoadEvent::Commit { .. } | LoadEvent::Progress { .. })
            );
            let effects = match ev {
                Event::Terminated => {
                    saver.save_now(&mut app);
                    break 'main;
                }
                Event::InputFailed(why) => {
                    saver.save_now(&mut app);
                    anyhow::bail!("cannot read the keyboard: {why}");
                }
                Event::Load(ev) => {
                    if matches!(ev, LoadEvent::Done { .. }) {
                        timings.analysis_complete = Some(crate::timings::since_start());
                    }
                    app.apply_load(ev);
                    super::update::apply_held(&mut app)
                }
                Event::Highlighted => {
                    hl.receive();
                    // Colours for hunks ahead change nothing on screen: redraw only when the
                    // hunk drawn plain has its colours now.
                    if plain.is_none_or(|id| hl.get(&id).is_none()) {
                        next = inbox.rx.try_recv().ok();
                        continue;
                    }
                    plain = None;
                    Vec::new()
                }
                Event::Saved(result) => {
                    saved(&mut app, result);
                    Vec::new()
                }
                Event::Exported(result) => {
                    let result = result.map_err(anyhow::Error::msg);
                    show_result(&mut app, "review exported", "not exported", result);
                    Vec::new()
                }
                Event::Input(input_event) => {
                    key_at.get_or_insert_with(std::time::Instant::now);
                    match input_event {
                        CEvent::Key(k) if k.kind != KeyEventKind::Release => {
                            handle_key(&mut app, k, crate::timefmt::now())
                        }
                        CEvent::Paste(text) => paste(&mut app, &text),
                        CEvent::Mouse(m) => super::update::handle_mouse(&mut app, m, area),
                        _ => Vec::new(),
                    }
                }
            };
            dirty = true;
            // Keys of one burst are handled before the next frame: each sees the layout (for
            // paging) and marks what it brings on screen, as if drawn.
            view::ensure_visible(&mut app, area);
            for effect in effects {
                // Anything that leaves the screen saves first: the process may be stopped or
                // killed while it is away.
                if !matches!(effect, Effect::Save) && std::mem::take(&mut pending_save) {
                    saver.save_now(&mut app);
                }
                match effect {
                    Effect::Save => pending_save = true,
                    Effect::Quit => {
                        saver.save_now(&mut app);
                        break 'main;
                    }
                    Effect::Suspend => {
                        input.pause();
                        let r = terminal::suspend(&mut term);
                        input.resume();
                        r?;
                    }
                    Effect::Edit { path, line, blob } => {
                        let target = edit_target(opts.workdir.as_deref(), &path, &blob, host);
                        match target {
                            Err(e) => app.notice = Some(error(&e)),
                            Ok(target) => {
                                input.pause();
                                let result = terminal::pause(&mut term, || {
                                    open_editor(&target.dir, &target.file, line)
                                });
                                input.resume();
                                match result? {
                                    Err(e) => app.notice = Some(error(&e)),
                                    // A copy was opened: where it is deserves more than the
                                    // status line's width.
                                    Ok(()) if target.copy => {
                                        app.overlay = Some(Overlay::Message(Message {
                                            title: "opened a copy".into(),
                                            text: target.said,
                                            error: false,
                                            scroll: 0,
                                        }))
                                    }
                                    Ok(()) => {
                                        app.notice = Some(Notice {
                                            text: target.said,
                                            error: false,
                                        })
                                    }
                                }
                            }
                        }
                    }
                    Effect::Sign => {
                        // The signer may ask for a passphrase or a touch on the terminal: give
                        // it the real screen and the keyboard, then come back.
                        input.pause();
                        let result = terminal::pause(&mut term, || {
                            eprintln!(
                                "countersign: signing {} commit(s){}; your key may ask for its \
                                 passphrase or a touch",
                                app.review.commits.len(),
                                app.signing_as
                                    .as_deref()
                                    .map(|s| format!(" as {}", crate::text::printable(s)))
                                    .unwrap_or_default()
                            );
                            let r = host.sign(&app.review, &app.session);
                            match &r {
                                Ok(msg) => {
                                    eprintln!("countersign: {}", crate::text::printable(msg))
                                }
                                Err(e) => eprintln!(
                                    "countersign: not signed: {}",
                                    crate::error::one_line(e)
                                ),
                            }
                            r
                        });
                        input.resume();
                        show_result(&mut app, "signed", "not signed", result?);
                    }
                    Effect::Export => match host.export(&app.review, &app.session) {
                        Err(e) => show_result(&mut app, "review exported", "not exported", Err(e)),
                        Ok(job) => {
                            app.notice = Some(Notice {
                                text: "exporting the review…".into(),
                                error: false,
                            });
                            jobs.extend(run_job(job, inbox.tx.clone()));
                        }
                    },
                }
            }
            next = inbox.rx.try_recv().ok();
            if next.is_none() && load_only {
                if let Some(left) = LOAD_FRAME.checked_sub(last_frame.elapsed()) {
                    next = inbox.rx.recv_timeout(left).ok();
                }
            }
        }
    }
    drop(input);
    for job in jobs {
        let _ = job.join();
    }
    while let Ok(ev) = inbox.rx.try_recv() {
        if let Event::Exported(result) = ev {
            app.results.push(match result {
                Ok(text) => text,
                Err(why) => format!("not exported: {why}"),
            });
        }
    }
    Ok(app)
}

/// Runs an export off this thread; its outcome comes back as [`Event::Exported`].
fn run_job(job: Job, done: std::sync::mpsc::Sender<Event>) -> Option<std::thread::JoinHandle<()>> {
    let spawned = std::thread::Builder::new()
        .name("countersign-export".into())
        .spawn({
            let done = done.clone();
            move || {
                let result = job().map_err(|e| crate::error::one_line(&e));
                let _ = done.send(Event::Exported(result));
            }
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            let _ = done.send(Event::Exported(Err(format!(
                "cannot start the export: {e}"
            ))));
            None
        }
    }
}

/// A job's outcome in a window that fits it, kept for printing after the screen closes.
fn show_result(app: &mut App, ok_title: &str, err_title: &str, result: Result<String>) {
    let (title, text, is_error) = match result {
        Ok(msg) => (ok_title, msg, false),
        Err(e) => (err_title, crate::error::one_line(&e), true),
    };
    app.results.push(if is_error {
        format!("{err_title}: {text}")
    } else {
        text.clone()
    });
    app.overlay = Some(Overlay::Message(Message {
        title: title.to_string(),
        text,
        error: is_error,
        scroll: 0,
    }));
}

/// A paste goes where typing goes: into the comment box when it is open.
fn paste(app: &mut App, text: &str) -> Vec<Effect> {
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

/// Writes sessions off the screen's thread, one at a time, newest first: a save asked for
/// while one is running replaces any other waiting.
struct Saver {
    tx: std::sync::mpsc::Sender<(u64, Session)>,
    store: Arc<Store>,
    /// Generations: each save asked for gets the next; `written` is the newest on disk, held
    /// while writing, so an older snapshot never lands after a newer one (the background
    /// thread's and the loop's own saves on leaving the screen run in either order).
    next: std::sync::atomic::AtomicU64,
    written: Arc<std::sync::Mutex<u64>>,
}

impl Saver {
    fn start(store: Store, done: std::sync::mpsc::Sender<Event>) -> Saver {
        let store = Arc::new(store);
        let written = Arc::new(std::sync::Mutex::new(0u64));
        let (tx, rx) = std::sync::mpsc::channel::<(u64, Session)>();
        let (writer, last) = (Arc::clone(&store), Arc::clone(&written));
        let _ = std::thread::Builder::new()
            .name("countersign-save".into())
            .spawn(move || {
                while let Ok(mut job) = rx.recv() {
                    // Only the newest state matters.
                    while let Ok(newer) = rx.try_recv() {
                        job = newer;
                    }
                    let result = write(&writer, &last, job.0, &job.1);
                    if done.send(Event::Saved(result)).is_err() {
                        return;
                    }
                }
            });
        Saver {
            tx,
            store,
            next: std::sync::atomic::AtomicU64::new(0),
            written,
        }
    }

    fn generation(&self) -> u64 {
        self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }

    /// Saves the session with the current position, in the background.
    fn save(&self, app: &App) {
        let mut session = app.session.clone();
        let pos = app.position();
        session.positions.insert(app.position_key.clone(), pos);
        let _ = self.tx.send((self.generation(), session));
    }

    /// Saves now, on this thread (before leaving the screen or quitting), and says how it went.
    fn save_now(&self, app: &mut App) {
        let pos = app.position();
        app.session.positions.insert(app.position_key.clone(), pos);
        let result = write(&self.store, &self.written, self.generation(), &app.session);
        saved(app, result);
    }
}

/// Writes generation `gen` of the session unless a newer one is already on disk.
fn write(
    store: &Store,
    written: &std::sync::Mutex<u64>,
    gen: u64,
    session: &Session,
) -> std::result::Result<(), String> {
    let mut last = written.lock().map_err(|_| "a save panicked".to_string())?;
    if gen <= *last {
        return Ok(());
    }
    store
        .save(session)
        .map_err(|e| crate::error::one_line(&e))?;
    *last = gen;
    Ok(())
}

/// A save's outcome: a failure is said at once, loudly, and remembered until a save works.
fn saved(app: &mut App, result: std::result::Result<(), String>) {
    match result {
        Ok(()) => app.save_error = None,
        Err(why) => {
            app.notice = Some(Notice {
                text: format!("NOT SAVED: {why}"),
                error: true,
            });
            app.save_error = Some(why);
        }
    }
}

fn error(e: &anyhow::Error) -> Notice {
    Notice {
        text: crate::error::one_line(e),
        error: true,
    }
}

/// Everything a frame needs before it is drawn: the cursor on screen, the colours of the hunks
/// on screen and a few ahead asked for, and, when `wait`, the current hunk's colours waited for
/// within the frame's budget.
pub fn prepare_frame(app: &mut App, hl: &mut Highlighter, area: Rect, wait: bool) {
    view::ensure_visible(app, area);
    request_highlights(app, hl);
    if wait {
        if let Some(h) = app.current().and_then(|r| app.shown(r)) {
            if h.lines.len() <= HIGHLIGHT_WAIT_LINES {
                hl.wait_for(&h.id, HIGHLIGHT_WAIT);
            }
        }
    }
}

fn request_highlights(app: &App, hl: &mut Highlighter) {
    for r in app.nav.iter().skip(app.pos).take(HIGHLIGHT_AHEAD + 1) {
        let file = &app.review.commits[r.commit].files[r.file];
        if let Some(h) = app.shown(*r) {
            hl.request(file.path(), h);
        }
    }
}

/// What `e` opens, and what to say after.
struct EditTarget {
    dir: PathBuf,
    file: PathBuf,
    said: String,
    /// The commit's version was copied out (the working tree differs).
    copy: bool,
}

/// The working tree's file when it is as the commit has it; else a read-only copy of the
/// commit's version in a temporary directory (the line numbers are the commit's), said so.
fn edit_target(
    workdir: Option<&std::path::Path>,
    path: &str,
    blob: &str,
    host: &mut dyn Host,
) -> Result<EditTarget> {
    let dir = workdir.context("the repository has no working tree to edit in")?;
    let committed = host.blob(blob)?;
    let on_disk = std::fs::read(dir.join(path)).ok();
    if on_disk.as_deref() == Some(committed.as_slice()) {
        return Ok(EditTarget {
            dir: dir.to_path_buf(),
            file: PathBuf::from(path),
            said: format!("edited {path}"),
            copy: false,
        });
    }
    let tmp = std::env::temp_dir().join(format!("countersign-{}", &blob[..blob.len().min(12)]));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let name = std::path::Path::new(path)
        .file_name()
        .map_or_else(|| PathBuf::from("file"), PathBuf::from);
    let copy = tmp.join(name);
    let _ = std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o644));
    std::fs::write(&copy, &committed)
        .with_context(|| format!("cannot write {}", copy.display()))?;
    std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o444))
        .with_context(|| format!("cannot make {} read-only", copy.display()))?;
    Ok(EditTarget {
        dir: tmp,
        said: format!(
            "the working tree's {path} differs from the commit: opened the commit's version, \
             read-only, at {}",
            copy.display()
        ),
        file: copy,
        copy: true,
    })
}

/// `$VISUAL`/`$EDITOR` (else vi) at `+line`, in `dir`.
fn open_editor(dir: &std::path::Path, path: &std::path::Path, line: u32) -> Result<()> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".to_string());
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
