//! `countersign show`: the approval record of a commit (trailers and review records), as read;
//! `countersign verify` is what checks it.

use anyhow::Result;

use crate::error::{exit, UserError};
use crate::git::{self, diff, notes, range};
use crate::show::ShowReport;

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The commit.
    #[arg(default_value = "HEAD")]
    pub rev: String,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
}

/// Exit 0 whether or not the commit has an approval: `show` reads, it does not judge, and a
/// script must not take an unverified trailer for an approval. Scripts tell the cases apart by
/// the JSON's `approvals` and `records` (docs/export-format.md); `verify` is the gate.
pub fn run(opts: &ShowArgs) -> Result<i32> {
    let repo = git::open()?;
    let range = range::resolve(&repo, Some(&opts.rev))?;
    let [oid] = range.commits[..] else {
        return Err(UserError::new(format!(
            "'{}' is {} commits; show prints one commit's approval",
            opts.rev,
            range.commits.len()
        ))
        .hint("name one commit, e.g. `countersign show HEAD`")
        .into());
    };
    let commit = diff::commit_meta(&repo.git, oid)?;
    let note = notes::read_note(&repo.git, notes::COUNTERSIGN_NOTES, oid)?;
    let report = ShowReport::new(&commit, note.as_deref());
    if matches!(opts.format, super::Format::Json) {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(exit::OK)
}
