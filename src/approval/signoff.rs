//! What a change needs of its signers, and whether the signers it has meet it: the policy's
//! signer count and path rules, and its sign-off rules (a role, a tier, by path, by author tier,
//! by risk). Pure logic over the landed change; verify, log and the review screen's sign
//! confirmation all ask it, so they say the same thing in the same words:
//! `infra/main.tf needs 2 signers with role senior: has 1 (jane)`.

use anyhow::Result;

use super::check::{path_rule_hit, signers_needed, status, Check, CheckName, Signer};
use crate::model::{Commit, Severity};
use crate::policy::signoff::SignOff;
use crate::policy::{compile_glob, Approval};

/// A finding of the risk scan, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskHit {
    pub path: String,
    pub line: Option<u32>,
    pub severity: Severity,
    pub rule: String,
}

/// The change as the requirements see it.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// Every path it touches (old and new).
    pub paths: Vec<&'a str>,
    /// Its findings (empty when the policy needs none and verify did not scan).
    pub risks: Vec<RiskHit>,
    /// The e-mails it is by: the landed commit's author and the authors and committers the
    /// approvals sign for. Not the landed committer: after a merge button, that is the forge.
    pub authors: Vec<String>,
    pub ai_assisted: bool,
}

impl<'a> Subject<'a> {
    /// `commit` as landed, with the e-mails its approvals sign for.
    pub fn of_commit(commit: &'a Commit, signed_authors: &[String]) -> Subject<'a> {
        let mut risks = Vec::new();
        for f in &commit.files {
            let path = f.path().to_string();
            for finding in f
                .findings
                .iter()
                .chain(f.hunks.iter().flat_map(|h| &h.findings))
            {
                risks.push(RiskHit {
                    path: path.clone(),
                    line: finding.line_no,
                    severity: finding.severity,
                    rule: finding.rule.clone(),
                });
            }
        }
        let mut authors: Vec<String> = std::iter::once(&commit.author.email)
            .chain(signed_authors)
            .filter(|e| !e.is_empty())
            .map(|e| e.to_ascii_lowercase())
            .collect();
        authors.sort();
        authors.dedup();
        Subject {
            paths: commit
                .files
                .iter()
                .flat_map(crate::model::FileChange::paths)
                .collect(),
            risks,
            authors,
            ai_assisted: commit.is_ai_assisted(),
        }
    }
}

/// A sign-off rule that applies to a change, and what in the change made it apply.
#[derive(Debug, Clone)]
pub struct Need<'r> {
    pub rule: &'r SignOff,
    /// `infra/main.tf`, `db/drop.sql L3 (critical: destructive.sql-drop)`, `the change
    /// (author tier junior)`.
    pub what: String,
}

/// The sign-off rules that apply to `subject`.
pub fn needs<'r>(policy: &'r Approval, subject: &Subject<'_>) -> Result<Vec<Need<'r>>> {
    let org = &policy.org;
    let mut out = Vec::new();
    for rule in &policy.sign_off {
        let mut what = None;
        let mut why = Vec::new();
        if !rule.paths.is_empty() {
            let mut hit = None;
            for glob in &rule.paths {
                let m = compile_glob(glob)?;
                if let Some(p) = subject.paths.iter().find(|p| m.is_match(p)) {
                    hit = Some(*p);
                    break;
                }
            }
            let Some(path) = hit else { continue };
            what = Some(path.to_string());
        }
        if !rule.authors.is_empty() {
            let Some(tier) = org.author_tier(&subject.authors, subject.ai_assisted) else {
                continue;
            };
            if !rule.authors.contains(&tier) {
                continue;
            }
            why.push(format!("author tier {}", org.tiers[tier]));
        }
        if let Some(min) = rule.risk {
            let Some(hit) = subject
                .risks
                .iter()
                .filter(|r| r.severity >= min)
                .max_by_key(|r| r.severity)
            else {
                continue;
            };
            let at = hit.line.map(|l| format!(" L{l}")).unwrap_or_default();
            let finding = format!("{} finding {}", hit.severity, hit.rule);
            match &what {
                None => what = Some(format!("{}{at} ({finding})", hit.path)),
                Some(_) => why.push(finding),
            }
        }
        let mut what = what.unwrap_or_else(|| "the change".to_string());
        if !why.is_empty() {
            what = format!("{what} ({})", why.join(", "));
        }
        out.push(Need { rule, what });
    }
    Ok(out)
}

/// Whether `signer` counts for `rule`, or why not (`tier mid`, `not platform`).
fn qualifies(policy: &Approval, rule: &SignOff, signer: &Signer) -> Result<(), String> {
    let org = &policy.org;
    let mut why = Vec::new();
    if let Some(role) = &rule.role {
        if !org.has_role(&signer.principal, role) {
            why.push(format!("not {role}"));
        }
    }
    if let Some(min) = rule.tier {
        match org.signer_tier(&signer.principal) {
            Some(t) if t >= min => {}
            Some(t) => why.push(format!("tier {}", org.tiers[t])),
            None => why.push("in no tier".to_string()),
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join(", "))
    }
}

/// One check per sign-off rule that applies: met by its own count of distinct signers with
/// its role and tier, said in words either way.
pub fn check_sign_off(
    policy: &Approval,
    subject: &Subject<'_>,
    signers: &[Signer],
) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for need in needs(policy, subject)? {
        let rule = need.rule;
        let mut counted = Vec::new();
        let mut not_counted = Vec::new();
        for s in signers {
            match qualifies(policy, rule, s) {
                Ok(()) => counted.push(s.person.clone()),
                Err(why) => not_counted.push(format!("{} ({why})", s.person)),
            }
        }
        let who = rule.who(&policy.org);
        let n = rule.signers;
        let mut reason = format!(
            "{} needs {n} signer{}{}: has {}",
            need.what,
            if n == 1 { "" } else { "s" },
            if who.is_empty() {
                String::new()
            } else {
                format!(" {who}")
            },
            counted.len()
        );
        if !counted.is_empty() {
            reason.push_str(&format!(" ({})", counted.join(", ")));
        }
        if !not_counted.is_empty() {
            reason.push_str(&format!("; not counted: {}", not_counted.join(", ")));
        }
        if let Some(name) = &rule.name {
            reason = format!("{name}: {reason}");
        }
        out.push(Check {
            name: CheckName::SignOff,
            reviewer: None,
            status: status(counted.len() >= n),
            reason,
        });
    }
    Ok(out)
}

/// Every requirement of the policy for `subject`, judged for `signers`: path rules, the signer
/// count (`how` says where the signers came from, in the count's reason) and sign-off rules.
pub fn requirements(
    policy: &Approval,
    subject: &Subject<'_>,
    signers: &[Signer],
    how: &str,
) -> Result<Vec<Check>> {
    let have = signers.len();
    let mut out = Vec::new();
    for rule in &policy.paths {
        if let Some(path) = path_rule_hit(rule, &subject.paths)? {
            let need = rule.signers.max(1);
            out.push(Check {
                name: CheckName::PathRule,
                reviewer: None,
                status: status(have >= need),
                reason: format!(
                    "{} (e.g. {path}) needs {need} distinct signer(s), has {have}",
                    rule.glob
                ),
            });
        }
    }
    let need = signers_needed(policy, &subject.paths)?;
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" ({how})")
    };
    out.push(Check {
        name: CheckName::Signers,
        reviewer: None,
        status: status(have >= need),
        reason: format!("{have} of {need} required distinct signer(s){how}"),
    });
    out.extend(check_sign_off(policy, subject, signers)?);
    Ok(out)
}

/// What the review screen says before signing: whether this reviewer's signature alone will
/// meet what the policy asks of each commit, and what else it needs. Judged as verify would,
/// as if the reviewer's approval verifies; approvals already on the commits are not counted
/// (their signatures are verify's to check).
#[derive(Debug, Clone)]
pub struct Outlook {
    pub policy: Approval,
    /// The e-mail the reviewer signs as.
    pub email: String,
}

impl Outlook {
    pub fn describe(&self, commits: &[Commit]) -> String {
        let me = Signer {
            principal: self.email.clone(),
            person: self.policy.org.person_of(&self.email),
            key: String::new(),
            scope: "commit",
            route: super::check::Route::ExactTrees,
            found: super::check::Found::Message,
            time: 0,
        };
        let mut missing = Vec::new();
        for c in commits {
            let wrote = super::payload::authors_of(&[c])
                .iter()
                .any(|a| self.policy.org.person_of(a) == me.person);
            if wrote && self.policy.forbid_self_approval {
                missing.push(format!(
                    "{}: you are its author or committer, and the policy forbids self-approval",
                    c.short_id()
                ));
                continue;
            }
            let subject = Subject::of_commit(c, &[]);
            match requirements(&self.policy, &subject, std::slice::from_ref(&me), "") {
                Ok(checks) => {
                    for k in checks
                        .iter()
                        .filter(|k| k.status == super::check::Status::Failed)
                    {
                        missing.push(format!("{}: {}", c.short_id(), k.reason));
                    }
                }
                Err(e) => missing.push(format!("{}: {e:#}", c.short_id())),
            }
        }
        if missing.is_empty() {
            "Your signature is all the policy asks of these commits.".to_string()
        } else {
            format!(
                "Your signature is not enough on its own: {}.",
                missing.join("; ")
            )
        }
    }
}
