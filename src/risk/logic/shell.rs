//! `rm -rf` on a variable. The pattern alone would flag the most common safe idiom (a temp dir
//! made by `mktemp` a line earlier, removed in a trap), so the check knows which variables the
//! hunk assigned from `mktemp` and which are guarded with `${VAR:?}`.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;

use super::{re, Id, Sink};

/// `rm` with options, then its operands up to the end of the command.
static RM: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[\s;&|(`'\x22])(rm|Remove-Item)\s+((?:--?[A-Za-z-]+\s+)*)([^;&|)#]*)")
});
static RECURSIVE: LazyLock<Regex> = LazyLock::new(|| re(r"^(-[a-zA-Z]*[rR]|--recursive|-Recurse)"));
static VAR: LazyLock<Regex> = LazyLock::new(|| re(r"\$(\{)?(\w+)(:\?)?|\$\("));
static TEMP: LazyLock<Regex> = LazyLock::new(|| re(r#"\b(\w+)=["']?(\$\(|`)\s*mktemp\b"#));
/// A test of a variable (`[ -d "$v" ]`, `[[ -n $v ]]`, `test -e "$v"`): its name.
static TESTED: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?:\[\[?|\btest)\s+!?\s*-[a-zA-Z]\s+["']?\$\{?(\w+)"#));
/// An assignment (`local v="…"`): the name and the value as written.
static ASSIGNED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s;])(?:local\s+|declare\s+|export\s+|readonly\s+)?(\w+)=(\S*)"));

pub(super) fn scan(hunk: &Hunk, sink: &mut Sink) {
    if !sink.on(Id::RmRfVariable) {
        return;
    }
    let mut temps: Option<Vec<Vec<u8>>> = None;
    for (i, line) in hunk.lines.iter().enumerate() {
        // `captures` allocates; most lines are ruled out by the cheaper `is_match`.
        if line.kind != LineKind::Added || !RM.is_match(&line.bytes) {
            continue;
        }
        let Some(caps) = RM.captures(&line.bytes) else {
            continue;
        };
        let (Some(cmd), Some(operands)) = (caps.get(1), caps.get(3)) else {
            continue;
        };
        let flags = caps.get(2).map_or(&b""[..], |m| m.as_bytes());
        let recursive = flags
            .split(|b| b.is_ascii_whitespace())
            .any(|f| RECURSIVE.is_match(f));
        if !recursive {
            continue;
        }
        // The same command was there before, only quoted or braced differently (the fix that
        // quotes `$dir`) or with other flags (`rm -r` made `rm -rf`): nothing new is deleted.
        let operands = without_redirects(operands_from(&line.bytes, operands.start()));
        if requoted(hunk, &line.bytes) || same_operands(hunk, &operands) {
            continue;
        }
        // Every operand is one quoted path with a named part of its own that is not a system
        // directory (`"${ROOT}/data/vhosts/app-$APP"`): empty variables leave a path nobody
        // keeps, not `/`.
        if quoted_named_paths(&operands) {
            continue;
        }
        let temps = temps.get_or_insert_with(|| temp_vars(hunk));
        if let Some(var) = risky_variable(&operands, temps) {
            // The hunk shows where it points: tested to exist or be set just before, or set
            // to a path with a named part of its own (`"$HOME/.asdf/downloads/$v"`).
            if shown_set(hunk, i, &var.0) {
                continue;
            }
            let col = Some(char_column(&line.bytes, cmd.start()));
            let msg = if var.1 {
                format!("`rm -r` on `${}/…` deletes from the root of the file system if `{}` is ever empty.", var.0, var.0)
            } else {
                format!("`rm -r` on `${}` deletes whatever it holds; nothing here shows it is set and points where it should.", var.0)
            };
            sink.push(Id::RmRfVariable, Some(i), col, Some(msg));
        }
    }
}

/// The command's operands from `start`: up to the first `;`, `&`, `|`, `#` or unmatched `)`
/// outside quotes and `$(…)`, so that `"$(dir)/x"` is one operand.
fn operands_from(line: &[u8], start: usize) -> &[u8] {
    let (mut depth, mut quote) = (0usize, None::<u8>);
    for (i, &b) in line.iter().enumerate().skip(start) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(b'\''), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (_, b'(') => depth += 1,
            (_, b')') if depth > 0 => depth -= 1,
            (None, b')' | b';' | b'&' | b'|' | b'#') if depth == 0 => return &line[start..i],
            _ => {}
        }
    }
    &line[start..]
}

/// The operands without their redirections (`2>/dev/null`, `>log`, `&>/dev/null`).
fn without_redirects(operands: &[u8]) -> Vec<u8> {
    static REDIRECT: LazyLock<Regex> = LazyLock::new(|| re(r"(^|\s)(\d*>>?|&>>?)\s*\S+"));
    REDIRECT
        .replace_all(operands, &b""[..])
        .trim_ascii()
        .to_vec()
}

/// Each operand is a double-quoted path that, its variables and command substitutions taken
/// out, still names a directory of its own (`"$ROOT/data/app-$APP"` leaves `/data/app-`)
/// whose first part is not a system directory (`"$ROOT/usr/lib"` leaves `/usr/lib`).
fn quoted_named_paths(operands: &[u8]) -> bool {
    static EXPANSION: LazyLock<Regex> = LazyLock::new(|| re(r"\$\{\w+\}|\$\w+|\$\([^()`]*\)"));
    static NAMED: LazyLock<Regex> =
        LazyLock::new(|| re(r"^/?([A-Za-z0-9._-]*[A-Za-z][A-Za-z0-9._-]*)(/|$)"));
    const SYSTEM: [&[u8]; 17] = [
        b"bin", b"boot", b"dev", b"etc", b"home", b"lib", b"lib32", b"lib64", b"opt", b"proc",
        b"root", b"sbin", b"srv", b"sys", b"usr", b"var", b"tmp",
    ];
    let words: Vec<&[u8]> = operands
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.iter().all(|w| {
            let Some(inner) = w.strip_prefix(b"\"").and_then(|w| w.strip_suffix(b"\"")) else {
                return false;
            };
            if inner.contains(&b'"') || inner.contains(&b'*') || !inner.contains(&b'$') {
                return false;
            }
            let literal = EXPANSION.replace_all(inner, &b""[..]);
            if literal.contains(&b'$') || literal.contains(&b'`') {
                return false;
            }
            NAMED.captures(&literal).is_some_and(|c| {
                let first = c.get(1).map_or(&b""[..], |m| m.as_bytes());
                !SYSTEM.contains(&first) && first != b"." && first != b".."
            }) && literal.len() > 2
        })
}

/// The line without quotes, braces and blanks, to compare two spellings of one command.
fn bare(b: &[u8]) -> Vec<u8> {
    b.iter()
        .copied()
        .filter(|c| !matches!(c, b'"' | b'\'' | b'{' | b'}') && !c.is_ascii_whitespace())
        .collect()
}

/// A removed line of the hunk is the added one but for quoting and braces.
fn requoted(hunk: &Hunk, added: &[u8]) -> bool {
    let want = bare(added);
    hunk.lines
        .iter()
        .any(|l| l.kind == LineKind::Removed && bare(&l.bytes) == want)
}

/// A removed `rm` of the hunk deleted the same operands (blanks and quotes aside).
fn same_operands(hunk: &Hunk, operands: &[u8]) -> bool {
    let want = bare(operands);
    hunk.lines.iter().any(|l| {
        l.kind == LineKind::Removed
            && RM
                .captures(&l.bytes)
                .and_then(|c| c.get(3))
                .is_some_and(|o| bare(&without_redirects(o.as_bytes())) == want)
    })
}

/// Before line `i`, on the new side, the hunk tests `$var` (`[ -d "$var" ]`, `[[ -n $var ]]`,
/// `test -e "$var"`) or assigns it a path with a literal named part of its own
/// (`var="$HOME/.cache/$x"`; not `var="$ROOT/$x"`, which is `/` when both are empty, nor
/// `var="${SET_BUT_EMPTY-$ROOT/build}"`, whose default does not apply to an empty value).
fn shown_set(hunk: &Hunk, i: usize, var: &str) -> bool {
    let var = var.as_bytes();
    hunk.lines[..i]
        .iter()
        .filter(|l| l.kind != LineKind::Removed)
        .any(|l| {
            TESTED
                .captures_iter(&l.bytes)
                .any(|c| c.get(1).is_some_and(|n| n.as_bytes() == var))
                || ASSIGNED.captures_iter(&l.bytes).any(|c| {
                    c.get(1).is_some_and(|n| n.as_bytes() == var)
                        && c.get(2).is_some_and(|v| names_a_path(v.as_bytes()))
                })
        })
}

/// A shell value that keeps a literal `/name` whatever its plain variables hold: quotes and
/// `$x`/`${x}` taken out, no other expansion (`${x-default}`, `$(…)`, backticks) left.
fn names_a_path(value: &[u8]) -> bool {
    static PLAIN: LazyLock<Regex> = LazyLock::new(|| re(r"\$\{\w+\}|\$\w+"));
    static NAMED: LazyLock<Regex> = LazyLock::new(|| re(r"/[A-Za-z0-9._-]*[A-Za-z]"));
    let value: Vec<u8> = value
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'"' | b'\''))
        .collect();
    let literal = PLAIN.replace_all(&value, &b""[..]);
    !literal.contains(&b'$') && !literal.contains(&b'`') && NAMED.is_match(&literal)
}

/// Variables the hunk's new side assigns from `mktemp`.
fn temp_vars(hunk: &Hunk) -> Vec<Vec<u8>> {
    hunk.lines
        .iter()
        .filter(|l| l.kind != LineKind::Removed)
        .flat_map(|l| {
            TEMP.captures_iter(&l.bytes)
                .filter_map(|c| c.get(1))
                .map(|m| m.as_bytes().to_vec())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The first unguarded, non-temporary variable among the operands, and whether a path
/// continues after it (`$DIR/…`, which becomes `/…` when it is empty).
fn risky_variable(operands: &[u8], temps: &[Vec<u8>]) -> Option<(String, bool)> {
    for caps in VAR.captures_iter(operands) {
        let whole = caps.get(0)?;
        let Some(name) = caps.get(2) else {
            // Command substitution: its output is the path list.
            return Some(("(…)".into(), false));
        };
        if caps.get(3).is_some() || temps.iter().any(|t| t.as_slice() == name.as_bytes()) {
            continue;
        }
        let rest = &operands[whole.end()..];
        let rest = rest.strip_prefix(b"}").unwrap_or(rest);
        if quoted_named_child(rest) {
            continue;
        }
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
        return Some((
            String::from_utf8_lossy(name.as_bytes()).into_owned(),
            rest.starts_with(b"/"),
        ));
    }
    None
}

/// What follows the variable is `/name"`: one named entry inside it, quoted, not a system
/// directory. Empty, the variable makes it `/name`, which is no tree anyone keeps; `"$D/bin"`
/// or `$D/*` still fire.
fn quoted_named_child(rest: &[u8]) -> bool {
    const SYSTEM: [&[u8]; 16] = [
        b"bin", b"boot", b"dev", b"etc", b"home", b"lib", b"lib32", b"lib64", b"opt", b"proc",
        b"root", b"sbin", b"srv", b"sys", b"usr", b"var",
    ];
    let Some(after) = rest.strip_prefix(b"/") else {
        return false;
    };
    let Some(end) = after.iter().position(|&b| b == b'"') else {
        return false;
    };
    let name = &after[..end];
    !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && name != b"."
        && name != b".."
        && !SYSTEM.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{hits, hunk};

    fn fires(text: &str) -> Vec<(usize, String)> {
        let h = hunk("deploy.sh", text);
        hits(|sink| scan(&h, sink))
            .into_iter()
            .map(|h| (h.line.unwrap(), h.message.unwrap()))
            .collect()
    }

    #[test]
    fn rm_rf_on_a_variable_fires() {
        let hits = fires("+rm -rf \"$BUILD_DIR/\"*\n");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].1.contains("root of the file system"),
            "{}",
            hits[0].1
        );
        assert_eq!(fires("+  rm -fr ${CACHE}\n").len(), 1);
        assert_eq!(
            fires("+cd /srv && rm -r --force $(ls -d release-*)\n").len(),
            1
        );
    }

    #[test]
    fn temp_dirs_guards_and_literals_do_not_fire() {
        assert!(fires("+tmpdir=$(mktemp -d)\n+trap 'rm -rf \"$tmpdir\"' EXIT\n").is_empty());
        assert!(fires(" WORK=\"$(mktemp -d -t build.XXXX)\"\n+rm -rf \"$WORK\"\n").is_empty());
        assert!(fires("+rm -rf \"${DEST:?}/\"*\n").is_empty());
        assert!(fires("+rm -rf ./target node_modules\n").is_empty());
        assert!(fires("+rm -f \"$LOCKFILE\"\n").is_empty());
        assert!(fires("+echo \"$1\" | grep -q form\n").is_empty());
        // asdf: `rm -r` made `rm -rf` on a path tested to be a directory just above.
        assert!(fires(
            "       elif [ -d \"$download_path\" ]; then\n-        rm -r \"$download_path\"\n+        rm -rf \"$download_path\"\n"
        )
        .is_empty());
        assert!(fires(" if [[ -n $CACHE ]]; then\n+  rm -rf $CACHE\n").is_empty());
        assert!(fires("+  local dir=\"$HOME/.cache/tool/$name\"\n+  rm -rf \"$dir\"\n").is_empty());
        // Assigned only from variables: empty, it is `/`.
        assert_eq!(
            fires("+  dir=\"$ROOT/$name\"\n+  rm -rf \"$dir\"\n").len(),
            1
        );
        // The demo: a set-but-empty DEPLOY_BUILD_DIR leaves BUILD_DIR empty.
        assert_eq!(
            fires("+BUILD_DIR=\"${DEPLOY_BUILD_DIR-$ROOT/build/$ENV}\"\n+rm -rf \"$BUILD_DIR/\"\n")
                .len(),
            1
        );
        // pyenv's python-build: empty, the variable leaves `/bin.orig`, no tree anyone keeps.
        assert!(fires("+      rm -rf \"${PREFIX_PATH}/bin.orig\"\n").is_empty());
        assert_eq!(fires("+rm -rf \"${PREFIX_PATH}/bin\"\n").len(), 1);
        assert_eq!(fires("+rm -rf \"$PREFIX/$NAME\"\n").len(), 1);
        // A quoted path with named parts of its own: empty variables leave `/data/vhosts/app-`.
        assert!(fires("+  rm -rf \"${LIB_ROOT}/data/vhosts/app-$APP\"\n").is_empty());
        assert!(fires("+  rm -rf \"$(data_dir)/downloads/${plugin_name}\"\n").is_empty());
        assert_eq!(fires("+  rm -rf \"$ROOT/usr/lib/$APP\"\n").len(), 1);
        // Guarded on its own line, output silenced: the removed command deleted the same.
        assert!(fires(
            "-    rm -rf \"$ZSH\"\n+    [ ! -d \"$ZSH\" ] || rm -rf \"$ZSH\" 2>/dev/null\n"
        )
        .is_empty());
    }

    /// The fix that quotes a variable is not a new deletion; a changed target still is.
    #[test]
    fn quoting_an_existing_rm_does_not_fire() {
        assert!(
            fires("-  rm -rf $NVM_DIR/$VERSION\n+  rm -rf \"${NVM_DIR}/${VERSION}\"\n").is_empty()
        );
        assert_eq!(
            fires("-  rm -rf \"$NVM_DIR/old\"\n+  rm -rf \"$NVM_DIR\"\n").len(),
            1
        );
    }
}
