//! Peak memory: of a finished command (GNU time's %M) and of a live process (/proc VmHWM).

use std::path::Path;
use std::process::Stdio;

/// Peak RSS in KiB of `cmd args` via GNU time, or None when /usr/bin/time is missing.
pub fn time_rss(dir: &Path, home: &Path, cmd: &str, args: &[&str]) -> Option<u64> {
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(cmd)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// VmHWM (peak resident set) of a live process, in KiB.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
