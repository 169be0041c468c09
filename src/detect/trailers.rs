//! Commit-message trailers, parsed the way `git interpret-trailers --parse` reads them, with one
//! deliberate tolerance (see [`parse`]).
//!
//! Markers are matched against parsed trailers rather than against the whole message, so that a
//! body sentence quoting `Co-Authored-By: Claude …` or a subject that mentions Claude is not
//! mistaken for attribution.

/// One `Key: value` trailer; folded continuation lines are joined into the value with a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The key as written (`Co-Authored-By`); compare it case-insensitively.
    pub key: String,
    pub value: String,
}

impl Trailer {
    /// The trailer as one line, for evidence details.
    pub fn line(&self) -> String {
        format!("{}: {}", self.key, self.value)
    }
}

/// The message split into the parts the detectors look at.
#[derive(Debug, Default)]
pub struct Parsed<'a> {
    /// The first paragraph (git's title), which is never part of the trailer block.
    pub subject: Vec<&'a str>,
    /// Every line after the subject, trailer block included.
    pub body: Vec<&'a str>,
    pub trailers: Vec<Trailer>,
}

/// Keys that make a mixed last paragraph count as a trailer block.
///
/// git accepts a last paragraph that is entirely trailers, or one that is at least 25% trailers
/// and holds a git-generated (`Signed-off-by`, `(cherry picked from commit …)`) or user-configured
/// trailer. We additionally treat the common attribution keys as "configured", because agents
/// often put their trailer in the same paragraph as a "Generated with …" line, and missing that
/// evidence would be the costly mistake here.
const RECOGNISED: &[&str] = &[
    "signed-off-by",
    "co-authored-by",
    "assisted-by",
    "generated-by",
];

/// Splits `message` into subject, body and the trailers of its last paragraph.
pub fn parse(message: &str) -> Parsed<'_> {
    let lines: Vec<&str> = message.lines().map(|l| l.trim_end_matches('\r')).collect();
    let paragraphs = paragraphs(&lines);
    let Some(&(first_start, first_end)) = paragraphs.first() else {
        return Parsed::default();
    };
    let mut parsed = Parsed {
        subject: lines[first_start..first_end].to_vec(),
        body: lines
            .get(first_end..)
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
        trailers: Vec::new(),
    };
    // The title paragraph can never be trailers, as in git's trailer.c.
    if paragraphs.len() > 1 {
        if let Some(&(start, end)) = paragraphs.last() {
            parsed.trailers = trailer_block(&lines[start..end]).unwrap_or_default();
        }
    }
    parsed
}

/// (start, end) line index ranges of the non-blank paragraphs.
fn paragraphs(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        match (line.trim().is_empty(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, lines.len()));
    }
    out
}

/// The trailers of a paragraph, or None when git would not read it as a trailer block.
fn trailer_block(lines: &[&str]) -> Option<Vec<Trailer>> {
    let mut trailers: Vec<Trailer> = Vec::new();
    let (mut trailer_lines, mut other_lines) = (0usize, 0usize);
    let mut recognised = false;
    // Whether the previous line was a trailer (or its continuation), so a folded line belongs.
    let mut in_trailer = false;
    for line in lines {
        if line.starts_with([' ', '\t']) {
            if let (true, Some(last)) = (in_trailer, trailers.last_mut()) {
                let more = line.trim();
                if !more.is_empty() {
                    last.value = if last.value.is_empty() {
                        more.to_string()
                    } else {
                        format!("{} {more}", last.value)
                    };
                }
                continue;
            }
            other_lines += 1;
            in_trailer = false;
        } else if line.starts_with("(cherry picked from commit ") {
            trailer_lines += 1;
            recognised = true;
            in_trailer = false;
        } else if let Some(trailer) = split_trailer(line) {
            trailer_lines += 1;
            recognised |= RECOGNISED
                .iter()
                .any(|k| trailer.key.eq_ignore_ascii_case(k));
            trailers.push(trailer);
            in_trailer = true;
        } else {
            other_lines += 1;
            in_trailer = false;
        }
    }
    let all = trailer_lines > 0 && other_lines == 0;
    let enough = trailer_lines * 4 >= (trailer_lines + other_lines) && recognised;
    (all || enough).then_some(trailers)
}

/// `Key: value` with git's token rules: letters, digits and dashes, no space inside the key.
fn split_trailer(line: &str) -> Option<Trailer> {
    let (key, value) = line.split_once(':')?;
    // git allows whitespace between the token and the separator, never inside the token.
    let key = key.trim_end();
    let valid = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !key.starts_with('-');
    // `https://…` on its own line is a link, not a trailer keyed "https".
    let url = value.starts_with("//");
    (valid && !url).then(|| Trailer {
        key: key.to_string(),
        value: value.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(message: &str) -> Vec<String> {
        parse(message).trailers.iter().map(Trailer::line).collect()
    }

    #[test]
    fn reads_the_last_paragraph_only() {
        let msg = "Subject\n\nCo-Authored-By: quoted in the body\nand more prose\n\nSigned-off-by: A <a@x>\nCo-Authored-By: Claude <noreply@anthropic.com>\n";
        assert_eq!(
            keys(msg),
            vec![
                "Signed-off-by: A <a@x>",
                "Co-Authored-By: Claude <noreply@anthropic.com>"
            ]
        );
    }

    #[test]
    fn a_subject_alone_has_no_trailers() {
        assert!(keys("Co-authored-by: Claude <noreply@anthropic.com>").is_empty());
        assert!(keys("").is_empty());
    }

    #[test]
    fn folded_lines_join_the_value() {
        let msg = "S\n\nAssisted-by: Claude:claude-3-opus\n  coccinelle sparse\nFixes: 123\n";
        assert_eq!(
            keys(msg),
            vec![
                "Assisted-by: Claude:claude-3-opus coccinelle sparse",
                "Fixes: 123"
            ]
        );
    }

    #[test]
    fn mixed_paragraph_needs_a_recognised_trailer() {
        let with = "S\n\n🤖 Generated with [Claude Code](https://claude.ai/code)\nCo-Authored-By: Claude <noreply@anthropic.com>";
        assert_eq!(keys(with).len(), 1);
        let without = "S\n\nThis paragraph is prose\nNote: it has a colon";
        assert!(keys(without).is_empty());
    }

    #[test]
    fn prose_with_colons_is_not_a_trailer() {
        assert!(keys("S\n\nSee the docs: they explain it").is_empty());
        assert!(keys("S\n\nhttps://example.com/a:b").is_empty());
    }

    #[test]
    fn crlf_and_trailing_blank_lines_are_tolerated() {
        let msg = "S\r\n\r\nCo-authored-by: Codex <noreply@openai.com>\r\n\r\n\r\n";
        assert_eq!(
            keys(msg),
            vec!["Co-authored-by: Codex <noreply@openai.com>"]
        );
        let parsed = parse(msg);
        assert_eq!(parsed.subject, vec!["S"]);
    }

    #[test]
    fn space_before_the_separator_is_allowed() {
        assert_eq!(
            keys("S\n\nGenerated-by : Gemini"),
            vec!["Generated-by: Gemini"]
        );
    }
}
