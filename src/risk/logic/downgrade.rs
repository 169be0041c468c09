//! A dependency moved back to an older version: the same package, in the same hunk, loses its
//! version line and gains one with a lower version. Whatever the newer release fixed (often a
//! security advisory) is undone. Read from manifests and lock files alike, one line
//! (`devise (5.0.4)`, `Django==4.2.7`, `"left-pad": "^1.3.0"`, `golang.org/x/net v0.17.0`) or
//! two (`name = "serde"` then `version = "1.0.190"`, as Cargo.lock and poetry.lock write it).

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};

use super::{re, FileFacts, Id, Sink};

/// A package and its version on one line.
static ONE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"^\s{4}(?P<a>[A-Za-z0-9_.-]+) \((?P<va>[0-9][\w.]*)\)\s*$"#,
        r#"|^(?P<b>[A-Za-z0-9_.-]+)(\[[\w,]+\])?\s*==\s*(?P<vb>[0-9][\w.]*)"#,
        r#"|^\s*(require\s+)?(?P<c>[a-z0-9.-]+\.[a-z]{2,}/[\w./-]+)\s+v(?P<vc>[0-9][\w.+-]*)\s*(//.*)?$"#,
        r#"|^\s*"(?P<d>@?[\w./-]+)"\s*:\s*"[~^=v]*(?P<vd>[0-9][\w.-]*)"\s*,?\s*$"#,
    ))
});
/// A bare version line, whose package is named on a line above it.
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^\s*"?version"?\s*[:=]\s*"(?P<v>[0-9][\w.+-]*)"\s*,?\s*$|^\s+version\s+"(?P<w>[0-9][\w.+-]*)"\s*$"#,
    )
});
/// The line above a version line that names its package (Cargo.lock, poetry.lock,
/// package-lock.json, yarn.lock).
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^\s*name\s*=\s*"(?P<a>[^"]+)"|^\s*"(node_modules/)?(?P<b>@?[^"@]+)"\s*:\s*\{|^"?(?P<c>@?[^@\s"]+)@"#,
    )
});

/// Where a manifest or a lock file can be: not code, prose or test data.
pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.is_source || file.is_prose || file.is_test_data || !sink.on(Id::DependencyDowngraded) {
        return;
    }
    // A version on both sides (`1.2`), or there is nothing to compare: most hunks have none,
    // and then the patterns are not even compiled.
    let dotted = |b: &[u8]| {
        b.windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
    };
    let on = |kind: LineKind| {
        hunk.lines
            .iter()
            .any(|l| l.kind == kind && dotted(&l.bytes))
    };
    if !on(LineKind::Removed) || !on(LineKind::Added) {
        return;
    }
    let versions = |kind: LineKind| -> Vec<(usize, Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut named: Option<Vec<u8>> = None;
        for (i, l) in hunk.lines.iter().enumerate() {
            if l.kind != kind && l.kind != LineKind::Context {
                continue;
            }
            if let Some(c) = NAME.captures(&l.bytes) {
                named = ["a", "b", "c"]
                    .iter()
                    .find_map(|g| c.name(g))
                    .map(|m| m.as_bytes().to_vec());
            }
            if l.kind != kind {
                continue;
            }
            if let Some(c) = ONE_LINE.captures(&l.bytes) {
                let pair = ["a", "b", "c", "d"]
                    .iter()
                    .find_map(|g| Some((c.name(g)?, c.name(&format!("v{g}"))?)));
                if let Some((n, v)) = pair {
                    out.push((i, n.as_bytes().to_ascii_lowercase(), v.as_bytes().to_vec()));
                }
            } else if let Some(c) = VERSION.captures(&l.bytes) {
                if let (Some(n), Some(v)) = (&named, c.name("v").or_else(|| c.name("w"))) {
                    out.push((i, n.to_ascii_lowercase(), v.as_bytes().to_vec()));
                }
            }
        }
        out
    };
    let removed = versions(LineKind::Removed);
    if removed.is_empty() {
        return;
    }
    for (i, name, new) in versions(LineKind::Added) {
        // Lower than every version the package had: one of them already at this version (a
        // marker for older Pythons merged into one pin) is no step back.
        let mut was = removed.iter().filter(|(_, n, _)| *n == name).peekable();
        let older = was.peek().is_some()
            && was.all(|(_, _, old)| compare(&new, old) == Some(Ordering::Less));
        if older {
            let (n, v) = (
                String::from_utf8_lossy(&name),
                String::from_utf8_lossy(&new),
            );
            let was = removed
                .iter()
                .find(|(_, r, _)| *r == name)
                .map(|(_, _, o)| String::from_utf8_lossy(o).into_owned())
                .unwrap_or_default();
            let msg = format!("`{n}` goes back from {was} to {v}: whatever the newer release fixed, a security advisory included, is undone.");
            sink.push(Id::DependencyDowngraded, Some(i), None, Some(msg));
            return;
        }
    }
}

/// Two versions compared by their numeric parts (`5.0.3` < `5.0.4`, `1.10` > `1.9`); None when
/// a differing part is not a number (a pre-release tag), which this does not judge.
fn compare(a: &[u8], b: &[u8]) -> Option<Ordering> {
    let parts = |v: &[u8]| -> Vec<Vec<u8>> {
        v.split(|c| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        if x == y {
            continue;
        }
        let num = |p: &[u8]| std::str::from_utf8(p).ok()?.parse::<u64>().ok();
        return Some(num(x)?.cmp(&num(y)?));
    }
    Some(pa.len().cmp(&pb.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{facts, hits, hunk};

    fn fires(path: &str, text: &str) -> bool {
        let h = hunk(path, text);
        !hits(|sink| scan(&facts(path), &h, sink)).is_empty()
    }

    /// huginn 70a722f9 reversed: devise pinned back below its security fix.
    #[test]
    fn a_version_moved_back_fires_and_a_bump_does_not() {
        assert!(fires(
            "Gemfile.lock",
            "-    devise (5.0.4)\n+    devise (5.0.3)\n"
        ));
        assert!(!fires(
            "Gemfile.lock",
            "-    devise (5.0.3)\n+    devise (5.0.4)\n"
        ));
        assert!(fires(
            "requirements.txt",
            "-Django==4.2.10\n+Django==4.2.9\n"
        ));
        assert!(!fires(
            "requirements.txt",
            "-Django==4.2.9\n+Django==4.2.10\n"
        ));
        assert!(fires(
            "package.json",
            "-    \"left-pad\": \"^1.3.0\",\n+    \"left-pad\": \"^1.1.0\",\n"
        ));
        assert!(fires(
            "go.mod",
            "-\tgolang.org/x/net v0.17.0\n+\tgolang.org/x/net v0.15.0\n"
        ));
        // Another package's lower version is no downgrade of this one.
        assert!(!fires(
            "Gemfile.lock",
            "-    devise (5.0.4)\n+    warden (1.2.9)\n"
        ));
        // Pre-releases are not judged.
        assert!(!fires(
            "requirements.txt",
            "-pkg==2.0.0rc1\n+pkg==2.0.0b3\n"
        ));
        // aider 22b9aec8: two pins by Python version merged into the older one.
        let merged = "-scikit-learn==1.7.2 ; python_version < \"3.11\"\n-scikit-learn==1.8.0 ; python_version >= \"3.11\"\n+scikit-learn==1.7.2\n";
        assert!(!fires("requirements.txt", merged));
    }

    #[test]
    fn a_two_line_lock_entry_is_read_with_its_name() {
        let lock =
            " [[package]]\n name = \"serde\"\n-version = \"1.0.190\"\n+version = \"1.0.100\"\n";
        assert!(fires("Cargo.lock", lock));
        let bump =
            " [[package]]\n name = \"serde\"\n-version = \"1.0.100\"\n+version = \"1.0.190\"\n";
        assert!(!fires("Cargo.lock", bump));
    }
}
