//! `countersign init`: a commented policy, an allowed-signers template, the `git review` alias
//! (asked first), and the CI and hook snippets that run `countersign verify`.
//!
//! The texts live in src/templates/ and, for the snippets, in docs/ci.md too; a test keeps the
//! two the same.

use std::fs::OpenOptions;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::error::{exit, UserError};
use crate::git;
use crate::policy::{DEFAULT_ALLOWED_SIGNERS, POLICY_FILE};

/// Every setting of the policy with its default and why (parses to `Policy::default()`).
pub const POLICY_TEMPLATE: &str = include_str!("../templates/countersign.toml");
pub const ALLOWED_SIGNERS_TEMPLATE: &str = include_str!("../templates/allowed_signers");

/// The snippets printed after setup, each with a title saying where it goes.
pub const SNIPPETS: [(&str, &str); 5] = [
    (
        "GitHub Actions (.github/workflows/countersign.yml)",
        include_str!("../templates/github-actions.yml"),
    ),
    (
        "GitLab CI (.gitlab-ci.yml)",
        include_str!("../templates/gitlab-ci.yml"),
    ),
    (
        "pre-push hook (.git/hooks/pre-push, executable)",
        include_str!("../templates/pre-push"),
    ),
    (
        "pre-receive hook (hooks/pre-receive in the server's repository: countersign init --hook pre-receive)",
        PRE_RECEIVE_HOOK,
    ),
    (
        "update hook, per ref instead (hooks/update: countersign init --hook update)",
        UPDATE_HOOK,
    ),
];

pub const PRE_RECEIVE_HOOK: &str = include_str!("../templates/pre-receive");
pub const UPDATE_HOOK: &str = include_str!("../templates/update");

/// The server-side hooks `init --hook` installs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// All refs of a push at once: one failing ref refuses the whole push.
    PreReceive,
    /// Ref by ref: only the failing refs are refused.
    Update,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::PreReceive => "pre-receive",
            Hook::Update => "update",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Hook::PreReceive => PRE_RECEIVE_HOOK,
            Hook::Update => UPDATE_HOOK,
        }
    }
}

/// What the alias runs: `git review` → `countersign`, with git's own arguments passed on.
pub const ALIAS_VALUE: &str = "!countersign";

#[derive(clap::Args, Debug, Default)]
pub struct InitArgs {
    /// Set the git alias without asking.
    #[arg(long)]
    pub yes: bool,
    /// Leave the git alias alone.
    #[arg(long)]
    pub no_alias: bool,
    /// Instead: install a server-side hook in this repository (a bare one on the server),
    /// calling this countersign binary by its absolute path.
    #[arg(long, value_enum, value_name = "HOOK")]
    pub hook: Option<Hook>,
}

pub fn run(opts: &InitArgs) -> Result<i32> {
    let repo = git::open()?;
    if let Some(hook) = opts.hook {
        return install_hook(&repo, hook);
    }
    let root = repo
        .workdir()
        .ok_or_else(|| {
            UserError::new("this repository has no working tree to put the policy in")
                .hint("run countersign init in a clone, then commit the files")
        })?
        // Components drop the trailing `/` git2 leaves on the working tree's path.
        .components()
        .collect::<std::path::PathBuf>();
    println!("countersign init in {}", root.display());
    write_new(&root, POLICY_FILE, POLICY_TEMPLATE)?;
    write_new(&root, DEFAULT_ALLOWED_SIGNERS, ALLOWED_SIGNERS_TEMPLATE)?;
    if !opts.no_alias {
        alias(opts.yes)?;
    }
    println!();
    println!(
        "Next: add each reviewer's key to {DEFAULT_ALLOWED_SIGNERS}, and commit both files to the"
    );
    println!("default branch: verify reads them from there, never from the change under review.");
    println!("Review records travel as git notes: push them with `git push origin refs/notes/countersign`.");
    println!("Then run `countersign verify` on every pull or merge request (also in docs/ci.md):");
    for (title, text) in SNIPPETS {
        println!("\n--- {title} ---");
        print!("{text}");
    }
    Ok(exit::OK)
}

/// Writes the hook into the repository's hooks directory (as git finds it: `core.hooksPath`
/// included), executable, with this binary's absolute path as its default: a server's hooks
/// run with whatever PATH the daemon or sshd gives them, which rarely holds ~/.cargo/bin.
/// An existing hook is never replaced: it may hold the server's other checks.
fn install_hook(repo: &git::Repo, hook: Hook) -> Result<i32> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo.git_dir())
        .args(["rev-parse", "--git-path", &format!("hooks/{}", hook.name())])
        .output()
        .context("cannot run git to find the hooks directory")?;
    if !out.status.success() {
        return Err(anyhow::anyhow!(
            "git cannot find the hooks directory: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let rel = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // --git-path answers relative to the git directory when it was given one.
    let path = repo.git_dir().join(&rel);
    let exe = std::env::current_exe().context("cannot find the countersign binary's path")?;
    let exe = exe.to_string_lossy();
    if exe.contains(['\'', '\n']) {
        return Err(UserError::new(format!(
            "the countersign binary's path {exe:?} cannot go in a shell script"
        ))
        .hint("install countersign where its path has no quote or newline")
        .into());
    }
    let text = hook.text().replacen(
        "countersign=${COUNTERSIGN:-countersign}",
        &format!("countersign=${{COUNTERSIGN:-'{exe}'}}"),
        1,
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(UserError::new(format!(
                "{} already exists; left as it is",
                path.display()
            ))
            .hint(format!(
                "merge in the {} hook that `countersign init` prints, or move it away and run this again",
                hook.name()
            ))
            .into())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))?;
    println!("installed {} (runs {exe})", path.display());
    println!(
        "protected refs: those of `git config --get-all countersign.protect` here; unset, the default branch and every tag"
    );
    Ok(exit::OK)
}

/// Creates `rel` under `root` with `text`, unless something is there already: a policy holds
/// decisions that are not ours to overwrite.
fn write_new(root: &Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // create_new: no window between checking and writing in which another file could appear.
    match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("  created {rel}");
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            println!("  {rel} already exists; left as it is (remove it to get the template)");
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
    Ok(())
}

/// Sets `alias.review` in the global git config, after asking. Through the git command itself,
/// so that the file git would write (`~/.gitconfig`, the XDG one, `GIT_CONFIG_GLOBAL`) is the
/// one written.
fn alias(yes: bool) -> Result<()> {
    let command = format!("git config --global alias.review '{ALIAS_VALUE}'");
    match global_alias()? {
        Some(v) if v == ALIAS_VALUE => {
            println!("  git alias: `git review` already runs countersign");
            return Ok(());
        }
        Some(other) => {
            println!(
                "  git alias: alias.review is already `{}`; left as it is (to replace it: {command})",
                crate::text::printable(&other)
            );
            return Ok(());
        }
        None => {}
    }
    let answer = if yes {
        true
    } else if std::io::stdin().is_terminal() {
        ask("Set the git alias `git review` = countersign in your global git config? [y/N] ")?
    } else {
        println!(
            "  git alias: not set (no terminal to ask on; --yes sets it). To set it: {command}"
        );
        return Ok(());
    };
    if !answer {
        println!("  git alias: not set. To set it later: {command}");
        return Ok(());
    }
    let out = Command::new("git")
        .args(["config", "--global", "alias.review", ALIAS_VALUE])
        .output()
        .context("cannot run git to set the alias")?;
    if !out.status.success() {
        return Err(UserError::new(format!(
            "git could not set the alias: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .hint(format!("set it by hand: {command}"))
        .into());
    }
    println!("  git alias: set; `git review` now runs countersign");
    Ok(())
}

/// The current global `alias.review`, if any.
fn global_alias() -> Result<Option<String>> {
    let out = Command::new("git")
        .args(["config", "--global", "--get", "alias.review"])
        .output()
        .context("cannot run git to read the global config")?;
    // Exit 1 is git's "not set"; anything else unexpected is reported as such.
    match out.status.code() {
        Some(0) => Ok(Some(
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )),
        Some(1) => Ok(None),
        _ => Err(anyhow::anyhow!(
            "git config --global --get alias.review failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// Asks on the terminal; only `y` or `yes` is a yes.
fn ask(question: &str) -> Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer")?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    #[test]
    fn the_policy_template_is_the_default_policy() {
        let parsed = Policy::parse(POLICY_TEMPLATE, "template").unwrap();
        assert_eq!(parsed, Policy::default());
    }

    #[test]
    fn the_commented_tiers_and_break_glass_example_is_a_valid_policy() {
        let start = POLICY_TEMPLATE
            .find("# --- Tiered sign-off")
            .expect("the tiered example");
        let example: String = POLICY_TEMPLATE[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let p = Policy::parse(&example, "template").unwrap();
        let a = &p.approval;
        assert_eq!(a.sign_off.len(), 3);
        assert_eq!(a.org.tiers.first().map(String::as_str), Some("agent"));
        assert_eq!(a.org.person_of("jane.doe@corp.example"), "jane");
        let bg = a.break_glass.as_ref().expect("break-glass terms");
        assert_eq!(
            (bg.window, bg.countersign_within),
            (4 * 3600, Some(2 * 86_400))
        );
    }

    #[test]
    fn the_allowed_signers_template_is_all_comments_with_a_namespaced_example() {
        assert!(ALLOWED_SIGNERS_TEMPLATE
            .lines()
            .all(|l| l.is_empty() || l.starts_with('#')));
        assert!(ALLOWED_SIGNERS_TEMPLATE
            .contains("# jane@example.com namespaces=\"countersign\" ssh-ed25519 "));
    }
}
