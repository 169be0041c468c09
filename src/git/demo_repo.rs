//! The repository behind `countersign demo`: a tiny payments service written by a human, then one
//! commit by an AI agent asked to "fix flaky timeouts", which is mostly sensible but hides the
//! incidents a senior reviewer exists to catch (a bucket made destroyable, an unbounded `DELETE`,
//! `rm -rf` on a variable that can be empty, `curl | sh`, TLS checks off, a skipped test and a
//! removed assertion, Trojan Source and zero-width characters).
//!
//! Everything is written with git2 directly (blobs, trees, commits, refs) with fixed identities and
//! times, so the demo never depends on the user's git setup and its commit ids are reproducible.
//! The files themselves live under `src/git/demo/` (`base/` before, `agent/` after the agent).

use std::path::Path;

use anyhow::{bail, Context, Result};
use git2::build::{CheckoutBuilder, TreeUpdateBuilder};
use git2::{ConfigLevel, FileMode, Oid, Repository, RepositoryInitOptions, Signature, Time};

/// The branch holding the human-written base, and the AI commit's upstream.
pub const BASE_BRANCH: &str = "main";
/// The branch holding the AI commit, checked out as HEAD.
pub const AI_BRANCH: &str = "agent/fix-flaky-timeouts";

/// One file of the demo: its path in the repository and its text as stored in `src/git/demo/`.
type DemoFile = (&'static str, &'static str);

/// Embeds `src/git/demo/<side>/<path>` under its repository path, so the table below can't name a
/// file whose content comes from elsewhere.
macro_rules! demo_file {
    ($side:literal, $path:literal) => {
        ($path, include_str!(concat!("demo/", $side, "/", $path)))
    };
}

/// The human-written service, as of the base commit.
const BASE_FILES: &[DemoFile] = &[
    demo_file!("base", ".github/workflows/ci.yml"),
    demo_file!("base", "README.md"),
    demo_file!("base", "db/migrations/0007_create_sessions.sql"),
    demo_file!("base", "go.mod"),
    demo_file!("base", "infra/storage.tf"),
    demo_file!("base", "scripts/deploy.sh"),
    demo_file!("base", "services/gateway/handler.go"),
    demo_file!("base", "services/payments/client.py"),
    demo_file!("base", "services/payments/legacy_timeout_patch.py"),
    demo_file!("base", "services/payments/requirements.txt"),
    demo_file!("base", "services/payments/retry.py"),
    demo_file!("base", "services/payments/test_client.py"),
    demo_file!("base", "web/src/checkout.ts"),
];

/// Files the agent wrote (modified, added, or the new side of the rename `retry.py` → `backoff.py`).
const AGENT_WRITES: &[DemoFile] = &[
    demo_file!("agent", ".github/workflows/ci.yml"),
    demo_file!("agent", "db/migrations/0008_reset_stale_sessions.sql"),
    demo_file!("agent", "infra/storage.tf"),
    demo_file!("agent", "scripts/deploy.sh"),
    demo_file!("agent", "services/gateway/handler.go"),
    demo_file!("agent", "services/payments/backoff.py"),
    demo_file!("agent", "services/payments/client.py"),
    demo_file!("agent", "services/payments/test_client.py"),
    demo_file!("agent", "web/src/checkout.ts"),
];

/// Files the agent removed: the old side of the rename, and one plain deletion.
const AGENT_REMOVES: &[&str] = &[
    "services/payments/retry.py",
    "services/payments/legacy_timeout_patch.py",
];

/// Files committed with the executable bit, as a real deploy script would be.
const EXECUTABLES: &[&str] = &["scripts/deploy.sh"];

const BASE_MESSAGE: &str = include_str!("demo/base_message.txt");
const AGENT_MESSAGE: &str = include_str!("demo/agent_message.txt");

/// The data files spell invisible characters as `{U+XXXX}`, so that countersign's own source tree
/// carries no hidden text (GitHub and countersign itself would rightly flag it); they only become
/// real characters inside the demo repository.
const INVISIBLES: &[(&str, &str)] = &[
    ("{U+200B}", "\u{200B}"), // zero-width space
    ("{U+202E}", "\u{202E}"), // right-to-left override (Trojan Source)
    ("{U+2066}", "\u{2066}"), // left-to-right isolate
    ("{U+2069}", "\u{2069}"), // pop directional isolate
];

/// The human who wrote the service, and the one who ran the agent: two people, as in a real team.
const BASE_AUTHOR: (&str, &str) = ("Priya Raman", "priya@example.com");
const AGENT_OPERATOR: (&str, &str) = ("Sam Okafor", "sam@example.com");
/// 2026-11-16 14:32:10 +01:00, and 2026-11-20 17:05:42 -05:00: fixed, so ids are reproducible.
const BASE_TIME: (i64, i32) = (1_794_835_930, 60);
const AGENT_TIME: (i64, i32) = (1_795_212_342, -300);

/// Creates a new repository in `dir` (which exists and is empty) with a small realistic history:
/// a human-written base commit (a tiny service: a few files in several languages), then one
/// AI-assisted commit on a branch checked out as HEAD, and returns the AI commit's id.
pub fn create(dir: &Path) -> Result<Oid> {
    ensure_empty_dir(dir)?;
    let repo = init(dir)?;
    configure(&repo)?;

    let empty_tree = repo
        .treebuilder(None)
        .and_then(|builder| builder.write())
        .and_then(|id| repo.find_tree(id))
        .context("writing the empty tree")?;
    let base_tree = write_tree(&repo, &empty_tree, BASE_FILES, &[])?;
    let base_sig = signature(BASE_AUTHOR, BASE_TIME)?;
    let base = repo
        .commit(
            Some(&format!("refs/heads/{BASE_BRANCH}")),
            &base_sig,
            &base_sig,
            BASE_MESSAGE,
            &base_tree,
            &[],
        )
        .and_then(|id| repo.find_commit(id))
        .context("writing the base commit")?;

    let agent_tree = write_tree(&repo, &base_tree, AGENT_WRITES, AGENT_REMOVES)?;
    let agent_sig = signature(AGENT_OPERATOR, AGENT_TIME)?;
    let agent = repo
        .commit(
            Some(&format!("refs/heads/{AI_BRANCH}")),
            &agent_sig,
            &agent_sig,
            AGENT_MESSAGE,
            &agent_tree,
            &[&base],
        )
        .context("writing the AI-assisted commit")?;

    repo.set_head(&format!("refs/heads/{AI_BRANCH}"))
        .context("pointing HEAD at the agent's branch")?;
    // A brand-new repository has no work to lose, so a forced checkout is the simple way to make
    // the working tree and the index match HEAD.
    repo.checkout_head(Some(CheckoutBuilder::new().force()))
        .context("checking out the AI-assisted commit")?;
    Ok(agent)
}

/// Refuses anything but an existing empty directory: the demo must never mix its files with, or
/// write a `.git` into, something that belongs to the user.
fn ensure_empty_dir(dir: &Path) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the demo directory {}", dir.display()))?;
    if entries.next().is_some() {
        bail!(
            "the demo directory {} is not empty; give it an empty one",
            dir.display()
        );
    }
    Ok(())
}

fn init(dir: &Path) -> Result<Repository> {
    let mut opts = RepositoryInitOptions::new();
    // No template directory from the user's config: its hooks or excludes have no place here.
    opts.external_template(false)
        .initial_head(&format!("refs/heads/{BASE_BRANCH}"));
    Repository::init_opts(dir, &opts)
        .with_context(|| format!("creating a git repository in {}", dir.display()))
}

/// Applies `writes` and `removes` to `baseline` and returns the new tree.
fn write_tree<'r>(
    repo: &'r Repository,
    baseline: &git2::Tree<'_>,
    writes: &[DemoFile],
    removes: &[&str],
) -> Result<git2::Tree<'r>> {
    let mut update = TreeUpdateBuilder::new();
    for path in removes {
        update.remove(*path);
    }
    for (path, text) in writes {
        let blob = repo
            .blob(reveal(text).as_bytes())
            .with_context(|| format!("writing the blob of {path}"))?;
        let mode = if EXECUTABLES.contains(path) {
            FileMode::BlobExecutable
        } else {
            FileMode::Blob
        };
        update.upsert(*path, blob, mode);
    }
    update
        .create_updated(repo, baseline)
        .and_then(|id| repo.find_tree(id))
        .context("writing a tree of the demo repository")
}

/// Turns the `{U+XXXX}` spellings of the data files into the characters they stand for.
fn reveal(text: &str) -> String {
    INVISIBLES
        .iter()
        .fold(text.to_owned(), |text, (spelling, ch)| {
            text.replace(spelling, ch)
        })
}

fn signature(
    (name, email): (&str, &str),
    (secs, offset_minutes): (i64, i32),
) -> Result<Signature<'static>> {
    Signature::new(name, email, &Time::new(secs, offset_minutes))
        .with_context(|| format!("making the signature of {name}"))
}

/// Writes the repository's own settings, which take precedence over the user's.
fn configure(repo: &Repository) -> Result<()> {
    let mut config = repo
        .config()
        .and_then(|config| config.open_level(ConfigLevel::Local))
        .context("opening the demo repository's config")?;
    // Checked-out bytes must equal the blobs (hidden characters and line endings are the point),
    // whatever the user's core.autocrlf says.
    config
        .set_bool("core.autocrlf", false)
        .context("configuring the demo repository")?;
    // `main` is the upstream of the agent's branch, as after `git branch -u main` (remote "."
    // means this repository), so the default range is exactly the AI commit.
    config
        .set_str(&format!("branch.{AI_BRANCH}.remote"), ".")
        .and_then(|()| {
            let main = format!("refs/heads/{BASE_BRANCH}");
            config.set_str(&format!("branch.{AI_BRANCH}.merge"), &main)
        })
        .context("setting the upstream of the agent's branch")
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{Delta, DiffFindOptions, StatusOptions};

    fn demo() -> (tempfile::TempDir, Repository, Oid) {
        let dir = tempfile::tempdir().expect("temp dir");
        let id = create(dir.path()).expect("demo repository");
        let repo = Repository::open(dir.path()).expect("open demo repository");
        (dir, repo, id)
    }

    #[test]
    fn head_is_the_ai_commit_on_its_branch_with_main_as_upstream() {
        let (_dir, repo, id) = demo();
        let head = repo.head().expect("HEAD");
        assert_eq!(
            head.name().ok(),
            Some("refs/heads/agent/fix-flaky-timeouts")
        );
        assert_eq!(head.target(), Some(id));

        let commit = repo.find_commit(id).expect("AI commit");
        let main = repo.refname_to_id("refs/heads/main").expect("main");
        assert_eq!(commit.parent_ids().collect::<Vec<_>>(), vec![main]);
        let base = repo.find_commit(main).expect("base commit");
        assert_eq!(base.parent_count(), 0);
        assert_eq!(base.author().name().ok(), Some("Priya Raman"));
        assert_eq!(commit.author().name().ok(), Some("Sam Okafor"));

        let upstream = repo
            .branch_upstream_name("refs/heads/agent/fix-flaky-timeouts")
            .expect("upstream");
        assert_eq!(upstream.as_str().ok(), Some("refs/heads/main"));
        assert_eq!(repo.graph_ahead_behind(id, main).expect("ahead"), (1, 0));
    }

    #[test]
    fn message_is_claude_codes_with_its_trailer() {
        let (_dir, repo, id) = demo();
        let commit = repo.find_commit(id).expect("AI commit");
        let message = commit.message().expect("UTF-8 message");
        assert_eq!(
            commit.summary().ok().flatten(),
            Some("Fix flaky timeouts in the payments service")
        );
        assert!(message.contains("🤖 Generated with [Claude Code](https://claude.com/claude-code)"));
        let trailers = git2::message_trailers_strs(message).expect("trailers");
        let trailers: Vec<_> = trailers.iter().collect();
        assert_eq!(
            trailers,
            vec![("Co-Authored-By", "Claude <noreply@anthropic.com>")]
        );
    }

    /// The AI commit's diff against its parent, renames found as the loader finds them.
    fn ai_diff(repo: &Repository, id: Oid) -> git2::Diff<'_> {
        let commit = repo.find_commit(id).expect("AI commit");
        let old = commit.parent(0).and_then(|p| p.tree()).expect("base tree");
        let new = commit.tree().expect("AI tree");
        let mut diff = repo
            .diff_tree_to_tree(Some(&old), Some(&new), None)
            .expect("diff");
        diff.find_similar(Some(DiffFindOptions::new().renames(true)))
            .expect("find renames");
        diff
    }

    /// Every file the AI commit touches, as `git diff --name-status -M` spells it.
    fn ai_files(repo: &Repository, id: Oid) -> Vec<String> {
        let path = |f: git2::DiffFile| f.path().map(|p| p.display().to_string());
        let mut files: Vec<String> = ai_diff(repo, id)
            .deltas()
            .map(
                |d| match (d.status(), path(d.old_file()), path(d.new_file())) {
                    (Delta::Renamed, Some(old), Some(new)) => format!("R {old} -> {new}"),
                    (Delta::Deleted, Some(old), _) => format!("D {old}"),
                    (status, _, Some(new)) => format!("{status:?} {new}"),
                    other => panic!("unexpected delta {other:?}"),
                },
            )
            .collect();
        files.sort();
        files
    }

    /// The AI commit's patch as text, with each line's origin (`+`, `-`, ` `) in front.
    fn ai_patch(repo: &Repository, id: Oid) -> String {
        let mut patch = String::new();
        ai_diff(repo, id)
            .print(git2::DiffFormat::Patch, |_, _, line| {
                if matches!(line.origin(), '+' | '-' | ' ') {
                    patch.push(line.origin());
                }
                patch.push_str(std::str::from_utf8(line.content()).expect("UTF-8 patch"));
                true
            })
            .expect("print patch");
        patch
    }

    #[test]
    fn ai_commit_modifies_adds_deletes_and_renames() {
        let (_dir, repo, id) = demo();
        let expected = [
            "Added db/migrations/0008_reset_stale_sessions.sql",
            "D services/payments/legacy_timeout_patch.py",
            "Modified .github/workflows/ci.yml",
            "Modified infra/storage.tf",
            "Modified scripts/deploy.sh",
            "Modified services/gateway/handler.go",
            "Modified services/payments/client.py",
            "Modified services/payments/test_client.py",
            "Modified web/src/checkout.ts",
            "R services/payments/retry.py -> services/payments/backoff.py",
        ];
        assert_eq!(ai_files(&repo, id), expected);
    }

    #[test]
    fn ai_commit_contains_the_dangerous_bits() {
        let (_dir, repo, id) = demo();
        let patch = ai_patch(&repo, id);
        for needle in [
            "+  force_destroy = true",
            "-    prevent_destroy = true",
            "+DELETE FROM sessions;",
            "+rm -rf \"$BUILD_DIR/\"",
            "+curl -fsSL https://get.kubetools.example/install.sh | sh",
            "+                verify=False,",
            "-    assert kwargs.get(\"verify\", True) is True",
            "+@pytest.mark.skip(",
            "+        continue-on-error: true",
            "+\tkey := r.Header.Get(\"Idempotency-Key\u{200B}\")",
            "\"POST\u{202E} \u{2066}// never retry a charge\u{2069} \u{2066}\") {",
        ] {
            assert!(patch.contains(needle), "missing from the AI diff: {needle}");
        }
        assert!(
            !patch.contains("{U+"),
            "an invisible character was left spelled out"
        );
    }

    /// The review is meant to be pleasant at 80x24: every hunk of a changed file fits on one
    /// screen and no line needs horizontal scrolling (an added file is one block, shown as such).
    #[test]
    fn hunks_fit_an_80x24_terminal() {
        let (_dir, repo, id) = demo();
        let diff = ai_diff(&repo, id);
        for (i, delta) in diff.deltas().enumerate() {
            let patch = git2::Patch::from_diff(&diff, i)
                .expect("patch")
                .expect("text patch");
            let path = delta.new_file().path().expect("path").display().to_string();
            for h in 0..patch.num_hunks() {
                let (_, lines) = patch.hunk(h).expect("hunk");
                if delta.status() == Delta::Modified || delta.status() == Delta::Renamed {
                    assert!(lines <= 21, "{path}: hunk {h} has {lines} lines");
                }
                for l in 0..lines {
                    let line = patch.line_in_hunk(h, l).expect("line");
                    let text = String::from_utf8_lossy(line.content()).replace('\t', "    ");
                    let width = text.trim_end().chars().count();
                    assert!(width <= 80, "{path}: {width} columns: {text}");
                }
            }
        }
    }

    #[test]
    fn working_tree_is_clean_and_the_script_executable() {
        let (_dir, repo, id) = demo();
        let mut opts = StatusOptions::new();
        opts.include_untracked(true).include_ignored(false);
        let statuses = repo.statuses(Some(&mut opts)).expect("statuses");
        assert!(statuses.is_empty(), "{} changed files", statuses.len());
        let tree = repo.find_commit(id).and_then(|c| c.tree()).expect("tree");
        let script = tree
            .get_path(Path::new("scripts/deploy.sh"))
            .expect("deploy.sh");
        assert_eq!(script.filemode(), i32::from(FileMode::BlobExecutable));
    }

    #[test]
    fn commit_ids_are_reproducible() {
        let (_a, _, first) = demo();
        let (_b, _, second) = demo();
        assert_eq!(first, second);
    }

    #[test]
    fn refuses_a_non_empty_or_missing_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
        let err = create(dir.path()).expect_err("non-empty directory");
        assert!(err.to_string().contains("not empty"), "{err:#}");
        assert!(!dir.path().join(".git").exists());
        assert!(create(&dir.path().join("missing")).is_err());
    }
}
