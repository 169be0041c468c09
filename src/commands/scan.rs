//! `countersign scan`: AI evidence and risk findings for a range, for CI logs.

use anyhow::Result;

use crate::error::{exit, UserError};
use crate::git::{self, range};
use crate::load::{self, Analysis};
use crate::model::Severity;
use crate::report::ScanReport;

pub struct Options {
    pub rev: Option<String>,
    pub json: bool,
    pub fail_on: Option<String>,
    pub all: bool,
}

pub fn run(opts: &Options) -> Result<i32> {
    let fail_on = opts
        .fail_on
        .as_deref()
        .map(|s| s.parse::<Severity>().map_err(UserError::new))
        .transpose()?;
    let repo = git::open()?;
    let range = range::resolve(&repo, opts.rev.as_deref())?;
    let policy = git::trusted::policy(&repo.git, range.base.as_deref())?;
    let analysis = Analysis::new(&policy, opts.all)?;
    let mut commits = Vec::with_capacity(range.commits.len());
    load::full_commits(&repo.git, &analysis, &range.commits, |_, commit| {
        commits.push(commit);
        Ok(true)
    })?;
    let report = ScanReport::new(&range.spec, &commits);
    if opts.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    let failed = match (fail_on, report.summary.worst()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    };
    Ok(if failed { exit::VIOLATION } else { exit::OK })
}
