//! Sign-off rules: which signers a change needs, by the paths it touches, by the tier of its
//! authors, and by the risk the scan finds in it.
//!
//! ```toml
//! [[approval.sign_off]]
//! name = "AI changes of juniors and mids need a senior"
//! authors = ["agent", "junior", "mid"]   # applies when the change's author tier is one of these
//! tier = "senior"                        # each counted signer is senior or above
//! signers = 1
//!
//! [[approval.sign_off]]
//! paths = ["infra/prod/**"]
//! role = "platform"
//! signers = 2
//!
//! [[approval.sign_off]]
//! risk = "critical"                      # a hunk with a finding this severe or worse
//! role = "staff"
//! ```
//!
//! A rule applies when every condition it has holds (a rule without conditions applies to
//! every change); each rule that applies must be met on its own, by its own count of distinct
//! signers who each have its role and tier. Rules only ever add to what a change needs.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::org::Org;
use super::{invalid, Lines};
use crate::model::Severity;

/// One `[[approval.sign_off]]` table as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOffSpec {
    /// Shown in verify's messages; default: what the rule asks.
    #[serde(default)]
    pub name: Option<String>,
    /// Applies when the change touches a path matching one of these globs.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Applies when the change's author tier is one of these.
    #[serde(default)]
    pub authors: Vec<Spanned<String>>,
    /// Applies when a hunk or file of the change has a finding at least this severe.
    #[serde(default)]
    pub risk: Option<Spanned<String>>,
    /// Each counted signer has this role.
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    /// Each counted signer is of this tier or above.
    #[serde(default)]
    pub tier: Option<Spanned<String>>,
    /// How many distinct such signers (default 1).
    #[serde(default)]
    pub signers: Option<Spanned<usize>>,
}

/// A checked sign-off rule, names resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    /// Its line in the policy file.
    pub line: usize,
    pub name: Option<String>,
    pub paths: Vec<String>,
    /// Indexes into `Org::tiers`.
    pub authors: Vec<usize>,
    pub risk: Option<Severity>,
    pub role: Option<String>,
    pub tier: Option<usize>,
    pub signers: usize,
}

impl SignOff {
    pub fn resolve(spec: &Spanned<SignOffSpec>, org: &Org, lines: &Lines<'_>) -> Result<SignOff> {
        let line = lines.of(spec.span());
        let s = spec.get_ref();
        let tier = |name: &Spanned<String>, what: &str| -> Result<usize> {
            org.tier_index(name.get_ref()).ok_or_else(|| {
                invalid(
                    lines,
                    lines.of(name.span()),
                    if org.tiers.is_empty() {
                        format!("{what} '{}': the policy defines no [tiers]", name.get_ref())
                    } else {
                        format!(
                            "{what} '{}' is not a tier ({})",
                            name.get_ref(),
                            org.tiers.join(", ")
                        )
                    },
                )
            })
        };
        let authors = s
            .authors
            .iter()
            .map(|a| tier(a, "sign-off rule author tier"))
            .collect::<Result<Vec<_>>>()?;
        let risk = s
            .risk
            .as_ref()
            .map(|r| {
                r.get_ref().parse::<Severity>().map_err(|e| {
                    invalid(
                        lines,
                        lines.of(r.span()),
                        format!("sign-off rule risk: {e}"),
                    )
                })
            })
            .transpose()?;
        let role = s
            .role
            .as_ref()
            .map(|r| {
                let name = r.get_ref().trim();
                if org.roles.contains_key(name) {
                    Ok(name.to_string())
                } else {
                    Err(invalid(
                        lines,
                        lines.of(r.span()),
                        format!("sign-off rule names role '{name}', which [roles] does not define"),
                    ))
                }
            })
            .transpose()?;
        let signer_tier = s
            .tier
            .as_ref()
            .map(|t| tier(t, "sign-off rule tier"))
            .transpose()?;
        let signers = match &s.signers {
            Some(n) if *n.get_ref() == 0 => {
                return Err(invalid(
                    lines,
                    lines.of(n.span()),
                    "sign-off rule signers = 0: a rule asks for at least one signer".into(),
                ))
            }
            Some(n) => *n.get_ref(),
            None => 1,
        };
        for glob in &s.paths {
            super::compile_glob(glob)
                .map_err(|e| invalid(lines, line, format!("sign-off rule path: {e}")))?;
        }
        Ok(SignOff {
            line,
            name: s.name.clone(),
            paths: s.paths.clone(),
            authors,
            risk,
            role,
            tier: signer_tier,
            signers,
        })
    }

    /// What a signer must be to count for this rule, in words: `with role staff`,
    /// `of tier senior or above`.
    pub fn who(&self, org: &Org) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.role {
            parts.push(format!("with role {r}"));
        }
        if let Some(t) = self.tier {
            let name = org.tiers.get(t).map(String::as_str).unwrap_or("?");
            if t + 1 == org.tiers.len() {
                parts.push(format!("of tier {name}"));
            } else {
                parts.push(format!("of tier {name} or above"));
            }
        }
        parts.join(" and ")
    }
}
