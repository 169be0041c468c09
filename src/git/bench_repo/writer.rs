//! Writing the planned changes as commits and configuring the branches, with git2 only.

use anyhow::{Context, Result};
use git2::build::TreeUpdateBuilder;
use git2::{ConfigLevel, FileMode, Oid, Repository, Signature, Time};

use super::content::{Lang, Rng};
use super::{spread, Change, Files, Size, BASE_BRANCH};

const HUMAN: (&str, &str) = ("Priya Raman", "priya@example.com");
const AGENT: (&str, &str) = ("Sam Okafor", "sam@example.com");
/// 2026-11-16T13:32:10Z; each commit an hour after the previous one.
const EPOCH: i64 = 1_794_835_930;

const MESSAGES: &[(&str, &str)] = &[
    ("base", "Payments platform as of the 2026-11 release\n"),
    ("c1", "Refactor request handling to pass the context explicitly\n\nEvery handler now takes the request context and reports metrics through it."),
    ("c2", "Add the ingestion pipeline and move legacy modules\n\nNew ingest/ modules, the legacy client removed, old helpers moved under legacy/."),
    ("c3", "Regenerate the API client, tune the ledger, clean up ops scripts\n\nThe client is regenerated from the OpenAPI spec; ledger batching and report queries tuned."),
    ("medium", "Add rate limiting to the public API\n\nToken buckets per tenant, with limits in config."),
    ("small", "Fix the pagination cursor in the export job\n\nThe cursor skipped one record per page."),
];

const AI_TRAILER: &str = "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";

pub(super) struct Writer<'r> {
    pub(super) repo: &'r Repository,
}

impl Writer<'_> {
    /// Writes `change` (over the first parent's tree) as a commit on `branch`. `key` names its
    /// message in MESSAGES, whose order is also the commits' order in time; only the base is
    /// the human's.
    pub(super) fn commit(
        &self,
        parents: &[Oid],
        files: &Files,
        change: &Change,
        key: &str,
        branch: &str,
    ) -> Result<Oid> {
        let (who, hour) = match MESSAGES.iter().position(|(k, _)| *k == key) {
            Some(0) | None => (HUMAN, 0),
            Some(i) => (AGENT, i as i64),
        };
        let repo = self.repo;
        let parents = parents
            .iter()
            .map(|id| repo.find_commit(*id))
            .collect::<Result<Vec<_>, _>>()
            .context("reading a parent commit")?;
        let baseline = match parents.first() {
            Some(p) => p.tree(),
            None => repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .and_then(|id| repo.find_tree(id)),
        }
        .context("reading the parent tree")?;
        let mut update = TreeUpdateBuilder::new();
        for path in &change.removes {
            update.remove(path.as_str());
        }
        for path in &change.writes {
            let Some(lines) = files.get(path) else {
                continue;
            };
            let mut text = lines.join("\n");
            text.push('\n');
            let blob = repo
                .blob(text.as_bytes())
                .with_context(|| format!("writing the blob of {path}"))?;
            let mode = if path.ends_with(".sh") {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            };
            update.upsert(path.as_str(), blob, mode);
        }
        let tree = update
            .create_updated(repo, &baseline)
            .and_then(|id| repo.find_tree(id))
            .context("writing a tree")?;
        let message = MESSAGES
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| *m)
            .unwrap_or(key);
        let message = if who == AGENT {
            format!("{}{AI_TRAILER}", message.trim_end())
        } else {
            message.to_string()
        };
        let sig = Signature::new(who.0, who.1, &Time::new(EPOCH + hour * 3600, 0))
            .context("making a signature")?;
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(
            Some(&format!("refs/heads/{branch}")),
            &sig,
            &sig,
            &message,
            &tree,
            &refs,
        )
        .with_context(|| format!("writing the {key} commit"))
    }

    /// The medium or small change: edits to `paths` for half the target, new files for the rest.
    pub(super) fn side_commit(
        &self,
        rng: &mut Rng,
        base_files: &Files,
        base: Oid,
        size: Size,
        paths: &[String],
    ) -> Result<Oid> {
        let mut files = base_files.clone();
        let mut change = Change::default();
        let target = size.target_lines();
        spread(rng, &mut files, &mut change, paths, target / 2);
        while change.lines < target {
            let lang = rng.pick(Lang::MIX);
            let n = rng.fresh();
            let path = lang.path(rng, n);
            let len = rng.range(40, 250).min(target - change.lines);
            let body = lang.file(rng, len);
            change.add(&mut files, path, body);
        }
        self.commit(&[base], &files, &change, size.name(), size.branch())
    }

    /// `main` is every branch's upstream (remote "." is this repository), as after
    /// `git branch -u main`, so the default range of each is exactly its AI commits.
    pub(super) fn configure(&self) -> Result<()> {
        let mut config = self
            .repo
            .config()
            .and_then(|c| c.open_level(ConfigLevel::Local))
            .context("opening the repository's config")?;
        config
            .set_bool("core.autocrlf", false)
            .context("configuring the repository")?;
        for size in Size::ALL {
            let b = size.branch();
            config
                .set_str(&format!("branch.{b}.remote"), ".")
                .and_then(|()| {
                    config.set_str(
                        &format!("branch.{b}.merge"),
                        &format!("refs/heads/{BASE_BRANCH}"),
                    )
                })
                .context("setting a branch's upstream")?;
        }
        Ok(())
    }
}
