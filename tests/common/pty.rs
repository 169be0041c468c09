//! Runs the real binary in a real pseudo-terminal and reads its screen through a terminal
//! emulator (vt100), so end-to-end tests see what a reviewer sees. Every wait has a deadline
//! and polls the screen: no fixed sleeps.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

const DEADLINE: Duration = Duration::from_secs(20);

pub struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    /// Everything the program wrote, raw, for checks on the bytes themselves.
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    pub fn spawn(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        size: (u16, u16),
    ) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: size.1,
                cols: size.0,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(bin);
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size.1, size.0, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        {
            let parser = Arc::clone(&parser);
            let raw = Arc::clone(&raw);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    parser.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        Session {
            parser,
            writer,
            child,
            master: pair.master,
            raw,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`; panics with the screen after the deadline.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(|s| s.contains(text), text)
    }

    /// Waits for `text` once loading and analysis are finished (decisions wait for the risk
    /// scan of their file).
    pub fn wait_ready(&self, text: &str) -> String {
        self.wait_until(|s| s.contains(text) && !s.contains("loading"), text)
    }

    pub fn wait_until(&self, pred: impl Fn(&str) -> bool, what: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen differs from `before` and has stopped changing (the same on three
    /// looks in a row), so a frame caught half-written is never taken for the next one.
    pub fn wait_change(&self, before: &str) -> String {
        let start = Instant::now();
        let (mut last, mut same) = (String::new(), 0);
        loop {
            let s = self.screen();
            if s != before && s == last {
                same += 1;
                if same >= 2 {
                    return s;
                }
            } else {
                same = 0;
            }
            last = s;
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for the screen to change; screen:\n{last}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types keys one at a time, waiting for the screen to settle on `until` after each.
    pub fn key_then(&mut self, key: &str, until: &str) -> String {
        self.keys(key);
        self.wait_for(until)
    }

    /// Waits until the raw output contains `bytes` (the reader may lag behind the child's exit).
    pub fn wait_raw(&self, bytes: &str) {
        let start = Instant::now();
        while !String::from_utf8_lossy(&self.raw.lock().unwrap()).contains(bytes) {
            if start.elapsed() > DEADLINE {
                panic!("the output never contained {bytes:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resizes the terminal, as a reviewer dragging the window does.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// Sends a signal by name (`TERM`, `CONT`) with the real `kill`.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The process state letter from /proc (`T` when stopped).
    pub fn state(&self) -> char {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit(')')
            .next()
            .and_then(|r| r.trim().chars().next())
            .unwrap_or('?')
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    /// SIGKILL, as a crash or `kill -9` would: no chance to clean up.
    pub fn kill9(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-9", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }

    /// Waits for the program to exit; returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            if start.elapsed() > DEADLINE {
                panic!("program did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
