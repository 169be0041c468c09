//! What every command that reads a review opens first, once: the repository, the range, the
//! trusted policy and the analyses built from it.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use crate::error::UserError;
use crate::git::{self, range, trusted};
use crate::load::{self, Analysis};
use crate::model::Commit;
use crate::policy::Policy;
use crate::risk::terraform::TerraformPlan;

pub struct Context {
    pub repo: git::Repo,
    pub range: range::Range,
    /// Where the policy came from: the range's base (upstream or default branch), if any.
    pub trusted: Option<trusted::Trusted>,
    pub policy: Policy,
    pub analysis: Arc<Analysis>,
}

impl Context {
    /// What review rounds of this range are kept under (see `session::rounds::subject`).
    pub fn rounds_subject(&self) -> String {
        let head = self
            .repo
            .git
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id());
        let ends_at_tip = head.is_some() && self.range.commits.last().copied() == head;
        crate::session::rounds::subject(&self.range.spec, self.range.branch.as_deref(), ends_at_tip)
    }

    /// Opens the repository from the environment and resolves `rev` (default: the branch's
    /// commits not in its upstream); `all` treats every hunk as AI-touched.
    pub fn open(rev: Option<&str>, all: bool) -> Result<Context> {
        Context::open_with_plan(rev, all, None, None)
    }

    /// [`open`](Context::open), with a Terraform plan (`terraform show -json` output) whose
    /// destroys the scan puts on the hunks that cause them, and the built-in rules from
    /// `prepared` if they are being compiled already.
    pub fn open_with_plan(
        rev: Option<&str>,
        all: bool,
        plan: Option<&Path>,
        prepared: Option<&load::Prepared>,
    ) -> Result<Context> {
        // The plan is read first: a wrong path is the user's error, said before any git work.
        let plan = plan
            .map(|p| TerraformPlan::read(p).map_err(|e| UserError::new(format!("{e:#}"))))
            .transpose()?;
        let repo = git::open()?;
        let range = range::resolve(&repo, rev)?;
        let trusted = trusted::of_base(&repo.git, range.base.as_deref())?;
        let policy = trusted::policy(&repo.git, trusted.as_ref())?;
        let mut analysis = Analysis::with_rules(&policy, all, prepared)?;
        analysis.plan = plan.map(Arc::new);
        let analysis = Arc::new(analysis);
        Ok(Context {
            repo,
            range,
            trusted,
            policy,
            analysis,
        })
    }

    /// Every commit of the range, read and analysed in full, oldest first.
    pub fn commits(&self) -> Result<Vec<Commit>> {
        let mut commits = Vec::with_capacity(self.range.commits.len());
        load::full_commits(
            &self.repo.git,
            &self.analysis,
            &self.range.commits,
            |_, c| {
                commits.push(c);
                Ok(true)
            },
        )?;
        Ok(commits)
    }
}
