//! What a Terraform value reads as, compared without running Terraform: the same value
//! behind a fallback (`coalesce(var.new, OLD)`, `try`, `lookup`, a null conditional), the
//! same instances keyed another way, an input or module read under another name. Values come
//! without whitespace (`norm`).

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::re;

/// An argument's value without whitespace, so re-aligning it is not a change.
pub(super) fn norm(v: &[u8]) -> Vec<u8> {
    v.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// The new value is the old one behind a fallback, so it stays what it was unless someone
/// sets the new input: `coalesce(var.new_name, OLD)`, `try(var.new_name, OLD)`,
/// `lookup(each.value, "domain_name", OLD)`, `try(coalesce(var.x, OLD), "")`, anywhere inside
/// it (`lower(coalesce(…, var.name))`); or the same instances keyed by a filtering `for`
/// (`{ for k, v in var.zones : k => v if var.create }` for `var.create ? var.zones : {}`).
/// Both values come without whitespace.
pub(crate) fn defaults_to(old: &[u8], new: &[u8]) -> bool {
    // Each step takes one fallback away; a few steps cover the nestings modules write.
    let mut seen = vec![new.to_vec()];
    let mut next = 0;
    while next < seen.len() && seen.len() < 64 {
        let value = seen[next].clone();
        next += 1;
        if value == old || unfiltered(&value).iter().any(|v| v == old) {
            return true;
        }
        for reduced in fallbacks_removed(&value) {
            if !seen.contains(&reduced) {
                seen.push(reduced);
            }
        }
    }
    false
}

/// `value` with one fallback call replaced by what it falls back to (or, for `try`, by what it
/// tries first), each way it can be done.
pub(super) fn fallbacks_removed(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = null_conditional(value).into_iter().collect();
    for call in [&b"coalesce("[..], b"try(", b"lookup("] {
        let mut from = 0;
        while let Some(p) = find(&value[from..], call).map(|p| p + from) {
            from = p + 1;
            if p > 0 && (value[p - 1].is_ascii_alphanumeric() || value[p - 1] == b'_') {
                continue;
            }
            let open = p + call.len();
            let Some((commas, close)) = arguments(value, open) else {
                continue;
            };
            let splice = |a: usize, b: usize| {
                let mut v = value[..p].to_vec();
                v.extend_from_slice(&value[a..b]);
                v.extend_from_slice(&value[close + 1..]);
                v
            };
            match call {
                // The inputs before the old value are new and unset by default.
                b"coalesce(" => out.push(splice(commas[0] + 1, close)),
                b"try(" => {
                    out.push(splice(commas[0] + 1, close));
                    out.push(splice(open, commas[0]));
                }
                // A map lookup's default, its third argument.
                _ if commas.len() == 2 => out.push(splice(commas[1] + 1, close)),
                _ => {}
            }
        }
    }
    out
}

/// `C ? var.x : OLD` where `C` tests `var.x != null` (or `C ? OLD : var.x` testing
/// `var.x == null`): with the new input unset, the value is `OLD`. Whitespace already gone.
pub(super) fn null_conditional(value: &[u8]) -> Option<Vec<u8>> {
    let (q, c) = conditional(value)?;
    let (cond, yes, no) = (&value[..q], &value[q + 1..c], &value[c + 1..]);
    let tests = |input: &[u8], op: &[u8]| find(cond, &[input, op, b"null"].concat()).is_some();
    let input = |v: &[u8]| v.starts_with(b"var.") || v.starts_with(b"local.");
    if input(yes) && tests(yes, b"!=") {
        Some(no.to_vec())
    } else if input(no) && tests(no, b"==") {
        Some(yes.to_vec())
    } else {
        None
    }
}

/// The top-level `?` and its `:` of a conditional expression, outside quotes and brackets.
pub(super) fn conditional(value: &[u8]) -> Option<(usize, usize)> {
    let (mut depth, mut quoted, mut q) = (0usize, false, None);
    for (i, &b) in value.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
            b'?' if depth == 0 && q.is_none() => q = Some(i),
            b':' if depth == 0 => {
                if let Some(q) = q {
                    return Some((q, i));
                }
            }
            _ => {}
        }
    }
    None
}

/// The top-level commas of the call whose arguments start at `open`, and its closing
/// parenthesis; none when the call has a single argument or does not close.
pub(super) fn arguments(value: &[u8], open: usize) -> Option<(Vec<usize>, usize)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut quoted = false;
    for (i, &b) in value.iter().enumerate().skip(open) {
        match b {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => {
                return (!commas.is_empty()).then_some((commas, i));
            }
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => commas.push(i),
            _ => {}
        }
    }
    None
}

/// A filtering `for` over a map as the conditional it stands for: `{fork,vinX:k=>vifC}` (the
/// whitespace gone) is `C?X:{}` (or `tomap({})`), the same keys while `C` holds.
pub(super) fn unfiltered(value: &[u8]) -> Vec<Vec<u8>> {
    static FILTER: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^\{for([a-z_]\w*),([a-z_]\w*)in(.+):([a-z_]\w*)=>([a-z_]\w*)if(.+)\}$")
    });
    let Some(c) = FILTER.captures(value) else {
        return Vec::new();
    };
    let (k, v, x, k2, v2, cond) = (&c[1], &c[2], &c[3], &c[4], &c[5], &c[6]);
    if k != k2 || v != v2 {
        return Vec::new();
    }
    [&b"{}"[..], b"tomap({})"]
        .iter()
        .map(|empty| [cond, b"?", x, b":", empty].concat())
        .collect()
}

pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A `count` that is one or none (`cond ? 1 : 0`, whitespace taken out): its only instance is
/// `[0]` whatever the condition, so changing the condition changes no instance's key.
pub(super) fn toggles(value: &[u8]) -> bool {
    value.contains(&b'?') && value.ends_with(b":0")
}

/// Two `cond ? n : 0` counts that differ only in how the condition is spelled: the same
/// number of instances once on, and no new `&&` that could turn an existing one off
/// (`module.this.enabled ? 1 : 0` → `local.enabled ? 1 : 0`).
pub(super) fn same_toggle(old: &[u8], new: &[u8]) -> bool {
    let split = |v: &[u8]| {
        let q = v.iter().position(|&b| b == b'?').unwrap_or(v.len());
        (v[..q].to_vec(), v[q..].to_vec())
    };
    let count = |v: &[u8], pat: &[u8]| v.windows(pat.len()).filter(|w| *w == pat).count();
    let ((oc, or), (nc, nr)) = (split(old), split(new));
    toggles(old)
        && toggles(new)
        && or == nr
        && count(&oc, b"&&") == count(&nc, b"&&")
        && count(&oc, b"||") == count(&nc, b"||")
        && nc.contains(&b'!') == oc.contains(&b'!')
}

/// `value` with `from` read as `to` wherever `at(value, i)` lets it start at `i`.
pub(super) fn substitute(
    value: &[u8],
    from: &[u8],
    to: &[u8],
    at: impl Fn(&[u8], usize) -> bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i..].starts_with(from) && at(value, i) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

pub(super) fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `value` with every `from` (a `module.x.` prefix) read as `to`.
pub(super) fn replaced(value: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    substitute(value, from, to, |v, i| i == 0 || !word_byte(v[i - 1]))
}

/// `value` with every `[0]` after a name taken out: `data.t.n[0].location` reads what
/// `data.t.n.location` read before the block was given a one-or-none count.
pub(super) fn first_instance(value: &[u8]) -> Vec<u8> {
    substitute(value, b"[0].", b".", |v, i| i > 0 && word_byte(v[i - 1]))
}

/// `value` with every `var.from` read as `var.to`.
pub(super) fn with_input_renamed(value: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pat = [&b"var."[..], from].concat();
    let to = [&b"var."[..], to].concat();
    substitute(value, &pat, &to, |v, i| {
        let starts = i == 0 || !word_byte(v[i - 1]);
        starts && v.get(i + pat.len()).is_none_or(|&b| !word_byte(b))
    })
}
