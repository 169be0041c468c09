//! Which rules may match a line, found without running them: every pattern's required literal
//! factors (strings one of which any match must contain) in one Aho-Corasick automaton, and
//! the few patterns without a usable factor in one small `RegexSet`.
//!
//! Why: the rules as one large `RegexSet` cost a lazy DFA whose every state carries the start
//! of every rule; on a large patch building those states took five times as long as the scan
//! itself, and compiling the set ~50 ms. Most changed lines contain no factor at all, so here
//! they cost one pass of a small automaton, and a rule's own regex is compiled and run only
//! for the lines that contain one of its factors. The same idea as RE2's FilteredRE2 and
//! Hyperscan's literal decomposition.
//!
//! Factors are ASCII-lowercased and matched case-insensitively, so `(?i)` patterns need no
//! case variants; that only lets more lines through to the rule's regex, which decides.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use anyhow::{Context, Result};
use regex::bytes::{RegexSet, RegexSetBuilder};

/// A rule for the prefilter: its index, its pattern's text, its required factors if it has any.
pub(crate) type RuleFactors<'a> = (usize, &'a str, Option<&'a [Vec<u8>]>);

/// The rules (of one side) that may match a line.
pub(crate) struct Prefilter {
    factors: Option<AhoCorasick>,
    /// Automaton pattern → rule.
    owner: Vec<usize>,
    /// Rules without usable factors, as one set, with set pattern → rule.
    always: Option<(RegexSet, Vec<usize>)>,
}

impl Prefilter {
    pub fn build(rules: &[RuleFactors]) -> Result<Prefilter> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let (mut always, mut always_rules) = (Vec::new(), Vec::new());
        for &(rule, source, fs) in rules {
            match fs {
                Some(fs) => {
                    owner.extend(std::iter::repeat_n(rule, fs.len()));
                    literals.extend(fs.iter().cloned());
                }
                None => {
                    always.push(source);
                    always_rules.push(rule);
                }
            }
        }
        let factors = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    // Not the full DFA: it scans a 50,000-line patch ~7 ms faster but takes
                    // ~10 ms longer to build, which every review pays, small ones included.
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&literals)
                    .context("building the rules' literal index")?,
            )
        };
        let always = if always.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(&always)
                .unicode(false)
                .build()
                .context("compiling the rules without literals")?;
            Some((set, always_rules))
        };
        Ok(Prefilter {
            factors,
            owner,
            always,
        })
    }

    /// Whether any rule without factors is among `active` (the rules of a file): if not, the
    /// file's lines skip the set of such rules.
    pub fn needs_always(&self, active: &[bool]) -> bool {
        self.always
            .as_ref()
            .is_some_and(|(_, rules)| rules.iter().any(|&r| active[r]))
    }

    /// The rules that may match `line`, sorted, each once (`out` is cleared first);
    /// `always`: from [`Prefilter::needs_always`].
    pub fn candidates(&self, line: &[u8], always: bool, out: &mut Vec<usize>) {
        out.clear();
        if let Some(ac) = &self.factors {
            out.extend(
                ac.find_overlapping_iter(line)
                    .map(|m| self.owner[m.pattern()]),
            );
        }
        if let (true, Some((set, rules))) = (always, &self.always) {
            if set.is_match(line) {
                out.extend(set.matches(line).iter().map(|p| rules[p]));
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests;
