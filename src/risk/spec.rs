//! The rules file's schema (the built-in `rules/*.toml` and the policy's `[[rules]]`) and the
//! checks that turn a bad rule into an error naming its id, instead of a rule that silently
//! never fires.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::model::Severity;

/// The whole built-in rules file: named glob sets, then the rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesFile {
    /// Named glob lists a rule can use as `@name` in `paths` and `exclude`.
    #[serde(default)]
    pub sets: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// One rule as written. Exactly one trigger: `added`/`removed` patterns, `touched`, or `file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub id: String,
    pub severity: String,
    pub category: String,
    pub message: String,
    /// Globs the file's path must match (any); empty means every file.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Globs that exclude a file even when `paths` matches.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Pattern on added lines.
    pub added: Option<String>,
    /// Pattern on removed lines.
    pub removed: Option<String>,
    /// A line that also matches this does not fire.
    pub unless: Option<String>,
    /// The line does not fire when an earlier line of the hunk (or the hunk's header) matches
    /// this, e.g. the rollback half of a migration.
    pub unless_preceded_by: Option<String>,
    /// The line only fires when an earlier line of the hunk (or its header) matches this, e.g.
    /// a `key: true` line under `features:`.
    pub preceded_by: Option<String>,
    /// The line only fires when the innermost `{ … }` block enclosing it opens on a line that
    /// matches this (HCL, JSON, JS and the like), e.g. a `bucket` inside `backend "s3" {`.
    pub inside: Option<String>,
    /// An added line only fires when the hunk also removes a line matching the same pattern:
    /// a value changed, rather than a new one introduced.
    #[serde(default)]
    pub changed: bool,
    /// With `added`: a regex whose first group is an entry's key (a dependency's name). An
    /// added line does not fire when a removed line of the hunk has the same key: an existing
    /// entry is updated (a version bump), not a new one introduced.
    pub unless_same_key: Option<String>,
    /// With `added`: the added line only fires when the hunk removes a line that this regex
    /// matches with the same key (its first group; the added line's key is the `added`
    /// pattern's first group), e.g. an action pinned by commit SHA replaced by the same action
    /// at a tag: the entry was rewritten, and its safeguard left out.
    pub replaces: Option<String>,
    /// With `removed`: a removed line does not fire when the hunk adds a line on which the
    /// pattern matches the same text (`cargo test` is still run, regrouped or moved to an
    /// environment variable); `cargo test` turned into `cargo check` still fires.
    #[serde(default)]
    pub unless_kept: bool,
    /// With `removed`: a removed line does not fire when the function around it is removed
    /// whole in the same hunk (its declaration removed and not declared again): a helper
    /// deleted, which its callers' failing import shows, not a check taken off live code.
    #[serde(default)]
    pub unless_function_removed: bool,
    /// With `removed`: a removed line of a file deleted whole does not fire: the setting went
    /// with what it set (`set -e` of a CI script that no longer exists), it was not taken off
    /// something that still runs.
    #[serde(default)]
    pub unless_file_deleted: bool,
    /// The line does not fire when a later line of the hunk (on its own side) matches this,
    /// e.g. `set +e` closed again by `set -e`.
    pub unless_followed_by: Option<String>,
    /// With `removed`: the removed line only fires when the hunk's new side (an added or a
    /// context line) matches this, e.g. a checksum check removed while the download it checked
    /// stays (a download replaced by the package manager took its check with it).
    pub while_added: Option<String>,
    /// With `removed`: the removed line does not fire when the hunk adds a line matching this,
    /// e.g. inline path checks removed where the hunk now calls a `validate_…` helper.
    pub unless_added: Option<String>,
    /// At most one finding per hunk.
    #[serde(default)]
    pub once: bool,
    /// Fires once on every hunk of a matching file, whatever its lines say.
    #[serde(default)]
    pub touched: bool,
    /// File-level conditions, all of which must hold.
    pub file: Option<OneOrMany>,
    /// With `file`: the larger of the old and new size must be at least this many bytes.
    pub min_size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A file-level condition of a `file = [...]` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileCond {
    Changed,
    Added,
    Deleted,
    Modified,
    Renamed,
    Binary,
    Symlink,
    Submodule,
    ModeChange,
    Executable,
}

impl FileCond {
    pub const NAMES: [(&'static str, FileCond); 10] = [
        ("changed", FileCond::Changed),
        ("added", FileCond::Added),
        ("deleted", FileCond::Deleted),
        ("modified", FileCond::Modified),
        ("renamed", FileCond::Renamed),
        ("binary", FileCond::Binary),
        ("symlink", FileCond::Symlink),
        ("submodule", FileCond::Submodule),
        ("mode-change", FileCond::ModeChange),
        ("executable", FileCond::Executable),
    ];

    fn parse(name: &str) -> Result<FileCond> {
        FileCond::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .with_context(|| {
                let known: Vec<&str> = FileCond::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown file condition '{name}' (expected one of {})",
                    known.join(", ")
                )
            })
    }
}

/// What a rule is, for the findings panel, `docs/rules.md` and the policy's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    /// The effective severity; None when the policy turned the rule off.
    pub severity: Option<Severity>,
    pub category: String,
    /// The rule's sentence (logic rules may say something more precise per finding).
    pub message: String,
    pub origin: RuleOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOrigin {
    /// A pattern or file rule of the built-in rules file.
    Builtin,
    /// A check written in code (it needs more than a pattern).
    Logic,
    /// A rule from the repository's policy.
    Policy,
}

/// Checks the parts of a rule that need no compiling; returns its severity and file conditions.
pub(crate) fn validate(spec: &RuleSpec) -> Result<(Severity, Vec<FileCond>)> {
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !id_ok {
        bail!("id must be lowercase letters, digits, '.', '-' or '_'");
    }
    let severity: Severity = spec.severity.parse().map_err(anyhow::Error::msg)?;
    if spec.category.trim().is_empty() {
        bail!("category is empty");
    }
    if spec.message.trim().is_empty() || spec.message.contains('\n') {
        bail!("message must be one non-empty line");
    }
    let lines = spec.added.is_some() || spec.removed.is_some();
    let triggers =
        usize::from(lines) + usize::from(spec.touched) + usize::from(spec.file.is_some());
    if triggers != 1 {
        bail!("needs exactly one trigger: `added`/`removed` patterns, `touched = true`, or `file`");
    }
    let line_only = spec.unless.is_some()
        || spec.unless_preceded_by.is_some()
        || spec.preceded_by.is_some()
        || spec.inside.is_some()
        || spec.once
        || spec.changed
        || spec.unless_same_key.is_some()
        || spec.replaces.is_some()
        || spec.unless_kept
        || spec.unless_function_removed
        || spec.unless_file_deleted
        || spec.unless_followed_by.is_some();
    if !lines && line_only {
        bail!("`unless`, `(unless_)preceded_by`, `inside`, `changed` and `once` only apply to `added`/`removed` patterns");
    }
    if spec.changed && spec.added.is_none() {
        bail!("`changed` needs an `added` pattern");
    }
    if spec.unless_same_key.is_some() && spec.added.is_none() {
        bail!("`unless_same_key` needs an `added` pattern");
    }
    if spec.replaces.is_some() && spec.added.is_none() {
        bail!("`replaces` needs an `added` pattern");
    }
    if spec.unless_function_removed && spec.removed.is_none() {
        bail!("`unless_function_removed` needs a `removed` pattern");
    }
    if spec.unless_file_deleted && spec.removed.is_none() {
        bail!("`unless_file_deleted` needs a `removed` pattern");
    }
    if spec.unless_kept && spec.removed.is_none() {
        bail!("`unless_kept` needs a `removed` pattern");
    }
    if spec.min_size.is_some() && spec.file.is_none() {
        bail!("`min_size` only applies to `file` rules");
    }
    let conds = match &spec.file {
        Some(list) => {
            let items = list.items();
            if items.is_empty() {
                bail!("`file` lists no condition");
            }
            items
                .into_iter()
                .map(FileCond::parse)
                .collect::<Result<Vec<_>>>()?
        }
        None => Vec::new(),
    };
    Ok((severity, conds))
}

/// Reads one policy rule (a TOML table) into a spec; errors name the rule when it has an id.
pub(crate) fn from_policy(value: &toml::Value, index: usize) -> Result<RuleSpec> {
    let name = value
        .get("id")
        .and_then(|v| v.as_str())
        .map(|id| format!("policy rule '{id}'"))
        .unwrap_or_else(|| format!("policy rule #{} (no id)", index + 1));
    let spec: RuleSpec = value
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| {
            anyhow::anyhow!("{}", crate::policy::one_line(&e.to_string()))
        })
        .with_context(|| name.clone())?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> RuleSpec {
        toml::from_str(toml_text).unwrap()
    }

    const BASE: &str =
        "id = \"x.y\"\nseverity = \"high\"\ncategory = \"security\"\nmessage = \"m\"\n";

    #[test]
    fn a_pattern_rule_is_valid() {
        let s = spec(&format!("{BASE}added = 'foo'"));
        assert_eq!(validate(&s).unwrap().0, Severity::High);
    }

    #[test]
    fn two_triggers_are_an_error() {
        let s = spec(&format!("{BASE}added = 'foo'\ntouched = true"));
        assert!(format!("{:#}", validate(&s).unwrap_err()).contains("exactly one trigger"));
    }

    #[test]
    fn unknown_file_condition_is_an_error() {
        let s = spec(&format!("{BASE}file = \"gone\""));
        assert!(
            format!("{:#}", validate(&s).unwrap_err()).contains("unknown file condition 'gone'")
        );
    }

    #[test]
    fn bad_severity_and_id_are_errors() {
        let s =
            spec("id = \"X\"\nseverity = \"high\"\ncategory = \"c\"\nmessage = \"m\"\nadded = 'a'");
        assert!(validate(&s).is_err());
        let s =
            spec("id = \"x\"\nseverity = \"huge\"\ncategory = \"c\"\nmessage = \"m\"\nadded = 'a'");
        assert!(format!("{:#}", validate(&s).unwrap_err()).contains("unknown severity"));
    }

    #[test]
    fn policy_rule_with_unknown_field_names_the_rule() {
        let v: toml::Value = toml::from_str(&format!("{BASE}addded = 'x'")).unwrap();
        let err = from_policy(&v, 0).unwrap_err();
        assert!(format!("{err:#}").contains("policy rule 'x.y'"), "{err:#}");
    }
}
