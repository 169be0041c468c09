//! `countersign scan`: AI evidence and risk findings for a range, for CI logs.

use anyhow::Result;

use crate::error::{exit, UserError};
use crate::model::Severity;
use crate::report::ScanReport;

/// scan's formats: the report ones and SARIF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    #[default]
    Text,
    Json,
    Sarif,
}

#[derive(clap::Args, Debug, Default)]
pub struct ScanArgs {
    /// A commit or a range (A..B); default as for review.
    pub rev: Option<String>,
    /// sarif: SARIF 2.1.0 for GitHub code scanning (findings in AI-touched hunks).
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Exit 1 when a finding of this severity or worse is in an AI-touched hunk.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Treat every commit and hunk as AI-touched.
    #[arg(long)]
    pub all: bool,
    /// A Terraform plan (`terraform show -json PLANFILE`): its deletes and replacements become
    /// critical findings on the hunks of the resources they name.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub verbosity: super::VerbosityArgs,
}

pub fn run(opts: &ScanArgs) -> Result<i32> {
    let fail_on = opts
        .fail_on
        .as_deref()
        .map(|s| s.parse::<Severity>().map_err(UserError::new))
        .transpose()?;
    // The rules compile while the repository, the range and the policy are read.
    let prepared = crate::load::Prepared::start();
    let cx = super::context::Context::open_with_plan(
        opts.rev.as_deref(),
        opts.all,
        opts.plan.as_deref(),
        Some(&prepared),
    )?;
    let commits = cx.commits()?;
    let report = ScanReport::new(&cx.range.spec, &commits);
    match opts.format {
        ScanFormat::Json => println!("{}", report.to_json()),
        ScanFormat::Sarif => println!("{}", crate::report::sarif::to_sarif(&report)),
        ScanFormat::Text => print!("{}", report.to_text_at(opts.verbosity.level(), fail_on)),
    }
    let failed = match (fail_on, report.summary.worst()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    };
    Ok(if failed { exit::VIOLATION } else { exit::OK })
}
