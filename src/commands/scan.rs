//! `countersign scan`: AI evidence and risk findings for a range, for CI logs.

use anyhow::Result;

use crate::error::{exit, UserError};
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
    let cx = super::context::Context::open(opts.rev.as_deref(), opts.all)?;
    let commits = cx.commits()?;
    let report = ScanReport::new(&cx.range.spec, &commits);
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
