//! Word-level changes inside a changed line: which parts of a removed line and its added
//! partner differ, so the eye goes to the one word that changed.

use similar::{ChangeTag, TextDiff};

use crate::model::{Hunk, LineKind};

/// Lines longer than this get no word emphasis: the diff would cost more than it tells.
const MAX_LEN: usize = 500;
/// How far back to look for the start of a change block.
const MAX_SCAN: usize = 1000;

/// Byte ranges within a line.
pub type Ranges = Vec<(usize, usize)>;

/// Byte ranges that changed, in the old line and in the new line; empty when the lines are too
/// different for emphasis to help (a rewrite, not an edit).
pub fn emphasis(old: &str, new: &str) -> (Ranges, Ranges) {
    if old.len() > MAX_LEN || new.len() > MAX_LEN {
        return (Vec::new(), Vec::new());
    }
    // Tokens, not whitespace-separated words: `is_hidden,` and `is_hidden_entry,` differ in
    // `_entry` only, and only that lights up (as delta marks it).
    let (old_tokens, new_tokens) = (tokens(old), tokens(new));
    let diff = TextDiff::configure().diff_slices(&old_tokens, &new_tokens);
    if diff.ratio() < 0.4 {
        return (Vec::new(), Vec::new());
    }
    let (mut o, mut n) = (Vec::new(), Vec::new());
    let (mut oi, mut ni) = (0usize, 0usize);
    for change in diff.iter_all_changes() {
        let len = change.value().len();
        match change.tag() {
            ChangeTag::Equal => {
                oi += len;
                ni += len;
            }
            ChangeTag::Delete => {
                if !change.value().trim().is_empty() {
                    o.push((oi, oi + len));
                }
                oi += len;
            }
            ChangeTag::Insert => {
                if !change.value().trim().is_empty() {
                    n.push((ni, ni + len));
                }
                ni += len;
            }
        }
    }
    (o, n)
}

/// A line cut into runs of letters and digits, runs of whitespace, and single other characters
/// (an `_` or a `:` is a token of its own), so emphasis can fall on part of an identifier.
fn tokens(s: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<Class> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        let joins = matches!(
            (&prev, &k),
            (Some(Class::Word), Class::Word) | (Some(Class::Space), Class::Space)
        );
        if !joins && i > start {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The line paired with line `i` in its change block: the k-th removed line with the k-th added
/// line of the same block.
pub fn partner(hunk: &Hunk, i: usize) -> Option<usize> {
    let lines = &hunk.lines;
    let kind = lines.get(i)?.kind;
    match kind {
        LineKind::Context => None,
        LineKind::Removed => {
            let start = run_start(hunk, i, LineKind::Removed)?;
            let k = i - start;
            let mut end = i;
            while end < lines.len() && lines[end].kind == LineKind::Removed {
                end += 1;
            }
            let j = end + k;
            (j < lines.len() && (end..=j).all(|x| lines[x].kind == LineKind::Added)).then_some(j)
        }
        LineKind::Added => {
            let start = run_start(hunk, i, LineKind::Added)?;
            let k = i - start;
            let mut rstart = start;
            let mut steps = 0;
            while rstart > 0 && lines[rstart - 1].kind == LineKind::Removed && steps < MAX_SCAN {
                rstart -= 1;
                steps += 1;
            }
            let j = rstart + k;
            (j < start).then_some(j)
        }
    }
}

fn run_start(hunk: &Hunk, i: usize, kind: LineKind) -> Option<usize> {
    let mut s = i;
    let mut steps = 0;
    while s > 0 && hunk.lines[s - 1].kind == kind {
        s -= 1;
        steps += 1;
        if steps > MAX_SCAN {
            return None;
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Line;

    #[test]
    fn emphasises_only_the_changed_word() {
        let (o, n) = emphasis("timeout = 30", "timeout = 300");
        assert_eq!(&"timeout = 30"[o[0].0..o[0].1], "30");
        assert_eq!(&"timeout = 300"[n[0].0..n[0].1], "300");
        let (o, n) = emphasis("completely different", "nothing alike here at all");
        assert!(o.is_empty() && n.is_empty());
    }

    #[test]
    fn emphasis_falls_on_the_changed_part_of_an_identifier() {
        let old = "use pathutil::{is_hidden, is_file};";
        let new = "use pathutil::{is_hidden_entry, is_file};";
        let (o, n) = emphasis(old, new);
        assert!(o.is_empty(), "{o:?}");
        let marked: Vec<&str> = n.iter().map(|&(a, b)| &new[a..b]).collect();
        assert_eq!(marked.concat(), "_entry");
    }

    #[test]
    fn pairs_lines_within_a_block() {
        let l = |k, t: &str| Line::new(k, None, None, t.as_bytes());
        let hunk = Hunk::new(
            "f",
            (1, 3),
            (1, 3),
            "",
            vec![
                l(LineKind::Context, "a"),
                l(LineKind::Removed, "b"),
                l(LineKind::Removed, "c"),
                l(LineKind::Added, "B"),
                l(LineKind::Context, "d"),
            ],
        );
        assert_eq!(partner(&hunk, 1), Some(3));
        assert_eq!(partner(&hunk, 3), Some(1));
        assert_eq!(partner(&hunk, 2), None);
        assert_eq!(partner(&hunk, 0), None);
    }
}
