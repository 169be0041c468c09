//! A check's subject taken out of a condition. A reversed security fix rarely says
//! "permission" in a comment or calls anything by a dangerous name; what it does is take a
//! term out of an `if`, a boolean, a filter's predicate or a route's middleware, and the term
//! names what the check was about: an admin or an owner, a membership, a disabled or
//! unconfirmed account, `..` in a path, a MIME type, a throttle. When a removed condition line
//! names such a subject and no condition the hunk adds names it again, the guarantee it gave is
//! gone from this code (`security.check-subject-removed`, medium): the reviewer has to find it
//! elsewhere, or it is gone.
//!
//! Not a removal: the line moved or re-indented within the hunk, the subject named again by a
//! condition the hunk adds (the check rewritten), a log line, an import, a comment, words only
//! inside string literals (a message, not a check), and a condition deleted with the whole
//! function around it (dead code).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;
use crate::risk::lines::HunkFacts;

use super::guard::{in_removed_function, removed_text};
use super::{re, FileFacts, Id, Lang, Sink};

/// A line that decides something: a conditional's opening (or a postfix `if`/`unless`, a match
/// guard), a boolean or comparison operator, a filter's predicate, a route's middleware or a
/// handler's decorator, an assertion-like call.
static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^\s*(\}\s*)?((else\s+)?if|elif|elsif|unless|guard|when|while)\b",
        r"|&&|\|\||\s(and|or)\s|\bnot\s|!==?|===?",
        r"|\bfilter\s*\(|\.(With|Use)\s*\(|^\s*@[A-Za-z_]|\bbefore_action\b|->middleware\s*\(",
        r"|\brequire_\w+|\bassert\w*\s*\(|\bensure!\s*\(",
    ))
});
/// A postfix `if`/`unless` (Ruby's `raise … unless allowed?`, Python's `x if cond else y`) or
/// a Rust match guard (`Some(name) if name.is_safe() =>`): only in those languages, where a
/// line of prose continuing a string ("as if it were disabled") cannot pass for one.
static POSTFIX: LazyLock<Regex> = LazyLock::new(|| re(r"\s(if|unless)\s"));
static MATCH_GUARD: LazyLock<Regex> = LazyLock::new(|| re(r"\sif\s.*=>"));

/// Lines that name a subject without deciding on it.
static NOT_A_CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^\s*(#|//|/\*|\*|--|<!--)",
        r#"|^\s*(import|from\s+\S+\s+import|use|include|using|require)\b|\brequire\s*\(\s*['"]"#,
        r"|(?i)\b(log|logger|logging|console|slog|tracing|fmt\.print\w*|print|println|printf|puts)\s*[.(!]",
        r"|(?i)\b(log|logger)\.\w+\s*\(|\b(debug|info|warn|warning|error)!\s*\(",
    ))
});
/// A string literal, whose words are a message rather than a check.
static STRING: LazyLock<Regex> =
    LazyLock::new(|| re(r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"#));
/// A call to a checking helper (`validate_file_access($filename, $this->targetPath)`), its
/// arguments in the group.
static HELPER_CALL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:validate|sanitize|sanitise|verify|check|ensure|authorize|authorise|guard)_\w+\s*\(([^)\n]*)",
    )
});
/// A variable or name in code: `$filename`, `user_id`.
static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"\$?[A-Za-z_]\w{2,}"));
/// `..` as a path component in a literal: the traversal a path check refused.
static DOT_DOT: LazyLock<Regex> = LazyLock::new(|| re(r#"["'`]\.\.["'`/\\]"#));

/// Words (of identifiers split at `_` and case changes, lower-cased) that name what a check is
/// about, as prefixes: who may act, the account's state, what input is refused, the rate.
const SUBJECTS: &[&str] = &[
    // who may act
    "admin",
    "owner",
    "permission",
    "permit",
    "privilege",
    "authoriz",
    "authoris",
    "authent",
    "superuser",
    "sudo",
    "member",
    "moderator",
    "tenant",
    "access",
    "grant",
    // whose the record is, and who else may see it (a query scoped to its creator, a
    // private recipe shared with a list)
    "creator",
    "private",
    // the account's state
    "disabled",
    "verified",
    "unverified",
    "confirmed",
    "unconfirmed",
    "approved",
    "banned",
    "suspended",
    "revoked",
    // input that is refused
    "traversal",
    "safe",
    "unsafe",
    "sanitiz",
    "sanitis",
    "unsanitiz",
    "escape",
    "mime",
    "allowed",
    "allowlist",
    "whitelist",
    "blacklist",
    "denylist",
    "blocklist",
    // where a request may go (an SSRF guard refusing loopback and multicast addresses)
    "loopback",
    "multicast",
    "csrf",
    "xsrf",
    "nonce",
    "signature",
    "hmac",
    // the rate
    "throttle",
    "ratelimit",
    "limiter",
    // secrets compared
    "password",
    "secret",
];
/// Words that must be whole: as prefixes they would name too much (`perm` in `permanent`,
/// `role` in `roles`' neighbours, `auth` in `author`).
const WHOLE: &[&str] = &[
    "perm", "perms", "role", "roles", "auth", "acl", "acls", "staff", "scope", "scopes", "locked",
    "policy", "policies",
];

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if !file.is_source || file.is_test_data || file.is_prose || file.is_deleted {
        return;
    }
    if !sink.on(Id::CheckSubjectRemoved) {
        return;
    }
    let lines = &hunk.lines;
    let is_condition = |b: &[u8]| {
        let postfix = match file.lang {
            Lang::Ruby | Lang::Python => POSTFIX.is_match(b),
            Lang::Rust => MATCH_GUARD.is_match(b),
            _ => false,
        };
        (postfix || CONDITION.is_match(b)) && !NOT_A_CONDITION.is_match(b)
    };
    // What the added conditions name, worked out once a removed one names something: most
    // hunks remove no condition, and then their added lines cost nothing.
    let mut kept: Option<BTreeSet<String>> = None;
    let mut facts = HunkFacts::new(hunk);
    let mut removed = None;
    let mut helped: Option<BTreeSet<Vec<u8>>> = None;
    for (i, l) in lines.iter().enumerate() {
        if l.kind != LineKind::Removed || !is_condition(&l.bytes) {
            continue;
        }
        let named = subjects(&l.bytes);
        if named.is_empty() {
            continue;
        }
        let kept = kept.get_or_insert_with(|| {
            lines
                .iter()
                .filter(|l| l.kind == LineKind::Added && is_condition(&l.bytes))
                .flat_map(|l| subjects(&l.bytes))
                .collect()
        });
        let gone: Vec<String> = named.into_iter().filter(|s| !kept.contains(s)).collect();
        if gone.is_empty() || facts.is_moved(i) {
            continue;
        }
        let removed = removed.get_or_insert_with(|| removed_text(hunk));
        if in_removed_function(hunk, i, removed) {
            continue;
        }
        let helped = helped.get_or_insert_with(|| helper_arguments(hunk));
        if NAME
            .find_iter(&STRING.replace_all(&l.bytes, &b"\"\""[..]))
            .any(|m| m.as_bytes().starts_with(b"$") && helped.contains(m.as_bytes()))
        {
            // The check moved into a helper the hunk now calls on the same variable.
            continue;
        }
        let b = &l.bytes[..];
        let col = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(0);
        let message = format!(
            "A condition on {} is removed, and no condition the hunk adds names it again: \
             unless the same check holds elsewhere now, what it refused goes through.",
            gone.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        sink.push(
            Id::CheckSubjectRemoved,
            Some(i),
            Some(char_column(b, col)),
            Some(message),
        );
        return;
    }
}

/// The variables (`$filename`) the hunk's added lines pass to a checking helper.
fn helper_arguments(hunk: &Hunk) -> BTreeSet<Vec<u8>> {
    hunk.lines
        .iter()
        .filter(|l| l.kind == LineKind::Added && !NOT_A_CONDITION.is_match(&l.bytes))
        .flat_map(|l| HELPER_CALL.captures_iter(&l.bytes))
        .flat_map(|c| {
            c.get(1).map_or(Vec::new(), |args| {
                NAME.find_iter(args.as_bytes())
                    .map(|m| m.as_bytes().to_vec())
                    .collect()
            })
        })
        .collect()
}

/// The subjects a line's code names (its string literals' words left out, but for a `..`
/// path component), as the vocabulary's words.
fn subjects(b: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if DOT_DOT.is_match(b) {
        out.insert("..".to_string());
    }
    let code = STRING.replace_all(b, &b"\"\""[..]);
    for ident in code
        .split(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .filter(|t| !t.is_empty())
    {
        for word in words(ident) {
            let hit = SUBJECTS
                .iter()
                .find(|s| word.starts_with(**s))
                .or_else(|| WHOLE.iter().find(|s| word == **s));
            if let Some(s) = hit {
                out.insert((*s).to_string());
            }
        }
    }
    out
}

/// An identifier's words, lower-cased: split at `_`, at a lower-to-upper change
/// (`isAdmin`) and before the last capital of an acronym run (`HTTPServer` → http, server).
fn words(ident: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for (k, &c) in ident.iter().enumerate() {
        let prev = k.checked_sub(1).map(|p| ident[p]);
        let next = ident.get(k + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase())
            });
        if c == b'_' || boundary {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == b'_' {
                continue;
            }
        }
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        crate::risk::logic::testutil::ids(scan, path, text)
    }

    #[test]
    fn words_split_at_underscores_and_case_changes() {
        assert_eq!(words(b"isAdmin"), ["is", "admin"]);
        assert_eq!(words(b"HTTPServer"), ["http", "server"]);
        assert_eq!(
            words(b"dangerous_unsafe_raw"),
            ["dangerous", "unsafe", "raw"]
        );
        assert_eq!(words(b"THROTTLE_PASS"), ["throttle", "pass"]);
    }

    #[test]
    fn a_removed_condition_on_a_check_subject_fires() {
        for (path, text) in [
            ("redash/authentication/__init__.py", "         user = models.User.get_by_api_key_and_org(api_key, org)\n-        if user.is_disabled:\n-            user = None\n     except models.NoResultFound:\n"),
            ("server/subsonic/api.go", "-\t\t\th(r.With(adminOnly), \"getUsers\", api.GetUsers)\n+\t\t\th(r, \"getUsers\", api.GetUsers)\n"),
            ("server/helpers/page.js", "-    let parts = _.filter(_.split(rawPath, '/'), p => {\n-      return !_.isEmpty(p) && p !== '..' && p !== '.'\n-    })\n+    let parts = _.filter(_.split(rawPath, '/'), p => !_.isEmpty(p))\n"),
            ("app/Models/Story.php", "-    if ($user->role === 'admin' && $story->locked) {\n+    if ($story->locked) {\n"),
        ] {
            assert_eq!(ids(path, text), ["security.check-subject-removed"], "{path}");
        }
    }

    #[test]
    fn a_check_rewritten_moved_or_only_mentioned_does_not_fire() {
        for (path, text) in [
            // The subject is named again by a condition the hunk adds.
            ("app/policy.py", "-    if user.is_admin or user.is_owner(doc):\n+    if user.is_owner(doc) or can_edit(user.is_admin):\n"),
            ("app/policy.py", "-    if user.is_admin:\n+    if request.user.is_admin:\n"),
            // Moved within the hunk.
            ("src/api.rs", "-    if !member.access_all {\n     let x = 1;\n+    if !member.access_all {\n"),
            // A log line, a message, an import, a comment.
            ("src/api.go", "-\tif err != nil { log.Error(ctx, \"could not check admin\", err) }\n"),
            ("flask/helpers.py", "-        \"'flask.helpers.safe_join' is deprecated and will be removed\" if x else y\n"),
            ("server/ga.js", "-const { escape } = require(\"html-escaper\");\n"),
            ("src/a.py", "-    # if user.is_admin and x:\n"),
            // Words as prefixes only where they cannot name something else.
            ("src/redirect.py", "-    if permanent and author == x:\n+    if permanent:\n"),
            // Prose continuing a string literal, and a word that names too much.
            ("crates/core/app.rs", "-behaves as if it were 'none'. That is, hyperlinks are disabled.\n"),
            ("crates/printer/src/standard.rs", "-        if self.hyperlink.is_active() {\n"),
            // Not source code (test code is left out by the engine's `tests` scope).
            ("values.yaml", "-  if: user.is_admin == true\n"),
        ] {
            assert!(ids(path, text).is_empty(), "{path}: {text:?}");
        }
    }

    #[test]
    fn a_condition_deleted_with_its_function_does_not_fire() {
        assert!(ids(
            "app/helpers.py",
            "-def legacy_check(user):\n-    if user.is_admin and user.active:\n-        return True\n-    return False\n"
        )
        .is_empty());
    }
}
