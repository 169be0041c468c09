//! `COUNTERSIGN_TIMINGS=FILE`: phase timings appended to FILE, like `nvim --startuptime`, so a
//! slow open can be measured on the reviewer's own repository without a profiler.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static START: OnceLock<Instant> = OnceLock::new();

/// How many of the slowest key-to-frame times the report lists.
const SLOWEST: usize = 5;

/// Marks the process start; call first thing in `main`.
pub fn start() {
    START.get_or_init(Instant::now);
}

/// Time since `start()`.
pub fn since_start() -> Duration {
    START.get_or_init(Instant::now).elapsed()
}

/// Collects the review screen's timings and writes them when dropped.
#[derive(Debug, Default)]
pub struct Timings {
    path: Option<std::path::PathBuf>,
    pub first_frame: Option<Duration>,
    pub analysis_complete: Option<Duration>,
    /// Time from a key press to its frame being drawn, for every key.
    pub frames: Vec<Duration>,
}

impl Timings {
    pub fn from_env() -> Timings {
        Timings {
            path: std::env::var_os("COUNTERSIGN_TIMINGS").map(Into::into),
            first_frame: None,
            analysis_complete: None,
            frames: Vec::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.path.is_some()
    }

    pub fn report(&self) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let mut out = String::new();
        out.push_str(&format!(
            "countersign timings pid={} (ms since start)\n",
            std::process::id()
        ));
        if let Some(d) = self.first_frame {
            out.push_str(&format!("first-frame {}\n", ms(d)));
        }
        if let Some(d) = self.analysis_complete {
            out.push_str(&format!("analysis-complete {}\n", ms(d)));
        }
        if std::env::var_os("COUNTERSIGN_TIMINGS_ALL").is_some() {
            out.push_str(&format!(
                "frames {:?}\n",
                self.frames.iter().map(|d| ms(*d)).collect::<Vec<_>>()
            ));
        }
        if !self.frames.is_empty() {
            let mut f = self.frames.clone();
            f.sort();
            let pct = |p: f64| f[((f.len() as f64 - 1.0) * p).round() as usize];
            out.push_str(&format!(
                "key-to-frame n={} median={} p95={} max={}\n",
                f.len(),
                ms(pct(0.5)),
                ms(pct(0.95)),
                ms(f[f.len() - 1])
            ));
            let slowest: Vec<String> = f.iter().rev().take(SLOWEST).map(|d| ms(*d)).collect();
            out.push_str(&format!("slowest-frames {}\n", slowest.join(" ")));
        }
        out
    }
}

impl Drop for Timings {
    fn drop(&mut self) {
        let Some(path) = &self.path else { return };
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(self.report().as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_phases_percentiles_and_the_slowest_frames() {
        let t = Timings {
            path: None,
            first_frame: Some(Duration::from_micros(12_340)),
            analysis_complete: Some(Duration::from_millis(150)),
            frames: (1..=20).map(Duration::from_millis).collect(),
        };
        let report = t.report();
        assert!(report.contains("first-frame 12.34\n"), "{report}");
        assert!(report.contains("analysis-complete 150.00\n"), "{report}");
        assert!(report.contains("key-to-frame n=20 median="), "{report}");
        assert!(report.contains("max=20.00\n"), "{report}");
        assert!(
            report.contains("slowest-frames 20.00 19.00 18.00 17.00 16.00\n"),
            "{report}"
        );
    }
}
