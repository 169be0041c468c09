//! Findings weighed against the rest of the change: what one file loses, another may gain.
//! A test or assertion removed from one file and added, the same lines, to another file of
//! the same change was moved, not deleted; the move itself is not a weaker safety net.
//!
//! Two granularities: a whole hunk whose removed lines reappear elsewhere moved as a block;
//! otherwise each removed test is judged on its own (its name declared again elsewhere, or
//! its assertions added again elsewhere), and only the tests that went nowhere are findings.
//! A large restructuring (a crate split, tests rewritten as macro calls) thus keeps quiet
//! about the tests it carried over and still names the ones it dropped.

use std::collections::{HashMap, HashSet};

type FastHash = foldhash::fast::RandomState;
use std::sync::LazyLock;

use crate::model::{ChangeKind, FileChange, Finding, Hunk, LineKind};
use crate::risk::compile::{self, Scope};
use crate::risk::logic::{is_assertion, is_test_decl};
use crate::risk::spec::RulesFile;
use crate::risk::{BUILTIN_RULES, MAX_FINDINGS_PER_HUNK};

/// The built-in `@tests` set (tests, fixtures, snapshots). None only if the embedded sets
/// failed to compile, which the tests rule out; then every file counts as a test file, the
/// stricter reading.
static TEST_PATHS: LazyLock<Option<Scope>> = LazyLock::new(|| {
    let file: RulesFile = toml::from_str(BUILTIN_RULES[0].1).ok()?;
    compile::named_scope("tests", &file.sets).ok()
});

fn is_test_path(path: &str) -> bool {
    TEST_PATHS.as_ref().is_none_or(|s| s.matches(path))
}

const TEST_REMOVED: &str = "safety-net.test-removed";
const ASSERTIONS_REMOVED: &str = "safety-net.assertions-removed";
const TEST_FILE_DELETED: &str = "safety-net.test-file-deleted";

/// Rules whose findings a move across files answers.
const MOVABLE: [&str; 3] = [TEST_REMOVED, ASSERTIONS_REMOVED, TEST_FILE_DELETED];

/// Rules about code deleted, which only a move of that very code answers (its lines or the
/// names it declares added by another file of the change: a module moved or split), not
/// tests rewritten elsewhere: what code did, other code does not do by being tested.
const MOVED_AWAY: [&str; 2] = ["destructive.file-deleted", "destructive.large-deletion"];

fn answered_by_move(rule: &str) -> bool {
    MOVABLE.contains(&rule) || MOVED_AWAY.contains(&rule)
}

/// Share of a hunk's removed lines (in tenths) that must reappear elsewhere for a move.
const MOVED_TENTHS: usize = 8;

/// Lines too short to tell one test from another (`}`, `assert!(x);`) do not count.
const MIN_LINE: usize = 8;

/// How many lines after a test's first line may hold the name it declares (attributes,
/// decorators and `#[cfg]` come first).
const NAME_WITHIN: usize = 4;

/// The name a line declares: a function (`fn name(`, `def name(`, `func name(`), or a test
/// written as a macro call that names it first (`rgtest!(name, …)`). By it a test rewritten
/// on its way to another file is still recognised.
fn declared(bytes: &[u8]) -> Option<&[u8]> {
    let t = bytes.trim_ascii_start();
    let t = t.strip_prefix(b"pub ").unwrap_or(t);
    let t = t.strip_prefix(b"async ").unwrap_or(t);
    if let Some(rest) = [&b"fn "[..], b"def ", b"func "]
        .iter()
        .find_map(|k| t.strip_prefix(*k))
    {
        let end = ident_end(rest);
        return (end > 0 && rest.get(end) == Some(&b'(')).then(|| &rest[..end]);
    }
    let mac = ident_end(t);
    let name = t[..mac].to_ascii_lowercase();
    if mac == 0 || !name.windows(4).any(|w| w == b"test") {
        return None;
    }
    let rest = t[mac..].strip_prefix(b"!")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"(")?.trim_ascii_start();
    let end = ident_end(rest);
    (end > 0 && rest[end..].trim_ascii_start().starts_with(b",")).then(|| &rest[..end])
}

/// A numbered name's short form: the first letter of each word and the numbers whole
/// (`regression_210` is `r210`), as tests named after issues are often renamed. Only for
/// names with a number, which keeps the short form specific.
fn initials(name: &[u8]) -> Option<Vec<u8>> {
    if !name.iter().any(u8::is_ascii_digit) || !name.contains(&b'_') {
        return None;
    }
    let mut short = Vec::new();
    for word in name.split(|&b| b == b'_').filter(|w| !w.is_empty()) {
        if word.iter().all(u8::is_ascii_digit) {
            short.extend_from_slice(word);
        } else {
            short.push(word[0]);
        }
    }
    Some(short)
}

fn ident_end(b: &[u8]) -> usize {
    b.iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(b.len())
}

fn key(bytes: &[u8]) -> Option<&[u8]> {
    let t = bytes.trim_ascii();
    // Without a YAML list item's `- `: a task list inlined into another file's list keeps its
    // lines, not always their dashes (`- include_tasks: x.yml` under a new `- name:`).
    let t = t.strip_prefix(b"- ").map_or(t, <[u8]>::trim_ascii_start);
    (t.len() >= MIN_LINE).then_some(t)
}

/// Which files add something: the first one, and whether another does too. A line asked
/// about is then one lookup, not one per file of the change (a 222-file change asked each of
/// thousands of removed lines of every file).
#[derive(Default)]
struct AddedBy<'a>(HashMap<&'a [u8], (usize, bool)>);

impl<'a> AddedBy<'a> {
    fn add(&mut self, what: &'a [u8], file: usize) {
        let e = self.0.entry(what).or_insert((file, false));
        e.1 |= e.0 != file;
    }

    /// A file other than `file` adds `what`.
    fn elsewhere(&self, file: usize, what: &[u8]) -> bool {
        self.0
            .get(what)
            .is_some_and(|&(first, more)| more || first != file)
    }
}

/// What every file of the change adds: its added lines (trimmed) and the names it declares.
struct Added<'a> {
    lines: AddedBy<'a>,
    names: AddedBy<'a>,
    /// How many test declarations each file adds.
    tests: Vec<usize>,
}

impl<'a> Added<'a> {
    /// Indexes what the change's files add, as far as the questions about the `judged` hunks
    /// can ask: the lines and names those hunks remove (a large change adds hundreds of
    /// thousands of lines, and a few hunks ask about a few hundred), and the tests each file
    /// adds only when `count_tests`.
    fn of(files: &'a [FileChange], judged: impl Fn(&Hunk) -> bool, count_tests: bool) -> Added<'a> {
        let removed = || {
            files
                .iter()
                .flat_map(|f| &f.hunks)
                .filter(|h| judged(h))
                .flat_map(|h| &h.lines)
                .filter(|l| l.kind == LineKind::Removed)
        };
        // Keys are compared in full, so a fast hasher is safe here.
        let asked_lines: HashSet<&[u8], FastHash> =
            removed().filter_map(|l| key(&l.bytes)).collect();
        let mut asked_names: HashSet<Vec<u8>, FastHash> = HashSet::default();
        for name in removed().filter_map(|l| declared(&l.bytes)) {
            asked_names.extend(initials(name));
            asked_names.insert(name.to_vec());
        }
        let mut out = Added {
            lines: AddedBy::default(),
            names: AddedBy::default(),
            tests: vec![0; files.len()],
        };
        for (i, f) in files.iter().enumerate() {
            let added = f
                .hunks
                .iter()
                .flat_map(|h| &h.lines)
                .filter(|l| l.kind == LineKind::Added);
            for l in added {
                if let Some(k) = key(&l.bytes).filter(|k| asked_lines.contains(k)) {
                    out.lines.add(k, i);
                }
                if let Some(n) = declared(&l.bytes).filter(|n| asked_names.contains(*n)) {
                    out.names.add(n, i);
                }
                if count_tests {
                    out.tests[i] += usize::from(is_test_decl(&l.bytes));
                }
            }
        }
        out
    }

    fn tests_elsewhere(&self, file: usize) -> usize {
        self.tests
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != file)
            .map(|(_, n)| n)
            .sum()
    }

    /// The trimmed line is added by a file of the change other than `file`.
    fn line_elsewhere(&self, file: usize, line: &[u8]) -> bool {
        key(line).is_some_and(|k| self.lines.elsewhere(file, k))
    }

    /// The name is declared by another file, as it is or as its short form (`r64` for
    /// `regression_64`, see [`initials`]).
    fn name_elsewhere(&self, file: usize, name: &[u8]) -> bool {
        self.names.elsewhere(file, name)
            || initials(name).is_some_and(|s| self.names.elsewhere(file, &s))
    }
}

/// What the judgement decided for one hunk's movable findings.
#[derive(Default)]
struct Verdict {
    /// The whole hunk moved: none of its movable findings stand.
    moved: bool,
    /// The removed test declarations that went nowhere, beyond those the hunk adds back.
    lost_tests: Vec<usize>,
    /// Assertions lost once moves elsewhere are counted.
    lost_assertions: bool,
    /// How many test declarations the hunk removes (moved or not).
    had_tests: usize,
}

fn judge(file: usize, h: &Hunk, added: &Added) -> Verdict {
    let removed_keys: Vec<&[u8]> = h
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Removed)
        .filter_map(|l| key(&l.bytes))
        .collect();
    let elsewhere = removed_keys
        .iter()
        .filter(|r| added.line_elsewhere(file, r))
        .count();
    let gone: Vec<&[u8]> = h
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Removed)
        .filter_map(|l| declared(&l.bytes))
        .collect();
    let names_elsewhere = !gone.is_empty() && gone.iter().all(|n| added.name_elsewhere(file, n));
    if names_elsewhere
        || (!removed_keys.is_empty() && elsewhere * 10 >= removed_keys.len() * MOVED_TENTHS)
    {
        return Verdict {
            moved: true,
            ..Verdict::default()
        };
    }

    // Lines on both sides of the hunk moved within it (as the rules themselves judge).
    let side = |kind: LineKind| -> HashSet<&[u8]> {
        h.lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.bytes.trim_ascii())
            .collect()
    };
    let (plus, minus) = (side(LineKind::Added), side(LineKind::Removed));
    let changed = |i: usize| {
        let l = &h.lines[i];
        match l.kind {
            LineKind::Removed => !plus.contains(l.bytes.trim_ascii()),
            LineKind::Added => !minus.contains(l.bytes.trim_ascii()),
            LineKind::Context => false,
        }
    };
    let is_kind = |i: usize, k: LineKind| h.lines[i].kind == k;
    let decls: Vec<usize> = (0..h.lines.len())
        .filter(|&i| is_kind(i, LineKind::Removed) && is_test_decl(&h.lines[i].bytes))
        .collect();
    let mut verdict = Verdict {
        had_tests: decls.len(),
        ..Verdict::default()
    };
    // Each removed test runs from its declaration to the next one; it moved if its name is
    // declared elsewhere, or its checks (its assertions, or without any, most of its lines)
    // are added elsewhere.
    let mut moved_lines = vec![false; h.lines.len()];
    let mut unmoved = Vec::new();
    for (n, &d) in decls.iter().enumerate() {
        let end = decls.get(n + 1).copied().unwrap_or(h.lines.len());
        let span: Vec<usize> = (d..end)
            .filter(|&i| is_kind(i, LineKind::Removed))
            .collect();
        let name = span
            .iter()
            .take(NAME_WITHIN)
            .find_map(|&i| declared(&h.lines[i].bytes));
        let body: Vec<usize> = span
            .iter()
            .copied()
            .filter(|&i| key(&h.lines[i].bytes).is_some() && !is_test_decl(&h.lines[i].bytes))
            .filter(|&i| declared(&h.lines[i].bytes).is_none())
            .collect();
        let checks: Vec<usize> = body
            .iter()
            .copied()
            .filter(|&i| is_assertion(&h.lines[i].bytes))
            .collect();
        let again = |i: &usize| added.line_elsewhere(file, &h.lines[*i].bytes);
        // `fn $name()` in a `macro_rules!` is a template, not a test: the tests are its
        // invocations, and removing the template alone would not compile.
        let template = span
            .iter()
            .take(NAME_WITHIN)
            .any(|&i| h.lines[i].bytes.trim_ascii_start().starts_with(b"fn $"));
        let moved = template
            || name.is_some_and(|n| added.name_elsewhere(file, n))
            || (!checks.is_empty() && checks.iter().all(again))
            || (checks.is_empty()
                && body.len() >= 2
                && body.iter().filter(|i| again(i)).count() * 10 >= body.len() * MOVED_TENTHS);
        if moved {
            for &i in &span {
                moved_lines[i] = true;
            }
        } else if changed(d) {
            unmoved.push(d);
        }
    }
    let added_tests = (0..h.lines.len())
        .filter(|&i| is_kind(i, LineKind::Added) && changed(i) && is_test_decl(&h.lines[i].bytes))
        .count();
    verdict.lost_tests = unmoved.into_iter().skip(added_tests).collect();
    let lost_assertions = (0..h.lines.len())
        .filter(|&i| is_kind(i, LineKind::Removed) && changed(i) && !moved_lines[i])
        .filter(|&i| is_assertion(&h.lines[i].bytes))
        .filter(|&i| !added.line_elsewhere(file, &h.lines[i].bytes))
        .count();
    let added_assertions = (0..h.lines.len())
        .filter(|&i| is_kind(i, LineKind::Added) && changed(i) && is_assertion(&h.lines[i].bytes))
        .count();
    verdict.lost_assertions = lost_assertions > added_assertions;
    verdict
}

/// Keeps the hunk's `test-removed` findings on the tests that went nowhere (re-pointing one
/// at a lost test when the rule had pointed it at a moved one), and `assertions-removed` only
/// when assertions are still lost.
fn apply(h: &mut Hunk, v: &Verdict) {
    if v.moved {
        h.findings.retain(|x| !answered_by_move(&x.rule));
        return;
    }
    if !v.lost_assertions {
        h.findings.retain(|x| x.rule != ASSERTIONS_REMOVED);
    }
    let template: Option<Finding> = h.findings.iter().find(|x| x.rule == TEST_REMOVED).cloned();
    let Some(template) = template else { return };
    let lost: HashSet<usize> = v.lost_tests.iter().copied().collect();
    h.findings
        .retain(|x| x.rule != TEST_REMOVED || x.line_index.is_some_and(|i| lost.contains(&i)));
    let pointed: HashSet<usize> = h
        .findings
        .iter()
        .filter(|x| x.rule == TEST_REMOVED)
        .filter_map(|x| x.line_index)
        .collect();
    let missing: Vec<usize> = v
        .lost_tests
        .iter()
        .copied()
        .filter(|i| !pointed.contains(i))
        .collect();
    if missing.is_empty() {
        return;
    }
    for i in missing {
        let line = &h.lines[i];
        let col = line
            .bytes
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        h.findings.push(Finding {
            line_index: Some(i),
            line_no: line.old_no,
            column: u32::try_from(col).ok(),
            ..template.clone()
        });
    }
    // Most severe first, then by line, within the per-hunk cap, as the scan left them.
    h.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.line_index.cmp(&b.line_index))
    });
    let over = h.findings.len().saturating_sub(MAX_FINDINGS_PER_HUNK);
    h.findings.truncate(MAX_FINDINGS_PER_HUNK);
    h.findings_omitted += over;
}

/// Drops the findings of [`MOVABLE`] and [`MOVED_AWAY`] rules that a move to another file of
/// the change answers.
pub(super) fn refine(files: &mut [FileChange]) {
    let movable = |h: &Hunk| h.findings.iter().any(|x| answered_by_move(&x.rule));
    if !files.iter().any(|f| f.hunks.iter().any(movable)) {
        return;
    }
    // Only a deleted code file weighs its tests against those added elsewhere (`code_replaced`
    // below); counting the tests every file adds is a pass over the whole change.
    let count_tests = files.iter().any(|f| {
        f.change == ChangeKind::Deleted && !is_test_path(f.path()) && f.hunks.iter().any(movable)
    });
    let (verdicts, elsewhere): (Vec<Vec<Option<Verdict>>>, Vec<usize>) = {
        let added = Added::of(files, movable, count_tests);
        files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let vs = f
                    .hunks
                    .iter()
                    .map(|h| movable(h).then(|| judge(i, h, &added)))
                    .collect();
                (vs, added.tests_elsewhere(i))
            })
            .unzip()
    };
    for ((f, vs), elsewhere) in files.iter_mut().zip(verdicts).zip(elsewhere) {
        let judged: Vec<&Verdict> = vs.iter().flatten().collect();
        let removed_tests: usize = judged.iter().map(|v| v.had_tests).sum();
        // The whole file's tests went elsewhere: every hunk moved as a block, or it removed
        // tests and each of them reappears elsewhere with its assertions.
        let all_moved = judged.iter().all(|v| v.moved);
        let carried = all_moved
            || (removed_tests > 0
                && judged
                    .iter()
                    .all(|v| v.moved || (v.lost_tests.is_empty() && !v.lost_assertions)));
        // Code deleted with its inline unit tests, while the change adds at least as many
        // tests elsewhere: what those tests checked is gone, and comparable checking was
        // added (a module rewritten as a crate). The deletion itself stays a finding
        // (`destructive.file-deleted`). A test file gets no such excuse: its tests must be
        // found again one by one.
        let code_replaced = f.change == ChangeKind::Deleted
            && !is_test_path(f.path())
            && removed_tests > 0
            && elsewhere >= removed_tests;
        let whole = !judged.is_empty() && (carried || code_replaced);
        let gone =
            |rule: &str| MOVABLE.contains(&rule) || (all_moved && MOVED_AWAY.contains(&rule));
        for (h, v) in f.hunks.iter_mut().zip(&vs) {
            if whole {
                h.findings.retain(|x| !gone(&x.rule));
            } else if let Some(v) = v {
                apply(h, v);
            }
        }
        if whole {
            f.findings.retain(|x| !gone(&x.rule));
        }
    }
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod unit_tests;
