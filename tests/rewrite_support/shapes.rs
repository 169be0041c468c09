//! History shapes: merges, linked worktrees, and commit objects with unusual headers.

use super::*;

/// Merges above a reviewed commit stay merges: the same trees, the rewritten parent in place
/// of the old one, the parent that was not rewritten kept as it was.
#[test]
fn a_merge_in_the_range_stays_a_merge() {
    let fx = fixture();
    let reviewed = fx.head();
    let base = fx.git(&["rev-parse", "HEAD~1"]);
    fx.git(&["checkout", "-q", "-b", "side", &base]);
    fx.write("side.txt", "side\n");
    let side = fx.commit("Side work");
    fx.git(&["checkout", "-q", "main"]);
    fx.write("main.txt", "main\n");
    let on_main = fx.commit("Main work");
    fx.git(&["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    let merge = fx.head();
    fx.write("top.txt", "top\n");
    fx.commit("On top of the merge");
    let shape = fx.git(&["log", "--format=%T %s", "--topo-order"]);

    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    let message = append_trailers(&message_of(&fx, &reviewed), REVIEWED).unwrap();
    plan.set_message(oid(&reviewed), message);
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();

    assert_eq!(fx.git(&["log", "--format=%T %s", "--topo-order"]), shape);
    let new = |o: &str| out.new_id(oid(o)).unwrap().to_string();
    assert!(
        out.new_id(oid(&side)).is_none(),
        "the side branch is not above the reviewed commit"
    );
    assert_eq!(
        fx.git(&["log", "-1", "--format=%P", &new(&merge)]),
        format!("{} {side}", new(&on_main))
    );
    assert_eq!(fx.git(&["rev-list", "--count", "--merges", "HEAD"]), "1");
    assert_eq!(fx.git(&["rev-parse", "side"]), side);
}

/// From a linked worktree: its own HEAD and branch move, the main worktree's do not.
#[test]
fn a_linked_worktree_rewrites_its_own_branch() {
    let fx = fixture();
    let main_tip = fx.head();
    let linked = fx.dir.path().join("linked");
    fx.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "topic",
        linked.to_str().unwrap(),
    ]);
    std::fs::write(linked.join("wip.txt"), "uncommitted\n").unwrap();
    let status = fx.git(&["-C", linked.to_str().unwrap(), "status", "--porcelain"]);
    let repo = Repository::open(&linked).unwrap();
    let plan = Plan::amend_head(
        &repo,
        "Add retries\n\nReviewed-by: Jane <jane@example.com>\n",
    )
    .unwrap();
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    assert_eq!(out.refname, "refs/heads/topic");
    assert_eq!(fx.git(&["rev-parse", "topic"]), out.new_tip.to_string());
    assert_eq!(fx.git(&["rev-parse", "main"]), main_tip);
    assert_eq!(fx.head(), main_tip, "the main worktree's HEAD stays");
    let after = fx.git(&["-C", linked.to_str().unwrap(), "status", "--porcelain"]);
    assert_eq!(after, status);
}

/// A re-parented descendant keeps what libgit2 would drop: unknown headers (jj's `change-id`),
/// its `encoding` and a message that is not UTF-8.
#[test]
fn a_descendant_keeps_its_unknown_headers_and_encoding() {
    let fx = fixture();
    let reviewed = fx.head();
    let tree = fx.git(&["rev-parse", "HEAD^{tree}"]);
    let mut object = format!(
        "tree {tree}\nparent {reviewed}\nauthor Ada Agent <ada@example.com> 1795294900 +0000\n\
         committer Ada Agent <ada@example.com> 1795294900 +0000\nencoding ISO-8859-1\n\
         change-id zzzyxwvu\n\n"
    )
    .into_bytes();
    object.extend_from_slice(b"Caf\xe9 au lait\n");
    let mut child = fx
        .command("git")
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&object).unwrap();
    let top = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let top = top.trim();
    fx.git(&["update-ref", "refs/heads/main", top]);

    let repo = open(&fx);
    let mut plan = Plan::at_head(&repo).unwrap();
    let message = append_trailers(&message_of(&fx, &reviewed), REVIEWED).unwrap();
    plan.set_message(oid(&reviewed), message);
    let out = rewrite_messages(&repo, &plan, &opts()).unwrap();
    let new = out.new_id(oid(top)).unwrap().to_string();
    let raw = fx.git_output(&["cat-file", "commit", &new]).stdout;
    let new_reviewed = out.new_id(oid(&reviewed)).unwrap();
    let expected_head = format!(
        "tree {tree}\nparent {new_reviewed}\nauthor Ada Agent <ada@example.com> 1795294900 +0000\n\
         committer Jane Doe <jane@example.com> 1795298400 +0100\nencoding ISO-8859-1\n\
         change-id zzzyxwvu\n\n"
    );
    let mut expected = expected_head.into_bytes();
    expected.extend_from_slice(b"Caf\xe9 au lait\n");
    assert_eq!(
        String::from_utf8_lossy(&raw),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(raw, expected);
    fx.git(&["fsck", "--no-progress"]);
}
