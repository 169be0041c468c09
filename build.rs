//! Records the commit countersign is built from, for `--version`: `git rev-parse HEAD` in a
//! checkout (cargo install --git builds from one), else the sha1 in `.cargo_vcs_info.json` (a
//! packaged crate), else nothing; a build never fails for want of git.
//!
//! And works out the literal factors (`src/risk/factors.rs`, shared with the crate) of the
//! built-in rules and AI markers into `$OUT_DIR/builtin_factors.rs` and `marker_factors.rs`, so
//! that a review does not parse and analyse every built-in pattern before its first scan, nor
//! every marker (Unicode case folding included) before its first frame.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

#[path = "src/risk/factors.rs"]
mod factors;

fn main() {
    builtin_factors();
    marker_factors();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match git_head().or_else(vcs_info) {
        Some(commit) => println!("cargo:rustc-env=COUNTERSIGN_VERSION={version} (commit {commit})"),
        None => println!("cargo:rustc-env=COUNTERSIGN_VERSION={version}"),
    }
    // Re-run when HEAD moves (a commit, a checkout), not on every build.
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/logs/HEAD");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// HEAD of countersign's own checkout, not of a repository it happens to sit inside (a
/// vendored copy): only when the checkout's top is this package's directory.
fn git_head() -> Option<String> {
    let top = std::path::PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let here = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if top.canonicalize().ok()? != here.canonicalize().ok()? {
        return None;
    }
    git(&["rev-parse", "HEAD"])
}

fn vcs_info() -> Option<String> {
    let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let at = text.find("\"sha1\"")?;
    let rest = &text[at + 6..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(rest[start..start + len].to_string())
}

/// The `added`/`removed` patterns of `src/risk/rules/*.toml` with their factors, sorted by
/// pattern, as Rust source. The rules files write each pattern as a one-line `'''` literal; a
/// pattern written otherwise is simply not in the table, and the crate analyses it at run time
/// (a unit test keeps every built-in one in the table).
fn builtin_factors() {
    let dir = std::path::Path::new("src/risk/rules");
    println!("cargo:rerun-if-changed=src/risk/rules");
    println!("cargo:rerun-if-changed=src/risk/factors.rs");
    let mut table: BTreeMap<String, Option<Vec<Vec<u8>>>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/risk/rules is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a rules file is readable");
        for line in text.lines() {
            let Some(pattern) = ["added = '''", "removed = '''"]
                .iter()
                .find_map(|k| line.strip_prefix(k))
                .and_then(|rest| rest.strip_suffix("'''"))
            else {
                continue;
            };
            let hir = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(pattern)
                .unwrap_or_else(|e| panic!("{}: invalid pattern {pattern}: {e}", path.display()));
            table.insert(pattern.to_string(), factors::factors(&hir));
        }
    }
    write_table("builtin_factors.rs", "every built-in line pattern", &table);
}

/// The `pattern`s of `src/detect/markers.toml` with their factors, parsed as the crate parses
/// a marker (case-insensitive, Unicode), as Rust source; a pattern written other than as a
/// one-line `'…'` literal is analysed at run time (a unit test keeps every one in the table).
fn marker_factors() {
    let path = "src/detect/markers.toml";
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).expect("the markers file is readable");
    let mut table = BTreeMap::new();
    for line in text.lines() {
        let Some(pattern) = line
            .strip_prefix("pattern = '")
            .and_then(|rest| rest.strip_suffix('\''))
            .filter(|p| !p.contains('\''))
        else {
            continue;
        };
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .build()
            .parse(pattern)
            .unwrap_or_else(|e| panic!("{path}: invalid pattern {pattern}: {e}"));
        table.insert(pattern.to_string(), factors::factors(&hir));
    }
    write_table("marker_factors.rs", "every built-in AI marker", &table);
}

/// Writes `table` as `TABLE`, a sorted slice of (pattern, factors), into `$OUT_DIR/file`.
fn write_table(file: &str, what: &str, table: &BTreeMap<String, Option<Vec<Vec<u8>>>>) {
    let mut out = format!(
        "/// (pattern, its required factors) of {what}, sorted by pattern.\n\
         pub(crate) static TABLE: &[(&str, Option<&[&[u8]]>)] = &[\n"
    );
    for (pattern, fs) in table {
        let _ = write!(out, "    ({pattern:?}, ");
        match fs {
            None => out.push_str("None"),
            Some(fs) => {
                out.push_str("Some(&[");
                for f in fs {
                    let _ = write!(out, "b\"{}\", ", f.escape_ascii());
                }
                out.push_str("])");
            }
        }
        out.push_str("),\n");
    }
    out.push_str("];\n");
    let dest =
        std::path::Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join(file);
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
