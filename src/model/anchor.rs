//! Where a comment points: lines of a file on one side of the diff, kept with their text so
//! that the comment can find them again after a rebase or an amend moved them (as GitHub
//! re-anchors review comments), and knows when they are gone.

use serde::{Deserialize, Serialize};

use super::{Hunk, LineKind};

/// Which version of the file the lines are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Before the change: a comment on a removed line.
    Old,
    /// After the change: a comment on an added or a context line.
    New,
}

/// Lines `start..=end` of `path` on `side`, and their text when the comment was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub path: String,
    pub side: Side,
    pub start: u32,
    pub end: u32,
    pub lines: Vec<String>,
}

/// Where an anchor's lines are in a hunk now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub start: u32,
    pub end: u32,
}

impl Anchor {
    /// The anchor of a comment written with the cursor on line `cursor` of `hunk`: that line
    /// when it is a change, else every changed line of the hunk (a comment on the hunk).
    pub fn at(path: &str, hunk: &Hunk, cursor: usize) -> Option<Anchor> {
        let picked: Vec<usize> = match hunk.lines.get(cursor) {
            Some(l) if l.is_change() => vec![cursor],
            _ => {
                let added: Vec<usize> = (0..hunk.lines.len())
                    .filter(|&i| hunk.lines[i].kind == LineKind::Added)
                    .collect();
                if added.is_empty() {
                    (0..hunk.lines.len())
                        .filter(|&i| hunk.lines[i].kind == LineKind::Removed)
                        .collect()
                } else {
                    added
                }
            }
        };
        let first = hunk.lines.get(*picked.first()?)?;
        let side = if first.kind == LineKind::Removed {
            Side::Old
        } else {
            Side::New
        };
        let number = |i: usize| match side {
            Side::Old => hunk.lines[i].old_no,
            Side::New => hunk.lines[i].new_no,
        };
        // Contiguous on that side: from the first picked line to the last.
        let on_side: Vec<usize> = (picked[0]..=*picked.last()?)
            .filter(|&i| number(i).is_some())
            .collect();
        Some(Anchor {
            path: path.to_string(),
            side,
            start: number(*on_side.first()?)?,
            end: number(*on_side.last()?)?,
            lines: on_side
                .iter()
                .map(|&i| hunk.lines[i].text().into_owned())
                .collect(),
        })
    }

    /// Where the anchored lines are in `hunk` now (same path, same side, the same text in a
    /// row), the nearest to where they were; None when the hunk no longer has them.
    pub fn locate(&self, path: &str, hunk: &Hunk) -> Option<Located> {
        if path != self.path || self.lines.is_empty() {
            return None;
        }
        let side: Vec<(u32, std::borrow::Cow<'_, str>)> = hunk
            .lines
            .iter()
            .filter_map(|l| {
                let n = match self.side {
                    Side::Old => l.old_no,
                    Side::New => l.new_no,
                }?;
                Some((n, l.text()))
            })
            .collect();
        let n = self.lines.len();
        (0..side.len().saturating_sub(n - 1))
            .filter(|&i| (0..n).all(|k| side[i + k].1 == self.lines[k]))
            .map(|i| Located {
                start: side[i].0,
                end: side[i + n - 1].0,
            })
            .min_by_key(|l| l.start.abs_diff(self.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Line;

    fn hunk(at: u32) -> Hunk {
        let l = |k, o, n, t: &str| Line::new(k, o, n, t.as_bytes());
        Hunk::new(
            "db.sql",
            (at, 2),
            (at, 2),
            "",
            vec![
                l(LineKind::Context, Some(at), Some(at), "BEGIN;"),
                l(
                    LineKind::Removed,
                    Some(at + 1),
                    None,
                    "DELETE FROM s WHERE old;",
                ),
                l(LineKind::Added, None, Some(at + 1), "DELETE FROM s;"),
            ],
        )
    }

    #[test]
    fn a_comment_on_a_line_finds_it_again_where_it_moved() {
        let a = Anchor::at("db.sql", &hunk(10), 2).unwrap();
        assert_eq!((a.side, a.start, a.end), (Side::New, 11, 11));
        assert_eq!(
            a.locate("db.sql", &hunk(40)),
            Some(Located { start: 41, end: 41 })
        );
        let removed = Anchor::at("db.sql", &hunk(10), 1).unwrap();
        assert_eq!((removed.side, removed.start), (Side::Old, 11));
        assert_eq!(removed.locate("other.sql", &hunk(10)), None);
    }

    #[test]
    fn gone_lines_are_not_found() {
        let a = Anchor::at("db.sql", &hunk(10), 0).unwrap();
        assert_eq!(
            a.lines,
            ["DELETE FROM s;"],
            "a context cursor anchors the change"
        );
        let l = |k, o, n, t: &str| Line::new(k, o, n, t.as_bytes());
        let fixed = Hunk::new(
            "db.sql",
            (10, 2),
            (10, 2),
            "",
            vec![l(
                LineKind::Added,
                None,
                Some(11),
                "DELETE FROM s WHERE age > 30;",
            )],
        );
        assert_eq!(a.locate("db.sql", &fixed), None);
    }
}
