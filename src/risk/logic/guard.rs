//! Guards taken out of code that stays: an `if` whose body rejects (raises, throws, returns
//! `false` or a 4xx status, exits non-zero) removed with its rejection, while the hunk adds no
//! rejection of its own. What the guard refused now goes through. When its condition names a
//! permission, a role or the requesting user it was an access check
//! (`security.permission-check-removed`); otherwise it checked the input
//! (`security.validation-removed`).
//!
//! Not a guard taken out: a rejection the hunk adds back (moved, reworded, raised by a
//! helper that now checks), error propagation (`if err != nil { return err }`), and a guard
//! removed with the whole function around it (a deprecated helper deleted, which the callers'
//! failing import shows).

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;
use crate::risk::lines::HunkFacts;

use super::{re, FileFacts, Id, Lang, Sink};

/// Every guard's `if` line contains one of these: a fast first pass.
static HINT: LazyLock<Regex> = LazyLock::new(|| re(r"\b(if|elif|elsif|unless)\b"));
/// A conditional's opening line (and `} else if`, `elif`).
static OPENER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(\}\s*)?((else\s+)?if|elif|elsif|unless)\b\s*(\(|\[|!|\s)"));
/// Error propagation and other conditions that are no check on a value.
static NOT_A_CHECK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\berr\s*!=\s*nil\b|^\s*(\}\s*)?(else\s+)?if\s*\(?\s*!?\s*(err|error|e|ex|exc|exception)\s*\)?\s*(\{|:|then|$)|\.is_err\(\)|\bif\s+let\s+(Some|Err|Ok)\b|\b(DEBUG|debug|verbose|VERBOSE)\b|__name__",
    )
});
/// A line that rejects: raises, throws, returns false or an error status, aborts, exits.
static REJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\braise\s+[A-Z]\w*|\bthrow\s+(new\s+)?\\?[A-Z][\w\\]*|\breturn\s+(false|False|\[\s*False\s*\])\s*;?\s*($|\}|#|//)",
        r"|\breturn\b[^\n]*\bStatus(Forbidden|Unauthorized|BadRequest|NotFound|Accepted|UnprocessableEntity|PreconditionFailed)\b",
        r"|\b(abort|halt)\s*\(?\s*40\d\b|\bHttpResponse(Forbidden|BadRequest|NotFound)\b|\bhttp\.Error\s*\(",
        r"|\.(sendStatus|status)\(\s*40\d\b|\bhead\s*\(?\s*:(forbidden|unauthorized|bad_request|not_found)\b",
        r"|\breturn\b[^\n]*\b(fmt\.Errorf|errors\.New)\s*\(|\breturn\s+Err\(|^\s*Err\(|=>\s*Err\(|\bPermissionDenied\b",
        // A handler's own refusal helper (`html.NotFound(w, r)`, `json.Forbidden(w, r)`) and
        // a Go lookup's `return "", false`.
        // A verdict recorded for the caller to act on (`isOriginValid = false`).
        r"|\b\w*(?i:valid|allowed|authori[sz]ed|permitted|trusted)\w*\s*=\s*(false|False)\b",
        r"|\b(NotFound|Forbidden|Unauthori[sz]ed|BadRequest|AccessDenied)\s*\(\s*\w|\breturn\s+[^\n;]*,\s*false\s*;?\s*$",
        // Rust's early-return macros (`err!("…")` as vaultwarden spells `return Err`).
        r"|\b(err|err_code|bail)!\s*\(",
    ))
});
/// In a shell script, what rejects: a non-zero exit or return, or an error on stderr.
static SHELL_REJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(exit|return)\s+[1-9]\d*\b|>&2|\babort\b|\bdie\b|(?i)\becho\b[^\n]*\b(invalid|not allowed|not permitted|denied|forbidden|refused|illegal)\b",
    )
});
/// What an access check's condition names.
static ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)perm|authori[sz]|authenticat|\bauth\b|logged_?in|\blogin\b|is_?admin|is_?staff|superuser|\brole|requestor|current_?user|\buser\b|\bcan_?\w*\s*\(|\ballowed\b|\baccess\b|\bowner\b|csrf|signature|\bscope|user_?id",
    )
});
/// A function's declaration, with its name as group 1 (or 2).
static FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?:(?:public|private|protected|static|async|export|pub(?:\([\w:]+\))?|final|abstract)\s+)*(?:def|function|func|fn|sub)\s+(?:\([^)]*\)\s*)?(\w+)|^\s*(\w+)\s*\(\)\s*\{",
    )
});
static COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(#|//|/\*|\*|--)"));

/// How many lines after the `if` may hold its rejection.
const BODY: usize = 3;

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.is_test_data || file.is_prose || file.is_deleted {
        return;
    }
    if !sink.on(Id::PermissionCheckRemoved) && !sink.on(Id::ValidationRemoved) {
        return;
    }
    let code = matches!(
        file.lang,
        Lang::Python
            | Lang::Js
            | Lang::Go
            | Lang::Rust
            | Lang::Java
            | Lang::Ruby
            | Lang::Shell
            | Lang::Other
    );
    if !code {
        return;
    }
    let shell = file.lang == Lang::Shell || file.lang == Lang::Other && is_shell(hunk);
    let rejects = |b: &[u8]| {
        !COMMENT.is_match(b) && (REJECT.is_match(b) || shell && SHELL_REJECT.is_match(b))
    };
    let lines = &hunk.lines;
    // A rejection the hunk adds: the guard was moved or rewritten, not dropped. Asked only once
    // a removed guard is found: most hunks remove none, and then their added lines cost nothing.
    let mut adds_rejection = None;
    let mut facts = HunkFacts::new(hunk);
    let removed = removed_text(hunk);
    for (i, l) in lines.iter().enumerate() {
        if l.kind != LineKind::Removed || !HINT.is_match(&l.bytes) {
            continue;
        }
        let b = &l.bytes[..];
        if COMMENT.is_match(b) || !OPENER.is_match(b) || NOT_A_CHECK.is_match(b) {
            continue;
        }
        // The rejection: on the `if` line itself, or in the removed lines just after it.
        let body = lines[i + 1..]
            .iter()
            .take(BODY)
            .take_while(|x| x.kind == LineKind::Removed && !OPENER.is_match(&x.bytes));
        let rejected = rejects(b) || body.into_iter().any(|x| rejects(&x.bytes));
        if !rejected || facts.is_moved(i) || in_removed_function(hunk, i, &removed) {
            continue;
        }
        if *adds_rejection.get_or_insert_with(|| {
            lines
                .iter()
                .any(|l| l.kind == LineKind::Added && rejects(&l.bytes))
        }) {
            return;
        }
        let id = if ACCESS.is_match(b) {
            Id::PermissionCheckRemoved
        } else {
            Id::ValidationRemoved
        };
        let col = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(0);
        sink.push(id, Some(i), Some(char_column(b, col)), None);
        return;
    }
}

/// A file without a known extension that reads as shell (`libexec/rbenv-…`): a shebang or
/// `[ … ]; then` in the hunk.
fn is_shell(hunk: &Hunk) -> bool {
    static SH: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^#!\s*/\S*(ba|z|k|da)?sh\b|^#!\s*/usr/bin/env\s+(ba|z)?sh\b|\]\s*;\s*then\b|^\s*fi\s*$",
        )
    });
    hunk.header.starts_with("#!") || hunk.lines.iter().any(|l| SH.is_match(&l.bytes))
}

fn indent(b: &[u8]) -> usize {
    b.iter().take_while(|c| **c == b' ' || **c == b'\t').count()
}

/// Line `i` (removed) sits in a function whose declaration the hunk removes too, does not
/// declare again, and that no removed line of `removed` (the hunk's or the file's removed
/// text) calls: a helper deleted as dead code, not one whose callers were rewritten to do
/// without its check.
pub(crate) fn in_removed_function(hunk: &Hunk, i: usize, removed: &[u8]) -> bool {
    removed_function(hunk, i).is_some_and(|name| !called(removed, name))
}

/// The text of a hunk's removed lines, one per line.
pub(crate) fn removed_text(hunk: &Hunk) -> Vec<u8> {
    let mut out = Vec::new();
    for l in hunk.lines.iter().filter(|l| l.kind == LineKind::Removed) {
        out.extend_from_slice(&l.bytes);
        out.push(b'\n');
    }
    out
}

/// `name(` is called in `text`: bare or on `self`/`this`, not declared (`def name(`) and not
/// another module's function of the same name (`werkzeug.utils.safe_join(`).
fn called(text: &[u8], name: &[u8]) -> bool {
    if name.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(at) = find(&text[from..], name).map(|p| p + from) {
        from = at + name.len();
        if text.get(from) != Some(&b'(') {
            continue;
        }
        let before = &text[..at];
        let last = before.last().copied();
        let bare = last.is_none_or(|c| !(c.is_ascii_alphanumeric() || b"_.>:$".contains(&c)));
        let on_self = [
            &b"self."[..],
            b"this.",
            b"$this->",
            b"self::",
            b"static::",
            b"@",
        ]
        .iter()
        .any(|p| before.ends_with(p));
        let declared = [&b"def "[..], b"function ", b"func ", b"fn ", b"sub "]
            .iter()
            .any(|p| before.ends_with(p));
        if (bare || on_self) && !declared {
            return true;
        }
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The name of the function around removed line `i` when the hunk removes its declaration
/// too and does not declare it again.
fn removed_function(hunk: &Hunk, i: usize) -> Option<&[u8]> {
    let own = indent(&hunk.lines[i].bytes);
    // The declaration itself (`def safe_join(…)`) counts as inside: it goes with its body.
    let start = if FUNCTION.is_match(&hunk.lines[i].bytes) {
        i + 1
    } else {
        i
    };
    for l in hunk.lines[..start].iter().rev() {
        if l.kind == LineKind::Added || l.bytes.trim_ascii().is_empty() {
            continue;
        }
        if indent(&l.bytes) >= own && !std::ptr::eq(l, &hunk.lines[i]) {
            continue;
        }
        let Some(caps) = FUNCTION.captures(&l.bytes) else {
            // An enclosing block that is no function (a class, an `if`): look further out.
            if l.kind == LineKind::Context {
                return None;
            }
            continue;
        };
        if l.kind != LineKind::Removed {
            return None;
        }
        let name = caps.get(1).or_else(|| caps.get(2)).map(|m| m.as_bytes())?;
        let declared_again = {
            let n = name;
            hunk.lines.iter().any(|a| {
                a.kind == LineKind::Added
                    && FUNCTION
                        .captures(&a.bytes)
                        .and_then(|c| c.get(1).or_else(|| c.get(2)))
                        .is_some_and(|m| m.as_bytes() == n)
            })
        };
        return (!declared_again).then_some(name);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{facts, hits, hunk};
    use super::*;

    fn fired(path: &str, text: &str) -> Vec<(usize, Option<usize>)> {
        let h = hunk(path, text);
        hits(|sink| scan(&facts(path), &h, sink))
            .into_iter()
            .map(|x| (x.rule, x.line))
            .collect()
    }

    const PERM: usize = Id::PermissionCheckRemoved as usize;
    const VALID: usize = Id::ValidationRemoved as usize;

    #[test]
    fn a_permission_check_removed_from_a_handler_fires() {
        let go = " \tif checksum != \"\" {\n-\t\tif !d.user.Perm.Download {\n-\t\t\treturn http.StatusAccepted, nil\n-\t\t}\n-\n \t\terr := file.Checksum(checksum)\n";
        assert_eq!(fired("http/resource.go", go), vec![(PERM, Some(1))]);
        let py = " requestor = get_user(context)\n-if not requestor:\n-    return [False]\n+results = []\n return results\n";
        assert_eq!(fired("perm/utils.py", py), vec![(PERM, Some(1))]);
    }

    #[test]
    fn an_input_check_removed_fires() {
        let php = "     {\n-        if (! is_numeric($seed)) {\n-            throw new \\InvalidArgumentException('The seed value must be numeric.');\n-        }\n-\n-        return 'RAND('.(int) $seed.')';\n+        return 'RAND('.$seed.')';\n     }\n";
        assert_eq!(fired("src/Grammar.php", php), vec![(VALID, Some(1))]);
        let sh = "#!/usr/bin/env bash\n-  if [ \"$version\" = \"..\" ] || [[ $version == */* ]]; then\n-    echo \"invalid version\" >&2\n-  elif [ -n \"$version\" ]; then\n+  if [ -n \"$version\" ]; then\n     echo \"$version\"\n";
        assert_eq!(fired("libexec/read-version", sh), vec![(VALID, Some(1))]);
    }

    #[test]
    fn a_deleted_helper_still_called_by_rewritten_code_counts_as_live() {
        let h = hunk("views.py", "-    def get_object(self, pk):\n-        raise PermissionDenied\n-    def get(self, request, image_id):\n-        image = self.get_object(image_id)\n");
        let removed = removed_text(&h);
        assert!(!in_removed_function(&h, 1, &removed));
        // Only another module's function of the same name: the helper itself is dead.
        let h = hunk("helpers.py", "-def safe_join(directory, *pathnames):\n-    path = werkzeug.utils.safe_join(directory, *pathnames)\n");
        assert!(in_removed_function(&h, 1, &removed_text(&h)));
        assert!(in_removed_function(&h, 0, &removed_text(&h)));
    }

    #[test]
    fn a_guard_moved_rewritten_or_deleted_with_its_function_does_not_fire() {
        // The hunk adds a rejection of its own: the check was rewritten.
        let moved = "-    if (!user.canEdit()) {\n-        throw new ForbiddenError();\n-    }\n+    requireEdit(user) || throwForbidden();\n+    if (!user.can('edit')) throw new ForbiddenError();\n";
        assert!(fired("src/edit.js", moved).is_empty());
        // Error propagation is no check on a value.
        let err = "-\tif err != nil {\n-\t\treturn fmt.Errorf(\"read: %w\", err)\n-\t}\n+\tlog.Print(err)\n";
        assert!(fired("main.go", err).is_empty());
        // The whole deprecated helper goes, its guard with it.
        let whole = " \n-def safe_join(directory, *pathnames):\n-    path = werkzeug.utils.safe_join(directory, *pathnames)\n-    if path is None:\n-        raise NotFound()\n-    return path\n \n def send_from_directory(directory, path):\n";
        assert!(fired("src/flask/helpers.py", whole).is_empty());
        // A rejection that stays (context) is not removed.
        let kept = "-    if not user.is_staff:\n+    if not user.is_staff and not user.is_superuser:\n         raise PermissionDenied\n";
        assert!(fired("views.py", kept).is_empty());
    }
}
