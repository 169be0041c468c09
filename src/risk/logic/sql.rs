//! `DELETE` and `UPDATE` with no `WHERE`. Statements span lines and, in application code, string
//! literals glued together (`"DELETE FROM t " + "WHERE id = ?"`), so the check reads the new
//! side of the hunk as one text and follows each statement to its end: `;`, or the end of the
//! string literal it lives in.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;

use super::{re, FileFacts, Id, Lang, Sink};

static MENTION: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)delete|update"));
static WHERE_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)where"));
static START: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?i)\b(?:delete\s+from\b(?:\s*(?P<d>[\w.\[\]]+|"[\w.]+"|`[\w.]+`))?"#,
        r#"|update\s+(?:only\s+)?(?P<u>[\w.\[\]]+|"[\w.]+"|`[\w.]+`)(?:\s+(?:as\s+)?\w+)?\s+set\b)"#,
    ))
});
static WHERE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bwhere\b"));
static WHERE_ALWAYS: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)^\s*(1\s*=\s*1|true)\s*($|[;"'`)])"#));

/// Past this many bytes a "statement" is a misreading, not SQL.
const MAX_STATEMENT: usize = 8_000;

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if !sink.on(Id::SqlNoWhere) {
        return;
    }
    // A statement loses its WHERE only if one is added without it or a WHERE line goes.
    let touched = hunk.lines.iter().any(|l| match l.kind {
        LineKind::Added => MENTION.is_match(&l.bytes),
        LineKind::Removed => MENTION.is_match(&l.bytes) || WHERE_WORD.is_match(&l.bytes),
        LineKind::Context => false,
    });
    if !touched {
        return;
    }
    let view = NewSide::of(hunk);
    let text = &view.text[..];
    let in_code = file.lang != Lang::Sql;
    let mut at = 0;
    while let Some(caps) = START.captures_at(text, at) {
        let Some(whole) = caps.get(0) else { break };
        at = whole.end();
        let is_update = whole.as_bytes()[0].eq_ignore_ascii_case(&b'u');
        if view.in_comment(whole.start()) {
            continue;
        }
        let quote = if in_code {
            view.opening_quote(whole.start())
        } else {
            None
        };
        let Some(end) = statement_end(text, whole.end(), in_code, quote, view.at_eof) else {
            continue;
        };
        if has_where(&text[whole.start()..end])
            || !view.changed_within(whole.start(), end)
            || is_update && fills_new_column(&text[..whole.start()], &text[whole.end()..end])
        {
            continue;
        }
        let (line, column) = view.position(whole.start());
        let table = caps
            .name(if is_update { "u" } else { "d" })
            .map_or("…".into(), |m| {
                String::from_utf8_lossy(m.as_bytes()).into_owned()
            });
        let message = if is_update {
            format!("`UPDATE {table}` has no WHERE clause: it changes every row of the table.")
        } else {
            format!("`DELETE FROM {table}` has no WHERE clause: it deletes every row of the table.")
        };
        sink.push(Id::SqlNoWhere, Some(line), Some(column), Some(message));
        at = end.max(at);
    }
}

/// `UPDATE t SET col = …` on every row, after the hunk added `col` (`ADD [COLUMN] col`,
/// `add_column …, :col`, `addColumn('t', 'col'`): the new column's backfill, not an overwrite.
fn fills_new_column(before: &[u8], set: &[u8]) -> bool {
    static COLUMN: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^\s*[`"\[]?([A-Za-z_]\w*)[`"\]]?\s*="#));
    let Some(col) = COLUMN.captures(set).and_then(|c| c.get(1)) else {
        return false;
    };
    let col = regex::escape(&String::from_utf8_lossy(col.as_bytes()));
    let added = format!(
        r#"(?i)\badd\s+(column\s+)?(if\s+not\s+exists\s+)?[`"\[]?{col}\b|\badd_?column\b[^\n]*[:'"]{col}\b"#
    );
    regex::bytes::Regex::new(&added).is_ok_and(|r| r.is_match(before))
}

fn has_where(statement: &[u8]) -> bool {
    WHERE
        .find_iter(statement)
        .any(|m| !WHERE_ALWAYS.is_match(&statement[m.end()..]))
}

/// Where the statement starting before `from` ends, or None when the hunk does not show it.
fn statement_end(
    text: &[u8],
    from: usize,
    in_code: bool,
    quote: Option<u8>,
    at_eof: bool,
) -> Option<usize> {
    let limit = text.len().min(from + MAX_STATEMENT);
    let mut i = from;
    while i < limit {
        let b = text[i];
        if b == b';' {
            return Some(i);
        }
        // `\'` inside the literal (`'… SET x = \'on\' WHERE …'`) does not close it.
        let escaped = i > 0 && text[i - 1] == b'\\';
        let closes =
            in_code && !escaped && quote.map_or(matches!(b, b'"' | b'\'' | b'`'), |q| b == q);
        if closes {
            match continuation(text, i + 1, quote) {
                Some(next) => i = next,
                None => return Some(i),
            }
            continue;
        }
        i += 1;
    }
    // A hunk that ends on a changed line ends at the end of the file: the statement ends there.
    (i >= text.len() && at_eof).then_some(text.len())
}

/// After a string literal closes at `from`: the literal continues (`+ "..."`, `. "..."`, or an
/// adjacent literal), so return where the next one's text starts.
fn continuation(text: &[u8], from: usize, quote: Option<u8>) -> Option<usize> {
    let is_quote = |b: u8| quote.map_or(matches!(b, b'"' | b'\'' | b'`'), |q| b == q);
    let mut i = from;
    while i < text.len() && text[i].is_ascii_whitespace() {
        i += 1;
    }
    match text.get(i) {
        Some(&b) if is_quote(b) => Some(i + 1),
        Some(b'+' | b'.' | b'\\') => {
            // Skip an operand such as `table +` up to the next literal, if it is near.
            let end = text.len().min(i + 200);
            (i + 1..end)
                .find(|&j| is_quote(text[j]) && text[j - 1] != b'\\')
                .map(|j| j + 1)
        }
        _ => None,
    }
}

/// The new side of a hunk (context and added lines) as one text, with a map back to lines.
struct NewSide {
    text: Vec<u8>,
    /// (offset in text, line index, the line is added).
    lines: Vec<(usize, usize, bool)>,
    /// Offsets where removed lines used to be.
    removed_at: Vec<usize>,
    at_eof: bool,
}

impl NewSide {
    fn of(hunk: &Hunk) -> NewSide {
        let mut view = NewSide {
            text: Vec::new(),
            lines: Vec::new(),
            removed_at: Vec::new(),
            at_eof: hunk.lines.last().is_some_and(|l| l.is_change()),
        };
        for (i, l) in hunk.lines.iter().enumerate() {
            if l.kind == LineKind::Removed {
                view.removed_at.push(view.text.len());
                continue;
            }
            view.lines
                .push((view.text.len(), i, l.kind == LineKind::Added));
            view.text.extend_from_slice(&l.bytes);
            view.text.push(b'\n');
        }
        view
    }

    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|&(start, _, _)| start <= offset)
            .saturating_sub(1)
    }

    /// (line index in the hunk, character column) of a text offset.
    fn position(&self, offset: usize) -> (usize, u32) {
        let (start, line, _) = self.lines[self.line_at(offset)];
        (line, char_column(&self.text[start..], offset - start))
    }

    fn line_prefix(&self, offset: usize) -> &[u8] {
        let (start, _, _) = self.lines[self.line_at(offset)];
        &self.text[start..offset]
    }

    fn in_comment(&self, offset: usize) -> bool {
        let prefix = self.line_prefix(offset);
        let trimmed = prefix.trim_ascii_start();
        prefix
            .windows(2)
            .any(|w| w == b"--" || w == b"//" || w == b"/*")
            || trimmed.starts_with(b"#")
            || trimmed.starts_with(b"*")
    }

    /// The quote character that opens the string literal the statement sits in, if on its line.
    fn opening_quote(&self, offset: usize) -> Option<u8> {
        self.line_prefix(offset)
            .iter()
            .rev()
            .find(|b| matches!(b, b'"' | b'\'' | b'`'))
            .copied()
    }

    /// The statement between the offsets includes an added line or a removal.
    fn changed_within(&self, start: usize, end: usize) -> bool {
        let first = self.line_at(start);
        let last = self.line_at(end.saturating_sub(1).max(start));
        self.lines[first..=last].iter().any(|&(_, _, added)| added)
            || self.removed_at.iter().any(|&r| r > start && r <= end + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{facts, hits, hunk};

    fn fires(path: &str, text: &str) -> Vec<(usize, Option<u32>)> {
        let h = hunk(path, text);
        hits(|sink| scan(&facts(path), &h, sink))
            .iter()
            .map(|h| (h.line.unwrap(), h.column))
            .collect()
    }

    #[test]
    fn delete_without_where_fires_and_with_where_does_not() {
        assert_eq!(
            fires("m.sql", "+DELETE FROM sessions;\n"),
            vec![(0, Some(0))]
        );
        assert!(fires("m.sql", "+DELETE FROM sessions WHERE expires_at < now();\n").is_empty());
    }

    /// kimai 29a207e7: a new column filled on every row in the migration that adds it.
    #[test]
    fn filling_a_column_the_hunk_adds_is_no_overwrite() {
        let add = "+ALTER TABLE customers ADD `language` VARCHAR(35) NOT NULL DEFAULT 'en';\n";
        let fill = format!("{add}+UPDATE customers SET `language` = 'de';\n");
        assert!(fires("m.sql", &fill).is_empty());
        let other = format!("{add}+UPDATE customers SET `name` = 'x';\n");
        assert_eq!(fires("m.sql", &other), vec![(1, Some(0))]);
        // Set before it was added, it is every row's existing column.
        let before =
            "+UPDATE customers SET language = 'de';\n+ALTER TABLE customers ADD language text;\n";
        assert_eq!(fires("m.sql", before), vec![(0, Some(0))]);
    }

    #[test]
    fn statements_spanning_lines_are_followed_to_their_end() {
        let text = " BEGIN;\n+UPDATE accounts\n+   SET balance = 0\n+ WHERE id = 42;\n COMMIT;\n";
        assert!(fires("m.sql", text).is_empty());
        let text = " BEGIN;\n+UPDATE accounts\n+   SET balance = 0;\n COMMIT;\n";
        assert_eq!(fires("m.sql", text), vec![(1, Some(0))]);
    }

    #[test]
    fn removing_the_where_line_of_an_unchanged_statement_fires() {
        let text = " DELETE FROM carts\n- WHERE updated_at < now() - interval '30 days'\n ;\n";
        assert_eq!(fires("m.sql", text), vec![(0, Some(0))]);
    }

    #[test]
    fn sql_in_code_strings_ends_with_the_literal() {
        assert_eq!(
            fires("a.py", "+    cur.execute(\"DELETE FROM audit_log\")\n"),
            vec![(0, Some(17))]
        );
        assert!(fires(
            "a.py",
            "+    cur.execute(\"UPDATE users SET name = 'x' WHERE id = %s\", (uid,))\n"
        )
        .is_empty());
        let java =
            "+    String sql = \"DELETE FROM \" + table +\n+        \" WHERE tenant_id = ?\";\n";
        assert!(fires("A.java", java).is_empty());
        let py = "+    cur.execute(\n+        \"UPDATE users SET active = false \"\n+        \"WHERE last_login < %s\", (cutoff,))\n";
        assert!(fires("a.py", py).is_empty());
        assert_eq!(
            fires(
                "a.go",
                "+\t_, err := db.Exec(`UPDATE users SET plan = 'free'`)\n"
            ),
            vec![(0, Some(20))]
        );
    }

    #[test]
    fn where_one_equals_one_is_no_where_and_comments_do_not_count() {
        assert_eq!(fires("m.sql", "+DELETE FROM t WHERE 1=1;\n").len(), 1);
        assert!(fires("m.sql", "+-- delete from the cache when done;\n").is_empty());
        assert!(fires("a.py", "+    # update the config set below;\n").is_empty());
    }

    #[test]
    fn an_unterminated_statement_is_not_judged_unless_the_file_ends() {
        assert!(fires("m.sql", "+DELETE FROM t\n  USING x\n  JOIN y\n").is_empty());
        assert_eq!(fires("m.sql", " x\n+DELETE FROM t\n").len(), 1);
    }
}
