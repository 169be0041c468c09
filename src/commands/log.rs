//! `countersign log`: who approved what landed on the protected branch, commit by commit along
//! its first-parent history, with the route each approval took (a commit approval, a branch
//! approval that a squash landed as one commit, or the branch approval of the whole range), or
//! what is missing. The audit trail for the policy owner and an incident review.

use anyhow::Result;
use clap::Args;

use crate::error::exit;
use crate::git::{self, landing, range, trusted};
use crate::report::log::LogReport;

#[derive(Args, Debug, Default)]
pub struct LogArgs {
    /// A range BASE..TIP; default: the last --count first-parent commits of the protected
    /// branch (the remote's default branch, else main or master).
    pub range: Option<String>,
    /// How many first-parent commits the default range covers.
    #[arg(long, default_value_t = 20)]
    pub count: usize,
    /// The trusted commit for the policy and signer lists (a commit id or a full refname);
    /// default: the range's base.
    #[arg(long, value_name = "OID|REFNAME")]
    pub policy_ref: Option<String>,
    /// The allowed-signers file (default: the policy's, read from the trusted ref).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
    #[command(flatten)]
    pub verbosity: super::VerbosityArgs,
}

pub fn run(args: &LogArgs) -> Result<i32> {
    let repo = git::open()?;
    let target = match &args.range {
        Some(spec) => landing::target(&repo, Some(spec), args.policy_ref.as_deref())?,
        None => {
            let branch = range::protected_branch(&repo);
            let tip = range::unambiguous(&repo.git, &branch)?;
            let base = range::first_parents_back(&repo.git, tip, args.count)?;
            let trusted = match &args.policy_ref {
                Some(r) => trusted::resolve(&repo.git, r)?,
                None => trusted::Trusted {
                    commit: base,
                    name: base.to_string(),
                },
            };
            landing::Target {
                spec: format!("{}~{}..{}", short(&branch), args.count, short(&branch)),
                base,
                tip,
                trusted: Some(trusted),
            }
        }
    };
    let given = super::verify::Given {
        allowed_signers: args.allowed_signers.as_deref(),
        revoked_signers: None,
        pushed: None,
    };
    let report = LogReport::from(super::verify::judge_range(&repo, &target, &given)?);
    if matches!(args.format, super::Format::Json) {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text_at(args.verbosity.level()));
    }
    Ok(exit::OK)
}

fn short(refname: &str) -> &str {
    refname
        .trim_start_matches("refs/heads/")
        .trim_start_matches("refs/remotes/")
}
