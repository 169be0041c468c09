//! A setting turned into a variable is judged by the variable's default. An Ansible task's
//! `no_log: true` that becomes `no_log: "{{ users_no_log }}"` still masks the task's output
//! when the change gives `users_no_log: true` as the role's default; with `false`, or with no
//! default in the change to say so, the removal stands (`security.secret-masking-removed`).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{FileChange, LineKind};

const RULE: &str = "security.secret-masking-removed";

/// `no_log: "{{ name }}"`: the variable a task's masking now follows.
static TEMPLATED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"^\s*-?\s*no_log:\s*["']?\{\{\s*([A-Za-z_]\w*)\s*\}\}["']?\s*$"#).ok()
});
/// `name: true` (or yes), a default as a role's `defaults/main.yml` writes it.
static DEFAULT_TRUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*([A-Za-z_]\w*):\s*["']?(?i:true|yes)["']?\s*(#.*)?$"#).ok());

/// Drops the masking findings of hunks whose replacement follows a variable the change
/// defaults to true.
pub(super) fn refine(files: &mut [FileChange]) {
    let has = |f: &FileChange| {
        f.hunks
            .iter()
            .any(|h| h.findings.iter().any(|x| x.rule == RULE))
    };
    if !files.iter().any(has) {
        return;
    }
    let (Some(templated), Some(default_true)) = (TEMPLATED.as_ref(), DEFAULT_TRUE.as_ref()) else {
        return;
    };
    let true_by_default: HashSet<Vec<u8>> = files
        .iter()
        .flat_map(|f| &f.hunks)
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .filter_map(|l| default_true.captures(&l.bytes))
        .filter_map(|c| c.get(1).map(|m| m.as_bytes().to_vec()))
        .collect();
    for h in files.iter_mut().flat_map(|f| &mut f.hunks) {
        if !h.findings.iter().any(|x| x.rule == RULE) {
            continue;
        }
        let masked = h
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Added)
            .filter_map(|l| templated.captures(&l.bytes))
            .filter_map(|c| c.get(1))
            .any(|name| true_by_default.contains(name.as_bytes()));
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

    #[test]
    fn no_log_made_a_variable_is_judged_by_its_default() {
        assert!(!masking_removed(Some("+users_no_log: true\n")));
        assert!(masking_removed(Some("+users_no_log: false\n")));
        assert!(masking_removed(None));
    }
}
