//! Judging break-glass approvals against the policy's terms, as pure logic: who signed it
//! (a member of a role the policy allows), what the change touches (only the paths it allows),
//! and when (verify's clock within the window after the approval's signed time). And, for a
//! change that landed that way, when its normal countersignature is due.
//!
//! Which time: the approval's time is inside the signed payload, so nobody but the signer can
//! move it (and verify already refuses one from the future); it is judged against the clock
//! of the verify that lets the change land, the one clock no one who writes the branch sets —
//! never against a commit's dates, which the branch's writer does.

use super::check::BreakGlassUse;
use crate::policy::breakglass::duration_words;
use crate::policy::{compile_glob, Approval};
use crate::timefmt::rfc3339;

/// A break-glass approval the policy's terms let through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Emergency {
    #[serde(flatten)]
    pub used: BreakGlassUse,
    /// Seconds since the epoch: the end of its window.
    pub until: i64,
    /// Seconds since the epoch: when a normal countersignature is due, if the policy asks.
    pub due: Option<i64>,
}

impl Emergency {
    /// `break-glass by jane at 2026-…Z: INC-42 checkout down`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "break-glass by {} at {}: \"{}\" (lands until {}",
            self.used.signer.person,
            rfc3339(self.used.signer.time),
            self.used.reason,
            rfc3339(self.until)
        );
        if let Some(due) = self.due {
            s.push_str(&format!(
                "; a normal countersignature is due by {}",
                rfc3339(due)
            ));
        }
        s.push(')');
        s
    }
}

/// A change that landed by break-glass and still waits for its normal countersignature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    /// The landed commit.
    pub id: String,
    pub summary: String,
    #[serde(flatten)]
    pub used: BreakGlassUse,
    /// Seconds since the epoch: when the countersignature is due.
    pub due: i64,
    /// Past due at verification time: a violation.
    pub overdue: bool,
}

impl Due {
    pub fn describe(&self) -> String {
        format!(
            "break-glass by {} at {} (\"{}\"): {} {}",
            self.used.signer.person,
            rfc3339(self.used.signer.time),
            self.used.reason,
            if self.overdue {
                "no normal countersignature, which was due by"
            } else {
                "a normal countersignature is due by"
            },
            rfc3339(self.due)
        )
    }
}

/// The first of `uses` that the policy's terms let through for a change to `paths` at `now`,
/// or every reason none does.
pub fn judge(
    policy: &Approval,
    paths: &[&str],
    uses: &[BreakGlassUse],
    now: i64,
) -> Result<Emergency, String> {
    let Some(terms) = &policy.break_glass else {
        return Err(
            "the policy accepts no break-glass approval ([approval.break_glass] is not set)".into(),
        );
    };
    let mut refusals = Vec::new();
    for u in uses {
        let who = &u.signer.person;
        let when = u.signer.time;
        if !terms
            .roles
            .iter()
            .any(|r| policy.org.has_role(&u.signer.principal, r))
        {
            let has = policy.org.roles_of(&u.signer.principal);
            refusals.push(format!(
                "break-glass by {who} is refused: only roles {} may break the glass, and {who} has {}",
                terms.roles.join(", "),
                if has.is_empty() {
                    "none".to_string()
                } else {
                    format!("only {}", has.join(", "))
                }
            ));
            continue;
        }
        let globs: Vec<_> = terms
            .paths
            .iter()
            .filter_map(|g| compile_glob(g).ok())
            .collect();
        let outside: Vec<&str> = paths
            .iter()
            .copied()
            .filter(|p| !globs.iter().any(|g| g.is_match(p)))
            .collect();
        if let Some(first) = outside.first() {
            refusals.push(format!(
                "break-glass by {who} is refused: it may land {} only, and the change touches {first}{}",
                terms.paths.join(", "),
                if outside.len() > 1 {
                    format!(" and {} more", outside.len() - 1)
                } else {
                    String::new()
                }
            ));
            continue;
        }
        let until = when.saturating_add(terms.window);
        if now > until {
            refusals.push(format!(
                "break-glass by {who} at {} is outside its window: it could land until {} ({} after it was signed), and it is {} now",
                rfc3339(when),
                rfc3339(until),
                duration_words(terms.window),
                rfc3339(now)
            ));
            continue;
        }
        return Ok(Emergency {
            used: u.clone(),
            until,
            due: terms.countersign_within.map(|d| when.saturating_add(d)),
        });
    }
    Err(refusals.join("; "))
}
