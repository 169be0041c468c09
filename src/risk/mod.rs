//! The risk engine: rules as data (the built-in `rules/*.toml`, embedded, plus the policy's own)
//! and the few checks that need logic (`logic/`, `hidden.rs`), run over every hunk of a file.
//!
//! [`Engine::new`] checks every rule and builds the path index and the literal prefilter
//! (`prefilter.rs`); a rule's regex is compiled the first time a line may match it. A scan
//! selects the rules whose path globs match the file, asks the prefilter which of them may
//! match each changed line (one pass of a small automaton), and runs only those, so it stays
//! linear in the size of the patch. The rules file's format and every shipped rule are
//! documented in `docs/rules.md`.

pub(crate) mod builtin_factors;
mod compile;
mod context;
mod defaults;
pub(crate) mod factors;
mod glob;
mod hidden;
mod hits;
mod lines;
mod logic;
mod migration_edit;
mod moved;
mod path_plan;
mod pattern;
mod prefilter;
mod spec;
pub mod terraform;
mod workflow;

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};

use crate::model::{ChangeKind, FileChange, FileKind, Severity};
use crate::policy::{Policy, DEFAULT_ALLOWED_SIGNERS};

use compile::{Compiled, Scope};
use hits::Hit;
use logic::{FileFacts, Lang, Sink};
use spec::{FileCond, RuleSpec, RulesFile};

pub use hits::MAX_FINDINGS_PER_HUNK;
pub use spec::{RuleInfo, RuleOrigin};

/// The built-in rules files (name, text): the glob sets first, then one file per category.
pub const BUILTIN_RULES: [(&str, &str); 9] = [
    ("sets.toml", include_str!("rules/sets.toml")),
    ("destructive.toml", include_str!("rules/destructive.toml")),
    (
        "infrastructure.toml",
        include_str!("rules/infrastructure.toml"),
    ),
    ("security.toml", include_str!("rules/security.toml")),
    ("data.toml", include_str!("rules/data.toml")),
    ("supply_chain.toml", include_str!("rules/supply_chain.toml")),
    ("safety_net.toml", include_str!("rules/safety_net.toml")),
    ("trust.toml", include_str!("rules/trust.toml")),
    ("size.toml", include_str!("rules/size.toml")),
];

/// The rule that guards the allowed-signers file, which the policy may move.
const ALLOWED_SIGNERS_RULE: &str = "trust.allowed-signers";

/// The compiled rules, ready to scan files; cheap to share between threads.
pub struct Engine {
    /// Every rule: the rules file's and the policy's, then the logic rules from `logic_base`.
    infos: Vec<RuleInfo>,
    compiled: Compiled,
    logic_base: usize,
    logic_enabled: Vec<bool>,
    prose: Scope,
    tests: Scope,
    /// CI, tests and verification playbooks: files whose lines are checks.
    checks: Scope,
    plans: path_plan::PathPlans,
}

impl Engine {
    /// Built-in rules plus the policy's rules and severity overrides. A bad policy rule is an
    /// error naming the rule and what is wrong with it.
    pub fn new(policy: &Policy) -> Result<Engine> {
        let mut sets = BTreeMap::new();
        let mut specs: Vec<(RuleSpec, RuleOrigin)> = Vec::new();
        for (name, text) in BUILTIN_RULES {
            let file: RulesFile = toml::from_str(text)
                .map_err(|e| anyhow::anyhow!("{}", crate::policy::one_line(&e.to_string())))
                .with_context(|| format!("invalid built-in rules file {name}"))?;
            sets.extend(file.sets);
            specs.extend(file.rule.into_iter().map(|s| (s, RuleOrigin::Builtin)));
        }
        if policy.approval.allowed_signers != DEFAULT_ALLOWED_SIGNERS {
            if let Some((s, _)) = specs.iter_mut().find(|(s, _)| s.id == ALLOWED_SIGNERS_RULE) {
                s.paths.push(policy.approval.allowed_signers.clone());
            }
        }
        for (i, value) in policy.rules.iter().enumerate() {
            specs.push((spec::from_policy(value, i)?, RuleOrigin::Policy));
        }
        let mut infos = Vec::with_capacity(specs.len() + logic::RULES.len());
        let mut conds = Vec::with_capacity(specs.len());
        for (s, origin) in &specs {
            let name = || match origin {
                RuleOrigin::Policy => format!("policy rule '{}'", s.id),
                _ => format!("built-in rule '{}'", s.id),
            };
            let (severity, c) = spec::validate(s).with_context(name)?;
            if infos.iter().any(|i: &RuleInfo| i.id == s.id)
                || logic::RULES.iter().any(|m| m.id == s.id)
            {
                bail!("{}: a rule with this id already exists", name());
            }
            infos.push(RuleInfo {
                id: s.id.clone(),
                severity: Some(severity),
                category: s.category.clone(),
                message: s.message.clone(),
                origin: *origin,
            });
            conds.push(c);
        }
        let logic_base = infos.len();
        infos.extend(logic::RULES.iter().map(|m| RuleInfo {
            id: m.id.to_string(),
            severity: Some(m.severity),
            category: m.category.to_string(),
            message: m.message.to_string(),
            origin: RuleOrigin::Logic,
        }));
        apply_overrides(&mut infos, &policy.severity)?;
        let enabled: Vec<compile::Enabled> = specs
            .iter()
            .zip(conds)
            .enumerate()
            .filter(|(i, _)| infos[*i].severity.is_some())
            .map(|(i, ((spec, origin), conds))| compile::Enabled {
                spec,
                info: i,
                conds,
                eager: *origin == RuleOrigin::Policy,
            })
            .collect();
        let compiled = compile::compile(&enabled, &sets).context("compiling the risk rules")?;
        let logic_enabled = infos[logic_base..]
            .iter()
            .map(|i| i.severity.is_some())
            .collect();
        let named = |name: &str| compile::named_scope(name, &sets).context("built-in rules file");
        Ok(Engine {
            infos,
            compiled,
            logic_base,
            logic_enabled,
            prose: named("prose")?,
            tests: named("tests")?,
            checks: compile::union_scope(&["ci", "tests", "verification"], &sets)
                .context("built-in rules file")?,
            plans: Default::default(),
        })
    }

    /// Whether `policy` scans with the built-in rules alone ([`Engine::builtin`]): it adds no
    /// rule, changes no severity and keeps the default allowed-signers file.
    pub fn is_builtin_for(policy: &Policy) -> bool {
        policy.rules.is_empty()
            && policy.severity.is_empty()
            && policy.approval.allowed_signers == DEFAULT_ALLOWED_SIGNERS
    }

    /// The built-in rules alone, as an empty policy gives.
    pub fn builtin() -> Engine {
        // The embedded rules are compiled by the tests, so this cannot fail in a release.
        Engine::new(&Policy::default()).expect("built-in rules compile")
    }

    /// Every rule the engine knows, with its effective severity (None when turned off).
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// Scans every file of one change (a commit's files), then weighs each file's findings
    /// against the rest of the change: see `context.rs`.
    pub fn scan_change(&self, files: &mut [FileChange]) {
        for file in files.iter_mut() {
            self.scan_file(file);
        }
        Engine::weigh_change(files);
    }

    /// The second half of [`scan_change`](Engine::scan_change), for files already scanned one
    /// by one (as the loader's workers do): weighs each file's findings against the rest of
    /// the change (a test moved to another file is not a deleted test, a dependency moved to
    /// another manifest is not a new one).
    pub fn weigh_change(files: &mut [FileChange]) {
        context::refine(files);
        moved::refine_moved(files);
        moved::refine_dependencies(files);
        defaults::refine(files);
        logic::refine_terraform_change(files);
        workflow::refine(files);
        migration_edit::refine(files);
    }

    /// Sets `file.findings` (whole-file conditions) and every hunk's `findings` (most severe
    /// first, capped at [`MAX_FINDINGS_PER_HUNK`] with the rest counted in `findings_omitted`).
    ///
    /// File-level findings are also put on the file's first hunk, and critical ones on every
    /// hunk, so that hunk-by-hunk consumers (triage, bulk approval, `scan`) see them. Call it
    /// once the file's hunks are loaded; calling it again replaces what it set before.
    pub fn scan_file(&self, file: &mut FileChange) {
        self.scan_file_with(file, None);
    }

    /// [`scan_file`](Engine::scan_file), with a Terraform plan whose destroys become critical
    /// findings on the hunks of the resource blocks they name (`--plan FILE`).
    pub fn scan_file_with(&self, file: &mut FileChange, plan: Option<&terraform::TerraformPlan>) {
        let path = file.path().to_string();
        let old_path = file.old_path.clone().unwrap_or_default();
        let paths = self.plans.get(&path, &old_path, || {
            let matches =
                |s: &Scope| s.matches(&path) || (!old_path.is_empty() && s.matches(&old_path));
            let groups = self.compiled.groups_for(&[&path, &old_path]);
            let excluded = self.compiled.excluded(&[&path, &old_path]);
            let active = self.compiled.active_lines(&groups, &excluded);
            path_plan::PathPlan {
                prefilters: self.compiled.prefilters(&active),
                groups,
                excluded,
                active,
                lang: Lang::of(&path),
                is_prose: matches(&self.prose),
                is_test_data: matches(&self.tests),
                is_check: matches(&self.checks),
                is_source: logic::is_source(&path),
            }
        });
        let path_plan::PathPlan {
            groups,
            excluded,
            active,
            prefilters,
            ..
        } = &*paths;
        let is_excluded = |e: Option<usize>| e.is_some_and(|e| excluded[e]);
        let facts = FileFacts {
            lang: paths.lang,
            is_prose: paths.is_prose,
            is_deleted: file.change == ChangeKind::Deleted,
            is_test_data: paths.is_test_data,
            is_check: paths.is_check,
            not_text: hidden::not_really_text(&file.hunks),
            is_source: paths.is_source,
        };
        let mut sink = Sink {
            base: self.logic_base,
            enabled: &self.logic_enabled,
            hits: Vec::new(),
        };
        for &g in groups {
            for rule in &self.compiled.groups[g].files {
                if !is_excluded(rule.exclude)
                    && rule.conds.iter().all(|c| holds(*c, file))
                    && rule
                        .min_size
                        .is_none_or(|n| file.old_size.max(file.new_size) >= n)
                {
                    sink.hits.push(Hit::at(rule.info, None));
                }
            }
        }
        logic::scan_file(file, &facts, &mut sink);
        let mut file_hits = std::mem::take(&mut sink.hits);
        let layout_is_syntax = logic::layout_is_syntax(facts.lang, file.path());
        // A file whose every hunk only re-formats (an old migration re-quoted) is not changed
        // in what a file rule looks for either: low notes at most.
        if !layout_is_syntax
            && !file.hunks.is_empty()
            && file_hits.iter().any(|h| self.above_low(h))
            && file.hunks.iter().all(lines::same_tokens)
        {
            let infos = &self.infos;
            file_hits.retain(|h| infos[h.rule].severity.is_none_or(|s| s <= Severity::Low));
        }
        file.findings = hits::finish(&self.infos, file_hits.clone(), None, usize::MAX).0;

        // Every removed line of the file, for the rules that ask whether a function deleted
        // with its check is still called from code the change rewrote (`lines.rs`).
        let removed: Vec<u8> = file.hunks.iter().flat_map(logic::removed_text).collect();
        for (n, hunk) in file.hunks.iter_mut().enumerate() {
            let first = hunk.lines.iter().position(|l| l.is_change());
            lines::scan(
                &self.compiled,
                prefilters,
                active,
                hunk,
                &removed,
                file.change == ChangeKind::Deleted,
                &mut sink.hits,
            );
            for &g in groups {
                let touched = self.compiled.groups[g]
                    .touched
                    .iter()
                    .filter(|(_, e)| !is_excluded(*e));
                sink.hits.extend(touched.map(|&(r, _)| Hit::at(r, first)));
            }
            logic::scan_hunk(&facts, hunk, &mut sink);
            if let Some(plan) = plan.filter(|_| facts.lang == Lang::Terraform) {
                logic::plan::scan(hunk, plan, &mut sink);
            }
            // A hunk that only re-formats (the same tokens in the same order) changes nothing
            // a line rule looks for: low notes at most. Not where indentation is syntax.
            if sink.hits.iter().any(|h| self.above_low(h))
                && !layout_is_syntax
                && lines::same_tokens(hunk)
            {
                let infos = &self.infos;
                sink.hits
                    .retain(|h| infos[h.rule].severity.is_none_or(|s| s <= Severity::Low));
            }
            for h in &file_hits {
                if n == 0 || self.infos[h.rule].severity == Some(Severity::Critical) {
                    sink.hits.push(Hit {
                        line: first,
                        column: None,
                        ..h.clone()
                    });
                }
            }
            let (findings, omitted) = hits::finish(
                &self.infos,
                std::mem::take(&mut sink.hits),
                Some(hunk),
                MAX_FINDINGS_PER_HUNK,
            );
            hunk.findings = findings;
            hunk.findings_omitted = omitted;
        }
    }
}

impl Engine {
    fn above_low(&self, h: &Hit) -> bool {
        self.infos[h.rule]
            .severity
            .is_some_and(|s| s > Severity::Low)
    }
}

fn holds(cond: FileCond, file: &FileChange) -> bool {
    const EXEC: u32 = 0o111;
    match cond {
        FileCond::Changed => true,
        FileCond::Added => file.change == ChangeKind::Added,
        FileCond::Deleted => file.change == ChangeKind::Deleted,
        FileCond::Modified => file.change == ChangeKind::Modified,
        FileCond::Renamed => file.change == ChangeKind::Renamed,
        FileCond::Binary => file.kind == FileKind::Binary,
        FileCond::Symlink => file.kind == FileKind::Symlink,
        FileCond::Submodule => file.kind == FileKind::Submodule,
        FileCond::ModeChange => file.mode_changed(),
        FileCond::Executable => {
            file.new_mode & 0o170000 == 0o100000
                && file.new_mode & EXEC != 0
                && file.old_mode & EXEC == 0
        }
    }
}

/// `[severity]` in the policy: a rule id, or `category.*`/`prefix.*` for several; "off" turns
/// rules off. A key that names no rule is an error, as a typo would otherwise do nothing.
fn apply_overrides(infos: &mut [RuleInfo], overrides: &BTreeMap<String, String>) -> Result<()> {
    for (key, value) in overrides {
        let severity = if value == "off" {
            None
        } else {
            Some(
                value
                    .parse::<Severity>()
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("policy [severity] '{key}'"))?,
            )
        };
        let prefix = key.strip_suffix('*');
        let mut hit = false;
        for info in infos.iter_mut() {
            let matched = match prefix {
                Some(p) => info.id.starts_with(p),
                None => info.id == *key,
            };
            if matched {
                info.severity = severity;
                hit = true;
            }
        }
        if !hit {
            bail!(
                "policy [severity] '{key}': no rule has this id (see docs/rules.md for the list)"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
