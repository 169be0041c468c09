//! `countersign break-glass [REV] --reason TEXT`: a signed emergency approval, for when a
//! change must land before the sign-off it needs can be had. It signs like the review screen's
//! `S` (the reviewer's own key, the same trailers plus `Countersign-Break-Glass: <reason>`),
//! but without every hunk approved; `verify` lets it through only within the trusted policy's
//! `[approval.break_glass]` terms (role, paths, window) and says so with a status of its own.

use anyhow::Result;
use clap::Args;

use crate::approval::breakglass;
use crate::approval::check::{BreakGlassUse, Found, Route, Signer};
use crate::error::{exit, UserError};
use crate::git::rewrite::Plan;
use crate::model::{FileChange, Review};
use crate::policy::breakglass::duration_words;
use crate::session::Store;

#[derive(Args, Debug, Default)]
pub struct BreakGlassArgs {
    /// A commit or a range (A..B); default: the branch's commits not in its upstream.
    pub rev: Option<String>,
    /// Why the glass is broken: the incident, in one line (it is signed and shown by verify
    /// and log).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(args: &BreakGlassArgs) -> Result<i32> {
    crate::approval::payload::check_reason(&args.reason).map_err(|e| {
        UserError::new(format!("{e:#}")).hint("--reason 'INC-1234: checkout is down'")
    })?;
    let cx = super::context::Context::open(args.rev.as_deref(), false)?;
    let Some(terms) = &cx.policy.approval.break_glass else {
        return Err(UserError::new(
            "the trusted policy accepts no break-glass approval ([approval.break_glass] is not set)",
        )
        .into());
    };
    let commits = cx.commits()?;
    let (_, reviewer) = super::sign::signer(&cx.repo.git)?;
    let email = crate::approval::Identity::parse(&reviewer)
        .map(|i| i.email)
        .unwrap_or_default();
    // Say now what verify would refuse (a role the policy does not allow, paths outside its
    // terms), before anyone's key is asked to sign.
    let now = crate::timefmt::now();
    let me = BreakGlassUse {
        signer: Signer {
            person: cx.policy.approval.org.person_of(&email),
            principal: email.clone(),
            key: String::new(),
            scope: "commit",
            route: Route::ExactTrees,
            found: Found::Message,
            time: now,
        },
        reason: args.reason.clone(),
    };
    for c in &commits {
        let paths: Vec<&str> = c.files.iter().flat_map(FileChange::paths).collect();
        if let Err(why) =
            breakglass::judge(&cx.policy.approval, &paths, std::slice::from_ref(&me), now)
        {
            return Err(UserError::new(format!("commit {}: {why}", c.short_id())).into());
        }
    }
    // The reviewer's saved decisions, when there are any: the record then says what was
    // looked at before the glass was broken.
    let session = Store::for_repo(&cx.repo.key())
        .and_then(|s| s.load())
        .unwrap_or_default();
    let review = Review {
        range: cx.range.spec.clone(),
        commits,
        ..Review::default()
    };
    let plan = Plan::at_head(&cx.repo.git)?;
    let msg = super::sign::sign_as(
        &cx.repo.git,
        &review,
        &session,
        plan,
        &cx.policy,
        now,
        super::sign::Kind::BreakGlass {
            reason: &args.reason,
        },
    )?;
    println!("countersign: {}", crate::text::printable(&msg));
    let mut terms_said = format!(
        "countersign: it lands until {} ({} window)",
        crate::timefmt::rfc3339(now + terms.window),
        duration_words(terms.window)
    );
    if let Some(within) = terms.countersign_within {
        terms_said.push_str(&format!(
            "; a normal review and countersignature is due by {}",
            crate::timefmt::rfc3339(now + within)
        ));
    }
    println!("{terms_said}");
    Ok(exit::OK)
}
