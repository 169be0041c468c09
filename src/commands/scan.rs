//! `countersign scan`: AI evidence and risk findings for a range, for CI logs.

use anyhow::Result;

use crate::error::{exit, UserError};
use crate::model::Severity;
use crate::report::ScanReport;

#[derive(clap::Args, Debug, Default)]
pub struct ScanArgs {
    /// A commit or a range (A..B); default as for review.
    pub rev: Option<String>,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
    /// Exit 1 when a finding of this severity or worse is in an AI-touched hunk.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Treat every commit and hunk as AI-touched.
    #[arg(long)]
    pub all: bool,
}

pub fn run(opts: &ScanArgs) -> Result<i32> {
    let fail_on = opts
        .fail_on
        .as_deref()
        .map(|s| s.parse::<Severity>().map_err(UserError::new))
        .transpose()?;
    let cx = super::context::Context::open(opts.rev.as_deref(), opts.all)?;
    let commits = cx.commits()?;
    let report = ScanReport::new(&cx.range.spec, &commits);
    if matches!(opts.format, super::Format::Json) {
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
