//! The noise budget: ripgrep's real history from 0.3.0 to 14.0.0 as one squashed change,
//! scanned as a reviewer would see it, with findings per severity per 10,000 changed lines.
//! Needs the fetched mirror (`RIPGREP_GIT_DIR`, default /work/.mirror/BurntSushi+ripgrep/repo);
//! without it the test says so and passes. Run with
//! `cargo test --release --test noise_ripgrep -- --ignored --nocapture`.
//!
//! The budget (issue 15): at most 10 findings of high or critical, each labelled by hand in
//! `tests/real_corpus/noise_ripgrep.toml`, at least 80% of them true.

use countersign::git::diff;
use countersign::model::Severity;
use countersign::risk::Engine;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    finding: Vec<Label>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    at: String,
    label: String,
    #[allow(dead_code)] // for the reader of the labels file
    why: String,
}

/// The hand labels: "path:line rule" of each finding, true or false.
fn labels() -> Vec<(String, bool)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/real_corpus/noise_ripgrep.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let labels: Labels = toml::from_str(&text).unwrap();
    labels
        .finding
        .into_iter()
        .map(|l| {
            assert!(
                l.label == "true" || l.label == "false",
                "{}: {}",
                l.at,
                l.label
            );
            (l.at, l.label == "true")
        })
        .collect()
}

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
    // Medium findings by rule: where the rest of the noise comes from.
    let mut medium: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &files {
        for h in &f.hunks {
            for x in &h.findings {
                counts[x.severity as usize] += 1;
                if x.severity == Severity::Medium {
                    *medium.entry(x.rule.as_str()).or_default() += 1;
                }
                // `NOISE_RULE=<id>` lists where one rule fires.
                if std::env::var("NOISE_RULE").is_ok_and(|r| r == x.rule) {
                    println!("  {} {}:{}", x.rule, f.path(), x.line_no.unwrap_or(0));
                }
                if x.severity >= Severity::High {
                    serious.push((
                        x.severity,
                        format!("{}:{} {}", f.path(), x.line_no.unwrap_or(0), x.rule),
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
    let mut by_rule: Vec<_> = medium.into_iter().collect();
    by_rule.sort_by_key(|b| std::cmp::Reverse(b.1));
    let by_rule: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!("medium by rule: {}", by_rule.join(", "));
    let labels = labels();
    let mut true_ones = 0;
    let mut unlabelled = Vec::new();
    for (severity, at) in &serious {
        let label = labels.iter().find(|(l, _)| l == at).map(|(_, t)| *t);
        let shown = match label {
            Some(true) => "true",
            Some(false) => "false",
            None => "UNLABELLED",
        };
        println!("  {severity} {at} [{shown}]");
        true_ones += usize::from(label == Some(true));
        if label.is_none() {
            unlabelled.push(at.clone());
        }
    }
    println!("true: {true_ones} of {}", serious.len());
    assert!(
        unlabelled.is_empty(),
        "label these in tests/real_corpus/noise_ripgrep.toml: {unlabelled:?}"
    );
    assert!(serious.len() <= 10, "{} high or critical", serious.len());
    assert!(
        true_ones * 10 >= serious.len() * 8,
        "{true_ones} of {} true",
        serious.len()
    );
}
