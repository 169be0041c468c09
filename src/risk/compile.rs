//! Turns rule specs into what the scan runs: rules grouped by the paths they apply to, every
//! pattern checked at once and compiled on first use, and prefilters (`prefilter.rs`) that say
//! which rules may match a line, so a line costs one pass of a small automaton rather than one
//! per rule.
//!
//! The prefilters are built per set of rules that apply to a file (a Rust file's, a
//! workflow's), when the first such file is scanned: one automaton over every rule's factors
//! was the largest part of compiling the rules, which every review paid before its first scan,
//! and a file needs only the factors of the rules that apply to it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{bail, Context, Result};

use super::glob::Globs;
pub(crate) use super::pattern::Pattern;
use super::pattern::{factors_of, Factors};

use super::prefilter::{Always, Prefilter, RuleFactors};
use super::spec::{FileCond, RuleSpec};

/// Which files a group of rules applies to.
pub(crate) struct Scope {
    include: Option<Globs>,
    exclude: Option<Globs>,
}

impl Scope {
    pub fn matches(&self, path: &str) -> bool {
        let path = path.to_lowercase();
        self.include.as_ref().is_none_or(|g| g.is_match(&path))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(&path))
    }
}

impl LineRule {
    /// Every pattern of the rule.
    #[cfg(test)]
    pub fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        [
            &self.added,
            &self.removed,
            &self.unless,
            &self.unless_preceded_by,
            &self.preceded_by,
            &self.inside,
            &self.unless_same_key,
            &self.replaces,
            &self.unless_followed_by,
            &self.while_added,
            &self.unless_added,
        ]
        .into_iter()
        .flatten()
    }
}

/// A rule with `added`/`removed` patterns.
pub(crate) struct LineRule {
    /// Index into the engine's rule table.
    pub info: usize,
    pub added: Option<Pattern>,
    pub removed: Option<Pattern>,
    pub unless: Option<Pattern>,
    pub unless_preceded_by: Option<Pattern>,
    /// Index into `Compiled::excludes`: files this rule never applies to.
    pub exclude: Option<usize>,
    pub preceded_by: Option<Pattern>,
    pub inside: Option<Pattern>,
    pub changed: bool,
    pub unless_same_key: Option<Pattern>,
    pub replaces: Option<Pattern>,
    pub unless_kept: bool,
    pub unless_function_removed: bool,
    pub unless_file_deleted: bool,
    pub unless_followed_by: Option<Pattern>,
    pub while_added: Option<Pattern>,
    pub unless_added: Option<Pattern>,
    pub once: bool,
}

impl LineRule {
    pub fn pattern(&self, added: bool) -> Option<&Pattern> {
        if added {
            self.added.as_ref()
        } else {
            self.removed.as_ref()
        }
    }
}

pub(crate) struct FileRule {
    pub info: usize,
    pub exclude: Option<usize>,
    pub conds: Vec<FileCond>,
    pub min_size: Option<u64>,
}

/// The rules that share the same `paths`. Exclusions are per rule and checked per file, so
/// rules that differ only in what they exclude still share one group.
pub(crate) struct Group {
    /// Pattern rules of this group (indices into `Compiled::line_rules`).
    pub lines: Vec<usize>,
    /// Rules that fire on every hunk of a matching file: (rule table index, exclusion).
    pub touched: Vec<(usize, Option<usize>)>,
    pub files: Vec<FileRule>,
}

pub(crate) struct Compiled {
    pub groups: Vec<Group>,
    pub line_rules: Vec<LineRule>,
    /// Each side's (added, removed) pattern rules with their pattern and its factors.
    factors: [Vec<(usize, String, Factors)>; 2],
    /// Each side's rules without factors, in one set shared by every kind's prefilter.
    always: [Option<Arc<Always>>; 2],
    /// The prefilters made so far, per set of active pattern rules.
    prefilters: Mutex<HashMap<Vec<bool>, Arc<Prefilters>>>,
    /// Each side's prefilters made so far, by side and the rules in it: kinds of file whose
    /// rules differ only on one side share the other's (on ripgrep 11..15 the added side was
    /// built 19 times for 13 different sets of rules before), and a set two workers need at
    /// once is built by one of them.
    sides: Mutex<HashMap<(usize, Vec<usize>), SideSlot>>,
    /// Every group's `paths` globs in one set: a file's path is matched once, not per group.
    includes: PathIndex,
    /// Every distinct `exclude` list's globs in one set.
    excludes: PathIndex,
}

/// Globs of many lists in one set, each distinct glob once (the lists share many: the
/// same `@code` extensions in a dozen groups), with the lists each belongs to.
struct PathIndex {
    set: Globs,
    owners: Vec<Vec<usize>>,
    /// Lists that match every path (no globs).
    always: Vec<usize>,
    lists: usize,
}

impl PathIndex {
    fn build(lists: &[Vec<String>]) -> Result<PathIndex> {
        let mut distinct: Vec<String> = Vec::new();
        let (mut owners, mut always): (Vec<Vec<usize>>, Vec<usize>) = (Vec::new(), Vec::new());
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, list) in lists.iter().enumerate() {
            if list.is_empty() {
                always.push(i);
            }
            for g in list {
                let at = *seen.entry(g.as_str()).or_insert_with(|| owners.len());
                if at == owners.len() {
                    distinct.push(g.to_lowercase());
                    owners.push(Vec::new());
                }
                owners[at].push(i);
            }
        }
        let set = Globs::build(&distinct).context("building the path index")?;
        Ok(PathIndex {
            set,
            owners,
            always,
            lists: lists.len(),
        })
    }

    /// Which lists match any of `paths`.
    fn matching(&self, paths: &[&str]) -> Vec<bool> {
        let mut hit = vec![false; self.lists];
        for &i in &self.always {
            hit[i] = true;
        }
        for p in paths.iter().filter(|p| !p.is_empty()) {
            self.set.each_match(&p.to_lowercase(), |g| {
                for &list in &self.owners[g] {
                    hit[list] = true;
                }
            });
        }
        hit
    }
}

/// One side's prefilter for one set of rules, built by the first worker that needs it.
type SideSlot = Arc<OnceLock<Arc<Prefilter>>>;

/// Which of a file's pattern rules may match an added (a removed) line.
pub(crate) struct Prefilters {
    pub added: Arc<Prefilter>,
    pub removed: Arc<Prefilter>,
}

impl Compiled {
    /// The prefilters of the pattern rules `active` for a file ([`Compiled::active_lines`]),
    /// built the first time a file with these rules is scanned.
    pub fn prefilters(&self, active: &[bool]) -> Arc<Prefilters> {
        let made = self
            .prefilters
            .lock()
            .ok()
            .and_then(|m| m.get(active).cloned());
        if let Some(p) = made {
            return p;
        }
        // Each side built outside the map's lock: only a worker that needs the same side
        // waits for its build.
        let side = |i: usize| -> Arc<Prefilter> {
            let rules: Vec<RuleFactors> = self.factors[i]
                .iter()
                .filter(|(r, _, _)| active[*r])
                .map(|(r, p, f)| (*r, p.as_str(), f.as_deref()))
                .collect();
            let key = (i, rules.iter().map(|r| r.0).collect::<Vec<_>>());
            let slot = match self.sides.lock() {
                Ok(mut m) => Arc::clone(m.entry(key).or_default()),
                Err(_) => Arc::new(OnceLock::new()),
            };
            let made =
                slot.get_or_init(|| Arc::new(Prefilter::build(&rules, self.always[i].clone())));
            Arc::clone(made)
        };
        let made = Arc::new(Prefilters {
            added: side(0),
            removed: side(1),
        });
        if let Ok(mut m) = self.prefilters.lock() {
            m.entry(active.to_vec())
                .or_insert_with(|| Arc::clone(&made));
        }
        made
    }

    /// Which pattern rules apply to a file: its path matched the rule's group, and the rule's
    /// exclusion (per `excluded`) does not apply.
    pub fn active_lines(&self, groups: &[usize], excluded: &[bool]) -> Vec<bool> {
        let mut active = vec![false; self.line_rules.len()];
        for &g in groups {
            for &r in &self.groups[g].lines {
                active[r] = !self.line_rules[r].exclude.is_some_and(|e| excluded[e]);
            }
        }
        active
    }

    /// The groups whose `paths` match a file with these paths (new and old).
    pub fn groups_for(&self, paths: &[&str]) -> Vec<usize> {
        let hit = self.includes.matching(paths);
        (0..hit.len()).filter(|&g| hit[g]).collect()
    }

    /// For each exclusion list, whether it excludes a file with these paths.
    pub fn excluded(&self, paths: &[&str]) -> Vec<bool> {
        self.excludes.matching(paths)
    }
}

/// Rules being gathered into groups before their sets are built.
#[derive(Default)]
struct Pending {
    include: Vec<String>,
    lines: Vec<usize>,
    touched: Vec<(usize, Option<usize>)>,
    files: Vec<FileRule>,
}

/// A rule to compile: its spec, its index in the rule table, its file conditions, and whether
/// its patterns are compiled now (the policy's, so that their mistakes are reported at once).
pub(crate) struct Enabled<'a> {
    pub spec: &'a RuleSpec,
    pub info: usize,
    pub conds: Vec<FileCond>,
    pub eager: bool,
}

/// Compiles enabled rules.
pub(crate) fn compile(rules: &[Enabled], sets: &BTreeMap<String, Vec<String>>) -> Result<Compiled> {
    let mut pending: BTreeMap<Vec<String>, Pending> = BTreeMap::new();
    let mut line_rules = Vec::new();
    let mut exclude_lists: Vec<Vec<String>> = Vec::new();
    // (rule, pattern text, its factors) of each side, for the prefilters.
    let mut sides: [Vec<(usize, String, Factors)>; 2] = [Vec::new(), Vec::new()];
    for Enabled {
        spec,
        info,
        conds,
        eager,
    } in rules
    {
        let what = || format!("rule '{}'", spec.id);
        let include = expand(&spec.paths, sets).with_context(what)?;
        let exclude_list = expand(&spec.exclude, sets).with_context(what)?;
        let exclude = (!exclude_list.is_empty()).then(|| {
            exclude_lists
                .iter()
                .position(|e| *e == exclude_list)
                .unwrap_or_else(|| {
                    exclude_lists.push(exclude_list);
                    exclude_lists.len() - 1
                })
        });
        let group = pending.entry(include.clone()).or_default();
        group.include = include;
        if spec.touched {
            group.touched.push((*info, exclude));
        } else if spec.file.is_some() {
            group.files.push(FileRule {
                info: *info,
                exclude,
                conds: conds.clone(),
                min_size: spec.min_size,
            });
        } else {
            let what = |name: &str| format!("rule '{}': `{name}`", spec.id);
            let field = |name: &str, pattern: &Option<String>| -> Result<Option<Pattern>> {
                let exception = name.starts_with("unless");
                pattern
                    .as_deref()
                    .map(|p| Pattern::new(p, *eager, !exception).with_context(|| what(name)))
                    .transpose()
            };
            let r = line_rules.len();
            let mut side = |i: usize, name: &str, pattern: &Option<String>| -> Result<_> {
                let Some(p) = field(name, pattern)? else {
                    return Ok(None);
                };
                let fs = factors_of(&p.source).with_context(|| what(name))?;
                sides[i].push((r, p.source.clone(), fs));
                Ok(Some(p))
            };
            let added = side(0, "added", &spec.added)?;
            let removed = side(1, "removed", &spec.removed)?;
            group.lines.push(r);
            line_rules.push(LineRule {
                info: *info,
                added,
                removed,
                unless: field("unless", &spec.unless)?,
                unless_preceded_by: field("unless_preceded_by", &spec.unless_preceded_by)?,
                exclude,
                preceded_by: field("preceded_by", &spec.preceded_by)?,
                inside: field("inside", &spec.inside)?,
                changed: spec.changed,
                unless_same_key: field("unless_same_key", &spec.unless_same_key)?,
                replaces: field("replaces", &spec.replaces)?,
                unless_kept: spec.unless_kept,
                unless_function_removed: spec.unless_function_removed,
                unless_file_deleted: spec.unless_file_deleted,
                unless_followed_by: field("unless_followed_by", &spec.unless_followed_by)?,
                while_added: field("while_added", &spec.while_added)?,
                unless_added: field("unless_added", &spec.unless_added)?,
                once: spec.once,
            });
        }
    }
    let mut groups = Vec::with_capacity(pending.len());
    let mut include_lists = Vec::with_capacity(pending.len());
    for (_, p) in pending {
        include_lists.push(p.include);
        groups.push(Group {
            lines: p.lines,
            touched: p.touched,
            files: p.files,
        });
    }
    let includes = PathIndex::build(&include_lists)?;
    let excludes = PathIndex::build(&exclude_lists)?;
    let always = [0, 1].map(|i| {
        let rules: Vec<RuleFactors> = sides[i]
            .iter()
            .map(|(r, p, f)| (*r, p.as_str(), f.as_deref()))
            .collect();
        Always::of(&rules)
    });
    Ok(Compiled {
        groups,
        factors: sides,
        always,
        prefilters: Mutex::new(HashMap::new()),
        sides: Mutex::new(HashMap::new()),
        line_rules,
        includes,
        excludes,
    })
}

/// A scope made of one named set of the rules file (`tests`, `prose`).
/// A scope made of several named sets of the rules file.
pub(crate) fn union_scope(names: &[&str], sets: &BTreeMap<String, Vec<String>>) -> Result<Scope> {
    let all: Vec<String> = names.iter().map(|n| format!("@{n}")).collect();
    let list = expand(&all, sets)?;
    Ok(Scope {
        include: globs(&list)?,
        exclude: None,
    })
}

pub(crate) fn named_scope(name: &str, sets: &BTreeMap<String, Vec<String>>) -> Result<Scope> {
    let list = expand(&[format!("@{name}")], sets)?;
    Ok(Scope {
        include: globs(&list)?,
        exclude: None,
    })
}

/// Replaces `@name` with the named set and anchors a bare file name anywhere in the tree
/// (`Dockerfile` means `**/Dockerfile`), as .gitignore does.
fn expand(globs: &[String], sets: &BTreeMap<String, Vec<String>>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for g in globs {
        if let Some(name) = g.strip_prefix('@') {
            let Some(members) = sets.get(name) else {
                bail!("unknown glob set '@{name}'");
            };
            out.extend(members.iter().map(|m| anchor(m)));
        } else {
            out.push(anchor(g));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn anchor(glob: &str) -> String {
    if glob.contains('/') {
        glob.to_string()
    } else {
        format!("**/{glob}")
    }
}

/// Globs match case-insensitively (`Dockerfile`, `*.TF`): both sides are lowercased.
fn globs(list: &[String]) -> Result<Option<Globs>> {
    if list.is_empty() {
        return Ok(None);
    }
    let lowered: Vec<String> = list.iter().map(|g| g.to_lowercase()).collect();
    Ok(Some(Globs::build(&lowered)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(include: &[&str], exclude: &[&str]) -> Scope {
        let sets = BTreeMap::new();
        let inc = expand(
            &include.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &sets,
        );
        let exc = expand(
            &exclude.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &sets,
        );
        Scope {
            include: globs(&inc.unwrap()).unwrap(),
            exclude: globs(&exc.unwrap()).unwrap(),
        }
    }

    #[test]
    fn bare_names_match_at_any_depth_and_paths_are_anchored() {
        let s = scope(&["Dockerfile", ".github/workflows/*.yml"], &[]);
        assert!(s.matches("Dockerfile"));
        assert!(s.matches("svc/api/Dockerfile"));
        assert!(s.matches(".github/workflows/ci.yml"));
        assert!(!s.matches("x/.github/workflows/ci.yml"));
        assert!(!s.matches(".github/workflows/sub/ci.yml"));
    }

    #[test]
    fn exclude_wins_and_empty_include_means_everything() {
        let s = scope(&[], &["*.md"]);
        assert!(s.matches("src/main.rs"));
        assert!(!s.matches("docs/README.md"));
    }

    #[test]
    fn unknown_set_is_an_error() {
        let err = expand(&["@nope".to_string()], &BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("@nope"));
    }
}
