//! Benchmarks on real repositories, against git in the same run (medians of interleaved runs):
//! ripgrep's 210-line commit f596a5d8, ripgrep 11.0.0..15.1.0 squashed (48,877 lines, 88
//! renames), cargo 0.80.0..0.99.0 squashed (252k lines), and ripgrep 11.0.0..15.1.0 as a range
//! of 958 commits. The repositories are prepared by `scripts/prepare-real-bench.sh` (from the
//! search tool's `fetch` mirrors, or with FETCH=1 from GitHub); a case whose repository is not
//! there is skipped with a message.
//!
//! Per case: (a) first frame and (b) analysis complete of the review, in-process, as the review
//! command opens it (`common::review`), against `git diff A B` (`git log -p A..B` for the
//! range); (f) peak RSS of the real binary's review session in a pseudo-terminal once the
//! analysis is complete (VmHWM), against `git diff`'s (GNU time).

mod common;

#[path = "../tests/common/pty.rs"]
mod pty;

use std::path::{Path, PathBuf};

use anyhow::Result;
use common::mem::{time_rss, vm_hwm};
use common::review::review;
use common::{median, ms};

struct Case {
    name: &'static str,
    repo: &'static str,
    /// The branch pair prepared by the script: `<case>-base` and `<case>`.
    branch: &'static str,
    /// A range of commits (compared with `git log -p`), not one squashed change.
    range: bool,
    /// Targets: analysis complete and peak RSS as ratios of git's.
    complete_target: f64,
    rss_target: f64,
    /// The small change's absolute targets too: analysis complete in ms, peak RSS in MiB.
    absolute: Option<(f64, f64)>,
}

const CASES: [Case; 4] = [
    Case {
        name: "ripgrep f596a5d8 (210 lines)",
        repo: "ripgrep",
        branch: "small",
        range: false,
        complete_target: 3.0,
        rss_target: 1.3,
        absolute: Some((15.0, 16.0)),
    },
    Case {
        name: "ripgrep 11.0.0..15.1.0 squashed",
        repo: "ripgrep",
        branch: "big",
        range: false,
        complete_target: 1.2,
        rss_target: 1.3,
        absolute: None,
    },
    Case {
        name: "cargo 0.80.0..0.99.0 squashed",
        repo: "cargo",
        branch: "big",
        range: false,
        complete_target: 1.2,
        rss_target: 1.3,
        absolute: None,
    },
    Case {
        name: "ripgrep 11.0.0..15.1.0, 958 commits",
        repo: "ripgrep",
        branch: "range",
        range: true,
        complete_target: 1.2,
        rss_target: 1.3,
        absolute: None,
    },
];

fn material() -> PathBuf {
    std::env::var_os("REAL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/real-bench"))
}

fn met(ratio: f64, target: f64) -> &'static str {
    common::verdict(ratio, target)
}

/// The review session's peak RSS once its analysis is complete, in KiB.
fn session_rss(dir: &Path, spec: &str) -> Option<u64> {
    let home = tempfile::tempdir().ok()?;
    let h = home.path().display().to_string();
    let env = vec![
        ("HOME".to_string(), h.clone()),
        ("XDG_STATE_HOME".to_string(), format!("{h}/state")),
        ("XDG_CONFIG_HOME".to_string(), format!("{h}/config")),
        ("GIT_CONFIG_NOSYSTEM".to_string(), "1".to_string()),
        ("GIT_CONFIG_GLOBAL".to_string(), "/dev/null".to_string()),
    ];
    let bin = Path::new(env!("CARGO_BIN_EXE_countersign"));
    let mut s = pty::Session::spawn(bin, &["review", spec], dir, &env, (200, 60));
    s.wait_until(
        |screen| {
            screen
                .lines()
                .any(|l| l.contains("decided") && l.contains("help") && !l.contains("loading"))
        },
        "the analysis to complete",
    );
    let kib = vm_hwm(s.pid());
    s.keys("q");
    s.wait_exit();
    kib
}

fn run(case: &Case, dir: &Path) -> Result<()> {
    let (a, b) = (format!("{}-base", case.branch), case.branch.to_string());
    let spec = format!("{a}..{b}");
    let git_args: Vec<&str> = if case.range {
        vec!["log", "-p", &spec]
    } else {
        vec!["diff", &a, &b]
    };
    let what = if case.range { "git log -p" } else { "git diff" };
    let n = common::runs(5);
    common::time_git(dir, &git_args);
    review(dir, Some(&spec))?;
    let (mut g, mut ff, mut ac) = (vec![], vec![], vec![]);
    for _ in 0..n {
        g.push(common::time_git(dir, &git_args));
        let s = review(dir, Some(&spec))?;
        ff.push(s.first_frame);
        ac.push(s.complete);
    }
    let (g, ff, ac) = (median(&g), median(&ff), median(&ac));
    println!("\n[{}] {spec}, medians of {n} interleaved runs", case.name);
    println!("  {what:<28} {:8.2} ms", ms(g));
    println!(
        "  (a) first frame              {:8.2} ms = {:.3}x {what}",
        ms(ff),
        ms(ff) / ms(g)
    );
    let r = ms(ac) / ms(g);
    println!(
        "  (b) analysis complete        {:8.2} ms = {r:.3}x {what} (target <= {}x: {})",
        ms(ac),
        case.complete_target,
        met(r, case.complete_target)
    );
    if let Some((limit, _)) = case.absolute {
        println!("      and <= {limit} ms: {}", met(ms(ac), limit));
    }
    if !case.range && case.branch == "small" {
        // The fixed costs a small review pays, each alone.
        let rules: Vec<_> = (0..n)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(countersign::risk::Engine::builtin());
                t.elapsed()
            })
            .collect();
        let open: Vec<_> = (0..n)
            .map(|_| {
                let t = std::time::Instant::now();
                let _ = std::hint::black_box(countersign::git::repo::open_at(dir).map(|_| ()));
                t.elapsed()
            })
            .collect();
        println!(
            "      fixed costs: compiling the rules {:.2} ms, opening the repository {:.2} ms",
            ms(median(&rules)),
            ms(median(&open))
        );
    }
    let home = tempfile::tempdir()?;
    let git_rss = time_rss(dir, home.path(), "git", &git_args);
    let cs_rss = session_rss(dir, &spec);
    match (git_rss, cs_rss) {
        (Some(g), Some(c)) => {
            let r = c as f64 / g as f64;
            println!(
                "  (f) peak RSS                 {:8.1} MiB = {r:.2}x {what}'s {:.1} MiB (target <= {}x: {})",
                c as f64 / 1024.0,
                g as f64 / 1024.0,
                case.rss_target,
                met(r, case.rss_target)
            );
            if let Some((_, limit)) = case.absolute {
                let mib = c as f64 / 1024.0;
                println!("      and <= {limit} MiB: {}", met(mib, limit));
            }
        }
        _ => println!("  (f) peak RSS                 not measured (no /usr/bin/time or /proc)"),
    }
    Ok(())
}

fn main() -> Result<()> {
    let root = material();
    println!(
        "countersign on real repositories ({}), {} cores, load average {}",
        root.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for case in &CASES {
        if only
            .as_deref()
            .is_some_and(|o| !case.name.contains(o) && case.branch != o)
        {
            continue;
        }
        let dir = root.join(case.repo);
        if !dir.join(".git/countersign-real-bench-ready").exists() {
            println!(
                "\n[{}] skipped: {} is not prepared (run scripts/prepare-real-bench.sh)",
                case.name,
                dir.display()
            );
            continue;
        }
        run(case, &dir)?;
    }
    Ok(())
}
