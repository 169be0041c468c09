//! A setting turned into a variable is judged by the variable's default. An Ansible task's
//! `no_log: true` that becomes `no_log: "{{ users_no_log }}"` still masks the task's output
//! when the change gives `users_no_log: true` as the role's default; with `false`, or with no
//! default in the change to say so, the removal stands (`security.secret-masking-removed`).
//! `no_log: "{{ not (unsafe_show_logs | bool) }}"` masks when the default is `false`.
//!
//! Likewise a Helm chart's line behind `{{- if .Values.hostNetwork }}` renders only for those
//! who turn the value on: when the change adds that value to the chart's `values.yaml` as
//! `false`, the line is an option offered, off by default, not what every install now gets.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{FileChange, LineKind};

const RULE: &str = "security.secret-masking-removed";

/// `no_log: "{{ name }}"`: the variable a task's masking now follows.
static TEMPLATED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"^\s*-?\s*no_log:\s*["']?\{\{\s*([A-Za-z_]\w*)\s*\}\}["']?\s*$"#).ok()
});
/// `no_log: "{{ not (name | bool) }}"`: masking unless the variable turns it off.
static NEGATED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*-?\s*no_log:\s*["']?\{\{\s*not\s*\(?\s*([A-Za-z_]\w*)\s*(\|\s*bool\s*)?\)?\s*\}\}["']?\s*$"#,
    )
    .ok()
});
/// `name: true` (or yes), a default as a role's `defaults/main.yml` writes it.
static DEFAULT_TRUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z_]\w*):\s*["']?(?i:true|yes)["']?\s*(#.*)?$"#).ok());

/// `{{- if .Values.a.b }}`: the value a Helm template's block renders for.
static IF_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{-?\s*if\s+\.Values\.([\w.]+)\s*-?\}\}").ok());
/// A template action that opens a block `{{ end }}` closes, and the `end` itself.
static OPENS_BLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{-?\s*(if|range|with|define|block)\b").ok());
static ENDS_BLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{-?\s*end\s*-?\}\}").ok());
/// `name: false` in a values file.
static DEFAULT_FALSE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z_]\w*):\s*false\s*(#.*)?$"#).ok());

pub(super) fn refine(files: &mut [FileChange]) {
    refine_masking(files);
    refine_opt_in(files);
}

/// Drops the findings of added lines of Helm templates that render only under a value the
/// change adds to a values file as `false`.
fn refine_opt_in(files: &mut [FileChange]) {
    let template = |f: &FileChange| f.path().contains("templates/");
    let flagged = |f: &FileChange| template(f) && f.hunks.iter().any(|h| !h.findings.is_empty());
    if !files.iter().any(flagged) {
        return;
    }
    let Some(default_false) = DEFAULT_FALSE.as_ref() else {
        return;
    };
    let values_file = |f: &FileChange| {
        let name = f.path().rsplit('/').next().unwrap_or_default();
        name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"))
    };
    let off = added_names(files.iter().filter(|f| values_file(f)), default_false);
    if off.is_empty() {
        return;
    }
    for h in files
        .iter_mut()
        .filter(|f| template(f))
        .flat_map(|f| &mut f.hunks)
    {
        h.retain_findings(|h, x| {
            let guarded = x
                .line_index
                .filter(|&i| h.lines.get(i).is_some_and(|l| l.kind == LineKind::Added))
                .and_then(|i| guard(&h.lines[..i]))
                .is_some_and(|value| {
                    let last = value.rsplit(|&b| b == b'.').next().unwrap_or_default();
                    off.contains(last)
                });
            !guarded
        });
    }
}

/// The first groups of `re` on the added lines of `files`: the names a change gives a default.
fn added_names<'a>(files: impl Iterator<Item = &'a FileChange>, re: &Regex) -> HashSet<Vec<u8>> {
    files
        .flat_map(|f| &f.hunks)
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .filter_map(|l| re.captures(&l.bytes))
        .filter_map(|c| c.get(1).map(|m| m.as_bytes().to_vec()))
        .collect()
}

/// The value of the innermost `{{ if .Values.… }}` still open at the end of `above` (the lines
/// before the finding's, on the new side).
fn guard(above: &[crate::model::Line]) -> Option<&[u8]> {
    let (if_value, opens, ends) = (
        IF_VALUE.as_ref()?,
        OPENS_BLOCK.as_ref()?,
        ENDS_BLOCK.as_ref()?,
    );
    let mut depth = 0usize;
    for l in above.iter().rev().filter(|l| l.kind != LineKind::Removed) {
        if ends.is_match(&l.bytes) {
            depth += 1;
        } else if opens.is_match(&l.bytes) {
            if depth == 0 {
                return if_value.captures(&l.bytes)?.get(1).map(|m| m.as_bytes());
            }
            depth -= 1;
        }
    }
    None
}

/// Drops the masking findings of hunks whose replacement follows a variable the change
/// defaults to true.
fn refine_masking(files: &mut [FileChange]) {
    let has = |f: &FileChange| {
        f.hunks
            .iter()
            .any(|h| h.findings.iter().any(|x| x.rule == RULE))
    };
    if !files.iter().any(has) {
        return;
    }
    let (Some(templated), Some(negated), Some(default_true), Some(default_false)) = (
        TEMPLATED.as_ref(),
        NEGATED.as_ref(),
        DEFAULT_TRUE.as_ref(),
        DEFAULT_FALSE.as_ref(),
    ) else {
        return;
    };
    let true_by_default = added_names(files.iter(), default_true);
    let false_by_default = added_names(files.iter(), default_false);
    for h in files.iter_mut().flat_map(|f| &mut f.hunks) {
        if !h.findings.iter().any(|x| x.rule == RULE) {
            continue;
        }
        let masked = h
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Added)
            .any(|l| {
                let named = |re: &Regex| re.captures(&l.bytes).and_then(|c| c.get(1));
                named(templated).is_some_and(|n| true_by_default.contains(n.as_bytes()))
                    || named(negated).is_some_and(|n| false_by_default.contains(n.as_bytes()))
            });
        if masked {
            h.findings.retain(|x| x.rule != RULE);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::risk::logic::testutil::{modified as file, rules_of};
    use crate::risk::Engine;

    fn masking_removed(default: Option<&str>) -> bool {
        let mut files = vec![file(
            "tasks/users.yml",
            "-  no_log: true\n+  no_log: \"{{ users_no_log }}\"\n",
        )];
        files.extend(default.map(|d| file("defaults/main.yml", d)));
        Engine::builtin().scan_change(&mut files);
        rules_of(&files, "tasks/users.yml").contains(&super::RULE.to_string())
    }

    /// eks-charts 817bba0b: a `hostNetwork` option offered off by default.
    #[test]
    fn a_helm_option_off_by_default_is_no_finding() {
        let template =
            "+      {{- if .Values.hostNetwork }}\n+      hostNetwork: true\n+      {{- end }}\n";
        let flagged = |values: &str| {
            let mut files = vec![file("chart/templates/daemonset.yaml", template)];
            files.push(file("chart/values.yaml", values));
            Engine::builtin().scan_change(&mut files);
            rules_of(&files, "chart/templates/daemonset.yaml")
                .contains(&"security.container-privileged".to_string())
        };
        assert!(!flagged("+hostNetwork: false\n"));
        assert!(flagged("+hostNetwork: true\n"));
        assert!(flagged("+other: false\n"));
    }

    #[test]
    fn no_log_made_a_variable_is_judged_by_its_default() {
        assert!(!masking_removed(Some("+users_no_log: true\n")));
        assert!(masking_removed(Some("+users_no_log: false\n")));
        assert!(masking_removed(None));
    }

    /// kubespray 9ad2d24a: masking that a debugging switch, off by default, can lift.
    #[test]
    fn no_log_unless_a_switch_is_judged_by_the_switch_default() {
        let flagged = |default: &str| {
            let mut files = vec![file(
                "tasks/main.yml",
                "-  no_log: true\n+  no_log: \"{{ not (unsafe_show_logs|bool) }}\"\n",
            )];
            files.push(file("defaults/main.yml", default));
            Engine::builtin().scan_change(&mut files);
            rules_of(&files, "tasks/main.yml").contains(&super::RULE.to_string())
        };
        assert!(!flagged("+unsafe_show_logs: false\n"));
        assert!(flagged("+unsafe_show_logs: true\n"));
    }
}
