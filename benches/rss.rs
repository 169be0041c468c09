//! (f) Peak memory of the real release binary on the large change: `countersign scan` under
//! `/usr/bin/time -f %M`, and an interactive session in a pseudo-terminal (200x60) with
//! COUNTERSIGN_TIMINGS: peak RSS (VmHWM) read from /proc once the analysis is complete and again
//! after 200 paced keys, then the program's own timings (first frame, analysis, key-to-frame).

mod common;

use common::mem::{time_rss, vm_hwm};

#[path = "../tests/common/pty.rs"]
mod pty;

use std::path::Path;
use std::time::{Duration, Instant};

const BUDGET_KIB: u64 = 40 * 1024;

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn report(what: &str, kib: Option<u64>) {
    match kib {
        Some(k) => println!(
            "  (f) {what:<44} {:>10}  (budget 40 MiB: {})",
            mib(k),
            if k <= BUDGET_KIB { "MET" } else { "MISSED" }
        ),
        None => println!("  (f) {what:<44} not measured (no /usr/bin/time or /proc)"),
    }
}

fn main() {
    let dir = common::repo();
    let bin = env!("CARGO_BIN_EXE_countersign");
    let home = tempfile::tempdir().expect("temp home");
    println!("countersign peak memory on the large change ({bin})");
    report(
        "countersign scan (main..HEAD)",
        time_rss(&dir, home.path(), bin, &["scan"]),
    );
    if let Some(k) = time_rss(&dir, home.path(), "git", &["diff", "main", "bench/large"]) {
        println!(
            "      for comparison, git diff main bench/large  {:>10}",
            mib(k)
        );
    }

    let timings = home.path().join("timings.txt");
    let h = home.path().display().to_string();
    let env = vec![
        ("HOME".to_string(), h.clone()),
        ("XDG_STATE_HOME".to_string(), format!("{h}/state")),
        ("XDG_CONFIG_HOME".to_string(), format!("{h}/config")),
        ("GIT_CONFIG_NOSYSTEM".to_string(), "1".to_string()),
        ("GIT_CONFIG_GLOBAL".to_string(), "/dev/null".to_string()),
        (
            "COUNTERSIGN_TIMINGS".to_string(),
            timings.display().to_string(),
        ),
    ];
    let mut s = pty::Session::spawn(Path::new(bin), &[], &dir, &env, (200, 60));
    let pid = s.pid();
    s.wait_until(
        // The whole status line (it ends with the help hint), without "loading".
        |screen| {
            screen
                .lines()
                .any(|l| l.contains("decided") && l.contains("help") && !l.contains("loading"))
        },
        "the analysis to complete",
    );
    let loaded = vm_hwm(pid);
    report("review session, analysis complete", loaded);
    // Paced like a fast reader (one key every 30 ms), so each key gets its own frame.
    let keys = ["n", "j", "\x1b[6~", "a"];
    for i in 0..200 {
        s.keys(keys[i % keys.len()]);
        std::thread::sleep(Duration::from_millis(30));
    }
    let after = vm_hwm(pid);
    report("review session, after 200 keys", after);
    s.keys("q");
    s.wait_exit();
    let started = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&timings).unwrap_or_default();
        if text.contains("key-to-frame") || started.elapsed() > Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    println!("  the binary's own COUNTERSIGN_TIMINGS (ms since process start):");
    for line in text.lines().skip(1) {
        println!("      {line}");
    }
}
