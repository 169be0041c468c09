//! File modes loosened: the numbers compared, not the lines. A mode the hunk puts back with
//! group or other bits it did not have (`0600` → `0644`, `os.MkdirAll(d, 0700)` → `0755`,
//! Ansible's `mode: '0600'` → `'0644'`), a `umask` that masks fewer of them (`077` → `022`),
//! or a `chmod` that took group and other away (`chmod 600 "$conf"`, `chmod go-rwx key`)
//! removed while the hunk sets no mode of its own. Tightening (`644` → `640`) is quiet.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};

use super::Id;
use super::{re, FileFacts, Sink};

/// A line that sets a mode: the word that says so, then an octal number (group 2) soon after.
static MODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(chmod|fchmod|lchmod|mkdir|makedirs|mkdirall|writefile|writefilesync|openfile|install|umask|\w*mode|\w*perms?|\w*permissions?)\b[^\n]{0,80}?[\s,(=:"'](?:0o|0)?([0-7]{3})\b"#,
    )
});
/// A `chmod` that takes group and other away in symbols (`go-rwx`, `og=`, `o-r`).
static SYMBOLIC: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\bchmod\s+(-\w+\s+)*([ug]*o[ug]*-[rwx]+|[ug]*o[ug]*=(\s|$)|u=rwx?,go?=)")
});
static UMASK: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bumask\b"));
static CHMOD: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(chmod|fchmod|lchmod|install\s+-m|umask)\b"));
static COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(#|//|/\*|\*|--|;)"));

/// The mode a line sets (the permission bits of its octal number) and where the number is.
fn mode_of(b: &[u8]) -> Option<(u32, std::ops::Range<usize>)> {
    let caps = MODE.captures(b)?;
    let m = caps.get(2)?;
    let n = std::str::from_utf8(m.as_bytes()).ok()?;
    Some((u32::from_str_radix(n, 8).ok()?, m.range()))
}

/// The line with its mode number taken out, to see whether two lines differ only there.
fn without(b: &[u8], r: std::ops::Range<usize>) -> Vec<u8> {
    let mut out = b[..r.start].to_vec();
    out.extend_from_slice(&b[r.end..]);
    out.retain(|c| !c.is_ascii_whitespace());
    out
}

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.is_test_data || file.is_prose || file.is_deleted || !sink.on(Id::ModeLoosened) {
        return;
    }
    let lines = &hunk.lines;
    let side = |kind: LineKind| {
        lines
            .iter()
            .enumerate()
            .filter(move |(_, l)| l.kind == kind && !COMMENT.is_match(&l.bytes))
    };
    let removed: Vec<(usize, &[u8])> = side(LineKind::Removed)
        .filter(|(_, l)| MODE.is_match(&l.bytes) || SYMBOLIC.is_match(&l.bytes))
        .map(|(i, l)| (i, &l.bytes[..]))
        .collect();
    if removed.is_empty() {
        return;
    }
    let added: Vec<(usize, &[u8])> = side(LineKind::Added)
        .map(|(i, l)| (i, &l.bytes[..]))
        .collect();
    // A mode changed in place: the same line but for its number.
    for &(_, old) in &removed {
        let Some((was, r)) = mode_of(old) else {
            continue;
        };
        let rest = without(old, r);
        for &(i, new) in &added {
            let Some((now, r2)) = mode_of(new) else {
                continue;
            };
            if without(new, r2) != rest {
                continue;
            }
            let umask = UMASK.is_match(old);
            let opened = if umask {
                was & !now & 0o077
            } else {
                now & !was & 0o077
            };
            if opened != 0 {
                let msg = if umask {
                    format!("The umask goes from `{was:03o}` to `{now:03o}`: files made from here on are open to group or other users.")
                } else {
                    format!("The mode goes from `{was:03o}` to `{now:03o}`: group or other users on the host gain access to it.")
                };
                sink.push(Id::ModeLoosened, Some(i), None, Some(msg));
                return;
            }
        }
    }
    // A restricting `chmod` removed, and the hunk sets no mode in its place.
    if added
        .iter()
        .any(|(_, l)| CHMOD.is_match(l) || mode_of(l).is_some())
    {
        return;
    }
    for &(i, old) in &removed {
        if !CHMOD.is_match(old) || UMASK.is_match(old) {
            continue;
        }
        let restricts = SYMBOLIC.is_match(old)
            || mode_of(old).is_some_and(|(m, _)| m & 0o077 == 0 && m & 0o700 != 0);
        if restricts {
            let text = String::from_utf8_lossy(old.trim_ascii());
            let msg = format!("`{text}` is removed and nothing sets the mode now: the file keeps the umask's permissions, usually readable by every user on the host.");
            sink.push(Id::ModeLoosened, Some(i), None, Some(msg));
            return;
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
    fn a_wider_mode_fires_and_a_narrower_one_does_not() {
        assert_eq!(
            ids("store.go", "-\terr := os.WriteFile(path, data, 0600)\n+\terr := os.WriteFile(path, data, 0644)\n"),
            ["security.mode-loosened"]
        );
        assert_eq!(
            ids(
                "tasks/main.yml",
                "     dest: /etc/app/secret.conf\n-    mode: '0600'\n+    mode: '0644'\n"
            ),
            ["security.mode-loosened"]
        );
        assert_eq!(
            ids("run.sh", "-umask 077\n+umask 022\n"),
            ["security.mode-loosened"]
        );
        assert!(ids(
            "install.sh",
            "-  chmod 644 \"$LOG\"\n+  chmod 640 \"$LOG\"\n"
        )
        .is_empty());
        assert!(ids("run.sh", "-umask 022\n+umask 077\n").is_empty());
    }

    #[test]
    fn a_restricting_chmod_removed_fires() {
        assert_eq!(
            ids("acme.sh", "   if [ ! -f \"$__conf\" ]; then\n     touch \"$__conf\"\n-    chmod 600 \"$__conf\"\n   fi\n"),
            ["security.mode-loosened"]
        );
        assert_eq!(
            ids("deploy/ssh.sh", "-  cmd=\"$cmd echo \\\"$key\\\" > $KEYFILE; chmod 600 $KEYFILE;\"\n+  cmd=\"$cmd echo \\\"$key\\\" > $KEYFILE;\"\n"),
            ["security.mode-loosened"]
        );
        // Moved or replaced by another mode-setting line, or only `+x` removed.
        assert!(ids(
            "acme.sh",
            "-    chmod 600 \"$f\"\n+    install -m 600 /dev/null \"$f\"\n"
        )
        .is_empty());
        assert!(ids("acme.sh", "-    chmod +x \"$f\"\n").is_empty());
        assert!(ids("acme.sh", "-    chmod 755 \"$d\"\n").is_empty());
    }
}
