//! Dependencies weighed against the rest of the change: a dependency that one manifest of the
//! change gains and another manifest of the same kind loses moved (a crate split into a
//! workspace, a package's manifest moved to another directory). The project already depended
//! on it, so the move brings nothing new into its supply chain; a dependency no manifest of
//! the change loses is still new to that manifest and stays a finding. The same file losing it
//! in another hunk counts too (a section reordered).

use std::collections::HashSet;

use crate::model::{FileChange, LineKind};

/// The rules whose findings a move answers: one added dependency line each.
const DEPENDENCY_RULES: [&str; 6] = [
    "supply-chain.cargo-dependency",
    "supply-chain.npm-dependency",
    "supply-chain.python-dependency",
    "supply-chain.go-dependency",
    "supply-chain.jvm-dependency",
    "supply-chain.ruby-dependency",
];

/// The manifest's kind: its file name, lowercased (`Cargo.toml`, `package.json`, `Gemfile`…).
fn kind(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

/// The dependency a manifest line names: its first word without quotes (`serde = "1"`,
/// `"lodash": "^4"`, `requests==2.31`, `github.com/x/y v1.2.0`), or the gem of a `gem` line.
/// Lowercased, `_` as `-` (Python and Cargo treat them alike).
fn name(line: &[u8]) -> Option<Vec<u8>> {
    let t = line.trim_ascii_start();
    let t = ["gem ", "gem(", "implementation ", "api "]
        .iter()
        .find_map(|k| t.strip_prefix(k.as_bytes()))
        .unwrap_or(t);
    let t = t.trim_ascii_start();
    let t = t
        .strip_prefix(b"\"")
        .or_else(|| t.strip_prefix(b"'"))
        .unwrap_or(t);
    let end = t
        .iter()
        .position(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'=' | b':'
                        | b'"'
                        | b'\''
                        | b'<'
                        | b'>'
                        | b'!'
                        | b'~'
                        | b'['
                        | b','
                        | b';'
                        | b'('
                )
        })
        .unwrap_or(t.len());
    let n = &t[..end];
    (n.len() >= 2).then(|| {
        n.iter()
            .map(|b| {
                if *b == b'_' {
                    b'-'
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// Drops dependency findings whose dependency another manifest of the same kind removes.
pub(super) fn refine(files: &mut [FileChange]) {
    let has_dependency_finding = files.iter().any(|f| {
        f.hunks.iter().any(|h| {
            h.findings
                .iter()
                .any(|x| DEPENDENCY_RULES.contains(&x.rule.as_str()))
        })
    });
    if !has_dependency_finding {
        return;
    }
    // The kinds of manifest with such findings: only their removed lines can answer them.
    let kinds: HashSet<String> = files
        .iter()
        .filter(|f| {
            f.hunks.iter().any(|h| {
                h.findings
                    .iter()
                    .any(|x| DEPENDENCY_RULES.contains(&x.rule.as_str()))
            })
        })
        .map(|f| kind(f.path()))
        .collect();
    if kinds.is_empty() {
        return;
    }
    // (manifest kind, dependency name) of every removed line of those manifests.
    let mut removed: HashSet<(String, Vec<u8>)> = HashSet::new();
    for f in files.iter() {
        let k = kind(f.old_path.as_deref().unwrap_or(f.path()));
        if !kinds.contains(&k) {
            continue;
        }
        for line in f.hunks.iter().flat_map(|h| &h.lines) {
            if line.kind == LineKind::Removed {
                if let Some(n) = name(&line.bytes) {
                    removed.insert((k.clone(), n));
                }
            }
        }
    }
    if removed.is_empty() {
        return;
    }
    for f in files.iter_mut() {
        let k = kind(f.path());
        for h in &mut f.hunks {
            let lines = &h.lines;
            h.findings.retain(|x| {
                if !DEPENDENCY_RULES.contains(&x.rule.as_str()) {
                    return true;
                }
                let Some(n) = x
                    .line_index
                    .and_then(|l| lines.get(l))
                    .and_then(|l| name(&l.bytes))
                else {
                    return true;
                };
                !removed.contains(&(k.clone(), n))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_first_word_of_each_manifest_style() {
        let n = |s: &str| name(s.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(n("serde = { version = \"1\" }").as_deref(), Some("serde"));
        assert_eq!(
            n("  \"left-pad\": \"^1.3.0\",").as_deref(),
            Some("left-pad")
        );
        assert_eq!(
            n("Django_Extensions>=3.2").as_deref(),
            Some("django-extensions")
        );
        assert_eq!(n("gem \"rails\", \"~> 7.1\"").as_deref(), Some("rails"));
        assert_eq!(
            n("\tgithub.com/pkg/errors v0.9.1").as_deref(),
            Some("github.com/pkg/errors")
        );
    }
}
