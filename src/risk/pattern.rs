//! A rule's pattern: how it is compiled (lean, ASCII, on first use) and the literal factors
//! the prefilter needs of it.

use std::sync::OnceLock;

use anyhow::Result;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_syntax::hir::Hir;

use super::{builtin_factors, factors};

/// A rule's regex, checked when the rules are loaded and compiled on first use: most rules
/// never meet a line that could match them, and compiling all ~100 took longer than the
/// first frame.
pub(crate) struct Pattern {
    pub(super) source: String,
    /// None only if a pattern that parsed fails to compile (beyond the size limit); the tests
    /// compile every built-in one and a policy's are compiled at once, so this is a last resort.
    compiled: OnceLock<Option<Regex>>,
    /// What a pattern that cannot compile answers: chosen per field so that the rule fires
    /// (a trigger matches, an exception does not), loud rather than silently lost.
    if_broken: bool,
}

impl Pattern {
    /// A policy's pattern (`eager`) is compiled now, so its mistakes stop the command; a
    /// built-in one on first use (the tests compile every one).
    pub(super) fn new(source: &str, eager: bool, if_broken: bool) -> Result<Pattern> {
        let pattern = Pattern {
            source: source.to_string(),
            compiled: OnceLock::new(),
            if_broken,
        };
        if eager {
            let _ = pattern.compiled.set(Some(regex(source)?));
        }
        Ok(pattern)
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| regex(&self.source).ok())
            .as_ref()
    }

    pub fn is_match(&self, text: &[u8]) -> bool {
        self.regex().map_or(self.if_broken, |re| re.is_match(text))
    }

    /// Where the first match is.
    pub fn find(&self, text: &[u8]) -> Option<std::ops::Range<usize>> {
        self.regex().and_then(|re| re.find(text)).map(|m| m.range())
    }

    /// What `unless_kept` compares of a match: the group named `kept` where the pattern has
    /// one (a prompt's `read -p "`, so a prompt reworded still asks), else the whole match.
    pub fn kept_part(&self, text: &[u8]) -> Option<std::ops::Range<usize>> {
        let re = self.regex()?;
        // The lazy DFA finds the match; only a pattern that names a part pays for captures.
        let m = re.find(text)?;
        if re
            .group_info()
            .to_index(regex_automata::PatternID::ZERO, "kept")
            .is_none()
        {
            return Some(m.range());
        }
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        Some(
            caps.get_group_by_name("kept")
                .map_or(m.range(), |s| s.range()),
        )
    }

    /// The text of the first capture group (the whole match if the pattern has none).
    pub fn key<'t>(&self, text: &'t [u8]) -> Option<&'t [u8]> {
        let re = self.regex()?;
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        let span = caps
            .get_group(1)
            .or_else(|| caps.get_match().map(|m| m.span()))?;
        text.get(span.range())
    }

    /// Compiles the pattern now, with its error: the tests check every built-in one, since at
    /// run time they are only compiled when first needed.
    #[cfg(test)]
    pub fn compile_now(&self) -> Result<()> {
        regex(&self.source).map(|_| ())
    }
}

/// Patterns match a line's raw bytes with ASCII classes: `\w`, `\b` and `(?i)` stay ASCII, which
/// keeps the sets on the fast DFA path for non-ASCII text; `(?u)` in a pattern opts back in.
/// Compiled lean: the literal index already chose the lines a rule runs on, so an inner
/// prefilter, a one-pass DFA and a backtracker would cost more to build (about half of a
/// pattern's compile time) than they save on a short line; matching is by the lazy DFA, and
/// the rare capture (`unless_same_key`) by the PikeVM.
pub(crate) fn regex(pattern: &str) -> Result<Regex> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .auto_prefilter(false)
                .onepass(false)
                .backtrack(false),
        )
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .map_err(|e| anyhow::anyhow!("invalid regex: {}", crate::policy::one_line(&e.to_string())))
}

/// A pattern's required literal factors (None: it has none and runs on every line).
pub(super) type Factors = Option<Vec<Vec<u8>>>;

/// From the table the build worked out for the built-in patterns, else by parsing the pattern
/// (a policy's own) as [`regex`] does.
pub(super) fn factors_of(source: &str) -> Result<Factors> {
    if let Some(known) = builtin_factors::lookup(source) {
        return Ok(known.map(|fs| fs.iter().map(|f| f.to_vec()).collect()));
    }
    Ok(factors::factors(&parse(source)?))
}

/// A pattern's syntax tree, parsed as [`regex`] does.
fn parse(pattern: &str) -> Result<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| anyhow::anyhow!("invalid regex: {}", crate::policy::one_line(&e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::regex;

    #[test]
    fn patterns_are_ascii_by_default() {
        let re = regex(r"\bfoo\b").unwrap();
        assert!(re.is_match("é foo é".as_bytes()));
        assert!(regex("(").is_err());
    }
}
