//! `countersign init` as a user runs it: the real binary in a fresh repository, with the
//! fixture's own HOME (so the global git config it writes is the fixture's).

mod common;

use std::process::Output;

use common::Fixture;
use countersign::policy::Policy;

fn run(fx: &Fixture, args: &[&str]) -> Output {
    fx.command(common::bin().to_str().unwrap())
        .args(args)
        .output()
        .expect("run countersign")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The fenced ```yaml and ```sh blocks of docs/ci.md.
fn ci_doc_blocks() -> Vec<String> {
    let doc = include_str!("../docs/ci.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line) {
            (None, "```yaml" | "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn init_writes_templates_once_and_prints_the_ci_snippets_of_the_docs() {
    let fx = Fixture::new();
    let out = run(&fx, &["init"]);
    let text = stdout(&out);
    assert!(
        text.contains("  created .countersign.toml\n  created .countersign/allowed_signers\n"),
        "{text}"
    );
    let policy = std::fs::read_to_string(fx.path().join(".countersign.toml")).unwrap();
    assert_eq!(
        Policy::parse(&policy, ".countersign.toml").unwrap(),
        Policy::default()
    );
    let signers = std::fs::read_to_string(fx.path().join(".countersign/allowed_signers")).unwrap();
    assert!(signers.contains("namespaces=\"countersign\""), "{signers}");
    // No terminal to ask on: the alias is not set, the command to set it is printed.
    assert!(
        text.contains("git config --global alias.review '!countersign'"),
        "{text}"
    );
    assert!(!fx
        .git_output(&["config", "--global", "--get", "alias.review"])
        .status
        .success());

    let blocks = ci_doc_blocks();
    assert_eq!(
        blocks.len(),
        5,
        "GitHub, GitLab, pre-push, pre-receive, update"
    );
    for block in &blocks {
        assert!(
            text.contains(block.as_str()),
            "init does not print this block of docs/ci.md:\n{block}"
        );
    }
    for hook in &blocks[2..] {
        let check = std::process::Command::new("sh")
            .args(["-n", "-c", hook])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    // A second run keeps the files (even edited ones) and, with --yes, sets the alias.
    fx.write(".countersign.toml", "[approval]\nsigners = 2\n");
    let text = stdout(&run(&fx, &["init", "--yes"]));
    assert!(
        text.contains(".countersign.toml already exists; left as it is"),
        "{text}"
    );
    assert!(
        text.contains(".countersign/allowed_signers already exists; left as it is"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.path().join(".countersign.toml")).unwrap(),
        "[approval]\nsigners = 2\n"
    );
    assert_eq!(
        fx.git(&["config", "--global", "alias.review"]),
        "!countersign"
    );
    assert!(
        fx.home().join(".gitconfig").exists(),
        "the fixture's own HOME, not the user's"
    );

    let text = stdout(&run(&fx, &["init", "--yes"]));
    assert!(
        text.contains("git alias: `git review` already runs countersign"),
        "{text}"
    );
    let text = stdout(&run(&fx, &["init", "--no-alias"]));
    assert!(!text.contains("git alias"), "{text}");
}

#[test]
fn init_leaves_another_review_alias_alone() {
    let fx = Fixture::new();
    fx.git(&["config", "--global", "alias.review", "!gerrit-review"]);
    let text = stdout(&run(&fx, &["init", "--yes"]));
    assert!(
        text.contains("alias.review is already `!gerrit-review`; left as it is"),
        "{text}"
    );
    assert_eq!(
        fx.git(&["config", "--global", "alias.review"]),
        "!gerrit-review"
    );
}
