//! A GitHub workflow's trigger weighed against what the workflow runs. `pull_request_target`
//! and `workflow_run` give a run secrets and a write token even for a fork's pull request;
//! that is a risk when the run checks out and executes the pull request's code. A workflow
//! the change shows whole (a new file) that checks nothing out only labels, comments or
//! closes, with the base branch's own steps; and a change that switches the trigger while it
//! takes the checkout out made the run safe on purpose.
//!
//! A job removed from a workflow and replaced by a call to one of the repository's own reusable
//! workflows (`uses: ./.github/workflows/ci.yml`) moved its checks there: the called workflow,
//! when the change leaves it as it was, is the repository's CI already.

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

/// The CI rules a job handed to a reusable workflow answers.
const CHECK_RULES: [&str; 2] = ["safety-net.ci-check-removed", "safety-net.ci-job-removed"];
/// The pull request trigger removed, which a workflow made reusable answers.
const TRIGGER_RULE: &str = "safety-net.ci-trigger-removed";

/// A job that runs one of the repository's own reusable workflows (`uses:
/// ./.github/workflows/ci.yml`) at a job's level: its steps are the ones the repository already
/// runs for CI, out of this change's view.
static REUSED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"^\s{2,4}uses:\s*["']?\./(\.github/workflows/[\w./-]+\.ya?ml)"#).ok()
});

pub(super) fn refine(files: &mut [FileChange]) {
    refine_trigger(files);
    refine_reused(files);
}

/// Drops the removed-check findings of a workflow whose removed job is replaced by a call to
/// a reusable workflow of the repository that the change leaves as it was: the tests moved
/// there (a publish workflow that reuses CI instead of keeping its own copy of the test job).
/// A called workflow the change adds or edits is in view, and its own lines are judged.
fn refine_reused(files: &mut [FileChange]) {
    let flagged = |f: &FileChange| {
        f.hunks.iter().any(|h| {
            h.findings
                .iter()
                .any(|x| CHECK_RULES.contains(&x.rule.as_str()) || x.rule == TRIGGER_RULE)
        })
    };
    if !files.iter().any(flagged) {
        return;
    }
    let Some(reused) = REUSED.as_ref() else {
        return;
    };
    let touched: Vec<String> = files.iter().map(|f| f.path().to_string()).collect();
    for file in files.iter_mut().filter(|f| flagged(f)) {
        let calls_untouched = file.hunks.iter().flat_map(|h| &h.lines).any(|l| {
            l.kind == LineKind::Added
                && reused.captures(&l.bytes).is_some_and(|c| {
                    let called = String::from_utf8_lossy(&c[1]);
                    !touched.iter().any(|t| *t == called)
                })
        });
        if calls_untouched {
            for h in &mut file.hunks {
                h.findings
                    .retain(|x| !CHECK_RULES.contains(&x.rule.as_str()));
            }
        }
        // A workflow made reusable (`workflow_call:` added) runs where another one calls it:
        // the pull request trigger it lost is the caller's now.
        let made_reusable = file.hunks.iter().flat_map(|h| &h.lines).any(|l| {
            l.kind == LineKind::Added && l.bytes.trim_ascii().starts_with(b"workflow_call:")
        });
        if made_reusable {
            for h in &mut file.hunks {
                h.findings.retain(|x| x.rule != TRIGGER_RULE);
            }
        }
    }
}

/// Drops the trigger's findings of workflows that check nothing out.
fn refine_trigger(files: &mut [FileChange]) {
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

    /// maybe-finance ee162bbe: the publish workflow's copy of the tests replaced by CI itself.
    #[test]
    fn a_test_job_replaced_by_the_repositorys_reusable_ci_is_no_removed_check() {
        let publish = ".github/workflows/publish.yml";
        let text = "-  test:\n-    runs-on: ubuntu-latest\n-    steps:\n-      - run: bin/rails test:all\n-      - run: bundle exec rspec\n+  ci:\n+    uses: ./.github/workflows/ci.yml\n";
        let flagged = |files: &mut Vec<FileChange>| {
            Engine::builtin().scan_change(files);
            crate::risk::logic::testutil::rules_of(files, publish)
                .contains(&"safety-net.ci-check-removed".to_string())
        };
        assert!(!flagged(&mut vec![modified(publish, text)]));
        // A called workflow the change writes is in view: it must run the tests itself.
        let ci = ".github/workflows/ci.yml";
        assert!(flagged(&mut vec![
            modified(publish, text),
            modified(ci, "-      - run: bundle exec rspec\n")
        ]));
        // Another repository's workflow is not the repository's own CI.
        let elsewhere = text.replace("./.github", "someone/else/.github");
        assert!(flagged(&mut vec![modified(publish, &elsewhere)]));
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
