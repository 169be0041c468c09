//! The approval trailers, written into and read back from a commit message:
//!
//! ```text
//! Countersigned-by: Jane Doe <jane@example.com>
//! Countersign-Approval: v2 commit 2026-11-21T21:00:00Z hunks=12/12 sha256:<content digest>
//!  base=<tree id> tree=<tree id> authors=<e-mail>[,<e-mail>…] record=sha256:<record digest>
//! Countersign-Signature: ssh <base64>
//! Reviewed-by: Jane Doe <jane@example.com>          (only when the policy asks)
//! ```
//!
//! A break-glass approval has one more trailer, right after `Countersigned-by`:
//! `Countersign-Break-Glass: <reason>`. The reason is signed (the payload's last line), so
//! it can be neither added to a normal approval nor stripped from an emergency one.
//!
//! The approval carries every payload field except the reviewer (which is the
//! `Countersigned-by` value), so `verify` rebuilds the signed payload from the message alone —
//! the trees it names are the ones signed, not the commit's current ones, which a clean rebase
//! changes. Long values are folded onto continuation lines the way git folds trailers.
//! A v1 approval (which bound no place in a file) is read far enough to say so, and never
//! counts.

use anyhow::{anyhow, bail, Result};

use super::digest::Sha256Digest;
use super::payload::{parse_counts, Identity, ObjectFormat, Payload, Scope};
use super::record::HunkCounts;
use super::signature::Signature;
use super::trailer_block::{self, Trailer};
use crate::timefmt;

pub const KEY_BY: &str = "Countersigned-by";
pub const KEY_APPROVAL: &str = "Countersign-Approval";
pub const KEY_SIGNATURE: &str = "Countersign-Signature";
pub const KEY_REVIEWED_BY: &str = "Reviewed-by";
pub const KEY_BREAK_GLASS: &str = "Countersign-Break-Glass";

/// Signature values longer than this are folded (RSA and most OpenPGP signatures); an
/// ed25519 or ECDSA signature stays on one line.
pub const FOLD_OVER: usize = 400;
/// Width of each folded piece of a signature.
pub const FOLD_WIDTH: usize = 76;

/// One reviewer's approval of one change, as carried by its trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalSet {
    pub scope: Scope,
    pub reviewer: Identity,
    pub time: i64,
    pub hunks: HunkCounts,
    pub content: Sha256Digest,
    pub base_tree: String,
    pub tree: String,
    pub authors: Vec<String>,
    pub record: Sha256Digest,
    /// The reason of a break-glass approval.
    pub break_glass: Option<String>,
    pub signature: Signature,
}

impl ApprovalSet {
    /// The set for a payload and the signature made over it.
    pub fn new(payload: &Payload, signature: Signature) -> ApprovalSet {
        ApprovalSet {
            scope: payload.scope,
            reviewer: payload.reviewer.clone(),
            time: payload.time,
            hunks: payload.hunks,
            content: payload.content,
            base_tree: payload.base_tree.clone(),
            tree: payload.tree.clone(),
            authors: payload.authors.clone(),
            record: payload.record,
            break_glass: payload.break_glass.clone(),
            signature,
        }
    }

    /// The payload the signature must be over, rebuilt from the trailers.
    pub fn payload(&self) -> Result<Payload> {
        let object_format = ObjectFormat::of_id(&self.tree)
            .ok_or_else(|| anyhow!("'{}' is not a tree id", self.tree))?;
        let payload = Payload {
            scope: self.scope,
            reviewer: self.reviewer.clone(),
            time: self.time,
            hunks: self.hunks,
            content: self.content,
            object_format,
            base_tree: self.base_tree.clone(),
            tree: self.tree.clone(),
            authors: self.authors.clone(),
            record: self.record,
            break_glass: self.break_glass.clone(),
        };
        payload.validate()?;
        Ok(payload)
    }

    /// The `Countersign-Approval` value, unfolded (one line, single spaces).
    pub fn approval_value(&self) -> String {
        let authors = if self.authors.is_empty() {
            "none".to_string()
        } else {
            self.authors
                .iter()
                .map(|a| encode_author(a))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "v2 {} {} hunks={}/{} {} base={} tree={} authors={} record={}",
            self.scope.as_str(),
            timefmt::rfc3339(self.time),
            self.hunks.approved,
            self.hunks.total,
            self.content,
            self.base_tree,
            self.tree,
            authors,
            self.record
        )
    }

    /// The trailer lines, each ending in `\n`, folded as described in the module docs.
    pub fn to_trailers(&self, reviewed_by: bool) -> String {
        let approval = self.approval_value();
        // Fold before `base=`, so the first line reads as DESIGN.md shows it.
        let approval = approval.replacen(" base=", "\n base=", 1);
        let mut out = format!("{KEY_BY}: {}\n", self.reviewer);
        if let Some(reason) = &self.break_glass {
            out.push_str(&format!("{KEY_BREAK_GLASS}: {reason}\n"));
        }
        out.push_str(&format!("{KEY_APPROVAL}: {approval}\n"));
        out.push_str(&format!(
            "{KEY_SIGNATURE}: {}\n",
            fold(&self.signature.to_value())
        ));
        if reviewed_by {
            out.push_str(&format!("{KEY_REVIEWED_BY}: {}\n", self.reviewer));
        }
        out
    }

    /// Parses one set from its trailer values (unfolded).
    pub fn parse(
        by: &str,
        approval: &str,
        signature: &str,
        break_glass: Option<&str>,
    ) -> Result<ApprovalSet> {
        let reviewer =
            Identity::parse(by).ok_or_else(|| anyhow!("{KEY_BY} '{by}' is not 'Name <email>'"))?;
        let signature =
            Signature::parse_value(signature).map_err(|e| anyhow!("{KEY_SIGNATURE}: {e}"))?;
        let a = parse_approval(approval).map_err(|e| anyhow!("{KEY_APPROVAL}: {e}"))?;
        let set = ApprovalSet {
            reviewer,
            signature,
            break_glass: break_glass.map(str::to_string),
            ..a
        };
        set.payload().map_err(|e| anyhow!("{KEY_APPROVAL}: {e}"))?;
        Ok(set)
    }
}

/// An e-mail in the `authors=` list: bytes other than letters, digits and `._+-@` as `%XX`,
/// so that a comma or a space in an address can't split the list.
fn encode_author(email: &str) -> String {
    let mut out = String::new();
    for b in email.bytes() {
        if b.is_ascii_alphanumeric() || b"._+-@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_author(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    // One spelling only.
    (encode_author(&decoded) == text).then_some(decoded)
}

/// Splits a long signature value into `FOLD_WIDTH` pieces on continuation lines.
fn fold(value: &str) -> String {
    if value.len() <= FOLD_OVER {
        return value.to_string();
    }
    let (scheme, b64) = value.split_once(' ').unwrap_or(("", value));
    let mut out = scheme.to_string();
    for chunk in b64.as_bytes().chunks(FOLD_WIDTH) {
        out.push_str("\n ");
        out.push_str(&String::from_utf8_lossy(chunk));
    }
    out
}

/// The approval value's fields, strictly in order; the set's reviewer and signature are
/// placeholders for the caller to fill.
fn parse_approval(value: &str) -> Result<ApprovalSet> {
    let fields: Vec<&str> = value.split(' ').collect();
    match fields.first() {
        Some(&"v2") => {}
        Some(&"v1") => bail!(
            "a v1 approval, which binds no place in the file, is no longer accepted: \
             review and sign again"
        ),
        Some(other) => bail!("unsupported version '{other}' (this countersign reads v2)"),
        None => bail!("empty value"),
    }
    let [_, scope, time, hunks, content, base, tree, authors, record] = fields[..] else {
        bail!(
            "expected 9 fields 'v2 SCOPE TIME hunks=A/T sha256:… base=… tree=… authors=… \
             record=…', found {}",
            fields.len()
        );
    };
    let scope = Scope::parse(scope).ok_or_else(|| anyhow!("bad scope '{scope}'"))?;
    let time = timefmt::parse_rfc3339(time).ok_or_else(|| anyhow!("bad time '{time}'"))?;
    let hunks = hunks
        .strip_prefix("hunks=")
        .and_then(parse_counts)
        .ok_or_else(|| anyhow!("bad hunk counts '{hunks}'"))?;
    let content =
        Sha256Digest::parse(content).ok_or_else(|| anyhow!("bad content digest '{content}'"))?;
    let field = |text: &str, key: &str| -> Result<String> {
        text.strip_prefix(key)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("expected '{key}…', found '{text}'"))
    };
    let base_tree = field(base, "base=")?;
    let tree = field(tree, "tree=")?;
    let authors = match field(authors, "authors=")?.as_str() {
        "none" => Vec::new(),
        list => list
            .split(',')
            .map(|a| decode_author(a).ok_or_else(|| anyhow!("bad author '{a}'")))
            .collect::<Result<Vec<_>>>()?,
    };
    let record = record
        .strip_prefix("record=")
        .and_then(Sha256Digest::parse)
        .ok_or_else(|| anyhow!("bad record digest '{record}'"))?;
    Ok(ApprovalSet {
        scope,
        reviewer: Identity {
            name: String::new(),
            email: String::new(),
        },
        time,
        hunks,
        content,
        base_tree,
        tree,
        authors,
        record,
        break_glass: None,
        signature: Signature {
            scheme: super::signature::Scheme::Ssh,
            blob: Vec::new(),
        },
    })
}

/// Appends one approval set to a message, keeping every byte of it: into git's trailer block
/// when there is one, else as a new paragraph. Trailing blank lines stay at the end.
pub fn append_approval(message: &str, set: &ApprovalSet, reviewed_by: bool) -> Result<String> {
    append_trailers(message, &set.to_trailers(reviewed_by))
}

/// Appends trailer lines (each ending in `\n`) as git would find them.
pub fn append_trailers(message: &str, trailers: &str) -> Result<String> {
    let span = trailer_block::find_block(message);
    let (body, tail) = message.split_at(span.end);
    if body.trim().is_empty() {
        bail!("the commit message is empty: a trailer needs a subject line before it");
    }
    let mut out = String::with_capacity(message.len() + trailers.len() + 2);
    out.push_str(body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if span.is_empty() {
        out.push('\n');
    }
    out.push_str(trailers);
    out.push_str(tail);
    Ok(out)
}

/// Something wrong with a message's countersign trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerProblem {
    /// The reviewer the problem belongs to, when known.
    pub reviewer: Option<String>,
    pub message: String,
    /// A garbled trailer in git's trailer block fails the commit (nobody can tell what it
    /// claims); a v1 approval or a countersign line outside the block (as a squash message
    /// quotes its commits' messages) is said and ignored.
    pub fatal: bool,
}

/// Every approval set found in a message, and every problem with the others.
#[derive(Debug, Clone, Default)]
pub struct ParsedApprovals {
    pub sets: Vec<ApprovalSet>,
    pub problems: Vec<TrailerProblem>,
}

#[derive(Default)]
struct Raw<'a> {
    by: Option<&'a Trailer>,
    approval: Option<&'a Trailer>,
    signature: Option<&'a Trailer>,
    break_glass: Option<&'a Trailer>,
}

/// Reads every approval set back from a message. A set starts at `Countersigned-by` and takes
/// the `Countersign-Approval` and `Countersign-Signature` that follow it (other trailers in
/// between are fine). Missing, duplicated, orphaned or garbled trailers are reported, never
/// guessed at; keys match case-insensitively, as git's do.
pub fn parse_approvals(message: &str) -> ParsedApprovals {
    let trailers = trailer_block::parse(message);
    let mut out = ParsedApprovals::default();
    let mut raws: Vec<Raw> = Vec::new();
    for t in &trailers {
        let is = |k: &str| t.key.eq_ignore_ascii_case(k);
        if is(KEY_BY) {
            raws.push(Raw {
                by: Some(t),
                ..Raw::default()
            });
        } else if is(KEY_APPROVAL) || is(KEY_SIGNATURE) || is(KEY_BREAK_GLASS) {
            let key = if is(KEY_APPROVAL) {
                KEY_APPROVAL
            } else if is(KEY_SIGNATURE) {
                KEY_SIGNATURE
            } else {
                KEY_BREAK_GLASS
            };
            let Some(raw) = raws.last_mut() else {
                out.problems.push(TrailerProblem {
                    reviewer: None,
                    message: format!("line {}: {key} without a {KEY_BY} before it", t.line),
                    fatal: true,
                });
                continue;
            };
            let slot = if is(KEY_APPROVAL) {
                &mut raw.approval
            } else if is(KEY_SIGNATURE) {
                &mut raw.signature
            } else {
                &mut raw.break_glass
            };
            if slot.is_some() {
                out.problems.push(TrailerProblem {
                    reviewer: raw.by.map(|b| b.value.clone()),
                    message: format!("line {}: duplicated {key} in one approval", t.line),
                    fatal: true,
                });
                raw.by = None; // an ambiguous set is not checked at all
                continue;
            }
            *slot = Some(t);
        }
    }
    for raw in raws {
        let Some(by) = raw.by else { continue };
        let reviewer = Some(by.value.clone());
        let (Some(approval), Some(signature)) = (raw.approval, raw.signature) else {
            let missing = if raw.approval.is_none() {
                KEY_APPROVAL
            } else {
                KEY_SIGNATURE
            };
            out.problems.push(TrailerProblem {
                reviewer,
                message: format!(
                    "line {}: approval by {} has no {missing}",
                    by.line, by.value
                ),
                fatal: true,
            });
            continue;
        };
        let reason = raw.break_glass.map(|t| t.value.as_str());
        match ApprovalSet::parse(&by.value, &approval.value, &signature.value, reason) {
            Ok(set) if out.sets.contains(&set) => out.problems.push(TrailerProblem {
                reviewer,
                message: format!("line {}: the same approval appears twice", by.line),
                fatal: true,
            }),
            Ok(set) => out.sets.push(set),
            Err(e) => out.problems.push(TrailerProblem {
                reviewer,
                fatal: !approval.value.starts_with("v1 "),
                message: format!("line {}: {e}", by.line),
            }),
        }
    }
    // Countersign trailers git does not see (outside the trailer block) are not checked, and
    // a reader might be misled by them: say so.
    let block_start = trailer_block::find_block(message).start;
    for (i, line) in message[..block_start].lines().enumerate() {
        let key = line.split(':').next().unwrap_or("").trim();
        if [KEY_BY, KEY_APPROVAL, KEY_SIGNATURE, KEY_BREAK_GLASS]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k))
        {
            out.problems.push(TrailerProblem {
                reviewer: None,
                message: format!("line {}: {key} outside the trailer block is ignored", i + 1),
                fatal: false,
            });
        }
    }
    out
}
