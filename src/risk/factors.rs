//! The required literal factors of a pattern: strings one of which every match must contain
//! (`(?i)\bdrop\s+table\b` needs `table`), lowercased. The prefilter (`prefilter.rs`) puts
//! them in one automaton. This file needs only `regex_syntax` and std, because the build script
//! (`build.rs`) includes it too: the built-in rules' factors are worked out when countersign is
//! built, so a review does not parse and analyse ~150 patterns before its first scan.

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};

/// Bounds that keep the analysis and the automaton small: the size of a set of exact strings
/// and of a pattern's factor list.
const MAX_EXACT: usize = 64;
const MAX_FACTORS: usize = 256;
/// Single bytes occur in too many lines to be worth a lookup; such patterns run always.
const MIN_FACTOR_LEN: usize = 2;

/// Literal strings, lowercased.
type Strings = BTreeSet<Vec<u8>>;

/// What is known about the text a piece of a pattern matches.
struct Info {
    /// Every string it can match, when few and finite.
    exact: Option<Strings>,
    /// Strings one of which every match contains; None: no such set known.
    factor: Option<Strings>,
}

impl Info {
    fn exact(set: Strings) -> Info {
        Info {
            factor: None,
            exact: Some(set),
        }
    }

    fn unknown() -> Info {
        Info {
            exact: None,
            factor: None,
        }
    }

    /// The best required set this piece offers: its exact strings, or its factor.
    fn required(self) -> Option<Strings> {
        let req = match self.exact {
            Some(e) => Some(e),
            None => self.factor,
        };
        req.filter(|s| !s.contains(&Vec::new()))
    }
}

/// The required literal factors of a pattern (lowercased), or None when it has no usable
/// ones and must run on every line.
pub fn factors(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = analyse(hir).required()?;
    if set.len() > MAX_FACTORS || set.iter().any(|s| s.len() < MIN_FACTOR_LEN) {
        return None;
    }
    Some(set.into_iter().collect())
}

fn analyse(hir: &Hir) -> Info {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info::exact(Strings::from([Vec::new()])),
        HirKind::Literal(lit) => Info::exact(Strings::from([lit.0.to_ascii_lowercase()])),
        HirKind::Class(class) => class_bytes(class)
            .map(|bytes| Info::exact(bytes.into_iter().map(|b| vec![b]).collect()))
            .unwrap_or_else(Info::unknown),
        HirKind::Capture(c) => analyse(&c.sub),
        HirKind::Repetition(r) => {
            let sub = analyse(&r.sub);
            match (r.min, r.max) {
                (1, Some(1)) => sub,
                (0, Some(1)) => Info {
                    exact: sub.exact.map(|mut e| {
                        e.insert(Vec::new());
                        e
                    }),
                    factor: None,
                },
                (0, _) => Info::unknown(),
                // At least once: whatever one occurrence requires.
                _ => Info {
                    exact: None,
                    factor: sub.required(),
                },
            }
        }
        HirKind::Concat(items) => concat(items),
        HirKind::Alternation(alts) => alternation(alts),
    }
}

/// The bytes a class matches, lowercased, when there are few (`[Ff]`, `[-_]`).
fn class_bytes(class: &Class) -> Option<BTreeSet<u8>> {
    let mut out = BTreeSet::new();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                if r.len() > 8 {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(|b| b.to_ascii_lowercase()));
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end >= 0x80 || end - start >= 8 {
                    return None;
                }
                out.extend((start..=end).map(|b| (b as u8).to_ascii_lowercase()));
            }
        }
    }
    (out.len() <= 4).then_some(out)
}

/// Consecutive exact pieces multiply into longer exact strings; each inexact piece offers its
/// own factor. Every piece is part of every match, so the concatenation may require any one of
/// these sets: it takes the most selective.
fn concat(items: &[Hir]) -> Info {
    let mut candidates: Vec<Strings> = Vec::new();
    let mut run: Option<Strings> = Some(Strings::from([Vec::new()]));
    // Exact strings for the whole concatenation: every piece exact and the product small.
    let mut all_exact = true;
    for item in items {
        let info = analyse(item);
        match info.exact {
            Some(e) => {
                let current = run.take().unwrap_or_else(|| Strings::from([Vec::new()]));
                match cross(&current, &e) {
                    Some(product) => run = Some(product),
                    None => {
                        all_exact = false;
                        candidates.push(current);
                        run = Some(e);
                    }
                }
            }
            None => {
                all_exact = false;
                if let Some(r) = run.take() {
                    candidates.push(r);
                }
                if let Some(f) = info.factor {
                    candidates.push(f);
                }
            }
        }
    }
    if all_exact {
        return Info {
            exact: run,
            factor: None,
        };
    }
    candidates.extend(run);
    Info {
        exact: None,
        factor: candidates
            .into_iter()
            .filter(|s| !s.contains(&Vec::new()))
            .max_by_key(selectivity),
    }
}

/// Every branch must offer a required set; any match contains one string of their union.
fn alternation(alts: &[Hir]) -> Info {
    let infos: Vec<Info> = alts.iter().map(analyse).collect();
    if infos.iter().all(|i| i.exact.is_some()) {
        let union: Strings = infos
            .iter()
            .flat_map(|i| i.exact.iter().flatten().cloned())
            .collect();
        if union.len() <= MAX_EXACT {
            return Info::exact(union);
        }
    }
    let mut union = Strings::new();
    for info in infos {
        match info.required() {
            Some(set) => union.extend(set),
            None => return Info::unknown(),
        }
    }
    Info {
        exact: None,
        factor: (union.len() <= MAX_FACTORS).then_some(union),
    }
}

fn cross(a: &Strings, b: &Strings) -> Option<Strings> {
    if a.len() * b.len() > MAX_EXACT {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| {
                b.iter().map(move |y| {
                    let mut s = x.clone();
                    s.extend_from_slice(y);
                    s
                })
            })
            .collect(),
    )
}

/// Longer shortest strings first (they occur in fewer lines), then fewer strings.
fn selectivity(set: &Strings) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(set.len()))
}
