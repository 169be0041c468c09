//! `countersign demo`: a throw-away repository with a realistic AI-assisted commit, reviewed.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::git::demo_repo;

#[derive(clap::Args, Debug, Default)]
pub struct DemoArgs {
    /// Create the demo repository here (an empty or new directory) instead of a temp folder.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Create the repository and print where it is, without opening the review.
    #[arg(long)]
    pub no_review: bool,
}

pub fn run(args: &DemoArgs) -> Result<i32> {
    let (dir, review) = (args.dir.clone(), !args.no_review);
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
            d
        }
        None => tempfile::Builder::new()
            .prefix("countersign-demo-")
            .tempdir()
            .context("cannot create a temporary directory")?
            .keep(),
    };
    let commit = demo_repo::create(&dir)?;
    println!("countersign demo: a repository with an AI-assisted commit is at");
    println!("  {}", dir.display());
    println!(
        "  commit {} on branch {} (its upstream is {})",
        &commit.to_string()[..10],
        demo_repo::AI_BRANCH,
        demo_repo::BASE_BRANCH
    );
    if !review {
        return Ok(crate::error::exit::OK);
    }
    std::env::set_current_dir(&dir).with_context(|| format!("cannot enter {}", dir.display()))?;
    let code = super::review::run(&super::review::ReviewArgs {
        rev: None,
        all: false,
        theme: None,
        plan: None,
    })?;
    println!(
        "The demo repository stays at {} (remove it when done).",
        dir.display()
    );
    Ok(code)
}
