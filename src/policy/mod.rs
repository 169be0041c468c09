//! The repository's policy (`.countersign.toml`): what counts as AI-assisted beyond the built-in
//! markers, extra risk rules and severity changes, and what an approval must satisfy.
//!
//! Plain data parsed from text. Where the text comes from matters (a trusted ref, never the
//! change under review, which could otherwise approve itself) and is decided by the caller.
//! Who is who (people, roles, tiers) is in [`org`]; which signers a change needs in
//! [`signoff`]; the emergency approval's terms in [`breakglass`]. All of it is checked when
//! the file is parsed, and a mistake is an error naming the file's line.

pub mod breakglass;
pub mod org;
pub mod signoff;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::UserError;
use crate::model::Severity;
use breakglass::{BreakGlass, BreakGlassSpec};
use org::{Names, Org, TiersSpec};
use signoff::{SignOff, SignOffSpec};

/// The policy file's name at the root of the repository.
pub const POLICY_FILE: &str = ".countersign.toml";
/// Where the allowed-signers file lives unless the policy says otherwise.
pub const DEFAULT_ALLOWED_SIGNERS: &str = ".countersign/allowed_signers";
/// The SSH revocation list (a KRL or public keys), used when present at the trusted ref.
pub const DEFAULT_REVOKED_SIGNERS: &str = ".countersign/revoked_signers";
/// `PRINCIPAL FINGERPRINT` lines naming who may sign with OpenPGP.
pub const DEFAULT_OPENPGP_SIGNERS: &str = ".countersign/openpgp_signers";
/// The OpenPGP public keys the signers list names, checked in a keyring of their own.
pub const DEFAULT_OPENPGP_KEYS: &str = ".countersign/openpgp_keys.asc";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub markers: Markers,
    /// Extra risk rules, in the same schema as the built-in rules file.
    #[serde(default)]
    pub rules: Vec<toml::Value>,
    /// Severity changes for rules by id; `"off"` turns a rule off.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub approval: Approval,
    /// Person → e-mails: one person with several e-mails (and keys) is one signer.
    #[serde(default)]
    pub people: BTreeMap<String, Names>,
    /// Role → people or signer e-mails (`senior`, `platform`, `oncall`).
    #[serde(default)]
    pub roles: BTreeMap<String, Names>,
    /// Tiers in order, and who is in each: authors and signers alike.
    #[serde(default)]
    pub tiers: TiersSpec,
}

/// Extra AI-assistance markers, on top of the built-in list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markers {
    /// Trailer keys whose presence marks a commit (`X-AI-Agent`).
    #[serde(default)]
    pub trailers: Vec<String>,
    /// Substrings of an author or committer identity (`bot@corp.example`).
    #[serde(default)]
    pub identities: Vec<String>,
    /// Regular expressions matched, case-insensitively, against each line of the message.
    #[serde(default)]
    pub message_patterns: Vec<String>,
    /// Treat every commit and hunk as AI-touched, as `--all` does.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Which commits need a countersignature: `all` (the default, and what `init` writes) or
    /// `ai-assisted` (trusts the commits' own markers: the weaker choice).
    #[serde(default)]
    pub require: Require,
    /// Commits touching these globs need a countersignature whatever their markers.
    #[serde(default)]
    pub require_paths: Vec<String>,
    /// Treat `refs/notes/ai` attribution that calls a hunk human-written as final (the hunk
    /// then needs no review). Off by default: anyone who can push notes can write them.
    #[serde(default)]
    pub trust_attribution_notes: bool,
    /// How an approval follows its change onto a new base: `unchanged-files` (every file the
    /// change touches must be as the reviewer saw it) or `clean` (any clean replay, as
    /// Gerrit's trivial rebase: weaker, since the same lines can mean something else there).
    #[serde(default)]
    pub replay: Replay,
    /// The trees must match exactly: any rebase needs a new review.
    #[serde(default)]
    pub strict: bool,
    /// The signer may not be the commit's author.
    #[serde(default = "yes")]
    pub forbid_self_approval: bool,
    /// Also write a plain `Reviewed-by:` trailer.
    #[serde(default)]
    pub reviewed_by_trailer: bool,
    /// The allowed-signers file, relative to the repository root, read from the trusted ref.
    #[serde(default = "default_allowed_signers")]
    pub allowed_signers: String,
    /// How many distinct signers a change needs (at least 1).
    #[serde(default = "one")]
    pub signers: usize,
    /// Stricter requirements for some paths.
    #[serde(default)]
    pub paths: Vec<PathRule>,
    /// The SSH revocation list (KRL or public keys), read from the trusted ref when present.
    #[serde(default = "default_revoked_signers")]
    pub revoked_signers: String,
    /// Who may sign with OpenPGP (`PRINCIPAL FINGERPRINT`), read from the trusted ref.
    #[serde(default = "default_openpgp_signers")]
    pub openpgp_signers: String,
    /// The OpenPGP public keys to verify with, read from the trusted ref.
    #[serde(default = "default_openpgp_keys")]
    pub openpgp_keys: String,
    /// Only `sk-` (FIDO) SSH keys may sign, and the signature must show a touch.
    #[serde(default)]
    pub require_hardware_key: bool,
    /// Also require the authenticator's user-verification flag (PIN or biometric); implies
    /// `require_hardware_key`.
    #[serde(default)]
    pub require_user_verification: bool,
    /// `[[approval.sign_off]]` as written; checked into `sign_off`.
    #[serde(default, rename = "sign_off")]
    pub sign_off_spec: Vec<Spanned<SignOffSpec>>,
    /// `[approval.break_glass]` as written; checked into `break_glass`.
    #[serde(default, rename = "break_glass")]
    pub break_glass_spec: Option<Spanned<BreakGlassSpec>>,
    /// People, roles and tiers (from the policy's top-level tables), checked.
    #[serde(skip)]
    pub org: Org,
    /// The sign-off rules, checked.
    #[serde(skip)]
    pub sign_off: Vec<SignOff>,
    /// The break-glass terms, checked; `None`: no break-glass approval is accepted.
    #[serde(skip)]
    pub break_glass: Option<BreakGlass>,
}

impl Default for Approval {
    fn default() -> Self {
        Approval {
            require: Require::default(),
            require_paths: Vec::new(),
            trust_attribution_notes: false,
            replay: Replay::default(),
            strict: false,
            forbid_self_approval: true,
            reviewed_by_trailer: false,
            allowed_signers: default_allowed_signers(),
            signers: 1,
            paths: Vec::new(),
            revoked_signers: default_revoked_signers(),
            openpgp_signers: default_openpgp_signers(),
            openpgp_keys: default_openpgp_keys(),
            require_hardware_key: false,
            require_user_verification: false,
            sign_off_spec: Vec::new(),
            break_glass_spec: None,
            org: Org::default(),
            sign_off: Vec::new(),
            break_glass: None,
        }
    }
}

impl Approval {
    /// Whether some sign-off rule depends on the risk scan's findings (verify then scans).
    pub fn needs_findings(&self) -> bool {
        self.sign_off.iter().any(|r| r.risk.is_some())
    }
}

/// Which commits need a countersignature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Require {
    #[default]
    All,
    AiAssisted,
}

/// How far an approval follows its change onto a new base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Replay {
    #[default]
    UnchangedFiles,
    Clean,
}

/// `[[approval.paths]] glob = "infra/**"  signers = 2`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    pub glob: String,
    #[serde(default = "one")]
    pub signers: usize,
}

fn yes() -> bool {
    true
}
fn one() -> usize {
    1
}
fn default_allowed_signers() -> String {
    DEFAULT_ALLOWED_SIGNERS.to_string()
}
fn default_revoked_signers() -> String {
    DEFAULT_REVOKED_SIGNERS.to_string()
}
fn default_openpgp_signers() -> String {
    DEFAULT_OPENPGP_SIGNERS.to_string()
}
fn default_openpgp_keys() -> String {
    DEFAULT_OPENPGP_KEYS.to_string()
}

impl Policy {
    /// Parses a policy file's text; `origin` names it in errors (`origin/main:.countersign.toml`).
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let mut policy: Policy = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))
            .with_context(|| format!("invalid policy {origin}"))?;
        for (rule, sev) in &policy.severity {
            if sev != "off" {
                sev.parse::<Severity>()
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("invalid policy {origin}: severity of {rule}"))?;
            }
        }
        let lines = Lines { text, origin };
        let org = Org::resolve(&policy.people, &policy.roles, &policy.tiers, &lines)?;
        let a = &mut policy.approval;
        a.sign_off = a
            .sign_off_spec
            .iter()
            .map(|r| SignOff::resolve(r, &org, &lines))
            .collect::<Result<_>>()?;
        a.break_glass = a
            .break_glass_spec
            .as_ref()
            .map(|b| BreakGlass::resolve(b, &org, &lines))
            .transpose()?;
        a.org = org;
        Ok(policy)
    }
}

/// The policy text, for turning a value's place into its line in errors.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    pub text: &'a str,
    /// `<ref>:.countersign.toml`.
    pub origin: &'a str,
}

impl Lines<'_> {
    /// The 1-based line of a byte offset range's start.
    pub fn of(&self, span: std::ops::Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
}

/// A mistake in the policy, at a line: one line for the user, exit 2.
pub fn invalid(lines: &Lines<'_>, line: usize, message: String) -> anyhow::Error {
    invalid_at(lines.origin, line, message)
}

/// [`invalid`] for a policy whose text is gone, by its origin.
pub fn invalid_at(origin: &str, line: usize, message: String) -> anyhow::Error {
    UserError::new(format!("invalid policy {origin} line {line}: {message}"))
        .hint("fix the policy on the trusted branch")
        .into()
}

/// A path glob as every rule of the policy matches it: whole paths, `*` within a directory,
/// `**` across.
pub fn compile_glob(glob: &str) -> Result<globset::GlobMatcher> {
    Ok(globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .with_context(|| format!("invalid glob '{glob}'"))?
        .compile_matcher())
}

/// toml's errors span several lines (a source excerpt); the CLI reports errors on one line.
pub fn one_line(message: &str) -> String {
    let mut lines = message.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("").trim().to_string();
    match lines.next_back() {
        Some(last) if !last.trim_start().starts_with('|') && !last.contains('^') => {
            format!("{first}: {}", last.trim())
        }
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_has_safe_defaults() {
        let p = Policy::parse("", "test").unwrap();
        assert!(p.approval.forbid_self_approval);
        assert_eq!(p.approval.signers, 1);
        assert_eq!(p.approval.allowed_signers, DEFAULT_ALLOWED_SIGNERS);
        assert_eq!(p.approval.revoked_signers, DEFAULT_REVOKED_SIGNERS);
        assert_eq!(p.approval.openpgp_signers, DEFAULT_OPENPGP_SIGNERS);
        assert_eq!(p.approval.openpgp_keys, DEFAULT_OPENPGP_KEYS);
        assert!(!p.approval.require_hardware_key && !p.approval.require_user_verification);
        assert_eq!(p.approval.require, Require::All);
        assert_eq!(p.approval.replay, Replay::UnchangedFiles);
        assert!(!p.approval.trust_attribution_notes);
    }

    #[test]
    fn require_and_replay_parse() {
        let p = Policy::parse(
            "[approval]\nrequire = \"ai-assisted\"\nrequire_paths = [\"infra/**\"]\nreplay = \"clean\"\n",
            "test",
        )
        .unwrap();
        assert_eq!(p.approval.require, Require::AiAssisted);
        assert_eq!(p.approval.replay, Replay::Clean);
        assert!(Policy::parse("[approval]\nrequire = \"some\"\n", "t").is_err());
    }

    #[test]
    fn path_rules_and_markers_parse() {
        let p = Policy::parse(
            r#"
[markers]
trailers = ["X-AI-Agent"]
[approval]
strict = true
[[approval.paths]]
glob = "infra/**"
signers = 2
"#,
            "test",
        )
        .unwrap();
        assert_eq!(p.markers.trailers, vec!["X-AI-Agent"]);
        assert!(p.approval.strict);
        assert_eq!(p.approval.paths[0].signers, 2);
    }

    #[test]
    fn a_typo_is_an_error_naming_the_file_and_line() {
        let err = Policy::parse("[approval]\nstrictt = true\n", ".countersign.toml").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains(".countersign.toml"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn bad_severity_is_an_error() {
        let err = Policy::parse("[severity]\n\"x\" = \"huge\"\n", "p").unwrap_err();
        assert!(format!("{err:#}").contains("unknown severity"));
    }
}

#[cfg(test)]
#[path = "org_tests.rs"]
mod org_tests;
