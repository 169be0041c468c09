//! The noise budget: ripgrep's real history from 0.3.0 to 14.0.0 as one squashed change,
//! scanned as a reviewer would see it, with findings per severity per 10,000 changed lines.
//! Needs the fetched mirror (`RIPGREP_GIT_DIR`, default /work/.mirror/BurntSushi+ripgrep/repo);
//! without it the test says so and passes. Run with
//! `cargo test --release --test noise_ripgrep -- --ignored --nocapture`.

use countersign::git::diff;
use countersign::model::Severity;
use countersign::risk::Engine;

#[test]
#[ignore]
fn ripgrep_0_3_0_to_14_0_0_squashed() {
    let dir = std::env::var("RIPGREP_GIT_DIR")
        .unwrap_or_else(|_| "/work/.mirror/BurntSushi+ripgrep/repo".into());
    let Ok(repo) = git2::Repository::open_bare(&dir) else {
        println!("skipped: no ripgrep mirror at {dir}");
        return;
    };
    let tree = |rev: &str| repo.revparse_single(rev).unwrap().peel_to_tree().unwrap();
    let (old, new) = (tree("0.3.0"), tree("14.0.0"));
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(3);
    let mut d = repo
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))
        .unwrap();
    d.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
        .unwrap();
    let mut files = diff::load_files(&d).unwrap();
    let changed: usize = files.iter().map(|f| f.added + f.removed).sum();
    let changed = if changed == 0 {
        files
            .iter()
            .flat_map(|f| &f.hunks)
            .flat_map(|h| &h.lines)
            .filter(|l| l.is_change())
            .count()
    } else {
        changed
    };
    Engine::builtin().scan_change(&mut files);
    let mut counts = [0usize; 4];
    let mut serious = Vec::new();
    for f in &files {
        for h in &f.hunks {
            for x in &h.findings {
                counts[x.severity as usize] += 1;
                if x.severity >= Severity::High {
                    serious.push(format!(
                        "{} {}:{} {}",
                        x.severity,
                        f.path(),
                        x.line_no.unwrap_or(0),
                        x.rule
                    ));
                }
            }
        }
    }
    let per = |n: usize| n as f64 * 10_000.0 / changed.max(1) as f64;
    println!(
        "{} files, {} hunks, {changed} changed lines",
        files.len(),
        files.iter().map(|f| f.hunks.len()).sum::<usize>()
    );
    for s in Severity::ALL.iter().rev() {
        let n = counts[*s as usize];
        println!("{s}: {n} ({:.2} per 10,000 changed lines)", per(n));
    }
    for line in &serious {
        println!("  {line}");
    }
}
