//! The labelled corpus: realistic hunks across the formats countersign meets, each labelled
//! dangerous (with the category a senior would file it under) or benign, near-misses included.
//!
//! A hunk counts as flagged when it gets a finding of medium severity or above; low findings
//! are notes ("this is a CI pipeline") that a benign hunk may carry. The test prints recall on
//! dangerous hunks, the false-positive rate on benign ones and how often the flagged category
//! agrees with the label, and fails below 95% recall or above 10% false positives.

use std::path::Path;

use countersign::model::{ChangeKind, FileChange, FileKind, Hunk, Line, LineKind, Severity};
use countersign::risk::Engine;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    path: String,
    label: String,
    category: Option<String>,
    /// added, deleted, modified (default), renamed.
    change: Option<String>,
    old_path: Option<String>,
    /// binary: a file-level hunk with no lines.
    kind: Option<String>,
    old_mode: Option<u32>,
    new_mode: Option<u32>,
    /// First line number of the hunk on both sides.
    start: Option<u32>,
    #[serde(default)]
    hunk: String,
}

const CATEGORIES: [&str; 9] = [
    "destructive",
    "infrastructure",
    "security",
    "data",
    "supply-chain",
    "safety-net",
    "hidden-text",
    "trust",
    "size",
];

fn build(case: &Case) -> FileChange {
    let change = match case.change.as_deref().unwrap_or("modified") {
        "added" => ChangeKind::Added,
        "deleted" => ChangeKind::Deleted,
        "renamed" => ChangeKind::Renamed,
        "modified" => ChangeKind::Modified,
        other => panic!("{}: unknown change {other}", case.name),
    };
    let old = match change {
        ChangeKind::Added => None,
        _ => Some(case.old_path.clone().unwrap_or_else(|| case.path.clone())),
    };
    let new = (change != ChangeKind::Deleted).then(|| case.path.clone());
    let mut file = FileChange::new(old, new, change);
    file.old_mode = case.old_mode.unwrap_or(if change == ChangeKind::Added {
        0
    } else {
        0o100644
    });
    file.new_mode = case.new_mode.unwrap_or(if change == ChangeKind::Deleted {
        0
    } else {
        0o100644
    });
    if case.kind.as_deref() == Some("binary") {
        file.kind = FileKind::Binary;
        file.hunks.push(Hunk::file_level(
            &case.path,
            "binary file",
            case.name.as_bytes(),
        ));
        return file;
    }
    let start = case.start.unwrap_or(1);
    let (mut old_no, mut new_no) = (start, start);
    let mut lines = Vec::new();
    for raw in case.hunk.lines() {
        let (kind, body) = match raw.as_bytes().first() {
            Some(b'+') => (LineKind::Added, &raw[1..]),
            Some(b'-') => (LineKind::Removed, &raw[1..]),
            Some(b' ') => (LineKind::Context, &raw[1..]),
            None => (LineKind::Context, ""),
            _ => panic!("{}: line without a +/-/space prefix: {raw:?}", case.name),
        };
        let line = match kind {
            LineKind::Added => Line::new(kind, None, Some(new_no), body.as_bytes()),
            LineKind::Removed => Line::new(kind, Some(old_no), None, body.as_bytes()),
            LineKind::Context => Line::new(kind, Some(old_no), Some(new_no), body.as_bytes()),
        };
        if kind != LineKind::Added {
            old_no += 1;
        }
        if kind != LineKind::Removed {
            new_no += 1;
        }
        file.added += usize::from(kind == LineKind::Added);
        file.removed += usize::from(kind == LineKind::Removed);
        lines.push(line);
    }
    let hunk = Hunk::new(
        &case.path,
        (start, old_no - start),
        (start, new_no - start),
        "",
        lines,
    );
    file.hunks.push(hunk);
    file
}

fn load() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let corpus: Corpus =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        cases.extend(corpus.case);
    }
    cases
}

#[test]
fn corpus_recall_and_false_positive_rate() {
    let engine = Engine::builtin();
    let cases = load();
    let (mut dangerous, mut caught, mut same_category) = (0, 0, 0);
    let (mut benign, mut false_pos, mut benign_notes) = (0, 0, 0);
    let mut report = Vec::new();
    for case in &cases {
        let mut file = build(case);
        engine.scan_file(&mut file);
        let findings = &file.hunks[0].findings;
        let flagged: Vec<_> = findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .collect();
        let ids = || {
            findings
                .iter()
                .map(|f| format!("{}({})", f.rule, f.severity))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match case.label.as_str() {
            "dangerous" => {
                let category = case
                    .category
                    .as_deref()
                    .unwrap_or_else(|| panic!("{}: no category", case.name));
                assert!(
                    CATEGORIES.contains(&category),
                    "{}: unknown category {category}",
                    case.name
                );
                dangerous += 1;
                if flagged.is_empty() {
                    report.push(format!(
                        "MISSED   [{category}] {} ({}): {}",
                        case.name,
                        case.path,
                        ids()
                    ));
                } else {
                    caught += 1;
                    if flagged.iter().any(|f| f.category == category) {
                        same_category += 1;
                    } else {
                        report.push(format!("category [{category}] {}: {}", case.name, ids()));
                    }
                }
            }
            "benign" => {
                benign += 1;
                benign_notes += usize::from(!findings.is_empty());
                if !flagged.is_empty() {
                    false_pos += 1;
                    report.push(format!("FALSE+   {} ({}): {}", case.name, case.path, ids()));
                }
            }
            other => panic!(
                "{}: label must be dangerous or benign, not {other}",
                case.name
            ),
        }
    }
    let recall = caught as f64 / dangerous.max(1) as f64;
    let fp_rate = false_pos as f64 / benign.max(1) as f64;
    for line in &report {
        println!("{line}");
    }
    println!(
        "corpus: {} hunks ({dangerous} dangerous, {benign} benign); recall {:.1}% ({caught}/{dangerous}), \
         category agreement {:.1}% ({same_category}/{caught}); false positives {:.1}% ({false_pos}/{benign}); \
         benign hunks with a low-severity note {benign_notes}",
        cases.len(),
        recall * 100.0,
        same_category as f64 / caught.max(1) as f64 * 100.0,
        fp_rate * 100.0,
    );
    assert!(
        cases.len() >= 80,
        "the corpus needs at least 80 hunks, has {}",
        cases.len()
    );
    assert!(recall >= 0.95, "recall {:.1}% is below 95%", recall * 100.0);
    assert!(
        fp_rate <= 0.10,
        "false-positive rate {:.1}% is above 10%",
        fp_rate * 100.0
    );
}

#[test]
fn every_category_is_covered_by_dangerous_cases() {
    let cases = load();
    for cat in CATEGORIES {
        assert!(
            cases
                .iter()
                .any(|c| c.label == "dangerous" && c.category.as_deref() == Some(cat)),
            "no dangerous case for {cat}"
        );
    }
}

#[test]
fn docs_list_every_rule() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .unwrap();
    for rule in Engine::builtin().rules() {
        assert!(
            docs.contains(&format!("`{}`", rule.id)),
            "docs/rules.md does not list `{}`",
            rule.id
        );
    }
}

/// Scan speed on a large synthetic commit; run with
/// `cargo test --release --test risk_corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn scan_speed_on_100k_lines() {
    let engine = Engine::builtin();
    let templates = [
        "    let total = items.iter().map(|i| i.price * i.qty).sum::<u64>();",
        "    if (user && user.roles.includes('admin')) { return renderAdmin(req, res); }",
        "        response = client.get(f\"/api/v1/orders/{order_id}\", timeout=5)",
        "\tif err := json.Unmarshal(body, &cfg); err != nil { return fmt.Errorf(\"parse: %w\", err) }",
        "  resources:",
        "SELECT id, email FROM users WHERE org_id = $1 ORDER BY created_at DESC;",
        "// Übersetzung: ответ сервера wird hier geprüft — ok",
        "        return self._cache.setdefault(key, compute(key))",
    ];
    let exts = ["rs", "ts", "py", "go", "yaml", "sql", "md", "py"];
    let mut files = Vec::new();
    for f in 0..500 {
        let path = format!("src/mod{f}/file{f}.{}", exts[f % exts.len()]);
        let mut file =
            FileChange::new(Some(path.clone()), Some(path.clone()), ChangeKind::Modified);
        let mut lines = Vec::new();
        for i in 0..200u32 {
            let t = templates[(f + i as usize) % templates.len()];
            let kind = if i % 3 == 0 {
                LineKind::Removed
            } else {
                LineKind::Added
            };
            // Removed lines differ from added ones, so they are not taken for moved lines.
            let text = if kind == LineKind::Removed {
                format!("{t} # v1")
            } else {
                t.to_string()
            };
            lines.push(Line::new(kind, Some(i + 1), Some(i + 1), text.as_bytes()));
        }
        for chunk in lines.chunks(50) {
            file.hunks
                .push(Hunk::new(&path, (1, 50), (1, 50), "", chunk.to_vec()));
        }
        files.push(file);
    }
    let total: usize = files
        .iter()
        .flat_map(|f| &f.hunks)
        .map(|h| h.lines.len())
        .sum();
    let cpu = thread_cpu_ns();
    let t = std::time::Instant::now();
    for file in &mut files {
        engine.scan_file(file);
    }
    let elapsed = t.elapsed();
    let cpu_ms = thread_cpu_ns().zip(cpu).map(|(b, a)| (b - a) as f64 / 1e6);
    let findings: usize = files
        .iter()
        .flat_map(|f| &f.hunks)
        .map(|h| h.findings.len())
        .sum();
    println!(
        "scanned {total} changed lines in {} files: {elapsed:?} wall, {} ms on CPU ({findings} findings)",
        files.len(),
        cpu_ms.map_or("?".into(), |c| format!("{c:.1}")),
    );
}

/// A one-megabyte minified line, in release: run with the benchmark above.
#[test]
#[ignore]
fn scan_speed_on_a_megabyte_line() {
    let engine = Engine::builtin();
    let line = "var a=function(b){return b.map(function(c){return c*2})};".repeat(18_000);
    let path = "dist/app.min.js";
    let mut file = FileChange::new(None, Some(path.into()), ChangeKind::Added);
    let lines = vec![Line::new(LineKind::Added, None, Some(1), line.as_bytes())];
    file.hunks.push(Hunk::new(path, (0, 0), (1, 1), "", lines));
    let cpu = thread_cpu_ns();
    engine.scan_file(&mut file);
    let cpu_ms = thread_cpu_ns().zip(cpu).map(|(b, a)| (b - a) as f64 / 1e6);
    println!(
        "scanned a {} byte line: {} ms on CPU",
        line.len(),
        cpu_ms.map_or("?".into(), |c| format!("{c:.1}"))
    );
}

/// This thread's time on a CPU in nanoseconds (Linux), which unlike the wall clock does not
/// count the time other processes on a busy machine hold the CPU.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
