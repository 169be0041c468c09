//! What moved across the change, weighed against the rest of it.
//!
//! Removed lines: a finding on a removed line (a check, a protection, a quoting call, a CI
//! step) whose line the change adds again, the same text, in another place (another file, or
//! another hunk of the same file) was moved, not removed: a helper moved to a module, a step
//! moved to another workflow. A check rewritten on its way is not recognised and still fires.
//! Tests have their own, finer judgement (`context.rs`).
//!
//! Dependencies: a dependency that one manifest of the
//! change gains and another manifest of the same kind loses moved (a crate split into a
//! workspace, a package's manifest moved to another directory). The project already depended
//! on it, so the move brings nothing new into its supply chain; a dependency no manifest of
//! the change loses is still new to that manifest and stays a finding. The same file losing it
//! in another hunk counts too (a section reordered).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hasher};
use std::sync::LazyLock;

use crate::model::{FileChange, LineKind};
use crate::risk::spec::RulesFile;
use crate::risk::BUILTIN_RULES;

/// Lines shorter than this (trimmed) are too common to say that anything moved (`}`, `end`).
const MIN_MOVED_LINE: usize = 8;

/// A line's text without leading, trailing and repeated blanks, hashed.
fn line_key(bytes: &[u8]) -> Option<u64> {
    let t = bytes.trim_ascii();
    if t.len() < MIN_MOVED_LINE {
        return None;
    }
    // SipHash, not a fast hash: an added line crafted to collide with a removed one would make
    // it look moved. Written a word at a time (the hasher is a byte stream, so this is the hash
    // of the text with each run of blanks as one space): byte by byte was 1.5% of a large scan.
    let mut h = DefaultHasher::new();
    for (n, word) in t
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if n > 0 {
            h.write_u8(b' ');
        }
        h.write(word);
    }
    Some(h.finish())
}

/// The built-in rules with `unless_kept`: a removed line of theirs is answered by the same
/// check added back, in the hunk (`lines.rs`) or, the same line, anywhere in the change (here).
static KEPT_RULES: LazyLock<Vec<String>> = LazyLock::new(|| {
    BUILTIN_RULES
        .iter()
        .filter_map(|(_, text)| toml::from_str::<RulesFile>(text).ok())
        .flat_map(|f| f.rule)
        .filter(|r| r.unless_kept)
        .map(|r| r.id)
        .collect()
});

/// Drops findings of `unless_kept` rules on removed lines that the change adds again
/// elsewhere. (Other findings that point at a removed line only use it as their place: a
/// deleted file, a large hunk; the tests' own are judged one test at a time by `context.rs`.)
pub(super) fn refine_removed(files: &mut [FileChange]) {
    let on_removed = |f: &FileChange| {
        f.hunks.iter().any(|h| {
            h.findings.iter().any(|x| {
                KEPT_RULES.contains(&x.rule)
                    && x.line_index
                        .and_then(|i| h.lines.get(i))
                        .is_some_and(|l| l.kind == LineKind::Removed)
            })
        })
    };
    if !files.iter().any(on_removed) {
        return;
    }
    // The few removed lines asked about, and of the change's added lines only those that
    // could be one of them (the same first and last byte), hashed: hashing every added line of
    // a large change was most of this.
    let asked: Vec<&[u8]> = files
        .iter()
        .flat_map(|f| &f.hunks)
        .flat_map(|h| {
            h.findings
                .iter()
                .filter(|x| KEPT_RULES.contains(&x.rule))
                .filter_map(|x| x.line_index.and_then(|i| h.lines.get(i)))
                .filter(|l| l.kind == LineKind::Removed)
        })
        .map(|l| l.bytes.trim_ascii())
        .collect();
    let ends = |t: &[u8]| t.first().zip(t.last()).map(|(a, b)| (*a, *b));
    let asked_ends: HashSet<(u8, u8)> = asked.iter().filter_map(|t| ends(t)).collect();
    let asked_keys: HashSet<u64> = asked.iter().filter_map(|t| line_key(t)).collect();
    let added: HashSet<u64> = files
        .iter()
        .flat_map(|f| &f.hunks)
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .filter(|l| ends(l.bytes.trim_ascii()).is_some_and(|e| asked_ends.contains(&e)))
        .filter_map(|l| line_key(&l.bytes))
        .filter(|k| asked_keys.contains(k))
        .collect();
    for f in files.iter_mut() {
        for h in &mut f.hunks {
            let lines = &h.lines;
            h.findings.retain(|x| {
                let Some(line) = x.line_index.and_then(|i| lines.get(i)) else {
                    return true;
                };
                line.kind != LineKind::Removed
                    || !KEPT_RULES.contains(&x.rule)
                    || !line_key(&line.bytes).is_some_and(|k| added.contains(&k))
            });
        }
    }
}

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
pub(super) fn refine_dependencies(files: &mut [FileChange]) {
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

#[cfg(test)]
mod refine_tests {
    use crate::model::{ChangeKind, FileChange};
    use crate::risk::logic::testutil::hunk;
    use crate::risk::Engine;

    fn modified(path: &str, text: &str) -> FileChange {
        let mut f = FileChange::new(
            Some(path.to_string()),
            Some(path.to_string()),
            ChangeKind::Modified,
        );
        f.hunks.push(hunk(path, text));
        f
    }

    /// Whether the views' removed redirect check is a finding, with `helper` (the other
    /// file's added lines) beside it in the change.
    fn protection_removed(helper: Option<&str>) -> bool {
        let views = "-    if parsed.netloc:\n-        return False\n+    return is_safe(parsed)\n";
        let mut files = vec![modified("app/views.py", views)];
        files.extend(helper.map(|h| modified("app/safety.py", h)));
        Engine::builtin().scan_change(&mut files);
        files
            .iter()
            .flat_map(|f| &f.hunks)
            .flat_map(|h| &h.findings)
            .any(|x| x.rule == "security.protection-removed")
    }

    /// A redirect check moved into a helper module is not removed; one that went nowhere, or
    /// came back rewritten, still is.
    #[test]
    fn a_check_moved_to_another_file_is_not_removed() {
        assert!(!protection_removed(Some(
            "+def is_safe(parsed):\n+    if parsed.netloc:\n+        return False\n"
        )));
        assert!(protection_removed(None));
        assert!(protection_removed(Some(
            "+def is_safe(parsed):\n+    return not parsed.netloc\n"
        )));
    }
}
