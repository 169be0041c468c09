//! The review screen's one inbox: every input — keys, paste, resize, the loader's commits,
//! highlighted hunks, finished saves, a termination signal — arrives as an [`Event`] on one
//! channel, and the loop sleeps on it until something comes. Nothing polls at a fixed interval
//! on the input path: a key wakes the loop at once, a highlight result too.
//!
//! Keys are read by an input thread from the first moment (so a key typed before the first
//! frame waits in the channel instead of being lost). When the screen is handed to another
//! program ($EDITOR, the signer asking for a passphrase), the thread is paused first, so it
//! never steals that program's keystrokes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::load::LoadEvent;

/// How often the input thread looks up from its wait to see whether it is asked to pause or
/// the process to end. A key never waits for this: `poll` returns as soon as one is typed.
const INPUT_LOOK_UP: Duration = Duration::from_millis(20);

pub enum Event {
    /// A key, a paste, a resize, a mouse event.
    Input(crossterm::event::Event),
    /// The terminal could not be read (it went away).
    InputFailed(String),
    Load(LoadEvent),
    /// The highlighter finished something: take it in and redraw.
    Highlighted,
    /// A save finished: `Err` says what was not saved.
    Saved(Result<(), String>),
    /// The export job finished: what to tell the reviewer, or why it failed.
    Exported(Result<String, String>),
    /// SIGTERM, SIGINT or SIGHUP.
    Terminated,
}

pub struct Inbox {
    pub tx: Sender<Event>,
    pub rx: Receiver<Event>,
}

impl Inbox {
    pub fn new() -> Inbox {
        let (tx, rx) = mpsc::channel();
        Inbox { tx, rx }
    }

    /// Forwards the loader's reports into the inbox.
    pub fn forward_loader(&self, loader: Receiver<LoadEvent>) {
        let tx = self.tx.clone();
        let _ = std::thread::Builder::new()
            .name("countersign-loader-inbox".into())
            .spawn(move || {
                for ev in loader {
                    if tx.send(Event::Load(ev)).is_err() {
                        return;
                    }
                }
            });
    }
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// The loop asked the thread to stop reading.
    PauseAsked,
    /// The thread stopped reading and waits to be resumed.
    Paused,
    Stopped,
}

/// The thread that reads the terminal into the inbox.
pub struct Input {
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Input {
    /// Starts reading keys into `tx`; `terminated` is the signal flag the thread watches.
    pub fn start(tx: Sender<Event>, terminated: Arc<AtomicBool>) -> Input {
        let state = Arc::new((Mutex::new(State::Running), Condvar::new()));
        let shared = Arc::clone(&state);
        let _ = std::thread::Builder::new()
            .name("countersign-input".into())
            .spawn(move || read_loop(&shared, &tx, &terminated));
        Input { state }
    }

    /// Stops reading until [`resume`](Input::resume); returns once the thread no longer reads.
    pub fn pause(&self) {
        let (lock, cv) = &*self.state;
        let Ok(mut s) = lock.lock() else { return };
        if *s == State::Running {
            *s = State::PauseAsked;
        }
        while *s == State::PauseAsked {
            match cv.wait(s) {
                Ok(next) => s = next,
                Err(_) => return,
            }
        }
    }

    pub fn resume(&self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            if *s == State::Paused {
                *s = State::Running;
            }
        }
        cv.notify_all();
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            *s = State::Stopped;
        }
        cv.notify_all();
    }
}

fn read_loop(state: &(Mutex<State>, Condvar), tx: &Sender<Event>, terminated: &AtomicBool) {
    let (lock, cv) = state;
    loop {
        {
            let Ok(mut s) = lock.lock() else { return };
            if *s == State::PauseAsked {
                *s = State::Paused;
                cv.notify_all();
            }
            while *s == State::Paused {
                match cv.wait(s) {
                    Ok(next) => s = next,
                    Err(_) => return,
                }
            }
            if *s == State::Stopped {
                return;
            }
        }
        if terminated.load(Ordering::Relaxed) {
            let _ = tx.send(Event::Terminated);
            return;
        }
        match crossterm::event::poll(INPUT_LOOK_UP) {
            Ok(false) => {}
            Ok(true) => match crossterm::event::read() {
                Ok(ev) => {
                    if tx.send(Event::Input(ev)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Event::InputFailed(e.to_string()));
                    return;
                }
            },
            Err(e) => {
                let _ = tx.send(Event::InputFailed(e.to_string()));
                return;
            }
        }
    }
}
