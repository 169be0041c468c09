//! The benchmark repository on demand: `cargo bench --bench make_repo -- DIR` writes it into
//! DIR (for scripts/bench-compare.sh); under a plain `cargo bench` it times the generator.

use std::time::Instant;

use anyhow::{Context, Result};
use countersign::git::bench_repo::{self, Size};

fn main() -> Result<()> {
    // cargo passes `--bench`; anything else is the target directory.
    let target = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let scratch;
    let dir = match &target {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            scratch = tempfile::tempdir().context("temp dir")?;
            scratch.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let repo = bench_repo::create(&dir)?;
    let took = started.elapsed().as_secs_f64();
    if target.is_some() {
        println!("{}", dir.display());
        for size in Size::ALL {
            eprintln!("{}: {} (tip {})", size.name(), size.range(), repo.tip(size));
        }
    } else {
        println!("generator: benchmark repository written in {took:.2} s");
    }
    Ok(())
}
