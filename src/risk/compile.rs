//! Turns rule specs into what the scan runs: every regex compiled once, rules grouped by the
//! paths they apply to, and one `RegexSet` per group and side, so a line costs one pass per
//! group that applies to its file rather than one per rule.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::spec::{FileCond, RuleSpec};

/// Which files a group of rules applies to.
pub(crate) struct Scope {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Scope {
    pub fn matches(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(path))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(path))
    }
}

/// A rule with `added`/`removed` patterns.
pub(crate) struct LineRule {
    /// Index into the engine's rule table.
    pub info: usize,
    pub added: Option<Regex>,
    pub removed: Option<Regex>,
    pub unless: Option<Regex>,
    pub unless_preceded_by: Option<Regex>,
    /// Index into `Compiled::excludes`: files this rule never applies to.
    pub exclude: Option<usize>,
    pub preceded_by: Option<Regex>,
    pub inside: Option<Regex>,
    pub changed: bool,
    pub once: bool,
}

impl LineRule {
    pub fn pattern(&self, added: bool) -> Option<&Regex> {
        if added {
            self.added.as_ref()
        } else {
            self.removed.as_ref()
        }
    }
}

/// All patterns of one side, matched in a single pass.
pub(crate) struct SideSet {
    pub set: RegexSet,
    /// Set pattern index → index into `Compiled::line_rules`.
    pub rules: Vec<usize>,
}

pub(crate) struct FileRule {
    pub info: usize,
    pub exclude: Option<usize>,
    pub conds: Vec<FileCond>,
    pub min_size: Option<u64>,
}

/// The rules that share the same `paths`. Exclusions are per rule and checked per file, so
/// rules that differ only in what they exclude still share one `RegexSet` pass.
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
    /// Every pattern rule's `added` (and `removed`) pattern in one set: a line costs one DFA
    /// pass, whatever the number of rules; which of them apply to the file is checked after.
    pub added: Option<SideSet>,
    pub removed: Option<SideSet>,
    /// Every group's `paths` globs in one set: a file's path is matched once, not per group.
    includes: PathIndex,
    /// Every distinct `exclude` list's globs in one set.
    excludes: PathIndex,
}

/// Globs of many lists in one `GlobSet`, with the list each glob belongs to.
struct PathIndex {
    set: GlobSet,
    owner: Vec<usize>,
    /// Lists that match every path (no globs).
    always: Vec<usize>,
    lists: usize,
}

impl PathIndex {
    fn build(lists: &[Vec<String>]) -> Result<PathIndex> {
        let mut b = GlobSetBuilder::new();
        let (mut owner, mut always) = (Vec::new(), Vec::new());
        for (i, list) in lists.iter().enumerate() {
            if list.is_empty() {
                always.push(i);
            }
            for g in list {
                b.add(glob(g)?);
                owner.push(i);
            }
        }
        let set = b.build().context("building the path index")?;
        Ok(PathIndex {
            set,
            owner,
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
            for g in self.set.matches(p) {
                hit[self.owner[g]] = true;
            }
        }
        hit
    }
}

impl Compiled {
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

/// Compiles enabled rules; `rules` pairs each spec with its index in the rule table.
pub(crate) fn compile(
    rules: &[(&RuleSpec, usize, Vec<FileCond>)],
    sets: &BTreeMap<String, Vec<String>>,
) -> Result<Compiled> {
    let mut pending: BTreeMap<Vec<String>, Pending> = BTreeMap::new();
    let mut line_rules = Vec::new();
    let mut exclude_lists: Vec<Vec<String>> = Vec::new();
    for (spec, info, conds) in rules {
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
            let field = |name: &str, pattern: &Option<String>| -> Result<Option<Regex>> {
                pattern
                    .as_deref()
                    .map(|p| regex(p).with_context(|| format!("rule '{}': `{name}`", spec.id)))
                    .transpose()
            };
            group.lines.push(line_rules.len());
            line_rules.push(LineRule {
                info: *info,
                added: field("added", &spec.added)?,
                removed: field("removed", &spec.removed)?,
                unless: field("unless", &spec.unless)?,
                unless_preceded_by: field("unless_preceded_by", &spec.unless_preceded_by)?,
                exclude,
                preceded_by: field("preceded_by", &spec.preceded_by)?,
                inside: field("inside", &spec.inside)?,
                changed: spec.changed,
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
    let all: Vec<usize> = (0..line_rules.len()).collect();
    Ok(Compiled {
        groups,
        added: side_set(&line_rules, &all, true)?,
        removed: side_set(&line_rules, &all, false)?,
        line_rules,
        includes,
        excludes,
    })
}

/// A scope made of one named set of the rules file (`tests`, `prose`).
pub(crate) fn named_scope(name: &str, sets: &BTreeMap<String, Vec<String>>) -> Result<Scope> {
    let list = expand(&[format!("@{name}")], sets)?;
    Ok(Scope {
        include: globs(&list)?,
        exclude: None,
    })
}

/// Patterns match a line's raw bytes with ASCII classes: `\w`, `\b` and `(?i)` stay ASCII, which
/// keeps the sets on the fast DFA path for non-ASCII text; `(?u)` in a pattern opts back in.
pub(crate) fn regex(pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .map_err(|e| anyhow::anyhow!("invalid regex: {}", crate::policy::one_line(&e.to_string())))
}

fn side_set(rules: &[LineRule], members: &[usize], added: bool) -> Result<Option<SideSet>> {
    let mut patterns = Vec::new();
    let mut index = Vec::new();
    for &r in members {
        if let Some(re) = rules[r].pattern(added) {
            patterns.push(re.as_str());
            index.push(r);
        }
    }
    if patterns.is_empty() {
        return Ok(None);
    }
    // A set of dozens of patterns needs many lazy-DFA states; with the default cache (2 MiB)
    // the DFA is rebuilt over and over on a large patch, which made a scan 7x slower than
    // `git diff`. The cache only grows as far as the text needs.
    let set = RegexSetBuilder::new(&patterns)
        .unicode(false)
        .dfa_size_limit(32 << 20)
        .build()
        .context("compiling the rule set")?;
    Ok(Some(SideSet { set, rules: index }))
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

fn glob(g: &str) -> Result<globset::Glob> {
    GlobBuilder::new(g)
        .literal_separator(true)
        .case_insensitive(true)
        .build()
        .with_context(|| format!("invalid glob '{g}'"))
}

fn globs(list: &[String]) -> Result<Option<GlobSet>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in list {
        b.add(glob(g)?);
    }
    Ok(Some(b.build().context("building a glob set")?))
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

    #[test]
    fn patterns_are_ascii_by_default() {
        let re = regex(r"\bfoo\b").unwrap();
        assert!(re.is_match("é foo é".as_bytes()));
        assert!(regex("(").is_err());
    }
}
