//! A GitHub workflow's trigger weighed against what the workflow runs. `pull_request_target`
//! and `workflow_run` give a run secrets and a write token even for a fork's pull request;
//! that is a risk when the run checks out and executes the pull request's code. A workflow
//! the change shows whole (a new file) that checks nothing out only labels, comments or
//! closes, with the base branch's own steps; and a change that switches the trigger while it
//! takes the checkout out made the run safe on purpose.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{ChangeKind, FileChange, LineKind};

const RULE: &str = "security.ci-untrusted-trigger";

/// A step that brings code or files of the pull request into the run: the checkout action,
/// `git clone/fetch/checkout`, `gh pr checkout`, and the artifacts a `workflow_run` downloads
/// from the run it follows (the pull request's build, which it wrote).
static CHECKOUT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"actions/checkout\b|\bgit\s+(clone|fetch|checkout)\b|\bgh\s+pr\s+checkout\b|download-artifact\b|\bgh\s+run\s+download\b",
    )
    .ok()
});

/// Drops the trigger's findings of workflows that check nothing out.
pub(super) fn refine(files: &mut [FileChange]) {
    let flagged = |f: &FileChange| {
        f.hunks
            .iter()
            .any(|h| h.findings.iter().any(|x| x.rule == RULE))
    };
    for file in files.iter_mut() {
        if !flagged(file) {
            continue;
        }
        // Compiled only here, for a change that needs it: most have no such finding.
        let Some(checkout) = CHECKOUT.as_ref() else {
            return;
        };
        let checks_out = |kind: LineKind| {
            file.hunks
                .iter()
                .flat_map(|h| &h.lines)
                .any(|l| l.kind == kind && checkout.is_match(&l.bytes))
        };
        let added = checks_out(LineKind::Added);
        let safe = match file.change {
            ChangeKind::Added => !added,
            ChangeKind::Modified => !added && checks_out(LineKind::Removed),
            _ => false,
        };
        if safe {
            for h in &mut file.hunks {
                h.findings.retain(|x| x.rule != RULE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ChangeKind, FileChange};
    use crate::risk::logic::testutil::{hunk, modified};
    use crate::risk::Engine;

    const PATH: &str = ".github/workflows/label.yml";

    fn trigger_flagged(file: FileChange) -> bool {
        let mut files = vec![file];
        Engine::builtin().scan_change(&mut files);
        files[0]
            .hunks
            .iter()
            .flat_map(|h| &h.findings)
            .any(|x| x.rule == super::RULE)
    }

    fn added(text: &str) -> FileChange {
        let mut f = FileChange::new(None, Some(PATH.into()), ChangeKind::Added);
        f.hunks.push(hunk(PATH, text));
        f
    }

    #[test]
    fn a_privileged_trigger_that_checks_nothing_out_is_no_finding() {
        let labeler = "+on:\n+  pull_request_target:\n+jobs:\n+  label:\n+    steps:\n+      - uses: actions/labeler@v5\n";
        assert!(!trigger_flagged(added(labeler)));
        let runs_code =
            format!("{labeler}+      - uses: actions/checkout@v4\n+      - run: make test\n");
        assert!(trigger_flagged(added(&runs_code)));
        let artifact = "+on:\n+  workflow_run:\n+jobs:\n+  post:\n+    steps:\n+      - uses: actions/download-artifact@v4\n";
        assert!(trigger_flagged(added(artifact)));
        // kimai b61420d6: the trigger switched as the checkout step is taken out.
        let switched =
            "-  pull_request:\n+  pull_request_target:\n-      - uses: actions/checkout@v4\n";
        assert!(!trigger_flagged(modified(PATH, switched)));
        // The rest of the file is not shown: it may check the pull request out.
        assert!(trigger_flagged(modified(
            PATH,
            "-  pull_request:\n+  pull_request_target:\n"
        )));
    }
}
