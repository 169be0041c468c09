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
//! Factors are ASCII-lowercased and matched against the line ASCII-lowercased, so `(?i)`
//! patterns need no case variants; that only lets more lines through to the rule's regex,
//! which decides. Lowering the line (into a buffer the caller keeps) rather than asking the
//! automaton to ignore case keeps it half the size and builds it in less than half the time:
//! a case-insensitive build queues states through a B-tree set, and that build was the
//! largest fixed cost of a small review.

use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{RegexSet, RegexSetBuilder};

/// A rule for the prefilter: its index, its pattern's text, its required factors if it has any.
pub(crate) type RuleFactors<'a> = (usize, &'a str, Option<&'a [Vec<u8>]>);

/// The rules (of one side) that may match a line.
pub(crate) struct Prefilter {
    factors: Option<AhoCorasick>,
    /// The rules with factors, when their automaton could not be built (beyond its size
    /// limits, which the built-in rules are far from): each is then a candidate everywhere,
    /// slower but nothing is missed.
    unfiltered: Vec<usize>,
    /// Automaton pattern → rule.
    owner: Vec<usize>,
    /// Rules without usable factors, as one set compiled when a file first needs it (most
    /// reviews touch no file whose rules include one), shared by every kind of file's
    /// prefilter of this side: compiled once, not once per kind (the scan checks which rules
    /// apply to the file anyway).
    always: Option<Arc<Always>>,
}

/// The rules of one side without usable factors, with set pattern → rule.
pub(crate) struct Always {
    sources: Vec<String>,
    rules: Vec<usize>,
    /// None if the set does not compile; each pattern compiled alone when the rules were
    /// loaded, so that is the size limit, a last resort, and the rules then fire (see
    /// `compile::Pattern`'s `if_broken`).
    set: OnceLock<Option<RegexSet>>,
}

impl Always {
    /// The rules among `rules` that have no factors, None if there are none.
    pub fn of(rules: &[RuleFactors]) -> Option<Arc<Always>> {
        let (sources, rules): (Vec<String>, Vec<usize>) = rules
            .iter()
            .filter(|(_, _, fs)| fs.is_none())
            .map(|&(rule, source, _)| (source.to_string(), rule))
            .unzip();
        (!rules.is_empty()).then(|| {
            Arc::new(Always {
                sources,
                rules,
                set: OnceLock::new(),
            })
        })
    }

    fn set(&self) -> Option<&RegexSet> {
        self.set
            .get_or_init(|| {
                RegexSetBuilder::new(&self.sources)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

/// What [`Prefilter::candidates`] fills: the rules, and the lowered line it matched.
#[derive(Default)]
pub(crate) struct Candidates {
    pub rules: Vec<usize>,
    lowered: Vec<u8>,
}

impl Prefilter {
    /// The prefilter of `rules` (those with factors; the others are in `always`).
    pub fn build(rules: &[RuleFactors], always: Option<Arc<Always>>) -> Prefilter {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        for &(rule, _, fs) in rules {
            if let Some(fs) = fs {
                owner.extend(std::iter::repeat_n(rule, fs.len()));
                literals.extend(fs.iter().cloned());
            }
        }
        let factors = (!literals.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                // Not the full DFA: it scans a 50,000-line patch ~7 ms faster but takes
                // ~10 ms longer to build, which every review pays, small ones included.
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&literals)
        });
        let (factors, unfiltered) = match factors {
            Some(Ok(ac)) => (Some(ac), Vec::new()),
            Some(Err(_)) => {
                let mut rules = owner.clone();
                rules.dedup();
                (None, rules)
            }
            None => (None, Vec::new()),
        };
        Prefilter {
            factors,
            unfiltered,
            owner,
            always,
        }
    }

    /// Whether any rule without factors is among `active` (the rules of a file): if not, the
    /// file's lines skip the set of such rules.
    pub fn needs_always(&self, active: &[bool]) -> bool {
        self.always
            .as_ref()
            .is_some_and(|a| a.rules.iter().any(|&r| active[r]))
    }

    /// The rules that may match `line`, sorted, each once (`out` is cleared first);
    /// `always`: from [`Prefilter::needs_always`].
    pub fn candidates(&self, line: &[u8], always: bool, out: &mut Candidates) {
        let Candidates {
            rules: found,
            lowered,
        } = out;
        found.clear();
        found.extend(&self.unfiltered);
        if let Some(ac) = &self.factors {
            lowered.clear();
            lowered.extend(line.iter().map(u8::to_ascii_lowercase));
            found.extend(
                ac.find_overlapping_iter(&lowered[..])
                    .map(|m| self.owner[m.pattern()]),
            );
        }
        if let (true, Some(a)) = (always, &self.always) {
            match a.set() {
                Some(set) if set.is_match(line) => {
                    found.extend(set.matches(line).iter().map(|p| a.rules[p]));
                }
                Some(_) => {}
                None => found.extend(&a.rules),
            }
        }
        found.sort_unstable();
        found.dedup();
    }
}

#[cfg(test)]
mod tests;
