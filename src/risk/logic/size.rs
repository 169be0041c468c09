//! Size: hunks too large to review, large deletions with little in their place, minified or
//! generated lines, and (for want of a better home, as it also needs the file's kind) symbolic
//! links that leave the repository.

use crate::model::{FileChange, FileKind, Hunk, LineKind};

use super::{FileFacts, Id, Lang, Sink};

/// Changed lines above which a hunk is too large to review well in one go.
pub const LARGE_HUNK_LINES: usize = 300;
/// Removed lines above which a deletion is worth its own look, when little is added back.
pub const LARGE_DELETION_LINES: usize = 80;
/// A line this long in bytes is minified or generated, not written to be read.
pub const LONG_LINE_BYTES: usize = 1000;

pub(super) fn scan_hunk(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    let (added, removed) = hunk.lines.iter().fold((0, 0), |(a, r), l| match l.kind {
        LineKind::Added => (a + 1, r),
        LineKind::Removed => (a, r + 1),
        LineKind::Context => (a, r),
    });
    let first = hunk.lines.iter().position(|l| l.is_change());
    // Prose and test data are read as text, not run: a long hunk of them is no review hazard.
    let data = (file.is_prose || file.is_test_data) && file.lang == Lang::Other;
    if added + removed > LARGE_HUNK_LINES
        && !data
        && added + removed - 2 * same_text(hunk) > LARGE_HUNK_LINES
    {
        let msg = format!("This hunk changes {} lines, too many to review well in one sitting; ask for it to be split.", added + removed);
        sink.push(Id::LargeHunk, first, None, Some(msg));
    }
    if !file.is_deleted && !file.is_prose && removed >= LARGE_DELETION_LINES && added * 4 <= removed
    {
        let msg = format!("This hunk deletes {removed} lines and adds {added}: make sure nothing still needs what is gone.");
        sink.push(Id::LargeDeletion, first, None, Some(msg));
    }
}

/// Added lines that a removed line of the hunk reads the same as, but for whitespace and
/// line endings (a file converted from CRLF, re-indented): nothing there to review.
fn same_text(hunk: &Hunk) -> usize {
    let norm = |b: &[u8]| -> Vec<u8> {
        b.iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect()
    };
    let mut removed: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
    for l in hunk.lines.iter().filter(|l| l.kind == LineKind::Removed) {
        *removed.entry(norm(&l.bytes)).or_default() += 1;
    }
    let mut same = 0;
    for l in hunk.lines.iter().filter(|l| l.kind == LineKind::Added) {
        if let Some(n) = removed.get_mut(&norm(&l.bytes)).filter(|n| **n > 0) {
            *n -= 1;
            same += 1;
        }
    }
    same
}

pub(super) fn scan_file(file: &FileChange, facts: &FileFacts, sink: &mut Sink) {
    let added = || {
        file.hunks
            .iter()
            .flat_map(|h| h.lines.iter())
            .filter(|l| l.kind == LineKind::Added)
    };
    if !facts.is_prose && sink.on(Id::Minified) {
        if let Some(longest) = added()
            .map(|l| l.bytes.len())
            .max()
            .filter(|&n| n > LONG_LINE_BYTES)
        {
            let msg = format!("A line of {longest} bytes (minified or generated content) cannot be reviewed line by line; review its source instead.");
            sink.push(Id::Minified, None, None, Some(msg));
        }
    }
    if file.kind == FileKind::Symlink {
        let escapes = added().any(|l| {
            l.bytes.starts_with(b"/") || l.bytes.split(|&b| b == b'/').any(|part| part == b"..")
        });
        if escapes {
            sink.push(Id::SymlinkEscape, None, None, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChangeKind;
    use crate::risk::logic::testutil::{facts, hits, hunk};

    fn run(f: impl FnOnce(&mut Sink)) -> Vec<&'static str> {
        hits(f)
            .iter()
            .map(|h| super::super::RULES[h.rule].id)
            .collect()
    }

    #[test]
    fn large_hunks_and_large_deletions_fire() {
        let big: String = (0..400).map(|i| format!("+line {i}\n")).collect();
        assert_eq!(
            run(|s| scan_hunk(&facts("a.rs"), &hunk("a.rs", &big), s)),
            vec!["size.large-hunk"]
        );
        let gone: String = (0..100).map(|i| format!("-line {i}\n")).collect();
        assert_eq!(
            run(|s| scan_hunk(&facts("a.rs"), &hunk("a.rs", &gone), s)),
            vec!["destructive.large-deletion"]
        );
        let small = "-a\n+b\n";
        assert!(run(|s| scan_hunk(&facts("a.rs"), &hunk("a.rs", small), s)).is_empty());
    }

    #[test]
    fn minified_lines_and_escaping_symlinks_fire_at_file_level() {
        let mut file = FileChange::new(None, Some("app.js".into()), ChangeKind::Added);
        file.hunks
            .push(hunk("app.js", &format!("+{}\n", "x;".repeat(800))));
        assert_eq!(
            run(|s| scan_file(&file, &facts("app.js"), s)),
            vec!["size.minified"]
        );
        let mut link = FileChange::new(None, Some("conf".into()), ChangeKind::Added);
        link.kind = FileKind::Symlink;
        link.hunks.push(hunk("conf", "+../../etc/passwd\n"));
        assert_eq!(
            run(|s| scan_file(&link, &facts("conf"), s)),
            vec!["security.symlink-escape"]
        );
        link.hunks[0] = hunk("conf", "+config/prod.toml\n");
        assert!(run(|s| scan_file(&link, &facts("conf"), s)).is_empty());
    }
}
