//! Rebuilding a commit object with new parents, a new committer and possibly a new message,
//! keeping every other header byte for byte, as `git commit --amend` does. libgit2's
//! `commit_create_buffer` would silently drop headers it doesn't know (`mergetag`, jj's
//! `change-id`, `encoding`) and can't carry a message that is not UTF-8; editing the header
//! keeps a descendant that is only re-parented exactly as it was.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use git2::Oid;

/// What changes in one commit.
pub struct Rebuild<'a> {
    /// The original header (`Commit::raw_header_bytes`).
    pub raw_header: &'a [u8],
    /// The message to write, as raw bytes.
    pub message: &'a [u8],
    /// The message is a new one (UTF-8): the original `encoding` header no longer applies.
    pub new_message: bool,
    /// Old id → new id of every commit rewritten so far; a parent not in it stays as it is.
    /// The parents are read from the header itself, not from libgit2's view of the commit,
    /// which a shallow clone's grafts may have cut.
    pub parents: &'a HashMap<Oid, Oid>,
    /// The new `committer` value (`Name <email> 1795294800 +0000`).
    pub committer: &'a str,
}

/// The headers that carry a signature over the whole object: a rewritten commit can't keep
/// them (the signed bytes changed), so they are dropped and, when asked, made anew.
pub const SIGNATURE_FIELDS: [&str; 2] = ["gpgsig", "gpgsig-sha256"];

/// Splits a header into fields: a `key value` line and the continuation lines (starting with
/// a space) that belong to it.
fn fields(raw_header: &[u8]) -> Vec<&[u8]> {
    let mut end = raw_header.len();
    while end > 0 && raw_header[end - 1] == b'\n' {
        end -= 1;
    }
    let header = &raw_header[..end];
    let mut out: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos <= header.len() {
        let line_end = header[pos..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(header.len(), |i| pos + i);
        let next = line_end + 1;
        // A field ends where the next line does not start with a space.
        if next >= header.len() || header[next] != b' ' {
            out.push(&header[start..line_end]);
            start = next;
        }
        pos = next;
    }
    out
}

fn key(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == b' ').unwrap_or(field.len());
    &field[..end]
}

/// The original header carried a commit signature.
pub fn is_signed(raw_header: &[u8]) -> bool {
    fields(raw_header)
        .iter()
        .any(|f| SIGNATURE_FIELDS.iter().any(|s| key(f) == s.as_bytes()))
}

/// The new commit object's bytes (without a signature).
pub fn rebuild(r: &Rebuild<'_>) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(r.raw_header.len() + r.message.len() + 64);
    let mut seen_committer = false;
    for field in fields(r.raw_header) {
        let k = key(field);
        if k == b"parent" {
            let hex = std::str::from_utf8(&field[k.len()..]).unwrap_or("").trim();
            let old = Oid::from_str(hex)
                .map_err(|_| anyhow!("unexpected commit header: 'parent {hex}'"))?;
            let new = r.parents.get(&old).copied().unwrap_or(old);
            out.extend_from_slice(format!("parent {new}").as_bytes());
        } else if k == b"committer" {
            seen_committer = true;
            out.extend_from_slice(b"committer ");
            out.extend_from_slice(r.committer.as_bytes());
        } else if SIGNATURE_FIELDS.iter().any(|s| k == s.as_bytes())
            || (r.new_message && k == b"encoding")
        {
            continue;
        } else {
            out.extend_from_slice(field);
        }
        out.push(b'\n');
    }
    if !seen_committer {
        bail!("unexpected commit header: no committer");
    }
    out.push(b'\n');
    out.extend_from_slice(r.message);
    Ok(out)
}

/// Adds a signature header at the end of the header, where git puts it, each line of the
/// armour after the first on a continuation line.
pub fn insert_signature(object: &[u8], field: &str, armor: &str) -> Result<Vec<u8>> {
    let Some(blank) = object.windows(2).position(|w| w == b"\n\n") else {
        bail!("the commit object has no end of header");
    };
    let at = blank + 1;
    let armor = armor.trim_end_matches(['\n', '\r']);
    let mut header = format!("{field} ");
    header.push_str(&armor.replace('\n', "\n "));
    header.push('\n');
    let mut out = Vec::with_capacity(object.len() + header.len());
    out.extend_from_slice(&object[..at]);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&object[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent 1111111111111111111111111111111111111111\n\
parent 2222222222222222222222222222222222222222\n\
author Ada <ada@example.com> 1795294800 +0000\n\
committer Ada <ada@example.com> 1795294800 +0000\n\
encoding ISO-8859-1\n\
mergetag object 3333333333333333333333333333333333333333\n type commit\n tag v1\n\
gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\
change-id wxyz\n";

    fn rebuild_with(new_message: bool, message: &[u8]) -> Vec<u8> {
        // The first parent was rewritten, the second was not.
        let parents = HashMap::from([(
            Oid::from_str(&"11".repeat(20)).unwrap(),
            Oid::from_str(&"aa".repeat(20)).unwrap(),
        )]);
        rebuild(&Rebuild {
            raw_header: HEADER,
            message,
            new_message,
            parents: &parents,
            committer: "Jane <jane@example.com> 1795298400 +0100",
        })
        .unwrap()
    }

    #[test]
    fn keeps_unknown_headers_and_drops_the_signature() {
        assert!(is_signed(HEADER));
        let out = String::from_utf8(rebuild_with(true, b"New\n")).unwrap();
        let expected = format!(
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent {}\nparent {}\n\
author Ada <ada@example.com> 1795294800 +0000\n\
committer Jane <jane@example.com> 1795298400 +0100\n\
mergetag object 3333333333333333333333333333333333333333\n type commit\n tag v1\n\
change-id wxyz\n\nNew\n",
            "aa".repeat(20),
            "22".repeat(20)
        );
        assert_eq!(out, expected);
        assert!(!is_signed(out.as_bytes()));
        // An unchanged message keeps its encoding and its bytes.
        let kept = rebuild_with(false, b"caf\xe9\n");
        assert!(kept.windows(20).any(|w| w == b"encoding ISO-8859-1\n"));
        assert!(kept.ends_with(b"\n\ncaf\xe9\n"));
    }

    #[test]
    fn a_broken_header_is_refused() {
        let parents = HashMap::new();
        for header in [
            &b"tree t\nparent xyz\ncommitter c\n"[..],
            b"tree t\nauthor a\n",
        ] {
            let r = Rebuild {
                raw_header: header,
                message: b"x\n",
                new_message: true,
                parents: &parents,
                committer: "J <j@e> 1 +0000",
            };
            assert!(rebuild(&r).is_err());
        }
    }

    #[test]
    fn signature_goes_at_the_end_of_the_header() {
        let object = b"tree t\nauthor a\ncommitter c\n\nSubject\n\nBody\n";
        let armor = "-----BEGIN SSH SIGNATURE-----\nU1NI\n-----END SSH SIGNATURE-----\n";
        let out = insert_signature(object, "gpgsig", armor).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "tree t\nauthor a\ncommitter c\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NI\n \
-----END SSH SIGNATURE-----\n\nSubject\n\nBody\n"
        );
    }
}
