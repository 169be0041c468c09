//! The signed payload: a small canonical text that binds a reviewer, a time and the exact
//! change reviewed. It is never stored; `verify` rebuilds it from the commit's trailers and
//! checks the signature over it, so the text has exactly one spelling (`parse` accepts only
//! what `to_canonical` writes). Documented byte for byte in docs/approval-format.md.

use std::fmt;

use anyhow::{anyhow, bail, Result};

use super::digest::{content_digest, is_lower_hex, Sha256Digest};
use super::record::{HunkCounts, ReviewRecord};
use crate::model::Commit;
use crate::timefmt;

/// The first line of every v1 payload.
pub const PAYLOAD_HEADER: &str = "countersign-approval v1";

/// The repository's object format, which fixes the length of tree ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    Sha1,
    Sha256,
}

impl ObjectFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectFormat::Sha1 => "sha1",
            ObjectFormat::Sha256 => "sha256",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectFormat> {
        match s {
            "sha1" => Some(ObjectFormat::Sha1),
            "sha256" => Some(ObjectFormat::Sha256),
            _ => None,
        }
    }

    /// The format an object id (lowercase hex) belongs to.
    pub fn of_id(id: &str) -> Option<ObjectFormat> {
        if !is_lower_hex(id) {
            return None;
        }
        match id.len() {
            40 => Some(ObjectFormat::Sha1),
            64 => Some(ObjectFormat::Sha256),
            _ => None,
        }
    }
}

/// A reviewer's identity, `Name <email>`, as git writes authors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Identity {
    /// Parses `Jane Doe <jane@example.com>` strictly: one space before `<`, no control
    /// characters, no angle brackets inside, nothing after `>`.
    pub fn parse(s: &str) -> Option<Identity> {
        let (name, rest) = s.split_once(" <")?;
        let email = rest.strip_suffix('>')?;
        let bad = |c: char| c.is_control() || c == '<' || c == '>';
        if name.is_empty() || name.trim() != name || name.chars().any(bad) {
            return None;
        }
        // `,` `*` `?` are ssh-keygen's principal-pattern characters: an email is passed as
        // `-I <email>`, and must never be read as a pattern list.
        let pattern = |c: char| matches!(c, ',' | '*' | '?');
        if email.is_empty()
            || email
                .chars()
                .any(|c| bad(c) || pattern(c) || c.is_whitespace())
        {
            return None;
        }
        Some(Identity {
            name: name.to_string(),
            email: email.to_string(),
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// Everything one signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub reviewer: Identity,
    /// Seconds since the epoch (whole seconds, UTC).
    pub time: i64,
    pub hunks: HunkCounts,
    /// The content digest of the change reviewed.
    pub content: Sha256Digest,
    pub object_format: ObjectFormat,
    /// The reviewed commit's tree id.
    pub tree: String,
    /// Its parents' tree ids, in parent order (none for a root commit).
    pub parent_trees: Vec<String>,
    /// The digest of the review record.
    pub record: Sha256Digest,
}

impl Payload {
    /// The payload for signing a finished review of `commit`: reviewer and time come from the
    /// record. Refuses when a hunk that needed a decision is not approved (only a complete
    /// approval can be signed) or when the commit no longer has the content the record saw.
    pub fn for_commit(commit: &Commit, record: &ReviewRecord) -> Result<Payload> {
        let hunks = record.counts();
        if !hunks.all_approved() {
            bail!(
                "{} of {} hunks approved: every AI-touched hunk must be approved before signing",
                hunks.approved,
                hunks.total
            );
        }
        let content = content_digest(commit)?;
        if content.to_string() != record.content_digest {
            bail!(
                "commit {} changed since it was reviewed (content digest {content}, reviewed {})",
                commit.short_id(),
                record.content_digest
            );
        }
        let reviewer = Identity::parse(&record.reviewer)
            .ok_or_else(|| anyhow!("reviewer '{}' is not 'Name <email>'", record.reviewer))?;
        let time = timefmt::parse_rfc3339(&record.time)
            .ok_or_else(|| anyhow!("bad review time '{}'", record.time))?;
        let object_format = ObjectFormat::of_id(&commit.tree_id)
            .ok_or_else(|| anyhow!("'{}' is not a tree id", commit.tree_id))?;
        let payload = Payload {
            reviewer,
            time,
            hunks,
            content,
            object_format,
            tree: commit.tree_id.clone(),
            parent_trees: commit.parent_tree_ids.clone(),
            record: record.digest(),
        };
        payload.validate()?;
        Ok(payload)
    }

    /// The exact bytes that are signed: `key SP value LF` lines in a fixed order.
    pub fn to_canonical(&self) -> String {
        let mut s = String::new();
        s.push_str(PAYLOAD_HEADER);
        s.push('\n');
        s.push_str(&format!("reviewer {}\n", self.reviewer));
        s.push_str(&format!("time {}\n", timefmt::rfc3339(self.time)));
        s.push_str(&format!(
            "hunks {}/{}\n",
            self.hunks.approved, self.hunks.total
        ));
        s.push_str(&format!("content {}\n", self.content));
        s.push_str(&format!("object-format {}\n", self.object_format.as_str()));
        s.push_str(&format!("tree {}\n", self.tree));
        for parent in &self.parent_trees {
            s.push_str(&format!("parent-tree {parent}\n"));
        }
        s.push_str(&format!("record {}\n", self.record));
        s
    }

    /// Checks the fields that `to_canonical` can't enforce by construction: ids of the right
    /// format, counts that make sense.
    pub fn validate(&self) -> Result<()> {
        for id in std::iter::once(&self.tree).chain(&self.parent_trees) {
            if ObjectFormat::of_id(id) != Some(self.object_format) {
                bail!("'{id}' is not a {} object id", self.object_format.as_str());
            }
        }
        if self.hunks.approved > self.hunks.total {
            bail!(
                "{} of {} hunks approved is impossible",
                self.hunks.approved,
                self.hunks.total
            );
        }
        Ok(())
    }

    /// Parses a canonical payload and nothing else: a text that is not byte-for-byte what
    /// `to_canonical` would write for its fields is refused.
    pub fn parse(text: &str) -> Result<Payload> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| anyhow!("payload does not end with a newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(PAYLOAD_HEADER) {
            bail!("payload does not start with '{PAYLOAD_HEADER}'");
        }
        let mut field = |key: &str| -> Result<&str> {
            let line = lines
                .next()
                .ok_or_else(|| anyhow!("payload ends before '{key}'"))?;
            line.strip_prefix(key)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or_else(|| anyhow!("expected '{key} …', found '{line}'"))
        };
        let reviewer = field("reviewer")?;
        let reviewer =
            Identity::parse(reviewer).ok_or_else(|| anyhow!("bad reviewer '{reviewer}'"))?;
        let time = field("time")?;
        let time = timefmt::parse_rfc3339(time).ok_or_else(|| anyhow!("bad time '{time}'"))?;
        let hunks = field("hunks")?;
        let hunks = parse_counts(hunks).ok_or_else(|| anyhow!("bad hunk counts '{hunks}'"))?;
        let content = field("content")?;
        let content = Sha256Digest::parse(content)
            .ok_or_else(|| anyhow!("bad content digest '{content}'"))?;
        let format = field("object-format")?;
        let object_format =
            ObjectFormat::parse(format).ok_or_else(|| anyhow!("bad object format '{format}'"))?;
        let tree = field("tree")?.to_string();
        let rest: Vec<&str> = lines.collect();
        let (record_line, parent_lines) = rest
            .split_last()
            .ok_or_else(|| anyhow!("payload ends before 'record'"))?;
        let mut parent_trees = Vec::new();
        for line in parent_lines {
            let id = line
                .strip_prefix("parent-tree ")
                .ok_or_else(|| anyhow!("expected 'parent-tree …', found '{line}'"))?;
            parent_trees.push(id.to_string());
        }
        let record = record_line
            .strip_prefix("record ")
            .and_then(Sha256Digest::parse)
            .ok_or_else(|| anyhow!("expected 'record sha256:…', found '{record_line}'"))?;
        let payload = Payload {
            reviewer,
            time,
            hunks,
            content,
            object_format,
            tree,
            parent_trees,
            record,
        };
        payload.validate()?;
        if payload.to_canonical() != text {
            bail!("payload is not in canonical form");
        }
        Ok(payload)
    }
}

/// `12/12`: decimal, no signs, no leading zeros (the canonical check catches those).
pub fn parse_counts(s: &str) -> Option<HunkCounts> {
    let (a, t) = s.split_once('/')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(a) || !digits(t) {
        return None;
    }
    Some(HunkCounts {
        approved: a.parse().ok()?,
        total: t.parse().ok()?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> Payload {
        Payload {
            reviewer: Identity::parse("Jane Doe <jane@example.com>").unwrap(),
            time: 1_795_294_800,
            hunks: HunkCounts {
                approved: 12,
                total: 12,
            },
            content: Sha256Digest::of(b"content"),
            object_format: ObjectFormat::Sha1,
            tree: "1".repeat(40),
            parent_trees: vec!["2".repeat(40), "3".repeat(40)],
            record: Sha256Digest::of(b"record"),
        }
    }

    #[test]
    fn canonical_text_is_exact() {
        let text = sample().to_canonical();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "countersign-approval v1");
        assert_eq!(lines[1], "reviewer Jane Doe <jane@example.com>");
        assert_eq!(lines[2], "time 2026-11-21T21:00:00Z");
        assert_eq!(lines[3], "hunks 12/12");
        assert_eq!(lines[5], "object-format sha1");
        assert_eq!(lines[7], format!("parent-tree {}", "2".repeat(40)));
        assert!(lines[9].starts_with("record sha256:"));
        assert_eq!(lines.len(), 10);
        assert_eq!(Payload::parse(&text).unwrap(), sample());
    }

    #[test]
    fn root_commit_has_no_parent_lines() {
        let mut p = sample();
        p.parent_trees.clear();
        assert_eq!(Payload::parse(&p.to_canonical()).unwrap(), p);
    }

    #[test]
    fn variants_are_refused() {
        let text = sample().to_canonical();
        let bad = [
            text.replace("hunks 12/12", "hunks 012/12"),
            text.replace("hunks 12/12", "hunks 13/12"),
            text.replace("reviewer Jane", "reviewer  Jane"),
            text.replace('\n', "\r\n"),
            text.trim_end().to_string(),
            format!("{text}extra 1\n"),
            text.replace("object-format sha1", "object-format sha256"),
            text.replace(
                "time 2026-11-21T21:00:00Z",
                "time 2026-11-21T21:00:00+00:00",
            ),
            text.replace("tree 1111", "tree 111A"),
        ];
        for b in bad {
            assert!(Payload::parse(&b).is_err(), "accepted:\n{b}");
        }
    }

    #[test]
    fn for_commit_refuses_partial_reviews() {
        use crate::approval::digest::tests::{commit_with, text_file};
        use crate::model::{Decision, Verdict};
        let c = commit_with(vec![
            text_file("a", 1, &[], &["x"]),
            text_file("b", 1, &[], &["y"]),
        ]);
        let second = c.files[1].hunks[0].id;
        let decide = |v: Verdict| {
            ReviewRecord::from_commit(&c, "Jane <j@x>", 0, move |h| {
                let verdict = if h.id == second { v } else { Verdict::Approved };
                Some(Decision {
                    verdict: Some(verdict),
                    ..Decision::default()
                })
            })
            .unwrap()
        };
        let err = Payload::for_commit(&c, &decide(Verdict::NeedsWork)).unwrap_err();
        assert!(err.to_string().contains("1 of 2 hunks approved"), "{err}");
        let record = decide(Verdict::Approved);
        let p = Payload::for_commit(&c, &record).unwrap();
        assert_eq!(p.record, record.digest());
        let mut changed = c.clone();
        changed.files[0].hunks[0].lines[1].bytes = b"z".as_slice().into();
        assert!(Payload::for_commit(&changed, &record).is_err());
    }

    #[test]
    fn identities_are_strict() {
        assert!(Identity::parse("Jane <j@x>").is_some());
        for bad in [
            "Jane",
            "<j@x>",
            "Jane <j x>",
            "Jane <j@x> ",
            "Ja<ne <j@x>",
            "Jane\n <j@x>",
        ] {
            assert!(Identity::parse(bad).is_none(), "{bad}");
        }
    }
}
