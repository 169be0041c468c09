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

/// The first line of every v2 payload (v1 payloads bound no place and are no longer accepted).
pub const PAYLOAD_HEADER: &str = "countersign-approval v2";

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

/// What an approval covers: one commit's change against its first parent, or a branch's
/// combined change from its base to its tip (what a squash merge lands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Commit,
    Branch,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Commit => "commit",
            Scope::Branch => "branch",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "commit" => Some(Scope::Commit),
            "branch" => Some(Scope::Branch),
            _ => None,
        }
    }
}

/// Everything one signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub scope: Scope,
    pub reviewer: Identity,
    /// Seconds since the epoch (whole seconds, UTC), as the signer claims it.
    pub time: i64,
    pub hunks: HunkCounts,
    /// The content digest of the change reviewed.
    pub content: Sha256Digest,
    pub object_format: ObjectFormat,
    /// The tree the change was reviewed against: the first parent's (the empty tree for a
    /// root commit), or the branch's base.
    pub base_tree: String,
    /// The tree the change gave.
    pub tree: String,
    /// Who wrote the change: the author and committer e-mails of every reviewed commit,
    /// lowercased, sorted, without duplicates. Self-approval is judged against these, which
    /// stay true however the change is later merged or rebased.
    pub authors: Vec<String>,
    /// The digest of the review record.
    pub record: Sha256Digest,
    /// A break-glass approval's reason: an emergency approval, which never counts as a normal
    /// one (its payload differs, so its signature can't be passed off as one).
    pub break_glass: Option<String>,
}

/// The longest break-glass reason, in characters: one line a log reader takes in.
pub const MAX_REASON_CHARS: usize = 200;

/// Checks a break-glass reason: one line, printable, trimmed, not too long.
pub fn check_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        bail!("a break-glass reason is required (what is broken, the incident)");
    }
    if reason.trim() != reason || reason.contains("  ") {
        bail!("a break-glass reason has no leading, trailing or double spaces");
    }
    if reason.chars().any(char::is_control) {
        bail!("a break-glass reason is one line without control characters");
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        bail!("a break-glass reason is at most {MAX_REASON_CHARS} characters");
    }
    Ok(())
}

/// The change one payload is made for, as the signer saw it.
#[derive(Debug, Clone)]
pub struct Reviewed<'a> {
    pub scope: Scope,
    pub files: &'a [crate::model::FileChange],
    pub base_tree: &'a str,
    pub tree: &'a str,
    /// The reviewed commits (for authors and committers).
    pub commits: &'a [&'a Commit],
}

/// The e-mails of the authors and committers of `commits`, as a payload lists them.
pub fn authors_of(commits: &[&Commit]) -> Vec<String> {
    let mut out: Vec<String> = commits
        .iter()
        .flat_map(|c| [&c.author.email, &c.committer.email])
        .filter(|e| !e.is_empty())
        .map(|e| e.to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Payload {
    /// The payload for signing a finished review of `change`: reviewer and time come from the
    /// record. Refuses when a hunk that needed a decision is not approved (only a complete
    /// approval can be signed) or when the change is no longer the one the record saw.
    pub fn for_change(change: &Reviewed<'_>, record: &ReviewRecord) -> Result<Payload> {
        let hunks = record.counts();
        if !hunks.all_approved() {
            bail!(
                "{} of {} hunks approved: every AI-touched hunk must be approved before signing",
                hunks.approved,
                hunks.total
            );
        }
        let content = content_digest(change.files)?;
        if content.to_string() != record.content_digest {
            bail!(
                "the change differs from the one reviewed (content digest {content}, reviewed {})",
                record.content_digest
            );
        }
        let reviewer = Identity::parse(&record.reviewer)
            .ok_or_else(|| anyhow!("reviewer '{}' is not 'Name <email>'", record.reviewer))?;
        let time = timefmt::parse_rfc3339(&record.time)
            .ok_or_else(|| anyhow!("bad review time '{}'", record.time))?;
        let object_format = ObjectFormat::of_id(change.tree)
            .ok_or_else(|| anyhow!("'{}' is not a tree id", change.tree))?;
        let payload = Payload {
            scope: change.scope,
            reviewer,
            time,
            hunks,
            content,
            object_format,
            base_tree: change.base_tree.to_string(),
            tree: change.tree.to_string(),
            authors: authors_of(change.commits),
            record: record.digest(),
            break_glass: None,
        };
        payload.validate()?;
        Ok(payload)
    }

    /// The payload of a break-glass approval of `change`: like [`Payload::for_change`], but the
    /// hunks need not all be approved (an emergency; the record says what was looked at), and
    /// it carries the reason.
    pub fn for_break_glass(
        change: &Reviewed<'_>,
        record: &ReviewRecord,
        reason: &str,
    ) -> Result<Payload> {
        check_reason(reason)?;
        let mut complete = record.clone();
        // Reuse the one constructor's checks (digest, identity, time, ids) on a record that
        // counts as complete; the payload keeps the record's real counts and digest.
        for h in &mut complete.hunks {
            if h.needs_review {
                h.verdict = Some(crate::model::Verdict::Approved);
            }
        }
        let mut payload = Payload::for_change(change, &complete)?;
        payload.hunks = record.counts();
        payload.record = record.digest();
        payload.break_glass = Some(reason.to_string());
        payload.validate()?;
        Ok(payload)
    }

    /// The payload of a commit approval: the commit's change against its first parent.
    pub fn for_commit(commit: &Commit, record: &ReviewRecord) -> Result<Payload> {
        let commits = [commit];
        Payload::for_change(
            &Reviewed {
                scope: Scope::Commit,
                files: &commit.files,
                base_tree: commit.base_tree(),
                tree: &commit.tree_id,
                commits: &commits,
            },
            record,
        )
    }

    /// The exact bytes that are signed: `key SP value LF` lines in a fixed order.
    pub fn to_canonical(&self) -> String {
        let mut s = String::new();
        s.push_str(PAYLOAD_HEADER);
        s.push('\n');
        s.push_str(&format!("scope {}\n", self.scope.as_str()));
        s.push_str(&format!("reviewer {}\n", self.reviewer));
        s.push_str(&format!("time {}\n", timefmt::rfc3339(self.time)));
        s.push_str(&format!(
            "hunks {}/{}\n",
            self.hunks.approved, self.hunks.total
        ));
        s.push_str(&format!("content {}\n", self.content));
        s.push_str(&format!("object-format {}\n", self.object_format.as_str()));
        s.push_str(&format!("base-tree {}\n", self.base_tree));
        s.push_str(&format!("tree {}\n", self.tree));
        for author in &self.authors {
            s.push_str(&format!("author {author}\n"));
        }
        s.push_str(&format!("record {}\n", self.record));
        if let Some(reason) = &self.break_glass {
            s.push_str(&format!("break-glass {reason}\n"));
        }
        s
    }

    /// Checks the fields that `to_canonical` can't enforce by construction: ids of the right
    /// format, counts that make sense, authors that fit on a line.
    pub fn validate(&self) -> Result<()> {
        for id in [&self.base_tree, &self.tree] {
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
        let mut sorted = self.authors.clone();
        sorted.sort();
        sorted.dedup();
        if sorted != self.authors {
            bail!("the authors are not sorted and distinct");
        }
        if let Some(bad) = self.authors.iter().find(|a| {
            a.is_empty() || a.chars().any(|c| c.is_control()) || a.to_ascii_lowercase() != **a
        }) {
            bail!("bad author e-mail '{bad}'");
        }
        if let Some(reason) = &self.break_glass {
            check_reason(reason)?;
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
        let scope = field("scope")?;
        let scope = Scope::parse(scope).ok_or_else(|| anyhow!("bad scope '{scope}'"))?;
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
        let base_tree = field("base-tree")?.to_string();
        let tree = field("tree")?.to_string();
        let mut rest: Vec<&str> = lines.collect();
        let break_glass = match rest.last().and_then(|l| l.strip_prefix("break-glass ")) {
            Some(reason) => {
                let reason = reason.to_string();
                rest.pop();
                Some(reason)
            }
            None => None,
        };
        let (record_line, author_lines) = rest
            .split_last()
            .ok_or_else(|| anyhow!("payload ends before 'record'"))?;
        let mut authors = Vec::new();
        for line in author_lines {
            let email = line
                .strip_prefix("author ")
                .ok_or_else(|| anyhow!("expected 'author …', found '{line}'"))?;
            authors.push(email.to_string());
        }
        let record = record_line
            .strip_prefix("record ")
            .and_then(Sha256Digest::parse)
            .ok_or_else(|| anyhow!("expected 'record sha256:…', found '{record_line}'"))?;
        let payload = Payload {
            scope,
            reviewer,
            time,
            hunks,
            content,
            object_format,
            base_tree,
            tree,
            authors,
            record,
            break_glass,
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
            scope: Scope::Commit,
            reviewer: Identity::parse("Jane Doe <jane@example.com>").unwrap(),
            time: 1_795_294_800,
            hunks: HunkCounts {
                approved: 12,
                total: 12,
            },
            content: Sha256Digest::of(b"content"),
            object_format: ObjectFormat::Sha1,
            base_tree: "2".repeat(40),
            tree: "1".repeat(40),
            authors: vec!["ada@example.com".into(), "bob@example.com".into()],
            record: Sha256Digest::of(b"record"),
            break_glass: None,
        }
    }

    #[test]
    fn a_break_glass_payload_ends_with_its_reason() {
        let p = Payload {
            break_glass: Some("INC-42 checkout is down".into()),
            ..sample()
        };
        let text = p.to_canonical();
        assert!(
            text.ends_with("\nbreak-glass INC-42 checkout is down\n"),
            "{text}"
        );
        assert_eq!(Payload::parse(&text).unwrap(), p);
        assert_ne!(text, sample().to_canonical());
        for bad in ["", " x", "x ", "a  b", "a\tb"] {
            let b = text.replace("INC-42 checkout is down", bad);
            assert!(Payload::parse(&b).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn canonical_text_is_exact() {
        let text = sample().to_canonical();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "countersign-approval v2");
        assert_eq!(lines[1], "scope commit");
        assert_eq!(lines[2], "reviewer Jane Doe <jane@example.com>");
        assert_eq!(lines[3], "time 2026-11-21T21:00:00Z");
        assert_eq!(lines[4], "hunks 12/12");
        assert_eq!(lines[6], "object-format sha1");
        assert_eq!(lines[7], format!("base-tree {}", "2".repeat(40)));
        assert_eq!(lines[9], "author ada@example.com");
        assert!(lines[11].starts_with("record sha256:"));
        assert_eq!(lines.len(), 12);
        assert_eq!(Payload::parse(&text).unwrap(), sample());
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
            text.replace("scope commit", "scope everything"),
            text.replace(
                "author ada@example.com\nauthor bob",
                "author bob@example.com\nauthor ada",
            ),
            text.replace("author ada@", "author Ada@"),
            text.replace(
                "time 2026-11-21T21:00:00Z",
                "time 2026-11-21T21:00:00+00:00",
            ),
            text.replace("tree 1111", "tree 111A"),
            text.replace("countersign-approval v2", "countersign-approval v1"),
        ];
        for b in bad {
            assert!(Payload::parse(&b).is_err(), "accepted:\n{b}");
        }
    }

    #[test]
    fn for_change_refuses_partial_reviews() {
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
        let reviewed = |c: &Commit, v: Verdict| -> Result<Payload, String> {
            let commits = [c];
            let change = Reviewed {
                scope: Scope::Commit,
                files: &c.files,
                base_tree: &c.parent_tree_ids[0],
                tree: &c.tree_id,
                commits: &commits,
            };
            Payload::for_change(&change, &decide(v)).map_err(|e| e.to_string())
        };
        let err = reviewed(&c, Verdict::NeedsWork).unwrap_err();
        assert!(err.to_string().contains("1 of 2 hunks approved"), "{err}");
        let p = reviewed(&c, Verdict::Approved).unwrap();
        assert_eq!(p.record, decide(Verdict::Approved).digest());
        let mut changed = c.clone();
        changed.files[0].hunks[0].lines[1].bytes = b"z".as_slice().into();
        assert!(reviewed(&changed, Verdict::Approved).is_err());
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
