//! `countersign [review]`: open the review screen on a commit or range.

use anyhow::{Context, Result};

use crate::config::{config_dir, Config};
use crate::git;
use crate::git::rewrite::Plan;
use crate::load;
use crate::model::Review;
use crate::session::{Session, Store};
use crate::ui::{self, app::App, keymap::Keymap, theme::Theme};

#[derive(clap::Args, Debug, Default)]
pub struct ReviewArgs {
    /// A commit or a range (A..B); default: the branch's AI-assisted commits not in its upstream.
    pub rev: Option<String>,
    /// Treat every commit and hunk as AI-touched.
    #[arg(long)]
    pub all: bool,
    /// Colour theme: dark, light, colorblind, or a theme file's name in the config directory.
    #[arg(long)]
    pub theme: Option<String>,
    /// A Terraform plan (`terraform show -json PLANFILE`): its deletes and replacements become
    /// critical findings on the hunks of the resources they name; the header says how many.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
}

pub fn run(opts: &ReviewArgs) -> Result<i32> {
    // First: everything below until the loader starts is work the rules can overlap.
    let mut prepared = load::Prepared::start();
    let config = Config::load()?;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme_name = opts
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".to_string());
    let depth = crate::ui::colors::Depth::from_env();
    let theme = Theme::load(
        &theme_name,
        config_dir().map(|d| d.join("themes")).as_deref(),
        color,
    )?
    .with_depth(depth);
    let keymap = Keymap::layered(&config.keys).with_context(|| {
        format!(
            "invalid [keys] in {}",
            config_dir()
                .map(|d| d.join("config.toml").display().to_string())
                .unwrap_or_default()
        )
    })?;
    let cx = super::context::Context::open_with_plan(
        opts.rev.as_deref(),
        opts.all,
        opts.plan.as_deref(),
        Some(&prepared),
    )?;
    let subject = cx.rounds_subject();
    let super::context::Context {
        repo,
        range,
        policy,
        analysis,
        ..
    } = cx;
    let reviewing = load::Reviewing::of(&repo.git, &policy);
    let (mut review, oids) = load::first_frame(&repo.git, &range, &analysis, &reviewing)?;
    if let Some(file) = review.commits.first().and_then(|c| c.files.first()) {
        prepared.warm(&analysis, file);
    }
    // Nothing more to warm: the rules' thread ends once it is done.
    drop(prepared);
    review.plan_summary = analysis.plan.as_ref().map(|p| p.summary());
    let position_key = oids.last().map(|o| o.to_string()).unwrap_or_default();
    let store = Store::for_repo(&repo.key())?;
    let session = store.load()?;
    let mut app = App::new(review, session, keymap, position_key);
    app.start_rounds(subject);
    // Described from the settings alone (no key command runs when a review opens); a setup
    // that cannot sign is reported when signing is asked for, with its fix.
    app.signing_as = super::sign::signing_as(&repo.git);
    app.mouse = config.mouse.unwrap_or(true);
    app.sign_outlook = reviewing
        .email
        .clone()
        .map(|email| crate::approval::signoff::Outlook {
            policy: policy.approval.clone(),
            email,
        });
    let plan = Plan::at_head(&repo.git)?;
    let loader = load::spawn(repo.git_dir(), oids, analysis);
    let mut host = ReviewHost {
        git_dir: repo.git_dir(),
        plan,
        policy,
        reviewer: reviewer_identity(&repo.git),
    };
    let app = ui::run(
        app,
        ui::RunOptions {
            theme,
            depth,
            loader: Some(loader),
            store,
            workdir: repo.workdir().map(|p| p.to_path_buf()),
        },
        &mut host,
    )?;
    // What signing and exporting said, again, now that the screen is gone: the new tip and the
    // undo command must outlive a dismissed window.
    for result in &app.results {
        println!("countersign: {}", crate::text::printable(result));
    }
    let p = app.progress();
    let counts = format!(
        "{}/{} decided ({} approved, {} rejected, {} need work)",
        p.decided, p.total, p.approved, p.rejected, p.needs_work
    );
    if let Some(why) = &app.save_error {
        // Never "saved" when it was not: the decisions would be lost with this process, so
        // they are printed where the reviewer can keep them.
        eprintln!(
            "countersign: {counts}; NOT SAVED ({why}); the decisions follow on stdout as the \
             review export"
        );
        let text = crate::export::markdown(
            &app.review.range,
            &app.review.commits,
            &crate::export::Source::session(reviewer_identity(&repo.git)),
            |h| app.session.decision(&h.id).cloned(),
        );
        println!("{text}");
        return Ok(crate::error::exit::USAGE);
    }
    eprintln!("countersign: {counts}; saved.");
    Ok(crate::error::exit::OK)
}

/// The review screen's link to git for signing and exporting.
struct ReviewHost {
    git_dir: std::path::PathBuf,
    /// HEAD when the review started: signing refuses if the branch moved since.
    plan: Plan,
    policy: crate::policy::Policy,
    /// `Name <email>` from git's config, read when the review opened, for the export.
    reviewer: Option<String>,
}

impl ui::Host for ReviewHost {
    fn blob(&mut self, id: &str) -> Result<Vec<u8>> {
        let repo = git::repo::open_at(&self.git_dir)?;
        git::diff::blob(&repo.git, id)
    }

    fn sign(&mut self, review: &Review, session: &Session) -> Result<String> {
        let repo = git::repo::open_at(&self.git_dir)?;
        super::sign::sign_review(
            &repo.git,
            review,
            session,
            self.plan.clone(),
            &self.policy,
            crate::timefmt::now(),
        )
    }

    fn export(&mut self, review: &Review, session: &Session) -> Result<ui::Job> {
        // Rendered here (pure, from the state on screen); written by the job, off the screen's
        // thread.
        let report = crate::export::build(
            &review.range,
            &review.commits,
            &crate::export::Source::session(self.reviewer.clone()),
            |h| session.decision(&h.id).cloned(),
        );
        let text = report.to_markdown();
        // The same review as instructions, for the agent that wrote the change.
        let round = (session.round > 0).then_some(session.round);
        let agent = crate::export::agent::AgentReview::new(&report, round).to_markdown();
        // In the git directory, never the working tree: the reviewer's files are not ours.
        let dir = self.git_dir.join("countersign");
        let tip = review
            .commits
            .last()
            .map(|c| c.short_id().to_string())
            .unwrap_or_default();
        let range = review.range.clone();
        Ok(Box::new(move || {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("review-{tip}.md"));
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let agent_path = dir.join(format!("agent-review-{tip}.md"));
            std::fs::write(&agent_path, agent)
                .with_context(|| format!("cannot write {}", agent_path.display()))?;
            Ok(format!(
                "review for the author written to {}, and for the agent to {} (also: countersign \
                 export {range} [--format agent])",
                path.display(),
                agent_path.display(),
            ))
        }))
    }
}

/// `Name <email>` as git's config names the reviewer, when it does.
fn reviewer_identity(repo: &crate::git::Repository) -> Option<String> {
    let c = crate::git::signing_config::read(repo).ok()?;
    Some(format!("{} <{}>", c.user_name?, c.user_email?))
}
