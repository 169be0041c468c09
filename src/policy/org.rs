//! Who is who in the policy: people (one person, however many e-mails and keys), named roles
//! over signer principals (`senior`, `platform`, `oncall`), and tiers in order (`junior`, `mid`,
//! `senior`, `staff`) that rank both the authors of a change and its signers.
//!
//! ```toml
//! [people]
//! jane = ["jane@example.com", "jane.doe@example.com"]
//! [roles]
//! platform = ["jane", "raj@example.com"]
//! [tiers]
//! order = ["agent", "junior", "mid", "senior", "staff"]   # lowest first
//! [tiers.members]
//! senior = ["jane", "raj@example.com"]
//! ```
//!
//! The order is a list, so a cycle cannot be written; a tier named twice, a member in two
//! tiers, a role or tier that names nobody, or a name that is neither an e-mail nor a person
//! is an error naming the policy file's line. Whether each role member is a signer at all is
//! checked once the signer lists are read ([`Org::check_signers`]).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{invalid, Lines};

/// The tier of AI-assisted changes, whatever their author says; below every other tier unless
/// the order places it elsewhere.
pub const AGENT_TIER: &str = "agent";

/// A list of names with the place of each in the policy file.
pub type Names = Spanned<Vec<Spanned<String>>>;

/// The `[tiers]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TiersSpec {
    /// Lowest first. `agent` may be placed; when it is not, it comes first.
    #[serde(default)]
    pub order: Vec<Spanned<String>>,
    /// The tier of an author no tier names (default: the lowest tier after `agent`).
    #[serde(default)]
    pub unlisted: Option<Spanned<String>>,
    /// Tier → people and e-mails.
    #[serde(default)]
    pub members: BTreeMap<String, Names>,
}

/// One name of a role or tier: an e-mail or a person of `[people]`, with its e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub line: usize,
    /// Lowercased.
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub line: usize,
    pub members: Vec<Member>,
    /// Every e-mail of every member, lowercased.
    pub emails: BTreeSet<String>,
}

/// People, roles and tiers, checked and resolved to e-mails.
#[derive(Debug, Clone, Default)]
pub struct Org {
    /// E-mail (lowercased) → the person it belongs to.
    person: BTreeMap<String, String>,
    pub roles: BTreeMap<String, Role>,
    /// Lowest first, `agent` included; empty when the policy defines no tiers.
    pub tiers: Vec<String>,
    /// E-mail (lowercased) → index into `tiers`.
    tier_of: BTreeMap<String, usize>,
    /// The tier of an author no tier names.
    unlisted: usize,
    /// The policy file it was read from, for errors found later.
    origin: String,
}

/// Two policies with the same people, roles and tiers are the same, wherever they were read.
impl PartialEq for Org {
    fn eq(&self, other: &Org) -> bool {
        (
            &self.person,
            &self.roles,
            &self.tiers,
            &self.tier_of,
            self.unlisted,
        ) == (
            &other.person,
            &other.roles,
            &other.tiers,
            &other.tier_of,
            other.unlisted,
        )
    }
}

impl Eq for Org {}

impl Org {
    /// Checks and resolves the `[people]`, `[roles]` and `[tiers]` tables.
    pub fn resolve(
        people: &BTreeMap<String, Names>,
        roles: &BTreeMap<String, Names>,
        tiers: &TiersSpec,
        lines: &Lines<'_>,
    ) -> Result<Org> {
        let mut org = Org {
            origin: lines.origin.to_string(),
            ..Org::default()
        };
        let mut of_person: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, emails) in people {
            let line = lines.of(emails.span());
            if name.contains('@') {
                return Err(invalid(
                    lines,
                    line,
                    format!(
                        "person '{name}': a person's name has no '@' (the e-mails are its value)"
                    ),
                ));
            }
            if emails.get_ref().is_empty() {
                return Err(invalid(
                    lines,
                    line,
                    format!("person '{name}' has no e-mail"),
                ));
            }
            for email in emails.get_ref() {
                let e = email_of(email, lines)?;
                if let Some(other) = org.person.insert(e.clone(), name.clone()) {
                    return Err(invalid(
                        lines,
                        lines.of(email.span()),
                        format!("{e} belongs to two people ({other}, {name})"),
                    ));
                }
                of_person.entry(name.clone()).or_default().push(e);
            }
        }
        let member = |name: &Spanned<String>| -> Result<Member> {
            let line = lines.of(name.span());
            let text = name.get_ref().trim();
            let emails = if text.contains('@') {
                vec![email_of(name, lines)?]
            } else {
                of_person.get(text).cloned().ok_or_else(|| {
                    invalid(
                        lines,
                        line,
                        format!("'{text}' is neither an e-mail nor a person of [people]"),
                    )
                })?
            };
            Ok(Member {
                name: text.to_string(),
                line,
                emails,
            })
        };
        for (name, names) in roles {
            let line = lines.of(names.span());
            if names.get_ref().is_empty() {
                return Err(invalid(
                    lines,
                    line,
                    format!("role '{name}' names no signer"),
                ));
            }
            let members = names
                .get_ref()
                .iter()
                .map(&member)
                .collect::<Result<Vec<_>>>()?;
            let emails = members.iter().flat_map(|m| m.emails.clone()).collect();
            org.roles.insert(
                name.clone(),
                Role {
                    line,
                    members,
                    emails,
                },
            );
        }
        org.resolve_tiers(tiers, lines, &member)?;
        Ok(org)
    }

    fn resolve_tiers(
        &mut self,
        spec: &TiersSpec,
        lines: &Lines<'_>,
        member: &dyn Fn(&Spanned<String>) -> Result<Member>,
    ) -> Result<()> {
        if spec.order.is_empty() {
            if let Some((name, names)) = spec.members.iter().next() {
                return Err(invalid(
                    lines,
                    lines.of(names.span()),
                    format!("tier '{name}' has members but [tiers] has no order"),
                ));
            }
            if let Some(u) = &spec.unlisted {
                return Err(invalid(
                    lines,
                    lines.of(u.span()),
                    "tiers.unlisted without a tier order".into(),
                ));
            }
            return Ok(());
        }
        for name in &spec.order {
            let n = name.get_ref().trim().to_string();
            if n.is_empty() {
                return Err(invalid(
                    lines,
                    lines.of(name.span()),
                    "an empty tier name".into(),
                ));
            }
            if self.tiers.contains(&n) {
                return Err(invalid(
                    lines,
                    lines.of(name.span()),
                    format!("tier '{n}' is listed twice in tiers.order (the order is lowest first, each tier once)"),
                ));
            }
            self.tiers.push(n);
        }
        if !self.tiers.iter().any(|t| t == AGENT_TIER) {
            self.tiers.insert(0, AGENT_TIER.to_string());
        }
        for (tier, names) in &spec.members {
            let line = lines.of(names.span());
            let Some(rank) = self.tier_index(tier) else {
                return Err(invalid(
                    lines,
                    line,
                    format!(
                        "tier '{tier}' is not in tiers.order ({})",
                        self.tiers.join(", ")
                    ),
                ));
            };
            if names.get_ref().is_empty() {
                return Err(invalid(lines, line, format!("tier '{tier}' names nobody")));
            }
            for name in names.get_ref() {
                let m = member(name)?;
                for e in m.emails {
                    if let Some(other) = self.tier_of.insert(e.clone(), rank) {
                        if other != rank {
                            return Err(invalid(
                                lines,
                                m.line,
                                format!(
                                    "{e} is in two tiers ({}, {tier}): everyone is in one tier",
                                    self.tiers[other]
                                ),
                            ));
                        }
                    }
                }
            }
        }
        self.unlisted = match &spec.unlisted {
            Some(u) => self.tier_index(u.get_ref()).ok_or_else(|| {
                invalid(
                    lines,
                    lines.of(u.span()),
                    format!(
                        "tiers.unlisted names '{}', which is not in tiers.order",
                        u.get_ref()
                    ),
                )
            })?,
            // The lowest human tier: an author nobody listed is presumed junior, not senior.
            None => self.tiers.iter().position(|t| t != AGENT_TIER).unwrap_or(0),
        };
        Ok(())
    }

    /// The person `email` belongs to: their name in `[people]`, else the e-mail itself
    /// (lowercased). Distinct signers are distinct people.
    pub fn person_of(&self, email: &str) -> String {
        let e = email.to_ascii_lowercase();
        self.person.get(&e).cloned().unwrap_or(e)
    }

    pub fn has_role(&self, email: &str, role: &str) -> bool {
        self.roles
            .get(role)
            .is_some_and(|r| r.emails.contains(&email.to_ascii_lowercase()))
    }

    /// The roles `email` has, in name order.
    pub fn roles_of(&self, email: &str) -> Vec<&str> {
        let e = email.to_ascii_lowercase();
        self.roles
            .iter()
            .filter(|(_, r)| r.emails.contains(&e))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    pub fn tier_index(&self, name: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t == name.trim())
    }

    /// A signer's tier, when a tier names them (a signer nobody ranked meets no tier).
    pub fn signer_tier(&self, email: &str) -> Option<usize> {
        self.tier_of.get(&email.to_ascii_lowercase()).copied()
    }

    /// The tier of a change: the lowest among everyone named as its author or committer (an
    /// unlisted one at `tiers.unlisted`), and `agent` when it is AI-assisted. Those names are
    /// written by whoever wrote the branch, so they are read in the direction that is safe:
    /// another name can only lower the tier (and so raise what the change needs).
    pub fn author_tier(&self, emails: &[String], ai_assisted: bool) -> Option<usize> {
        if self.tiers.is_empty() {
            return None;
        }
        let mut tier = emails
            .iter()
            .map(|e| {
                self.tier_of
                    .get(&e.to_ascii_lowercase())
                    .copied()
                    .unwrap_or(self.unlisted)
            })
            .min()
            .unwrap_or(self.unlisted);
        if ai_assisted {
            tier = tier.min(self.tier_index(AGENT_TIER).unwrap_or(0));
        }
        Some(tier)
    }

    /// Every role member must be someone who can sign: `is_signer` says whether the signer
    /// lists name an e-mail. A role of people who cannot sign could never be met.
    pub fn check_signers(&self, is_signer: impl Fn(&str) -> bool) -> Result<()> {
        for (name, role) in &self.roles {
            for m in &role.members {
                if !m.emails.iter().any(|e| is_signer(e)) {
                    return Err(super::invalid_at(
                        &self.origin,
                        m.line,
                        format!(
                            "role '{name}' names '{}', who is in no signer list (allowed signers or OpenPGP signers)",
                            m.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn email_of(name: &Spanned<String>, lines: &Lines<'_>) -> Result<String> {
    let e = name.get_ref().trim();
    let ok = e.contains('@')
        && !e.starts_with('@')
        && !e.ends_with('@')
        && !e.contains(|c: char| c.is_whitespace() || c.is_control() || "<>,*?!".contains(c));
    if !ok {
        return Err(invalid(
            lines,
            lines.of(name.span()),
            format!("'{e}' is not an e-mail address"),
        ));
    }
    Ok(e.to_ascii_lowercase())
}
