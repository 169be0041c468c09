//! Every refusal says why and what to do, and leaves the repository exactly as it was.

use super::*;

#[test]
fn a_branch_that_moved_during_the_review_is_refused() {
    let fx = fixture();
    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    fx.write("late.txt", "pushed by the agent after the review began\n");
    fx.commit_ai("Late change");
    let before = snapshot(&fx);
    let why = refusal(rewrite_messages(&repo, &plan, &opts()).unwrap_err());
    assert!(why.contains("main moved since the review started"), "{why}");
    assert_eq!(snapshot(&fx), before);
}

#[test]
fn a_detached_head_is_refused_unless_allowed() {
    let fx = fixture();
    fx.git(&["checkout", "-q", "--detach"]);
    let old = fx.head();
    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let before = snapshot(&fx);
    let why = refusal(rewrite_messages(&repo, &plan, &opts()).unwrap_err());
    assert!(why.contains("HEAD is detached"), "{why}");
    assert_eq!(snapshot(&fx), before);

    let allowed = RewriteOptions {
        allow_detached: true,
        ..opts()
    };
    let out = rewrite_messages(&repo, &plan, &allowed).unwrap();
    assert_eq!(fx.head(), out.new_tip.to_string());
    assert!(fx.git_output(&["symbolic-ref", "-q", "HEAD"]).status.code() == Some(1));
    assert_eq!(fx.git(&["rev-parse", "main"]), old, "no branch moved");
    run_undo(&fx, &out);
    assert_eq!(fx.head(), old);
}

#[test]
fn commits_already_in_the_upstream_are_refused_unless_allowed() {
    let fx = fixture();
    let remote = fx.dir.path().join("remote.git");
    fx.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    fx.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    fx.git(&["push", "-q", "-u", "origin", "main"]);
    let repo = open(&fx);
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let before = snapshot(&fx);
    let why = refusal(rewrite_messages(&repo, &plan, &opts()).unwrap_err());
    assert!(why.contains("already in origin/main"), "{why}");
    assert!(why.contains("shared history"), "{why}");
    assert_eq!(snapshot(&fx), before);

    // A commit made after the push is the author's own to rewrite.
    fx.write("new.txt", "not pushed\n");
    fx.commit_ai("Not pushed yet");
    let plan = Plan::amend_head(&repo, "Not pushed yet\n\nReviewed-by: J <j@e>\n").unwrap();
    rewrite_messages(&repo, &plan, &opts()).unwrap();

    let plan = Plan::amend_head(&repo, "Not pushed yet\n\nReviewed-by: K <k@e>\n").unwrap();
    let mut range = plan.clone();
    range.set_message(
        oid(&fx.git(&["rev-parse", "HEAD~1"])),
        "Add retries, approved\n",
    );
    let why = refusal(rewrite_messages(&repo, &range, &opts()).unwrap_err());
    assert!(why.contains("already in origin/main"), "{why}");
    let shared = RewriteOptions {
        allow_shared: true,
        ..opts()
    };
    let out = rewrite_messages(&repo, &range, &shared).unwrap();
    assert_eq!(out.rewritten.len(), 2);
}

#[test]
fn a_commit_that_is_not_on_the_branch_is_refused() {
    let fx = fixture();
    fx.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    fx.write("other.txt", "other\n");
    let other = fx.commit("Elsewhere");
    fx.git(&["checkout", "-q", "main"]);
    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    plan.set_message(oid(&other), "Elsewhere\n\nReviewed-by: J <j@e>\n");
    let before = snapshot(&fx);
    let why = refusal(rewrite_messages(&repo, &plan, &opts()).unwrap_err());
    assert!(why.contains("is not on main"), "{why}");
    assert_eq!(snapshot(&fx), before);
}

#[test]
fn a_rebase_in_progress_is_refused() {
    let fx = fixture();
    fx.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    fx.write("src/lib.rs", "fn a() { other() }\n");
    fx.commit("Conflicting change");
    let repo = open(&fx);
    let plan = Plan::amend_head(&repo, "Conflicting change\n\nReviewed-by: J <j@e>\n").unwrap();
    let rebase = fx.git_output(&["rebase", "-q", "main"]);
    assert!(!rebase.status.success(), "the rebase stops on the conflict");
    let before = snapshot(&fx);
    let allowed = RewriteOptions {
        allow_detached: true,
        ..opts()
    };
    let why = refusal(rewrite_messages(&repo, &plan, &allowed).unwrap_err());
    assert!(why.contains("in progress"), "{why}");
    assert_eq!(snapshot(&fx), before);
}

#[test]
fn an_empty_or_duplicated_plan_is_refused() {
    let fx = fixture();
    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    assert!(rewrite_messages(&repo, &plan, &opts()).is_err());
    plan.messages.push((plan.expected_tip, "One\n".into()));
    plan.messages.push((plan.expected_tip, "Two\n".into()));
    let err = rewrite_messages(&repo, &plan, &opts()).unwrap_err();
    assert!(err.to_string().contains("planned twice"), "{err}");
    plan.messages.truncate(1);
    plan.set_message(plan.expected_tip, "  \n");
    let err = rewrite_messages(&repo, &plan, &opts()).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}
