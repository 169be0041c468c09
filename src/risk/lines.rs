//! Pattern rules over a hunk's lines: the side's prefilter names the rules that may match a
//! line, and only those rules' regexes run (rarely: most lines contain none of their
//! literals), so the common line costs one pass of a small automaton and no allocation.

use crate::model::{Hunk, LineKind};

use super::compile::{Compiled, LineRule, Pattern, Prefilters};
use super::hits::{char_column, Hit};

/// (hash of a trimmed line, its index in the hunk), sorted by hash.
type Hashed = Vec<(u64, usize)>;

/// Per-hunk facts computed only when a rule first needs them.
pub(crate) struct HunkFacts<'h> {
    hunk: &'h Hunk,
    /// (hash of the trimmed line, line index) of the added and of the removed lines, sorted,
    /// to tell a moved or re-indented line from a new one without a set per hunk.
    sides: Option<(Hashed, Hashed)>,
}

impl<'h> HunkFacts<'h> {
    pub fn new(hunk: &'h Hunk) -> HunkFacts<'h> {
        HunkFacts { hunk, sides: None }
    }

    /// The line at `i` appears, trimmed, on the other side of the hunk too: it moved or was
    /// re-indented, so it is neither new nor gone.
    pub fn is_moved(&mut self, i: usize) -> bool {
        self.moved_where(i, |_| true)
    }

    /// Like `is_moved`, but only counting a line on the other side at an index `at` accepts.
    fn moved_where(&mut self, i: usize, at: impl Fn(usize) -> bool) -> bool {
        let hunk = self.hunk;
        let (added, removed) = self.sides.get_or_insert_with(|| {
            let mut added = Vec::new();
            let mut removed = Vec::new();
            for (j, l) in hunk.lines.iter().enumerate() {
                match l.kind {
                    LineKind::Added => added.push((hash(trim(&l.bytes)), j)),
                    LineKind::Removed => removed.push((hash(trim(&l.bytes)), j)),
                    LineKind::Context => {}
                }
            }
            added.sort_unstable();
            removed.sort_unstable();
            (added, removed)
        });
        let line = &hunk.lines[i];
        let other = match line.kind {
            LineKind::Added => &removed[..],
            LineKind::Removed => &added[..],
            LineKind::Context => return false,
        };
        let t = trim(&line.bytes);
        let h = hash(t);
        // Equal hashes are confirmed byte for byte: a crafted collision must not hide a line.
        let from = other.partition_point(|&(x, _)| x < h);
        other[from..]
            .iter()
            .take_while(|&&(x, _)| x == h)
            .any(|&(_, j)| trim(&hunk.lines[j].bytes) == t && at(j))
    }
}

/// FNV-1a: fast, and only a first filter (matches are compared in full).
fn hash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The hunk removes and adds the same text but for blanks and line breaks: a reformat. A
/// string re-quoted (`'a'` for `"a"`) counts as the same text too, where no quoted text in the
/// hunk holds what could make the two quotes mean different things (a `$`, `#{`, backslash or
/// backtick: an interpolation or escape that a shell, PHP or Ruby reads in one and not the
/// other).
pub(crate) fn same_tokens(hunk: &Hunk) -> bool {
    let fold_quotes = hunk
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Context)
        .all(|l| plain_quotes(&l.bytes));
    let side = |kind: LineKind| {
        hunk.lines
            .iter()
            .filter(move |l| l.kind == kind)
            .flat_map(|l| l.bytes.iter().copied())
            .filter(|b| !b.is_ascii_whitespace())
            .map(move |b| if fold_quotes && b == b'\'' { b'"' } else { b })
    };
    let has = |kind: LineKind| hunk.lines.iter().any(|l| l.kind == kind);
    has(LineKind::Added)
        && has(LineKind::Removed)
        && side(LineKind::Added).eq(side(LineKind::Removed))
}

/// No quoted text of the line holds a `$`, `#{`, backslash or backtick.
fn plain_quotes(bytes: &[u8]) -> bool {
    let mut open = None;
    for (i, &b) in bytes.iter().enumerate() {
        let special =
            matches!(b, b'$' | b'\\' | b'`') || b == b'#' && bytes.get(i + 1) == Some(&b'{');
        match open {
            None if b == b'\'' || b == b'"' => open = Some(b),
            Some(q) if b == q => open = None,
            Some(_) if special => return false,
            _ => {}
        }
    }
    true
}

/// ASCII whitespace trimmed at both ends.
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Runs the pattern rules over `hunk`; `active` says which apply to its file
/// (`Compiled::active_lines`).
pub(crate) fn scan(
    compiled: &Compiled,
    prefilters: &Prefilters,
    active: &[bool],
    hunk: &Hunk,
    file_removed: &[u8],
    file_deleted: bool,
    hits: &mut Vec<Hit>,
) {
    if !active.contains(&true) {
        return;
    }
    let mut facts = HunkFacts::new(hunk);
    let mut fired_once: Vec<usize> = Vec::new();
    // First line index matching each rule's `unless_preceded_by`/`preceded_by`, once computed.
    let mut preceded: Vec<((usize, bool), Option<usize>)> = Vec::new();
    // Whether the hunk removes a line matching each `changed` rule's pattern, once computed.
    let mut removes: Vec<(usize, bool)> = Vec::new();
    let mut candidates = super::prefilter::Candidates::default();
    let always = [
        prefilters.added.needs_always(active),
        prefilters.removed.needs_always(active),
    ];
    for (i, line) in hunk.lines.iter().enumerate() {
        let added = match line.kind {
            LineKind::Added => true,
            LineKind::Removed => false,
            LineKind::Context => continue,
        };
        let bytes = &line.bytes[..];
        let side = if added {
            &prefilters.added
        } else {
            &prefilters.removed
        };
        side.candidates(bytes, always[usize::from(!added)], &mut candidates);
        for &r in &candidates.rules {
            if !active[r] {
                continue;
            }
            let rule = &compiled.line_rules[r];
            if rule.once && fired_once.contains(&r) {
                continue;
            }
            if !rule.pattern(added).is_some_and(|p| p.is_match(bytes)) {
                continue;
            }
            if rule.unless.as_ref().is_some_and(|u| u.is_match(bytes)) {
                continue;
            }
            // For a rule about a block, a line moved to another block (`default = true` given to
            // one variable as another loses it) is a change of both, not a move.
            let moved = match &rule.inside {
                None => facts.is_moved(i),
                Some(_) => {
                    let opener = block_opener(hunk, i);
                    facts.moved_where(i, |j| block_opener(hunk, j) == opener)
                }
            };
            if moved {
                continue;
            }
            if let Some(re) = &rule.unless_preceded_by {
                if is_preceded(hunk, i, (r, false), re, &mut preceded) {
                    continue;
                }
            }
            if let Some(re) = &rule.preceded_by {
                if !is_preceded(hunk, i, (r, true), re, &mut preceded) {
                    continue;
                }
            }
            if rule
                .inside
                .as_ref()
                .is_some_and(|re| !is_inside(hunk, i, re))
            {
                continue;
            }
            if rule.changed && added && !removes_match(hunk, i, r, rule, &mut removes) {
                continue;
            }
            if !added && rule.unless_file_deleted && file_deleted {
                continue;
            }
            if !added && rule.unless_kept && kept(hunk, rule, bytes) {
                continue;
            }
            if !added
                && rule.unless_function_removed
                && super::logic::in_removed_function(hunk, i, file_removed)
            {
                continue;
            }
            if rule
                .unless_followed_by
                .as_ref()
                .is_some_and(|re| is_followed(hunk, i, re))
            {
                continue;
            }
            // Whether the hunk's new side matches: `while_added` also counts a kept (context)
            // line, as a download the hunk leaves in place still runs.
            let has = |re: &Pattern, context: bool| {
                hunk.lines.iter().any(|l| {
                    (l.kind == LineKind::Added || context && l.kind == LineKind::Context)
                        && re.is_match(&l.bytes)
                })
            };
            if !added
                && (rule.while_added.as_ref().is_some_and(|re| !has(re, true))
                    || rule.unless_added.as_ref().is_some_and(|re| has(re, false)))
            {
                continue;
            }
            if added
                && rule
                    .unless_same_key
                    .as_ref()
                    .is_some_and(|k| key_removed(hunk, k, bytes))
            {
                continue;
            }
            if added
                && rule
                    .replaces
                    .as_ref()
                    .is_some_and(|re| !replaces_removed(hunk, rule, re, bytes))
            {
                continue;
            }
            if rule.once {
                fired_once.push(r);
            }
            hits.push(hit(rule, added, bytes, i));
        }
    }
}

fn hit(rule: &LineRule, added: bool, bytes: &[u8], i: usize) -> Hit {
    let column = rule
        .pattern(added)
        .and_then(|re| re.find(bytes))
        .map(|m| char_column(bytes, m.start));
    Hit {
        rule: rule.info,
        line: Some(i),
        column,
        message: None,
    }
}

/// How far up `inside` looks for the enclosing block before giving up.
const MAX_BLOCK_WALK: usize = 200;

/// The innermost `{` block around line `i` (on the line's own side of the diff) opens on a line
/// matching `re`; the hunk's header stands in when the opener is above the hunk.
fn is_inside(hunk: &Hunk, i: usize, re: &Pattern) -> bool {
    re.is_match(block_opener(hunk, i))
}

/// The line that opens the innermost `{` block around line `i`, on the line's own side of the
/// diff (HCL, JSON, JS and the like), or the hunk's header when the opener is above the hunk.
pub(crate) fn block_opener(hunk: &Hunk, i: usize) -> &[u8] {
    let skip = if hunk.lines[i].kind == LineKind::Removed {
        LineKind::Added
    } else {
        LineKind::Removed
    };
    let mut depth = 0usize;
    for line in hunk.lines[..i]
        .iter()
        .rev()
        .filter(|l| l.kind != skip)
        .take(MAX_BLOCK_WALK)
    {
        for &b in line.bytes.iter().rev() {
            match b {
                b'}' => depth += 1,
                b'{' if depth == 0 => return &line.bytes,
                b'{' => depth -= 1,
                _ => {}
            }
        }
    }
    hunk.header.as_bytes()
}

/// A later line of the hunk, on line `i`'s own side of the diff, matches `re`.
fn is_followed(hunk: &Hunk, i: usize, re: &Pattern) -> bool {
    let skip = if hunk.lines[i].kind == LineKind::Removed {
        LineKind::Added
    } else {
        LineKind::Removed
    };
    hunk.lines[i + 1..]
        .iter()
        .any(|l| l.kind != skip && re.is_match(&l.bytes))
}

/// For a rule about a block (`inside`), the removed line must be in the same block as the
/// added line `i`: a new variable's default is not a changed one because another variable's
/// default changed in the same hunk.
fn removes_match(
    hunk: &Hunk,
    i: usize,
    r: usize,
    rule: &LineRule,
    cache: &mut Vec<(usize, bool)>,
) -> bool {
    if rule.inside.is_some() {
        let opener = block_opener(hunk, i);
        return rule.added.as_ref().is_some_and(|re| {
            hunk.lines.iter().enumerate().any(|(j, l)| {
                l.kind == LineKind::Removed
                    && re.is_match(&l.bytes)
                    && block_opener(hunk, j) == opener
            })
        });
    }
    if let Some(&(_, yes)) = cache.iter().find(|(c, _)| *c == r) {
        return yes;
    }
    let yes = rule.added.as_ref().is_some_and(|re| {
        hunk.lines
            .iter()
            .any(|l| l.kind == LineKind::Removed && re.is_match(&l.bytes))
    });
    cache.push((r, yes));
    yes
}

/// The hunk adds a line on which the rule's `removed` pattern matches the same text as on the
/// removed line (compared without blanks and ASCII case): that check still runs.
fn kept(hunk: &Hunk, rule: &LineRule, removed: &[u8]) -> bool {
    let Some(re) = rule.removed.as_ref() else {
        return false;
    };
    let bare = |m: &[u8]| -> Vec<u8> {
        m.iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    let Some(want) = re.kept_part(removed).map(|m| bare(&removed[m])) else {
        return false;
    };
    // A setting added back behind a comment marker (`# SESSION_COOKIE_SECURE = True`) is
    // switched off, not kept; a comment that names a check is kept by the comment rewritten.
    let was_comment = commented(removed);
    // `deletion_protection = var.x` that becomes `coalesce(each.value["x"], var.x)`: the old
    // value stays, unless a caller sets the new input.
    let old = assignment(removed).map(|(k, v)| (k, bare(v)));
    let falls_back = |added: &[u8]| {
        let (Some((k0, v0)), Some((k1, v1))) = (old.as_ref(), assignment(added)) else {
            return false;
        };
        *k0 == k1 && super::logic::defaults_to(v0, &bare(v1))
    };
    hunk.lines.iter().any(|l| {
        l.kind == LineKind::Added
            && (was_comment || !commented(&l.bytes))
            && (re
                .kept_part(&l.bytes)
                .is_some_and(|m| bare(&l.bytes[m]) == want)
                || falls_back(&l.bytes))
    })
}

/// `key = value` (HCL, INI, shell): the key trimmed and the value, split at the first `=`.
fn assignment(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = line.iter().position(|&b| b == b'=')?;
    let key = line[..eq].trim_ascii();
    let value = line[eq + 1..].trim_ascii();
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    (!key.is_empty() && key.iter().all(word) && !value.is_empty() && !value.starts_with(b"="))
        .then_some((key, value))
}

/// A line that is a comment in the languages settings are written in.
fn commented(bytes: &[u8]) -> bool {
    let t = bytes.trim_ascii_start();
    [&b"#"[..], b"//", b";", b"/*", b"<!--"]
        .iter()
        .any(|m| t.starts_with(m))
}

/// A removed line of the hunk matches `replaces` with the key the added line has by the rule's
/// `added` pattern (first groups, compared without ASCII case): the added line rewrites it.
fn replaces_removed(hunk: &Hunk, rule: &LineRule, replaces: &Pattern, added: &[u8]) -> bool {
    rule.added
        .as_ref()
        .and_then(|p| p.key(added))
        .is_some_and(|key| removed_with_key(hunk, replaces, key))
}

/// The added line has a key (the pattern's first group) that a removed line of the hunk has
/// too: the entry existed and changed. Keys compare without ASCII case (`Django` is `django`).
fn key_removed(hunk: &Hunk, re: &Pattern, added: &[u8]) -> bool {
    re.key(added)
        .is_some_and(|key| removed_with_key(hunk, re, key))
}

/// A removed line of the hunk on which `re`'s key is `key`.
fn removed_with_key(hunk: &Hunk, re: &Pattern, key: &[u8]) -> bool {
    hunk.lines.iter().any(|l| {
        l.kind == LineKind::Removed
            && re
                .key(&l.bytes)
                .is_some_and(|k| k.eq_ignore_ascii_case(key))
    })
}

/// Some line before `i` (or the hunk's header, git's function context) matches `re`. `key` is
/// the rule and whether this is its `preceded_by` (true) or `unless_preceded_by` (false).
fn is_preceded(
    hunk: &Hunk,
    i: usize,
    key: (usize, bool),
    re: &Pattern,
    cache: &mut Vec<((usize, bool), Option<usize>)>,
) -> bool {
    let first = match cache.iter().find(|(k, _)| *k == key) {
        Some((_, first)) => *first,
        None => {
            let first = if re.is_match(hunk.header.as_bytes()) {
                Some(0)
            } else {
                hunk.lines
                    .iter()
                    .position(|l| l.kind != LineKind::Removed && re.is_match(&l.bytes))
                    .map(|p| p + 1)
            };
            cache.push((key, first));
            first
        }
    };
    // `first` is one past the matching line (0 for the header), so the line itself never counts.
    first.is_some_and(|f| f <= i)
}
