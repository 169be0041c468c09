//! Commit-message trailers, exactly as `git interpret-trailers --parse` reads them.
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

/// Splits `message` into subject, body and the trailers git reads in it. The trailers come
/// from the one trailer-block parser of the program (`approval::trailer_block`, which follows
/// git's trailer.c), so that what marks a commit is exactly what `git interpret-trailers
/// --parse` shows, and what verify reads.
pub fn parse(message: &str) -> Parsed<'_> {
    let lines: Vec<&str> = message.lines().map(|l| l.trim_end_matches('\r')).collect();
    let paragraphs = paragraphs(&lines);
    let Some(&(first_start, first_end)) = paragraphs.first() else {
        return Parsed::default();
    };
    Parsed {
        subject: lines[first_start..first_end].to_vec(),
        body: lines
            .get(first_end..)
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
        trailers: crate::approval::trailer_block::parse(message)
            .into_iter()
            .map(|t| Trailer {
                key: t.key,
                value: t.value.trim_end_matches('\r').to_string(),
            })
            .collect(),
    }
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
    fn a_mixed_paragraph_is_trailers_only_as_git_says() {
        // git (2.47) reads no trailers here: one of two lines is prose and no git-generated
        // trailer is among them. The "Generated with" line is evidence of its own.
        let mixed = "S\n\n🤖 Generated with [Claude Code](https://claude.ai/code)\nCo-Authored-By: Claude <noreply@anthropic.com>";
        assert!(keys(mixed).is_empty());
        let without = "S\n\nThis paragraph is prose\nNote: it has a colon";
        assert!(keys(without).is_empty());
        let signed = "S\n\nSigned-off-by: A <a@x>\nsome prose\nCo-Authored-By: Claude <noreply@anthropic.com>";
        assert_eq!(keys(signed).len(), 2);
    }

    #[test]
    fn prose_with_colons_is_not_a_trailer() {
        assert!(keys("S\n\nSee the docs: they explain it").is_empty());
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
