//! What moved across the change, weighed against the rest of it.
//!
//! Lines: a finding on a removed line (a check, a protection, a quoting call, a CI step)
//! whose line the change adds again, the same text, in another file, with the lines around it
//! (for a removed CI step or setting, the one line anywhere, another hunk of the same file
//! included), was moved, not removed: a helper moved to a module, a step moved to another
//! workflow. Likewise a finding on an added line the change removes elsewhere: the code was
//! already there, and moving it brings nothing new. A check rewritten on its way is not
//! recognised and still fires. Tests have their own, finer judgement (`context.rs`).
//!
//! Dependencies: a dependency that one manifest of the
//! change gains and another manifest of the same kind loses moved (a crate split into a
//! workspace, a package's manifest moved to another directory). The project already depended
//! on it, so the move brings nothing new into its supply chain; a dependency no manifest of
//! the change loses is still new to that manifest and stays a finding. The same file losing it
//! in another hunk counts too (a section reordered).

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hasher};
use std::sync::LazyLock;

use crate::model::{FileChange, Finding, Hunk, Line, LineKind};
use crate::risk::spec::RulesFile;
use crate::risk::BUILTIN_RULES;

/// Lines shorter than this (trimmed) are too common to say that anything moved (`}`, `end`).
const MIN_MOVED_LINE: usize = 8;

/// A line's text without leading, trailing and repeated blanks, hashed.
fn line_key(bytes: &[u8]) -> Option<u64> {
    let t = bytes.trim_ascii();
    if t.len() < MIN_MOVED_LINE {
        return None;
    }
    // SipHash, not a fast hash: an added line crafted to collide with a removed one would make
    // it look moved. Written a word at a time (the hasher is a byte stream, so this is the hash
    // of the text with each run of blanks as one space): byte by byte was 1.5% of a large scan.
    let mut h = DefaultHasher::new();
    for (n, word) in t
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if n > 0 {
            h.write_u8(b' ');
        }
        h.write(word);
    }
    Some(h.finish())
}

/// The built-in rules a move answers: those that point at the line that is the risk (a
/// pattern on added or removed lines, a logic check), not at a place (`touched` and `file`
/// rules, a large hunk, a deleted file). Terraform's stay: a block moved to another file
/// keeps its address, but one moved into a module does not, and `tf-*` judge addresses
/// themselves. Tests have their own, finer judgement (`context.rs`). A policy's rules are not
/// in this set: what their lines mean is not known here.
///
/// `kept`: those with `unless_kept`, whose removed line (a CI step, a setting) is answered by
/// the same line anywhere in the change, the same file included: a step moved to another job.
/// For the others the same line must be in another file: a condition moved within its file
/// can guard something else now (placed after an early return, or around other lines), and
/// only a move to another file (a helper extracted to a module) says the code was carried
/// over as it was.
struct Answered {
    rules: HashSet<String>,
    kept: HashSet<String>,
}

/// The built-in rule files read once for both sets.
static ANSWERED: LazyLock<Answered> = LazyLock::new(|| {
    let specs: Vec<_> = BUILTIN_RULES
        .iter()
        .filter_map(|(_, text)| toml::from_str::<RulesFile>(text).ok())
        .flat_map(|f| f.rule)
        .collect();
    let patterns = specs
        .iter()
        .filter(|r| r.added.is_some() || r.removed.is_some())
        .map(|r| r.id.clone());
    let logic = super::logic::RULES.iter().map(|m| m.id.to_string());
    Answered {
        rules: patterns.chain(logic).filter(|id| !stays_put(id)).collect(),
        kept: specs
            .iter()
            .filter(|r| r.unless_kept)
            .map(|r| r.id.clone())
            .collect(),
    }
});

fn stays_put(id: &str) -> bool {
    id.starts_with("size.")
        || id.starts_with("destructive.tf-")
        || id.starts_with("hidden-text.")
        || matches!(
            id,
            "safety-net.test-removed"
                | "safety-net.assertions-removed"
                | "destructive.large-deletion"
        )
}

/// The nearest lines before and after `i` on its side of the hunk that are long enough to
/// tell (blank lines and braces skipped, not crossing a line of another kind): a block that
/// moved brought them along.
fn neighbours(lines: &[Line], i: usize) -> impl Iterator<Item = &Line> {
    let kind = lines.get(i).map(|l| l.kind);
    let same = move |l: &&Line| Some(l.kind) == kind;
    let keyed = |l: &&Line| line_key(&l.bytes).is_some();
    let before = lines[..i.min(lines.len())]
        .iter()
        .rev()
        .take_while(same)
        .find(keyed);
    let after = lines
        .get(i + 1..)
        .unwrap_or_default()
        .iter()
        .take_while(same)
        .find(keyed);
    before.into_iter().chain(after)
}

/// Drops findings on a line that the change has on its other side too, the same text in
/// another file (or, for `unless_kept` rules, another hunk of the same file): a removed check the
/// change adds again elsewhere was moved, not removed, and an added line the change removes
/// elsewhere was already there. Except for `unless_kept` rules' one-line steps, the lines next to
/// it on its side must have moved with it (at least one, and every one long enough to tell): a
/// common line (`if err != nil {`) removed somewhere else in a large change says nothing of
/// where this one came from.
pub(super) fn refine_moved(files: &mut [FileChange]) {
    let answered = |h: &Hunk, x: &Finding| {
        ANSWERED.rules.contains(&x.rule)
            && x.line_index
                .and_then(|i| h.lines.get(i))
                .is_some_and(|l| l.kind != LineKind::Context)
    };
    if !files.iter().any(|f| {
        f.hunks
            .iter()
            .any(|h| h.findings.iter().any(|x| answered(h, x)))
    }) {
        return;
    }
    // The few lines asked about, and of the change's other side only the lines that could be
    // one of them (the same first and last byte), hashed: hashing every line of a large change
    // was most of this. Index 0 holds what added lines ask of removed ones, 1 the reverse.
    let mut asked: [Vec<&[u8]>; 2] = [Vec::new(), Vec::new()];
    for h in files.iter().flat_map(|f| &f.hunks) {
        for x in h.findings.iter().filter(|x| answered(h, x)) {
            let Some(i) = x.line_index else { continue };
            if let Some(l) = h.lines.get(i) {
                let side = &mut asked[usize::from(l.kind == LineKind::Removed)];
                side.push(l.bytes.trim_ascii());
                side.extend(neighbours(&h.lines, i).map(|n| n.bytes.trim_ascii()));
            }
        }
    }
    // A line's first and last byte as one index into a 64 Ki-bit table: every line of the
    // change is tested against it, and hashing each pair was most of this pass on cargo's
    // 252k-line squash.
    let ends = |t: &[u8]| {
        t.first()
            .zip(t.last())
            .map(|(a, b)| usize::from(*a) << 8 | usize::from(*b))
    };
    // Each line key of the other side with the files that have it.
    let other_side = |asked: &[&[u8]], kind: LineKind| -> HashMap<u64, Vec<usize>> {
        let mut out: HashMap<u64, Vec<usize>> = HashMap::new();
        if asked.is_empty() {
            return out;
        }
        let mut asked_ends = vec![0u64; 1 << 10];
        for e in asked.iter().filter_map(|t| ends(t)) {
            asked_ends[e >> 6] |= 1 << (e & 63);
        }
        let is_asked = |e: usize| asked_ends[e >> 6] & (1 << (e & 63)) != 0;
        let asked_keys: HashSet<u64> = asked.iter().filter_map(|t| line_key(t)).collect();
        for (n, f) in files.iter().enumerate() {
            let keys = f
                .hunks
                .iter()
                .flat_map(|h| &h.lines)
                .filter(|l| l.kind == kind)
                .filter(|l| ends(l.bytes.trim_ascii()).is_some_and(is_asked))
                .filter_map(|l| line_key(&l.bytes))
                .filter(|k| asked_keys.contains(k));
            for k in keys {
                let at = out.entry(k).or_default();
                if at.last() != Some(&n) {
                    at.push(n);
                }
            }
        }
        out
    };
    let removed = other_side(&asked[0], LineKind::Removed);
    let added = other_side(&asked[1], LineKind::Added);
    for (n, f) in files.iter_mut().enumerate() {
        for h in &mut f.hunks {
            let lines = &h.lines;
            h.findings.retain(|x| {
                if !ANSWERED.rules.contains(&x.rule) {
                    return true;
                }
                let Some((i, line)) = x.line_index.and_then(|i| Some((i, lines.get(i)?))) else {
                    return true;
                };
                let there = match line.kind {
                    LineKind::Added => &removed,
                    LineKind::Removed => &added,
                    LineKind::Context => return true,
                };
                let anywhere = ANSWERED.kept.contains(&x.rule);
                let elsewhere = |l: &Line| {
                    line_key(&l.bytes)
                        .and_then(|k| there.get(&k))
                        .is_some_and(|at| at.iter().any(|&m| m != n))
                };
                let moved = if anywhere {
                    line_key(&line.bytes).is_some_and(|k| there.contains_key(&k))
                } else {
                    let mut next = neighbours(lines, i);
                    let first = next.next();
                    elsewhere(line) && first.is_some_and(elsewhere) && next.all(elsewhere)
                };
                !moved
            });
        }
    }
}

/// The rules whose findings a move answers: one added dependency line each.
const DEPENDENCY_RULES: [&str; 6] = [
    "supply-chain.cargo-dependency",
    "supply-chain.npm-dependency",
    "supply-chain.python-dependency",
    "supply-chain.go-dependency",
    "supply-chain.jvm-dependency",
    "supply-chain.ruby-dependency",
];

/// The manifest's kind: its file name, lowercased (`Cargo.toml`, `package.json`, `Gemfile`…).
fn kind(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

/// The dependency a manifest line names: its first word without quotes (`serde = "1"`,
/// `"lodash": "^4"`, `requests==2.31`, `github.com/x/y v1.2.0`), or the gem of a `gem` line.
/// Lowercased, `_` as `-` (Python and Cargo treat them alike).
fn name(line: &[u8]) -> Option<Vec<u8>> {
    let t = line.trim_ascii_start();
    let t = ["gem ", "gem(", "implementation ", "api "]
        .iter()
        .find_map(|k| t.strip_prefix(k.as_bytes()))
        .unwrap_or(t);
    let t = t.trim_ascii_start();
    let t = t
        .strip_prefix(b"\"")
        .or_else(|| t.strip_prefix(b"'"))
        .unwrap_or(t);
    let end = t
        .iter()
        .position(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'=' | b':'
                        | b'"'
                        | b'\''
                        | b'<'
                        | b'>'
                        | b'!'
                        | b'~'
                        | b'['
                        | b','
                        | b';'
                        | b'('
                )
        })
        .unwrap_or(t.len());
    let n = &t[..end];
    (n.len() >= 2).then(|| {
        n.iter()
            .map(|b| {
                if *b == b'_' {
                    b'-'
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// Drops dependency findings whose dependency another manifest of the same kind removes.
pub(super) fn refine_dependencies(files: &mut [FileChange]) {
    let has_dependency_finding = files.iter().any(|f| {
        f.hunks.iter().any(|h| {
            h.findings
                .iter()
                .any(|x| DEPENDENCY_RULES.contains(&x.rule.as_str()))
        })
    });
    if !has_dependency_finding {
        return;
    }
    // The kinds of manifest with such findings: only their removed lines can answer them.
    let kinds: HashSet<String> = files
        .iter()
        .filter(|f| {
            f.hunks.iter().any(|h| {
                h.findings
                    .iter()
                    .any(|x| DEPENDENCY_RULES.contains(&x.rule.as_str()))
            })
        })
        .map(|f| kind(f.path()))
        .collect();
    if kinds.is_empty() {
        return;
    }
    // (manifest kind, dependency name) of every removed line of those manifests.
    let mut removed: HashSet<(String, Vec<u8>)> = HashSet::new();
    for f in files.iter() {
        let k = kind(f.old_path.as_deref().unwrap_or(f.path()));
        if !kinds.contains(&k) {
            continue;
        }
        for line in f.hunks.iter().flat_map(|h| &h.lines) {
            if line.kind == LineKind::Removed {
                if let Some(n) = name(&line.bytes) {
                    removed.insert((k.clone(), n));
                }
            }
        }
    }
    if removed.is_empty() {
        return;
    }
    for f in files.iter_mut() {
        let k = kind(f.path());
        for h in &mut f.hunks {
            let lines = &h.lines;
            h.findings.retain(|x| {
                if !DEPENDENCY_RULES.contains(&x.rule.as_str()) {
                    return true;
                }
                let Some(n) = x
                    .line_index
                    .and_then(|l| lines.get(l))
                    .and_then(|l| name(&l.bytes))
                else {
                    return true;
                };
                !removed.contains(&(k.clone(), n))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_first_word_of_each_manifest_style() {
        let n = |s: &str| name(s.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(n("serde = { version = \"1\" }").as_deref(), Some("serde"));
        assert_eq!(
            n("  \"left-pad\": \"^1.3.0\",").as_deref(),
            Some("left-pad")
        );
        assert_eq!(
            n("Django_Extensions>=3.2").as_deref(),
            Some("django-extensions")
        );
        assert_eq!(n("gem \"rails\", \"~> 7.1\"").as_deref(), Some("rails"));
        assert_eq!(
            n("\tgithub.com/pkg/errors v0.9.1").as_deref(),
            Some("github.com/pkg/errors")
        );
    }
}

#[cfg(test)]
mod refine_tests {
    use crate::risk::logic::testutil::{hunk, modified, rules_of};
    use crate::risk::Engine;

    /// Whether the views' removed redirect check is a finding, with `helper` (the other
    /// file's added lines) beside it in the change.
    fn protection_removed(helper: Option<&str>) -> bool {
        let views = "-    if parsed.netloc:\n-        return False\n+    return is_safe(parsed)\n";
        let mut files = vec![modified("app/views.py", views)];
        files.extend(helper.map(|h| modified("app/safety.py", h)));
        Engine::builtin().scan_change(&mut files);
        rules_of(&files, "app/views.py").contains(&"security.protection-removed".to_string())
    }

    /// A redirect check moved into a helper module is not removed; one that went nowhere, or
    /// came back rewritten, still is.
    #[test]
    fn a_check_moved_to_another_file_is_not_removed() {
        assert!(!protection_removed(Some(
            "+def is_safe(parsed):\n+    if parsed.netloc:\n+        return False\n"
        )));
        assert!(protection_removed(None));
        assert!(protection_removed(Some(
            "+def is_safe(parsed):\n+    return not parsed.netloc\n"
        )));
    }

    /// What `app/client.py` is told when it adds a call that skips TLS verification, with
    /// `old` (another file's removed lines) beside it in the change.
    fn client_findings(old: Option<&str>) -> Vec<String> {
        let client = "+def fetch(url):\n+    session = make_session(retries=3)\n+    return session.get(url, verify=False)\n+\n";
        let mut files = vec![modified("app/client.py", client)];
        files.extend(old.map(|o| modified("app/legacy.py", o)));
        Engine::builtin().scan_change(&mut files);
        rules_of(&files, "app/client.py")
    }

    /// Code moved from one file to another was already there: its added lines bring nothing
    /// new. A common line removed elsewhere is no move: the lines around it must have come too.
    #[test]
    fn a_block_moved_from_another_file_is_not_new() {
        let off = "security.tls-verification-off".to_string();
        assert!(client_findings(None).contains(&off));
        assert!(!client_findings(Some(
            "-def fetch(url):\n-    session = make_session(retries=3)\n-    return session.get(url, verify=False)\n"
        ))
        .contains(&off));
        assert!(client_findings(Some(
            "-    return session.get(url, verify=False)\n-    log.info('legacy fetch done')\n"
        ))
        .contains(&off));
    }

    /// A condition moved within its own file may guard something else now (placed after an
    /// early return): only a move to another file answers it.
    #[test]
    fn a_condition_moved_within_its_file_still_fires() {
        let path = "src/api/organizations.rs";
        let mut f = modified(
            path,
            "-    if headers.membership.atype == MembershipType::Manager && !headers.membership.access_all {\n-        err!(\"You don't have permission to create collections\")\n-    }\n",
        );
        f.hunks.push(hunk(
            path,
            "+    if headers.membership.atype == MembershipType::Manager && !headers.membership.access_all {\n+        CollectionUser::save(&headers.membership.user_uuid, &collection.uuid).await?;\n+    }\n",
        ));
        let mut files = vec![f];
        Engine::builtin().scan_change(&mut files);
        assert!(rules_of(&files, path).contains(&"security.check-subject-removed".to_string()));
    }
}
