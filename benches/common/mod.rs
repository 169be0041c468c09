//! Shared by the bench binaries: the benchmark repository (generated once per generator
//! version and reused), git run the same way every time, and plain statistics.
#![allow(dead_code)]

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use countersign::git::bench_repo;

pub mod mem;
pub mod review;

/// The benchmark repository, created on first use under cargo's scratch directory. Keyed by a
/// hash of the generator's source, so a changed generator gets a fresh repository.
pub fn repo() -> PathBuf {
    if let Some(dir) = std::env::var_os("COUNTERSIGN_BENCH_REPO") {
        return PathBuf::from(dir);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    include_str!("../../src/git/bench_repo.rs").hash(&mut h);
    include_str!("../../src/git/bench_repo/content.rs").hash(&mut h);
    include_str!("../../src/git/bench_repo/writer.rs").hash(&mut h);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = root.join(format!("bench-repo-{:016x}", h.finish()));
    if dir.join(".git/countersign-bench-ready").exists() {
        return dir;
    }
    let tmp = root.join(format!("bench-repo-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("scratch directory");
    let started = Instant::now();
    bench_repo::create(&tmp).expect("generate the benchmark repository");
    eprintln!(
        "generated the benchmark repository in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    std::fs::write(tmp.join(".git/countersign-bench-ready"), "").expect("marker");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).expect("move the repository into place");
    dir
}

/// `git` with no user or system config, so every machine diffs with git's defaults.
pub fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs git with its output to /dev/null and returns the wall time.
pub fn time_git(dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = git(dir)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("run git");
    let elapsed = started.elapsed();
    assert!(status.success(), "git {args:?} failed");
    elapsed
}

/// Bytes git prints for `args` (the size of the patch).
pub fn git_bytes(dir: &Path, args: &[&str]) -> usize {
    git(dir).args(args).output().expect("run git").stdout.len()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The value at fraction `p` (0..=1) of the sorted samples.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 0.5)
}

/// `  12.34 ms` with `ratio` and whether it meets `target` (a ratio ceiling).
pub fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio <= target {
        "MET"
    } else {
        "MISSED"
    }
}

/// How many runs: `COUNTERSIGN_BENCH_RUNS` overrides the default.
pub fn runs(default: usize) -> usize {
    std::env::var("COUNTERSIGN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This thread's time on a CPU so far (from /proc/thread-self/schedstat; the kernel brings it up
/// to date only at scheduler ticks and switches, so short spans are coarse), or zero where the
/// kernel doesn't say. On a shared machine, wall time includes waits for a core; this doesn't.
pub fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}
