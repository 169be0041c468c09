//! A line put back with part of it deleted: the removed line (or statement, when a run of
//! removed lines is replaced by a run of added ones) and an added one read the same except
//! that some of the removed line's tokens are gone. What is gone says what the fix was:
//!
//! - a protective call around a value (`html.escape(tag)`, `pq.QuoteIdentifier(order)`,
//!   `e($asset->tag)`, `filepath.Clean(p)`): `security.escaping-unwrapped`;
//! - an access wrapper around a handler (`self.admin_view(view)`, `login_required(view)`,
//!   `requireAuth(handler)`): `security.access-wrapper-removed`;
//! - a term that scopes a query or a call to its owner (`AND user_id=$2`, `GetEntry(userID,
//!   id)` → `GetEntry(id)`, `->visible()`, `.where(user: current_user)`):
//!   `security.scope-dropped`, critical when the statement deletes or updates.
//!
//! Tokens, not characters, so that re-spacing and re-wrapping do not count, and names, not
//! languages: the same shapes appear in Go, PHP, Python, JS and SQL strings alike.

use std::sync::LazyLock;

use crate::model::{Hunk, LineKind};

use super::{re, FileFacts, Id, Lang, Sink};

/// A protective call's name (its last part), matched without case and underscores folded
/// away: `htmlspecialchars`, `QuoteIdentifier`, `escape_html`, `sanitize`, `bleach.clean`.
static PROTECTIVE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    re(
        r"^(\w*escape\w*|esc\w+|h|e|\w*saniti[sz]\w*|\w*quote\w*|\w*clean\w*|striptags|bleach|purify|\w*purifier|securefilename|safejoin|safepath|normpath|realpath|basename|urlencode|rawurlencode|encodeuri\w*|encodeurl|\w*htmlencode\w*|encodefor\w*|htmlspecialchars|htmlentities|\w*validat\w*|\w*filtervar|filterinput)$",
    )
});
/// An access wrapper's name, folded the same way.
static ACCESS_WRAPPER: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    re(
        r"^(adminview|\w*loginrequired|\w*permissionrequired|\w*authrequired|staffmemberrequired|userpassestest|superuserrequired|csrfprotect|require(auth|login|admin|perm|role|user|owner|signin|session|scope)\w*|authenticate[ds]?\w*|authori[sz]e\w*|withauth\w*|ensure(auth|logged|login|admin|perm)\w*|protect(ed)?(route|view|handler)?|guard(ed)?)$",
    )
});
/// A token that scopes a query or a call to whose it is, folded the same way.
static SCOPE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    re(
        r"^(userid|uid|ownerid|owner|ownedby|\w*ownedby\w*|tenant|tenantid|accountid|orgid|organizationid|organisationid|teamid|workspaceid|projectid|currentuser|requestuser|\w*visible\w*|visibility|\w*permissions?|polic(y|ies)|policyscope|authorized|accessible\w*|viewableby|editableby|foruser|byuser|scoped?)$",
    )
});
/// Lines whose tokens name things without deciding anything: logging, imports, declarations.
static INERT: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)\b(log|logger|logging|slog|console|print|println|printf|debug|info|warn|warning|error)\s*[.(]|^\s*(import|from|use|require|using|package|#include)\b|^\s*(pub(\([\w:]+\))?\s+)?(def|func|fn|function|class|interface|type|struct|private|public|protected|static)\b|^\s*(#|//|/\*|\*|--)",
        // A LIKE pattern a query builder binds as a parameter (`->where('name', 'like', …)`):
        // escaping its wildcards changes what matches, not the SQL.
        r#"|\bwhere\w*\(\s*['"][\w.]+['"]\s*,\s*['"]i?like['"]"#,
    ))
});
/// A statement that changes or removes rows.
static WRITES: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| re(r"(?i)\b(delete|update|destroy|remove)\w*\b"));

/// A line longer than this (minified, generated) is not compared.
const MAX_LINE: usize = 600;
/// Lines of a removed or added run joined into one statement at most.
const MAX_RUN: usize = 8;
/// Tokens deleted at most, and the stretches they lie in: more is a rewrite.
const MAX_GONE: usize = 12;
const MAX_SPANS: usize = 3;
/// Pairs compared at most (as `reversal.rs`): beyond this the hunk is a rewrite.
const MAX_PAIRS: usize = 40_000;

/// A token: an identifier (with `$`, as PHP and SQL placeholders spell them) or one character.
fn tokens(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            out.push(&s[start..i]);
        } else {
            // Whole characters: a multi-byte one is one token.
            let len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push(&s[i..i + len]);
            i += len;
        }
    }
    out
}

/// The identifier as the name patterns read it: lower case, `_` and `$` folded away.
fn fold(t: &str) -> Vec<u8> {
    t.bytes()
        .filter(|b| *b != b'_' && *b != b'$')
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

/// Which of `old`'s tokens are gone, when `new` is `old` with some tokens deleted and nothing
/// added; None otherwise. Greedy from both ends, then the middle in order.
fn deleted<'a>(old: &[&'a str], new: &[&str]) -> Option<Vec<(usize, &'a str)>> {
    if new.len() >= old.len() || new.len() < 3 || new.len() * 3 < old.len() {
        return None;
    }
    let pre = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suf = old[pre..]
        .iter()
        .rev()
        .zip(new[pre..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (om, nm) = (&old[pre..old.len() - suf], &new[pre..new.len() - suf]);
    let mut out = Vec::new();
    let mut j = 0;
    for (k, t) in om.iter().enumerate() {
        if j < nm.len() && nm[j] == *t {
            j += 1;
        } else {
            out.push((pre + k, *t));
        }
    }
    // A few short stretches: a line matched token by token against a whole statement, or a
    // line rewritten, leaves many scattered ones.
    let spans = out.windows(2).filter(|w| w[1].0 != w[0].0 + 1).count() + 1;
    let few = out.len() <= MAX_GONE && spans <= MAX_SPANS;
    (j == nm.len() && (few || one_call_unwrapped(&out))).then_some(out)
}

/// The same call taken off several values of one line (`[e($city), e($state)]` →
/// `[$city, $state]`): every stretch gone is that call's name and `(`, or a `)`, as many of
/// each. Many stretches, but one edit, repeated.
fn one_call_unwrapped(gone: &[(usize, &str)]) -> bool {
    let mut stretches: Vec<Vec<&str>> = Vec::new();
    for (k, &(i, t)) in gone.iter().enumerate() {
        match stretches.last_mut() {
            Some(last) if k > 0 && gone[k - 1].0 + 1 == i => last.push(t),
            _ => stretches.push(vec![t]),
        }
    }
    let (mut opens, mut closes, mut name) = (0, 0, None);
    for st in &stretches {
        match st.as_slice() {
            [n, "("] if name.is_none_or(|m| m == *n) => {
                name = Some(*n);
                opens += 1;
            }
            [")"] => closes += 1,
            _ => return false,
        }
    }
    opens >= 2 && opens == closes && gone.len() <= 4 * MAX_GONE
}

/// What was taken off, and the sentence that says so.
fn judge(old: &[&str], gone: &[(usize, &str)]) -> Option<(Id, String)> {
    let ident = |t: &str| {
        t.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
    };
    // A template's escaping filter taken off (`username|escape`, `piggy|e`, Twig, Jinja,
    // Liquid, Nunjucks): the `|` and the filter's name are gone, the value stays.
    for w in gone.windows(2) {
        let ((i, bar), (j, name)) = (w[0], w[1]);
        if j == i + 1 && bar == "|" && ident(name) && old.get(i.wrapping_sub(1)) != Some(&"|") {
            let f = fold(name);
            if PROTECTIVE.is_match(&f) && !f.starts_with(b"un") {
                return Some((Id::EscapingUnwrapped, format!("The `|{name}` filter is taken off this value: unless it is escaped elsewhere now, that is injection (HTML, a script).")));
            }
        }
    }
    // A call taken off: its name is gone and so is the `(` after it.
    for w in gone.windows(2) {
        let ((i, name), (j, open)) = (w[0], w[1]);
        if j != i + 1 || open != "(" || !ident(name) {
            continue;
        }
        let f = fold(name);
        // `x.h(…)`, `x.e(…)`: only a bare one-letter call is an escape helper.
        let method = i > 0
            && (matches!(old[i - 1], "." | ":") || old[i - 1] == ">" && i > 1 && old[i - 2] == "-");
        let bare = !method;
        if f.len() == 1 && !bare || f.starts_with(b"un") || f.starts_with(b"is") {
            continue;
        }
        // Unwrapped means the value stays: when the call's argument goes too, only a call on
        // a module that goes with it (`html.escape(tag) for tag in tags` → `tags`) counts, not
        // a builder's method dropped from a chain (`.validator(check)`).
        let close = closing(old, j);
        let inner_kept = close.is_some_and(|c| (j + 1..c).any(|k| !gone.iter().any(|g| g.0 == k)));
        let qualifier_gone = method && i > 1 && gone.iter().any(|g| g.0 == i - 2);
        if !inner_kept && !qualifier_gone {
            continue;
        }
        if PROTECTIVE.is_match(&f) {
            return Some((Id::EscapingUnwrapped, format!("`{name}(…)` is taken off this value: unless it is escaped or checked elsewhere now, that is injection (HTML, SQL, a path, a command).")));
        }
        if ACCESS_WRAPPER.is_match(&f) {
            return Some((Id::AccessWrapperRemoved, format!("`{name}(…)` no longer wraps this handler: whoever it kept out (anonymous visitors, non-admins) now reaches it.")));
        }
    }
    let scope = gone
        .iter()
        .find(|(_, t)| ident(t) && SCOPE.is_match(&fold(t)))?;
    Some((Id::ScopeDropped, format!("`{}` is dropped from this line: the query or check no longer limits it to what the requesting user owns or may see (one user reaches another's records).", scope.1)))
}

/// The index of the token that closes the `(` at `open`.
fn closing(toks: &[&str], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match *t {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// One side's runs: the maximal stretches of consecutive removed (or added) lines.
fn runs(hunk: &Hunk, kind: LineKind) -> Vec<Vec<(usize, &str)>> {
    let mut out: Vec<Vec<(usize, &str)>> = Vec::new();
    let mut open = false;
    for (i, l) in hunk.lines.iter().enumerate() {
        if l.kind != kind {
            // The other side's lines do not end a run of this side (`-a -b +c -d` is rare).
            open = open && l.kind != LineKind::Context;
            continue;
        }
        let Ok(s) = std::str::from_utf8(&l.bytes) else {
            open = false;
            continue;
        };
        if !open {
            out.push(Vec::new());
            open = true;
        }
        if let Some(run) = out.last_mut() {
            run.push((i, s));
        }
    }
    out
}

/// A fast first look: the removed text names something the judgement could find.
fn worth_a_look(s: &str) -> bool {
    static HINT: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "esc",
                "e(",
                "h(",
                "|e",
                "|h",
                "saniti",
                "quote",
                "clean",
                "strip",
                "bleach",
                "purif",
                "safe",
                "normpath",
                "realpath",
                "basename",
                "encode",
                "htmlspecial",
                "htmlentities",
                "validat",
                "filter",
                "admin",
                "login",
                "perm",
                "auth",
                "staff",
                "superuser",
                "csrf",
                "require",
                "ensure",
                "protect",
                "guard",
                "user",
                "uid",
                "owner",
                "owned",
                "tenant",
                "account",
                "org",
                "team",
                "workspace",
                "project",
                "visib",
                "polic",
                "accessible",
                "viewable",
                "editable",
                "scope",
            ])
            .ok()
    });
    HINT.as_ref().is_none_or(|ac| ac.is_match(s))
}

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.is_test_data || file.is_prose || file.is_deleted || file.is_check {
        return;
    }
    if !sink.on(Id::EscapingUnwrapped)
        && !sink.on(Id::AccessWrapperRemoved)
        && !sink.on(Id::ScopeDropped)
    {
        return;
    }
    let code = !matches!(
        file.lang,
        Lang::Yaml | Lang::Json | Lang::Terraform | Lang::Other
    ) || file.lang == Lang::Other && hunk.lines.len() < 400;
    if !code {
        return;
    }
    let removed = runs(hunk, LineKind::Removed);
    if removed.is_empty() {
        return;
    }
    let added = runs(hunk, LineKind::Added);
    let (nr, na) = (
        removed.iter().map(Vec::len).sum::<usize>(),
        added.iter().map(Vec::len).sum::<usize>(),
    );
    if na == 0 || nr * na > MAX_PAIRS {
        return;
    }
    // Candidates: each removed line, and each short run joined into one statement.
    let joined = |run: &[(usize, &str)]| -> Option<(usize, String)> {
        (run.len() > 1 && run.len() <= MAX_RUN).then(|| {
            (
                run[0].0,
                run.iter().map(|(_, s)| *s).collect::<Vec<_>>().join(" "),
            )
        })
    };
    let olds: Vec<(usize, String)> = removed
        .iter()
        .flat_map(|run| {
            run.iter()
                .map(|&(i, s)| (i, s.to_string()))
                .chain(joined(run))
        })
        .filter(|(_, s)| {
            s.len() <= MAX_LINE * MAX_RUN && !INERT.is_match(s.as_bytes()) && worth_a_look(s)
        })
        .collect();
    if olds.is_empty() {
        return;
    }
    let news: Vec<(usize, String)> = added
        .iter()
        .flat_map(|run| {
            run.iter()
                .map(|&(i, s)| (i, s.to_string()))
                .chain(joined(run))
        })
        .filter(|(_, s)| s.len() <= MAX_LINE * MAX_RUN && !INERT.is_match(s.as_bytes()))
        .collect();
    let new_tokens: Vec<(usize, &str, Vec<&str>)> = news
        .iter()
        .map(|(i, s)| (*i, s.as_str(), tokens(s)))
        .collect();
    for (_, old) in &olds {
        let ot = tokens(old);
        for (i, new, nt) in &new_tokens {
            let Some(gone) = deleted(&ot, nt) else {
                continue;
            };
            let Some((id, msg)) = judge(&ot, &gone) else {
                continue;
            };
            let id = if id == Id::ScopeDropped && WRITES.is_match(new.as_bytes()) {
                Id::ScopeDroppedWrite
            } else {
                id
            };
            if sink.on(id) {
                sink.push(id, Some(*i), None, Some(msg));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        crate::risk::logic::testutil::ids(scan, path, text)
    }

    #[test]
    fn an_unwrapped_escape_fires_and_a_swapped_one_does_not() {
        assert_eq!(
            ids("app/tags.py", "-    return mark_safe(f'<a href=\"{url}\">{escape(text)}</a>')\n+    return mark_safe(f'<a href=\"{url}\">{text}</a>')\n"),
            ["security.escaping-unwrapped"]
        );
        assert_eq!(
            ids("exporter.py", "-    tags = \",\".join(html.escape(tag) for tag in tag_names)\n+    tags = \",\".join(tag_names)\n"),
            ["security.escaping-unwrapped"]
        );
        assert_eq!(
            ids(
                "builder.go",
                "-\t\torder:      pq.QuoteIdentifier(order),\n+\t\torder:      order,\n"
            ),
            ["security.escaping-unwrapped"]
        );
        assert!(ids(
            "app/tags.py",
            "-    \"title\": escape(lines[0]),\n+    \"title\": html.escape(lines[0]),\n"
        )
        .is_empty());
        assert!(ids("app/tags.py", "-    x = unescape(s)\n+    x = s\n").is_empty());
        // A builder's validator dropped with its argument, and a statement re-wrapped around a
        // call it keeps (ripgrep's history).
        assert!(ids("src/app.rs", "-             .validator(validate_max_filesize))\n+             )\n+             .hidden(true))\n").is_empty());
        let rewrap = "-    str::from_utf8(pattern).map_err(|err| {\n-        InvalidPatternError {\n-            original: escape(pattern),\n-            valid_up_to: err.valid_up_to(),\n-        }\n+    str::from_utf8(pattern).map_err(|err| InvalidPatternError {\n+        original: escape(pattern),\n+        valid_up_to: err.valid_up_to(),\n     })\n";
        assert!(ids("grep-cli/src/pattern.rs", rewrap).is_empty());
    }

    /// akaunting bf1e1580 reversed: `e()` taken off four values of one array; a line
    /// rewritten in several unrelated places is no unwrapping.
    #[test]
    fn one_escape_taken_off_several_values_fires() {
        let php = "-            [e($city), e($country), e($state), e($zip_code), '<br>'],\n+            [$city, $country, $state, $zip_code, '<br>'],\n";
        assert_eq!(
            ids("app/Traits/Contacts.php", php),
            ["security.escaping-unwrapped"]
        );
        let mixed = "-            [e($city), trim($country), e($state), lower($zip), '<br>'],\n+            [$city, $country, $state, $zip, '<br>'],\n";
        assert!(ids("app/Traits/Contacts.php", mixed).is_empty());
    }

    #[test]
    fn a_template_escape_filter_taken_off_fires() {
        let twig = "-    <p>{{ \"shared_by\"|trans({'%username%': entry.user.username|escape})|raw }}</p>\n+    <p>{{ \"shared_by\"|trans({'%username%': entry.user.username})|raw }}</p>\n";
        assert_eq!(
            ids("templates/share.html.twig", twig),
            ["security.escaping-unwrapped"]
        );
        let short = "-  {{ trans('log_add', {name: entry.piggy|e})|raw }}\n+  {{ trans('log_add', {name: entry.piggy})|raw }}\n";
        assert_eq!(
            ids("views/ale.twig", short),
            ["security.escaping-unwrapped"]
        );
        // Another filter taken off, and `||` in code, are not escaping.
        let upper = "-  {{ entry.title|upper }}\n+  {{ entry.title }}\n";
        assert!(ids("views/entry.twig", upper).is_empty());
        let or = "-    ok = a || e\n+    ok = a\n";
        assert!(ids("app/x.py", or).is_empty());
    }

    #[test]
    fn an_access_wrapper_taken_off_a_route_fires() {
        let py = "         custom_urls = [\n-            path(\n-                \"tasks/\",\n-                self.admin_view(background_task_view),\n-                name=\"background_tasks\",\n-            ),\n+            path(\"tasks/\", background_task_view, name=\"background_tasks\"),\n         ]\n";
        assert_eq!(
            ids("bookmarks/admin.py", py),
            ["security.access-wrapper-removed"]
        );
        // Only re-wrapped: the same call on one line.
        let same = "-            path(\n-                \"tasks/\",\n-                self.admin_view(view),\n-            ),\n+            path(\"tasks/\", self.admin_view(view)),\n";
        assert!(ids("bookmarks/admin.py", same).is_empty());
    }

    #[test]
    fn an_owner_term_dropped_from_a_query_fires() {
        let go = "-\tif _, err := s.db.Exec(`DELETE FROM feeds WHERE id=$1 AND user_id=$2`, feedID, userID); err != nil {\n+\tif _, err := s.db.Exec(`DELETE FROM feeds WHERE id=$1`, feedID); err != nil {\n";
        assert_eq!(ids("storage/feed.go", go), ["security.scope-dropped-write"]);
        let read = "-\tentry, err := h.store.GetEntry(userID, entryID)\n+\tentry, err := h.store.GetEntry(entryID)\n";
        assert_eq!(ids("api/entry.go", read), ["security.scope-dropped"]);
        // A log line that stops naming the user, and a term that is not about whose it is.
        assert!(ids("api/entry.go", "-\tlog.Printf(\"entry %d of %d\", entryID, userID)\n+\tlog.Printf(\"entry %d\", entryID)\n").is_empty());
        assert!(ids("api/entry.go", "-\trows, err := q.Where(\"id = ? AND deleted = false\", id).Rows()\n+\trows, err := q.Where(\"id = ?\", id).Rows()\n").is_empty());
    }
}
