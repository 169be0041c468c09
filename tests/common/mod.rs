//! Test fixtures: real temporary git repositories built with the real `git`, with a fixed
//! identity and clock so that commit ids and snapshots are reproducible.
#![allow(dead_code)]

pub mod pty;
pub mod schema;
pub mod signing;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const AUTHOR: &str = "Ada Agent";
pub const AUTHOR_EMAIL: &str = "ada@example.com";
/// 2026-11-21T21:00:00Z
pub const EPOCH: i64 = 1_795_294_800;

/// A throw-away repository with its own HOME, so no user or system config leaks in.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// Seconds added to EPOCH for the next commit, so every commit has its own time.
    tick: std::cell::Cell<i64>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("countersign-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo")).unwrap();
        let fx = Fixture {
            dir,
            tick: std::cell::Cell::new(0),
        };
        fx.git(&["init", "-q", "-b", "main"]);
        fx.git(&["config", "user.name", AUTHOR]);
        fx.git(&["config", "user.email", AUTHOR_EMAIL]);
        fx.git(&["config", "core.autocrlf", "false"]);
        fx
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The fixture's own HOME (XDG dirs below it), for running the binary in isolation.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Environment that isolates a child process (git or countersign) from the machine's user.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.home();
        let t = EPOCH + self.tick.get();
        let date = format!("{t} +0000");
        vec![
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_STATE_HOME".into(),
                home.join(".local/state").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("GIT_AUTHOR_DATE".into(), date.clone()),
            ("GIT_COMMITTER_DATE".into(), date),
            ("GIT_COMMITTER_NAME".into(), AUTHOR.into()),
            ("GIT_COMMITTER_EMAIL".into(), AUTHOR_EMAIL.into()),
            ("LC_ALL".into(), "C".into()),
        ]
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path());
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_PREFIX",
            "GIT_INDEX_FILE",
            "NO_COLOR",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.env());
        cmd
    }

    /// Runs git, panics with its stderr on failure, returns trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    pub fn git_output(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().expect("run git")
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Fixture {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Fixture {
        std::fs::remove_file(self.path().join(rel)).unwrap();
        self
    }

    /// Stages everything and commits with `message`; returns the new commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.commit_staged(message)
    }

    pub fn commit_staged(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.tick.set(self.tick.get() + 60);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Commits as an AI agent would (Claude Code's trailer).
    pub fn commit_ai(&self, subject: &str) -> String {
        self.commit(&format!(
            "{subject}\n\nGenerated with Claude Code\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
        ))
    }

    /// What `git interpret-trailers --parse` reads in `message`.
    pub fn interpret_trailers(&self, message: &str) -> String {
        use std::io::Write;
        let mut child = self
            .command("git")
            .args(["interpret-trailers", "--parse"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run git interpret-trailers");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(message.as_bytes())
            .expect("write the message");
        let out = child.wait_with_output().expect("git interpret-trailers");
        String::from_utf8(out.stdout).expect("UTF-8 trailers")
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }
}

/// Path of the built `countersign` binary (cargo builds it for integration tests).
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_countersign"))
}
