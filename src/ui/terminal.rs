//! Entering and leaving the terminal's full-screen mode, on every path: normal exit, error,
//! panic, Ctrl-C, SIGTERM, and Ctrl-Z (suspend and resume).

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

use anyhow::{Context, Result};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// How long a hung-up process waits for its loop to exit by itself before it is ended.
const HANGUP_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Set by SIGTERM, SIGINT or SIGHUP: the loop restores the terminal and exits.
pub fn termination_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    watch_hangup()?;
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&flag))
            .context("cannot install the signal handlers")?;
    }
    Ok(flag)
}

/// When the terminal goes away (SIGHUP), crossterm's blocking read can spin on end-of-file and
/// never return to the loop. Every decision is already on disk by then (it is written right
/// after its frame, before the next read), so a watchdog ends the process if the loop has not
/// exited by itself shortly after the hangup.
fn watch_hangup() -> Result<()> {
    let hup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .context("cannot install the signal handlers")?;
    std::thread::Builder::new()
        .name("countersign-hangup".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if hup.load(Ordering::Relaxed) {
                std::thread::sleep(HANGUP_GRACE);
                std::process::exit(129);
            }
        })
        .context("cannot start the hangup watchdog")?;
    Ok(())
}

pub fn terminated(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// Clicks and the wheel (xterm's mode 1000) in SGR encoding (1006), and no more: crossterm's
/// capture also asks for every motion (1003), which would wake the loop at each pixel moved.
const MOUSE_ON: &[u8] = b"\x1b[?1000h\x1b[?1006h";
const MOUSE_OFF: &[u8] = b"\x1b[?1006l\x1b[?1000l";

/// Whether the screen asked for mouse events, so that coming back from an editor asks again.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Takes over the terminal, with mouse reports when `mouse` is set. The returned guard gives
/// it back when dropped.
pub fn enter(mouse: bool) -> Result<(Term, Guard)> {
    install_panic_hook();
    enable_raw_mode().context("cannot put the terminal in raw mode (is stdin a terminal?)")?;
    let guard = Guard;
    MOUSE.store(mouse, Ordering::Relaxed);
    take_screen()?;
    let term = Terminal::new(CrosstermBackend::new(io::stdout()))
        .context("cannot start the terminal UI")?;
    Ok((term, guard))
}

/// Restores the terminal when dropped, whatever the way out.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: safe to call twice, never fails.
pub fn restore() {
    if MOUSE.load(Ordering::Relaxed) {
        let _ = io::stdout().write_all(MOUSE_OFF);
    }
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = io::stdout().flush();
}

/// Gives the terminal back for a moment (an editor, a suspend) and takes it again.
pub fn pause<T>(term: &mut Term, f: impl FnOnce() -> T) -> Result<T> {
    restore();
    let out = f();
    enable_raw_mode().context("cannot return the terminal to raw mode")?;
    take_screen()?;
    execute!(
        io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .context("cannot clear the screen")?;
    // A new Terminal forgets what it drew, so the next frame repaints everything. (`clear()`
    // would ask the terminal for the cursor position, which not every terminal answers.)
    *term = Terminal::new(CrosstermBackend::new(io::stdout())).context("cannot redraw")?;
    Ok(out)
}

/// The alternate screen, bracketed paste, no cursor, and mouse reports if asked for.
fn take_screen() -> Result<()> {
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
    .context("cannot switch to the alternate screen")?;
    if MOUSE.load(Ordering::Relaxed) {
        io::stdout()
            .write_all(MOUSE_ON)
            .and_then(|()| io::stdout().flush())
            .context("cannot ask for mouse reports")?;
    }
    Ok(())
}

/// Ctrl-Z: give the terminal back and stop, as any well-behaved full-screen program does.
pub fn suspend(term: &mut Term) -> Result<()> {
    pause(term, || {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    })
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Restore first, or the message would be lost on the alternate screen.
            restore();
            default(info);
        }));
    });
}
