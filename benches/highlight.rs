//! (d) Highlighting throughput on the large change's lines: syntect with the onig engine used
//! exactly as the highlight worker uses it (one HighlightLines per hunk side, the same size
//! limits), per language and overall; then the worker itself, end to end, on the first hunks.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use syntect::easy::HighlightLines;
use syntect::highlighting::ThemeSet;
use syntect::parsing::SyntaxSet;

use common::ms;
use countersign::git::{self, range};
use countersign::load::{self, Analysis};
use countersign::model::Commit;
use countersign::ui::highlight::Highlighter;

/// The worker's limit (src/ui/highlight.rs): longer hunks are shown plain.
const MAX_LINES: usize = 3000;

fn commits(dir: &std::path::Path) -> Result<Vec<Commit>> {
    let repo = git::repo::open_at(dir)?;
    let range = range::resolve(&repo, None)?;
    let policy = git::trusted::policy(
        &repo.git,
        git::trusted::of_base(&repo.git, range.base.as_deref())?.as_ref(),
    )?;
    let analysis = Analysis::new(&policy, false)?;
    range
        .commits
        .iter()
        .map(|oid| load::full_commit(&repo.git, &analysis, *oid))
        .collect()
}

fn main() -> Result<()> {
    let dir = common::repo();
    let commits = commits(&dir)?;
    let started = Instant::now();
    let syntaxes = SyntaxSet::load_defaults_newlines();
    let themes = ThemeSet::load_defaults();
    println!(
        "countersign highlighting benchmark (syntect, onig): syntaxes and themes load in {:.2} ms",
        ms(started.elapsed())
    );
    let Some(theme) = themes.themes.get("base16-ocean.dark") else {
        anyhow::bail!("no base16-ocean.dark theme in syntect's defaults");
    };
    let mut per_ext: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
    let cpu0 = common::thread_cpu();
    for file in commits.iter().flat_map(|c| &c.files) {
        let ext = file.path().rsplit('.').next().unwrap_or("").to_string();
        for hunk in file.hunks.iter().filter(|h| h.lines.len() <= MAX_LINES) {
            let sides = countersign::ui::highlight::sides(hunk);
            let first = sides[1].first().or(sides[0].first()).map(String::as_str);
            let syntax = countersign::ui::highlight::syntax_for(&syntaxes, file.path(), first);
            let t = Instant::now();
            for side in &sides {
                let mut h = HighlightLines::new(syntax, theme);
                for line in side {
                    let with_nl = format!("{line}\n");
                    let spans = h.highlight_line(&with_nl, &syntaxes)?;
                    std::hint::black_box(spans);
                }
            }
            let entry = per_ext.entry(ext.clone()).or_default();
            entry.0 += sides[0].len() + sides[1].len();
            entry.1 += t.elapsed();
        }
    }
    let (mut lines, mut time) = (0, Duration::ZERO);
    for (ext, (n, d)) in &per_ext {
        println!(
            "  .{ext:<5} {n:>7} lines  {:>8.1} ms  {:>9.0} lines/s",
            ms(*d),
            *n as f64 / d.as_secs_f64()
        );
        lines += n;
        time += *d;
    }
    let cpu = common::thread_cpu().saturating_sub(cpu0);
    println!(
        "  (d) direct: {lines} lines in {:.1} ms = {:.0} lines/s (wall); on-CPU {:.1} ms = {:.0} lines/s",
        ms(time),
        lines as f64 / time.as_secs_f64(),
        ms(cpu),
        lines as f64 / cpu.as_secs_f64()
    );
    println!("      (.ts is highlighted with the JavaScript grammar; syntect's defaults have no Terraform: .tf is plain)");

    // The worker, end to end: requests for the first 300 hunks, until every answer is in.
    let mut hl = Highlighter::start(Some("base16-ocean.dark"));
    let hunks: Vec<_> = commits
        .iter()
        .flat_map(|c| &c.files)
        .flat_map(|f| f.hunks.iter().map(move |h| (f.path(), h)))
        .filter(|(_, h)| !h.lines.is_empty() && h.lines.len() <= MAX_LINES)
        .take(300)
        .collect();
    let lines: usize = hunks.iter().map(|(_, h)| h.lines.len()).sum();
    let t = Instant::now();
    for (path, h) in &hunks {
        hl.request(path, h);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while hl.is_busy() && Instant::now() < deadline {
        hl.receive();
        std::thread::sleep(Duration::from_micros(200));
    }
    let d = t.elapsed();
    println!(
        "  (d) worker: {} hunks, {lines} hunk lines in {:.1} ms = {:.0} lines/s (incl. syntax load)",
        hunks.len(),
        ms(d),
        lines as f64 / d.as_secs_f64()
    );
    Ok(())
}
