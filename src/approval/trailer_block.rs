//! Where git finds a message's trailers, reimplemented so that what countersign writes is what
//! `git interpret-trailers --parse` and `git log --format='%(trailers)'` read, and what it
//! verifies is what they show. Follows git's trailer.c (2.47): the title paragraph is never
//! trailers; trailing blank and `#` lines are ignored; the last paragraph is the trailer block
//! when all its lines are trailers, or when it has a `Signed-off-by: ` (or cherry-pick) line and
//! at least 25% trailers; lines starting with whitespace continue the trailer above. Like
//! `git log`, a `---` line is not treated as a patch divider (a commit message has none).

/// A `key: value` trailer with its value unfolded (continuations joined by one space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    pub key: String,
    pub value: String,
    /// 1-based line number of the trailer's first line in the message, for reports.
    pub line: usize,
}

const GIT_GENERATED: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// The message split at git's trailer block: `[0, start)` is the message before it,
/// `[start, end)` the block (empty when there is none), `[end, len)` ignored trailing lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpan {
    pub start: usize,
    pub end: usize,
}

impl BlockSpan {
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Byte offsets of each line's start, with the line (including its `\n`).
fn lines(msg: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in msg.split_inclusive('\n') {
        out.push((at, line));
        at += line.len();
    }
    out
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b.is_ascii_whitespace())
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#')
}

/// git's find_separator with `:`: the position of the colon after a token of alphanumerics and
/// dashes (optionally followed by whitespace), or None.
pub fn separator(line: &str) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, c) in line.bytes().enumerate() {
        if c == b':' {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// The end of the log message proper: trailing blank and comment lines are left out.
fn end_of_message(msg: &str) -> usize {
    let mut end = msg.len();
    for (at, line) in lines(msg).into_iter().rev() {
        if is_blank(line) || is_comment(line) {
            end = at;
        } else {
            break;
        }
    }
    end
}

/// Finds git's trailer block.
pub fn find_block(msg: &str) -> BlockSpan {
    let end = end_of_message(msg);
    let all = lines(&msg[..end]);
    // The first paragraph is the title and cannot be trailers.
    let mut end_of_title = end;
    for (at, line) in &all {
        if is_comment(line) {
            continue;
        }
        if is_blank(line) {
            end_of_title = *at;
            break;
        }
    }
    let none = BlockSpan { start: end, end };
    let (mut recognized, mut trailers, mut non_trailers, mut continuations) = (false, 0, 0, 0);
    let mut only_spaces = true;
    for (at, line) in all.iter().rev() {
        if *at < end_of_title {
            break;
        }
        if is_comment(line) {
            non_trailers += continuations;
            continuations = 0;
            continue;
        }
        if is_blank(line) {
            if only_spaces {
                continue;
            }
            non_trailers += continuations;
            let found =
                (recognized && trailers * 3 >= non_trailers) || (trailers > 0 && non_trailers == 0);
            return if found {
                BlockSpan {
                    start: at + line.len(),
                    end,
                }
            } else {
                none
            };
        }
        only_spaces = false;
        if GIT_GENERATED.iter().any(|p| line.starts_with(p)) {
            trailers += 1;
            continuations = 0;
            recognized = true;
        } else if separator(line).is_some_and(|p| p >= 1) && !starts_with_space(line) {
            trailers += 1;
            continuations = 0;
        } else if starts_with_space(line) {
            continuations += 1;
        } else {
            non_trailers += 1 + continuations;
            continuations = 0;
        }
    }
    none
}

fn starts_with_space(line: &str) -> bool {
    line.bytes().next().is_some_and(|b| b.is_ascii_whitespace())
}

/// The trailers of a message as git parses them (keys trimmed, values trimmed and unfolded);
/// lines of the block that are not trailers are skipped.
pub fn parse(msg: &str) -> Vec<Trailer> {
    let span = find_block(msg);
    let first_line = msg[..span.start].matches('\n').count() + 1;
    let mut raw: Vec<(usize, String)> = Vec::new();
    let mut last_is_trailer = false;
    for (i, line) in msg[span.start..span.end].split_inclusive('\n').enumerate() {
        if last_is_trailer && starts_with_space(line) {
            if let Some((_, prev)) = raw.last_mut() {
                prev.push_str(line);
            }
            continue;
        }
        last_is_trailer = separator(line).is_some_and(|p| p >= 1);
        raw.push((first_line + i, line.to_string()));
    }
    raw.into_iter()
        .filter(|(_, t)| !is_comment(t))
        .filter_map(|(line, t)| {
            let pos = separator(&t).filter(|p| *p >= 1)?;
            Some(Trailer {
                key: t[..pos].trim().to_string(),
                value: unfold(t[pos + 1..].trim()),
                line,
            })
        })
        .collect()
}

/// git's unfold_value: a newline and the whitespace after it become one space.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(msg: &str) -> Vec<String> {
        parse(msg).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn title_is_never_trailers() {
        assert!(keys("Fix: the thing\n").is_empty());
        assert!(find_block("Subject\nSigned-off-by: a <a@b>\n").is_empty());
    }

    #[test]
    fn last_paragraph_of_trailers_is_found() {
        let msg = "Subject\n\nBody text.\n\nSigned-off-by: A <a@b>\nCo-Authored-By: C <c@d>\n\n\n";
        assert_eq!(keys(msg), ["Signed-off-by", "Co-Authored-By"]);
        let span = find_block(msg);
        assert_eq!(&msg[span.end..], "\n\n");
    }

    #[test]
    fn mixed_paragraph_needs_a_git_trailer_and_a_quarter() {
        let mixed = "S\n\nSigned-off-by: A <a@b>\nsome prose\nmore prose\nand more\n";
        assert_eq!(keys(mixed), ["Signed-off-by"]);
        let prose = "S\n\nSee: this\nsome prose\n";
        assert!(keys(prose).is_empty());
    }

    #[test]
    fn continuation_lines_are_unfolded() {
        let msg = "S\n\nKey: one\n  two\n\tthree\nOther: x\n";
        let t = parse(msg);
        assert_eq!(t[0].value, "one two three");
        assert_eq!(t[0].line, 3);
        assert_eq!(t[1].line, 6);
    }
}
