//! Records the commit countersign is built from, for `--version`: `git rev-parse HEAD` in a
//! checkout (cargo install --git builds from one), else the sha1 in `.cargo_vcs_info.json` (a
//! packaged crate), else nothing; a build never fails for want of git.

use std::process::Command;

fn main() {
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
