//! Turns one line of reviewed content into styled, terminal-safe spans: syntax colours, word
//! emphasis and search matches layered over the diff style, tabs expanded, and every control or
//! invisible character replaced by a visible, marked form. The only path content takes to the
//! screen goes through here.

use ratatui::style::{Color, Style};
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use crate::text::{visibility, visible_form, Visibility};

const TAB_WIDTH: usize = 4;

/// A byte range with a syntax foreground colour.
pub type SyntaxSpan = (u32, u32, Color);

pub struct LineStyle<'a> {
    pub base: Style,
    pub syntax: Option<&'a [SyntaxSpan]>,
    /// Byte ranges changed within the line (word-level diff).
    pub emph: &'a [(usize, usize)],
    pub emph_style: Style,
    pub hidden_style: Style,
    pub search: Option<(&'a str, Style)>,
    /// The file uses CRLF: a final `\r` is the line ending, not content to flag.
    pub crlf: bool,
    /// A changed line: tabs show as `→` and trailing whitespace as `·`, so a tab turned into
    /// spaces, or spaces added at the end, can be seen (context lines stay quiet).
    pub whitespace: Option<Style>,
}

fn in_ranges(ranges: &[(usize, usize)], at: usize) -> bool {
    ranges.iter().any(|&(s, e)| s <= at && at < e)
}

fn search_ranges(text: &str, query: &str) -> Vec<(usize, usize)> {
    if query.is_empty() {
        return Vec::new();
    }
    let smart = !query.chars().any(char::is_uppercase);
    let hay = if smart {
        text.to_lowercase()
    } else {
        text.to_string()
    };
    // Lowercasing can change byte lengths; only trust positions when it did not.
    if hay.len() != text.len() {
        return Vec::new();
    }
    hay.match_indices(query)
        .map(|(i, m)| (i, i + m.len()))
        .collect()
}

/// Styled spans for `text`, safe to hand to the terminal.
pub fn spans(text: &str, st: &LineStyle) -> Vec<Span<'static>> {
    // Where trailing whitespace starts (byte offset), for changed lines.
    let trailing = text
        .trim_end_matches(|c: char| c == ' ' || c == '\t' || (c == '\r' && st.crlf))
        .len();
    let found = st
        .search
        .map(|(q, _)| search_ranges(text, q))
        .unwrap_or_default();
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut buf = String::new();
    let mut buf_style = st.base;
    let mut col = 0usize;
    let mut syn_i = 0usize;
    let flush = |out: &mut Vec<Span<'static>>, buf: &mut String, style: Style| {
        if !buf.is_empty() {
            out.push(Span::styled(std::mem::take(buf), style));
        }
    };
    for (at, c) in text.char_indices() {
        if c == '\r' && st.crlf && at + 1 == text.len() {
            break;
        }
        let mut style = st.base;
        if let Some(syn) = st.syntax {
            while syn_i < syn.len() && (syn[syn_i].1 as usize) <= at {
                syn_i += 1;
            }
            if let Some(&(s, e, fg)) = syn.get(syn_i) {
                if (s as usize) <= at && at < e as usize {
                    style = style.fg(fg);
                }
            }
        }
        if in_ranges(st.emph, at) {
            style = style.patch(st.emph_style);
        }
        if let Some((_, sstyle)) = st.search {
            if in_ranges(&found, at) {
                style = style.patch(sstyle);
            }
        }
        let ws = st
            .whitespace
            .filter(|_| c == '\t' || (c == ' ' && at >= trailing));
        let (piece, style) = match visibility(c) {
            Visibility::Plain if c == '\t' => {
                let n = TAB_WIDTH - col % TAB_WIDTH;
                match ws {
                    Some(ws) => (format!("→{}", " ".repeat(n - 1)), style.patch(ws)),
                    None => (" ".repeat(n), style),
                }
            }
            Visibility::Plain => match ws {
                Some(ws) => ("·".to_string(), style.patch(ws)),
                None => (c.to_string(), style),
            },
            _ => (visible_form(c), st.hidden_style),
        };
        if style != buf_style {
            flush(&mut out, &mut buf, buf_style);
            buf_style = style;
        }
        col += piece.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
        buf.push_str(&piece);
    }
    flush(&mut out, &mut buf, buf_style);
    out
}

/// The display columns at which the second and later rows of a wrapped line start. A row
/// ends after the last space or tab that fits, so words stay whole; a word longer than the row
/// is cut at the column. `suffix` columns follow the text (a marker such as "no newline at
/// end"), breakable before them. Layout and drawing both wrap by this, so the rows paging
/// counts are the rows drawn.
pub fn row_starts(text: &str, suffix: usize, width: usize) -> Vec<usize> {
    let width = width.max(1);
    let mut starts = Vec::new();
    let mut row = 0usize;
    // The column just after the last space seen in the current row.
    let mut after_space: Option<usize> = None;
    let mut col = 0usize;
    let mut place = |col: usize, w: usize, space: bool, starts: &mut Vec<usize>| {
        while col + w > row + width && col > row {
            let at = match after_space {
                Some(b) if b > row && b <= col => b,
                _ => col,
            };
            starts.push(at);
            row = at;
            after_space = None;
        }
        if space {
            after_space = Some(col + w);
        }
    };
    for c in text.chars() {
        let w = char_columns(c, col);
        place(col, w, c == ' ' || c == '\t', &mut starts);
        col += w;
    }
    for i in 0..suffix {
        place(col, 1, i == 0, &mut starts);
        col += 1;
    }
    starts
}

/// Columns one character takes at column `col` once drawn (as [`spans`] draws it).
fn char_columns(c: char, col: usize) -> usize {
    match visibility(c) {
        Visibility::Plain if c == '\t' => TAB_WIDTH - col % TAB_WIDTH,
        Visibility::Plain => c.width().unwrap_or(0),
        _ => visible_form(c)
            .chars()
            .map(|c| c.width().unwrap_or(0))
            .sum(),
    }
}

/// Splits spans into rows starting at the display columns `starts` (from [`row_starts`]).
pub fn wrap_at(spans: Vec<Span<'static>>, starts: &[usize]) -> Vec<Vec<Span<'static>>> {
    let mut rows: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut next = starts.iter().copied().peekable();
    let mut col = 0usize;
    for span in spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            while next.peek().is_some_and(|&s| col >= s && w > 0) {
                next.next();
                if let (false, Some(r)) = (piece.is_empty(), rows.last_mut()) {
                    r.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Vec::new());
            }
            piece.push(c);
            col += w;
        }
        if !piece.is_empty() {
            if let Some(r) = rows.last_mut() {
                r.push(Span::styled(piece, span.style));
            }
        }
    }
    rows
}

/// Splits spans into rows of at most `width` display columns, at words where it can.
pub fn wrap(spans: Vec<Span<'static>>, width: usize) -> Vec<Vec<Span<'static>>> {
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    let starts = row_starts(&text, 0, width);
    wrap_at(spans, &starts)
}

/// Cuts spans to `width` columns, marking the cut with `…`.
pub fn truncate(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| s.width()).sum();
    if total <= width {
        return spans;
    }
    let mut rows = wrap_at(spans, &[width.saturating_sub(1)]);
    let mut first = rows.swap_remove(0);
    first.push(Span::raw("…"));
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(text: &str) -> String {
        render(text, Some(Style::default()))
    }

    fn plain(text: &str) -> String {
        render(text, None)
    }

    fn render(text: &str, whitespace: Option<Style>) -> String {
        let st = LineStyle {
            base: Style::default(),
            syntax: None,
            emph: &[],
            emph_style: Style::default(),
            hidden_style: Style::default(),
            search: None,
            crlf: false,
            whitespace,
        };
        spans(text, &st)
            .iter()
            .map(|s| s.content.to_string())
            .collect()
    }

    /// On a changed line a tab and trailing whitespace can be seen; in context they stay as
    /// they are; either way the width is what layout counts.
    #[test]
    fn changed_whitespace_is_visible_and_keeps_its_width() {
        assert_eq!(changed("\tx = 1  "), "→   x = 1··");
        assert_eq!(plain("\tx = 1  "), "    x = 1  ");
        // 11 columns: one row at 11, two at 10 (layout counts what is drawn).
        assert!(row_starts("\tx = 1  ", 0, 11).is_empty());
        assert_eq!(row_starts("\tx = 1  ", 0, 10).len(), 1);
        assert_eq!(
            row_starts("ab\tc", 0, 4),
            vec![4],
            "the tab reaches column 4"
        );
        assert_eq!(changed("a b"), "a b", "inner spaces stay spaces");
    }

    #[test]
    fn no_control_character_survives() {
        let evil = "a\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}x\u{200b}\r";
        let out = plain(evil);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
        assert!(out.contains("␛[2J"));
        assert!(out.contains("<U+202E>"));
        assert!(out.contains("<U+200B>"));
        assert!(out.ends_with('␍'), "a lone CR is shown");
    }

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(plain("\tx"), "    x");
        assert_eq!(plain("ab\tx"), "ab  x");
    }

    #[test]
    fn wraps_by_display_width() {
        let rows = wrap(vec![Span::raw("abcdefgh")], 3);
        let text: Vec<String> = rows
            .iter()
            .map(|r| r.iter().map(|s| s.content.to_string()).collect())
            .collect();
        assert_eq!(
            text,
            vec!["abc", "def", "gh"],
            "a word longer than the row is cut"
        );
        let rows = wrap(vec![Span::raw("界界界")], 4);
        assert_eq!(rows.len(), 2);
    }

    /// Rows end after a space when one fits, so a word is never split that fits a row.
    #[test]
    fn wraps_at_words() {
        let text = "let total = compute_sum(items);";
        let rows = wrap(vec![Span::raw(text)], 14);
        let text_rows: Vec<String> = rows
            .iter()
            .map(|r| r.iter().map(|s| s.content.to_string()).collect())
            .collect();
        assert_eq!(text_rows, vec!["let total = ", "compute_sum(it", "ems);"]);
        assert_eq!(row_starts(text, 0, 14), vec![12, 26]);
        assert_eq!(row_starts("short", 0, 14), Vec::<usize>::new());
        // Tabs count at their drawn width and break like spaces.
        assert_eq!(row_starts("\tab cd", 0, 6), vec![4]);
        // A suffix after the text breaks before itself.
        assert_eq!(row_starts("abcd", 5, 6), vec![5]);
    }
}
