//! `countersign export`: the review of a commit or range for its author or agent, from the
//! signed review record when the commit has one, else from the reviewer's own session.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::error::exit;
use crate::export::agent::AgentReview;
use crate::export::{self, CommitExport, Export, Source};
use crate::git::{notes, signing_config};
use crate::load;
use crate::session::Store;
use crate::show::NoteRecords;
use crate::text::printable;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// A commit or a range (A..B); default as for review.
    pub rev: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Count every hunk as AI-touched, as a review with --all did.
    #[arg(long)]
    pub all: bool,
    /// Only the decisions made in review round N.
    #[arg(long, value_name = "N", conflicts_with = "since_last")]
    pub round: Option<u32>,
    /// Only the decisions made in the latest round (what the reviewer said since the agent's
    /// last change).
    #[arg(long)]
    pub since_last: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
    /// Markdown that reads as instructions, for a coding agent's prompt.
    Agent,
    /// The agent's review as versioned JSON (docs/export-format.md).
    AgentJson,
}

pub fn run(opts: &ExportArgs) -> Result<i32> {
    let cx = super::context::Context::open(opts.rev.as_deref(), opts.all)?;
    let (repo, range, analysis) = (&cx.repo, &cx.range, &cx.analysis);
    // Opened lazily: a range whose commits all have records needs no session.
    let mut session = None;
    let mut commits = Vec::new();
    for oid in &range.commits {
        let commit = load::full_commit(&repo.git, analysis, *oid)?;
        let note = notes::read_note(&repo.git, notes::COUNTERSIGN_NOTES, *oid)?;
        let parsed = note.as_deref().map(NoteRecords::parse).unwrap_or_default();
        for e in &parsed.errors {
            eprintln!(
                "countersign: warning: the review note of {} has an unreadable {}",
                commit.short_id(),
                printable(e)
            );
        }
        let latest = export::latest_per_reviewer(&parsed.records);
        let exported = if latest.is_empty() {
            if session.is_none() {
                let store = Store::for_repo(&repo.key())?;
                let config = signing_config::read(&repo.git)?;
                let reviewer = match (config.user_name, config.user_email) {
                    (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
                    _ => None,
                };
                session = Some((store.load()?, Source::session(reviewer)));
            }
            let (s, source) = session.as_ref().context("the session is loaded")?;
            CommitExport::new(&commit, source.clone(), |h| s.decision(&h.id).cloned())
        } else {
            let decisions = export::decisions_from_records(&latest);
            CommitExport::new(&commit, Source::notes(&latest), |h| {
                decisions.get(&h.id).cloned()
            })
        };
        commits.push(exported);
    }
    let mut report = Export::new(&range.spec, commits);
    // The rounds are the reviewer's own, kept in their session under the branch (or range).
    let subject = cx.rounds_subject();
    let rounds_wanted = opts.round.is_some()
        || opts.since_last
        || matches!(opts.format, ExportFormat::Agent | ExportFormat::AgentJson);
    let latest = if rounds_wanted {
        Store::for_repo(&repo.key())?.load()?.last_round(&subject)
    } else {
        None
    };
    let only = match (opts.round, opts.since_last) {
        (Some(n), _) => Some(n),
        (None, true) => match latest {
            Some(n) => Some(n),
            None => {
                return Err(crate::error::UserError::new(format!(
                    "--since-last: no review round of {} in your session (review it first)",
                    printable(&subject)
                ))
                .into())
            }
        },
        (None, false) => None,
    };
    if let Some(n) = only {
        report.keep_round(n);
    }
    let mut text = match opts.format {
        ExportFormat::Json => report.to_json(),
        ExportFormat::Markdown => report.to_markdown(),
        ExportFormat::AgentJson => AgentReview::new(&report, latest).to_json(),
        ExportFormat::Agent => AgentReview::new(&report, latest).to_markdown(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match &opts.output {
        None => print!("{text}"),
        Some(path) => {
            let path = repo.user_path(path);
            std::fs::write(&path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let n: usize = report.commits.iter().map(|c| c.hunks.len()).sum();
            eprintln!(
                "countersign: wrote the review ({n} hunk{} to act on, {}) to {}",
                if n == 1 { "" } else { "s" },
                report.summary.outcome(),
                path.display()
            );
        }
    }
    Ok(exit::OK)
}
