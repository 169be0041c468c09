//! Findings weighed against the rest of the change: what one file loses, another may gain.
//! A test or assertion removed from one file and added, the same lines, to another file of
//! the same change was moved, not deleted; the move itself is not a weaker safety net.

use std::collections::HashSet;

use crate::model::{FileChange, LineKind};

/// Rules whose findings a move across files answers.
const MOVABLE: [&str; 3] = [
    "safety-net.test-removed",
    "safety-net.assertions-removed",
    "safety-net.test-file-deleted",
];

/// Share of a hunk's removed lines (in tenths) that must reappear elsewhere for a move.
const MOVED_TENTHS: usize = 8;

/// Lines too short to tell one test from another (`}`, `assert!(x);`) do not count.
const MIN_LINE: usize = 8;

/// The function names a line declares (`fn name(`, `def name(`, `func name(`), by which a test
/// rewritten on its way to another file is still recognised.
fn declared(bytes: &[u8]) -> Option<&[u8]> {
    let t = bytes.trim_ascii_start();
    let t = t.strip_prefix(b"pub ").unwrap_or(t);
    let t = t.strip_prefix(b"async ").unwrap_or(t);
    let rest = [&b"fn "[..], b"def ", b"func "]
        .iter()
        .find_map(|k| t.strip_prefix(*k))?;
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))?;
    (end > 0 && rest.get(end) == Some(&b'(')).then(|| &rest[..end])
}

fn key(bytes: &[u8]) -> Option<&[u8]> {
    let t = bytes.trim_ascii();
    (t.len() >= MIN_LINE).then_some(t)
}

/// Drops the findings of [`MOVABLE`] rules from hunks whose removed lines are added back
/// in another file of the change.
pub(super) fn refine(files: &mut [FileChange]) {
    let mut added: Vec<HashSet<&[u8]>> = Vec::with_capacity(files.len());
    for f in files.iter() {
        let set = f
            .hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.kind == LineKind::Added)
            .filter_map(|l| key(&l.bytes))
            .collect();
        added.push(set);
    }
    let mut names: Vec<HashSet<&[u8]>> = Vec::with_capacity(files.len());
    for f in files.iter() {
        let set = f
            .hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.kind == LineKind::Added)
            .filter_map(|l| declared(&l.bytes))
            .collect();
        names.push(set);
    }
    let mut moved: Vec<Vec<bool>> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let flags = f
            .hunks
            .iter()
            .map(|h| {
                if !h
                    .findings
                    .iter()
                    .any(|x| MOVABLE.contains(&x.rule.as_str()))
                {
                    return false;
                }
                let removed: Vec<&[u8]> = h
                    .lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Removed)
                    .filter_map(|l| key(&l.bytes))
                    .collect();
                let elsewhere = removed
                    .iter()
                    .filter(|r| {
                        added
                            .iter()
                            .enumerate()
                            .any(|(j, set)| j != i && set.contains(*r))
                    })
                    .count();
                let gone: Vec<&[u8]> = h
                    .lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Removed)
                    .filter_map(|l| declared(&l.bytes))
                    .collect();
                let renamed_elsewhere = !gone.is_empty()
                    && gone.iter().all(|n| {
                        names
                            .iter()
                            .enumerate()
                            .any(|(j, set)| j != i && set.contains(*n))
                    });
                renamed_elsewhere
                    || (!removed.is_empty() && elsewhere * 10 >= removed.len() * MOVED_TENTHS)
            })
            .collect();
        moved.push(flags);
    }
    let deleted_moved: Vec<bool> = moved
        .iter()
        .map(|m| !m.is_empty() && m.iter().all(|&x| x))
        .collect();
    for ((f, flags), whole) in files.iter_mut().zip(moved).zip(deleted_moved) {
        for (h, is_moved) in f.hunks.iter_mut().zip(flags) {
            if is_moved || whole {
                h.findings.retain(|x| !MOVABLE.contains(&x.rule.as_str()));
            }
        }
        if whole {
            f.findings.retain(|x| !MOVABLE.contains(&x.rule.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ChangeKind, FileChange};
    use crate::risk::logic::testutil::hunk;
    use crate::risk::Engine;

    fn file(path: &str, change: ChangeKind, text: &str) -> FileChange {
        let (old, new) = match change {
            ChangeKind::Added => (None, Some(path.to_string())),
            ChangeKind::Deleted => (Some(path.to_string()), None),
            _ => (Some(path.to_string()), Some(path.to_string())),
        };
        let mut f = FileChange::new(old, new, change);
        f.hunks.push(hunk(path, text));
        f
    }

    const TEST: &str = "#[test]\nfn parses_the_empty_input() {\n    assert_eq!(parse(\"\"), None);\n    assert_eq!(parse(\"x\"), Some(1));\n}\n";

    fn with(prefix: char) -> String {
        TEST.lines().map(|l| format!("{prefix}{l}\n")).collect()
    }

    fn rules(f: &FileChange) -> Vec<String> {
        f.hunks[0].findings.iter().map(|x| x.rule.clone()).collect()
    }

    #[test]
    fn a_test_moved_to_another_file_is_not_removed() {
        let mut files = vec![
            file(
                "tests/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("tests/new.rs", ChangeKind::Added, &with('+')),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(!rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }

    #[test]
    fn a_test_rewritten_in_another_file_keeps_its_name() {
        let rewritten = "+#[test]\n+fn parses_the_empty_input() {\n+    let p = Parser::new();\n+    assert!(p.parse(\"\").is_none());\n+}\n";
        let mut files = vec![
            file(
                "src/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("crates/p/src/lib.rs", ChangeKind::Modified, rewritten),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(!rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }

    #[test]
    fn a_test_deleted_outright_still_is() {
        let mut files = vec![
            file(
                "tests/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("src/lib.rs", ChangeKind::Modified, "+pub fn other() {}\n"),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }
}
