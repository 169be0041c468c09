//! Terraform changes that destroy without saying so: a force-new argument of a resource
//! changes value (from `terraform/force_new.toml`), or the `count`/`for_each` that keys its
//! instances changes. Only top-level arguments count (two spaces in, as `terraform fmt`
//! writes them), so a `name` inside a nested block is not taken for the resource's own.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{FileChange, Finding, Hunk, LineKind};
use crate::risk::{lines, terraform};

use super::{re, Id, Sink};

static RESOURCE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{"#));
/// The same, in a hunk header: git cuts the function context at 80 columns, so the name may
/// lack its closing quote and the line its `{`.
static HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]*))?"#));
static ARG: LazyLock<Regex> = LazyLock::new(|| re(r"^  ([a-z_][a-z0-9_]*)\s*=\s*(.*)$"));

/// A block's top-level arguments, each with its value without whitespace.
type Args = Vec<(Vec<u8>, Vec<u8>)>;

/// The block a line is in: ("aws_db_instance", "main") or ("module", "db").
type Block = (String, String);

fn block_of(bytes: &[u8]) -> Option<Block> {
    block_by(&RESOURCE, bytes)
}

fn block_by(re: &Regex, bytes: &[u8]) -> Option<Block> {
    let caps = re.captures(bytes)?;
    let s = |i: usize| {
        caps.get(i)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    match caps.get(1)?.as_bytes() {
        b"module" => Some(("module".to_string(), s(2)?)),
        _ => Some((s(2)?, s(3).unwrap_or_default())),
    }
}

/// An argument's value without whitespace, so re-aligning it is not a change.
fn norm(v: &[u8]) -> Vec<u8> {
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
fn fallbacks_removed(value: &[u8]) -> Vec<Vec<u8>> {
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
fn null_conditional(value: &[u8]) -> Option<Vec<u8>> {
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
fn conditional(value: &[u8]) -> Option<(usize, usize)> {
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
fn arguments(value: &[u8], open: usize) -> Option<(Vec<usize>, usize)> {
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
fn unfiltered(value: &[u8]) -> Vec<Vec<u8>> {
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The argument that names a resource the other way: `name` and `name_prefix`.
fn prefixed_twin(attr: &str) -> Option<&str> {
    match attr {
        "name" => Some("name_prefix"),
        "name_prefix" => Some("name"),
        _ => attr.strip_suffix("_prefix").filter(|a| a.ends_with("name")),
    }
}

/// A `count` that is one or none (`cond ? 1 : 0`, whitespace taken out): its only instance is
/// `[0]` whatever the condition, so changing the condition changes no instance's key.
fn toggles(value: &[u8]) -> bool {
    value.contains(&b'?') && value.ends_with(b":0")
}

/// Two `cond ? n : 0` counts that differ only in how the condition is spelled: the same
/// number of instances once on, and no new `&&` that could turn an existing one off
/// (`module.this.enabled ? 1 : 0` → `local.enabled ? 1 : 0`).
fn same_toggle(old: &[u8], new: &[u8]) -> bool {
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

/// The other way of keying a resource's instances.
fn switched_keying(attr: &str) -> Option<&'static str> {
    match attr {
        "count" => Some("for_each"),
        "for_each" => Some("count"),
        _ => None,
    }
}

pub(super) fn scan(hunk: &Hunk, sink: &mut Sink) {
    if !(sink.on(Id::TfForceNew) || sink.on(Id::TfStatefulForceNew) || sink.on(Id::TfInstanceKeys))
    {
        return;
    }
    let mut block = block_by(&HEADER, hunk.header.as_bytes());
    let mut removed: Vec<(Option<Block>, String, Vec<u8>)> = Vec::new();
    let mut hits = Vec::new();
    for (i, line) in hunk.lines.iter().enumerate() {
        if let Some(b) = block_of(&line.bytes) {
            block = Some(b);
            continue;
        }
        if line.bytes.first() == Some(&b'}') {
            block = None;
            continue;
        }
        let Some(caps) = ARG.captures(&line.bytes) else {
            continue;
        };
        let (Some(attr), Some(value)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let attr = String::from_utf8_lossy(attr.as_bytes()).into_owned();
        let value = norm(value.as_bytes());
        match line.kind {
            LineKind::Removed => removed.push((block.clone(), attr, value)),
            LineKind::Added => {
                let before = removed.iter().find(|(b, a, _)| *b == block && *a == attr);
                if let Some((_, _, old)) = before {
                    if *old != value
                        && !defaults_to(old, &value)
                        && !(attr == "count" && same_toggle(old, &value))
                    {
                        hits.push((i, block.clone(), attr));
                    }
                } else if let Some(other) = prefixed_twin(&attr) {
                    // `name` turned into `name_prefix` (or back): the resource gets another
                    // name, which is as force-new as a changed `name`.
                    if let Some((_, a, _)) =
                        removed.iter().find(|(b, a, _)| *b == block && a == other)
                    {
                        hits.push((i, block.clone(), a.clone()));
                    }
                } else if let Some(other) = switched_keying(&attr) {
                    // `count` turned into `for_each` (or back): every instance's index becomes
                    // a key, so each is a new address unless `moved` blocks say otherwise.
                    if removed.iter().any(|(b, a, _)| *b == block && a == other) {
                        hits.push((i, block.clone(), attr));
                    }
                }
            }
            LineKind::Context => {}
        }
    }
    for (i, block, attr) in hits {
        let Some((kind, name)) = block else {
            continue;
        };
        if attr == "count" || attr == "for_each" {
            let address = if kind == "module" {
                format!("module.{name}")
            } else {
                format!("{kind}.{name}")
            };
            // On a resource that holds data, a destroyed instance takes its data with it.
            if terraform::entry(&kind).is_some_and(|e| e.stateful) {
                sink.push(
                    Id::TfStatefulForceNew,
                    Some(i),
                    None,
                    Some(format!(
                        "`{attr}` of {address} changes: every instance whose key or index changes is destroyed with the data it holds and recreated empty by the next apply."
                    )),
                );
                continue;
            }
            sink.push(
                Id::TfInstanceKeys,
                Some(i),
                None,
                Some(format!(
                    "`{attr}` of {address} changes: every instance whose key or index changes is destroyed and recreated by the next apply."
                )),
            );
            continue;
        }
        let Some(entry) = terraform::forces_replacement(&kind, &attr) else {
            continue;
        };
        let (id, data) = if entry.stateful {
            (Id::TfStatefulForceNew, " with the data it holds")
        } else {
            (Id::TfForceNew, "")
        };
        sink.push(
            id,
            Some(i),
            None,
            Some(format!(
                "`{attr}` of {kind}.{name} cannot change in place: the next apply destroys and recreates it{data}."
            )),
        );
    }
}

/// The findings [`refine_change`] weighs: an argument whose new value replaces the resource.
const REPLACING: [&str; 3] = [
    "destructive.tf-force-new",
    "destructive.tf-stateful-force-new",
    "destructive.tf-instance-keys",
];

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| re(r#"^\s*variable\s+"([^"]+)"\s*\{"#));
static LOCAL: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*(.+)$"));
static LOCALS: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*locals\s*\{"));
static MOVED: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*moved\s*\{"));
static MOVED_FROM: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*from\s*=\s*(\S+)\s*$"));
static DEFAULT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*default\s*=\s*(.+)$"));
static DATA: LazyLock<Regex> = LazyLock::new(|| re(r#"^\s*data\s+"([^"]+)"\s+"([^"]+)"\s*\{"#));

/// Weighs each replacement finding against the rest of the change. The argument keeps its
/// value, and nothing is replaced, when it now reads an input the change renamed
/// (`var.project` for `var.project_id`, with `variable "project"` renamed so), or a local the
/// change defines as a fallback to the old value (`table_name = var.table_name != null ?
/// var.table_name : module.this.id`, the input unset by default), or when its new condition
/// only adds inputs the change declares with a default that keeps it true
/// (`var.create && var.create_routes ? 1 : 0`, `create_routes` defaulting to `true`). A
/// `count`/`for_each` change of a resource the change gives a `moved` block from its old
/// address moves its instances in state instead of replacing them.
pub(crate) fn refine_change(files: &mut [FileChange]) {
    let is_tf = |f: &FileChange| f.path().ends_with(".tf");
    let replacing = |x: &Finding| REPLACING.contains(&x.rule.as_str());
    let any = files
        .iter()
        .filter(|f| is_tf(f))
        .flat_map(|f| &f.hunks)
        .any(|h| h.findings.iter().any(replacing));
    if !any {
        return;
    }
    // Input names declared on each side of the change, and the locals it defines.
    let (mut removed, mut added) = (HashSet::new(), HashSet::new());
    let mut locals: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // The new inputs' defaults, and the addresses `moved` blocks move instances from.
    let mut defaults: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut moved_from: HashSet<Vec<u8>> = HashSet::new();
    // What a data source read with its old arguments (`data.T.N.name` is the `name` it was
    // asked for): an argument that now takes the input directly reads the same value.
    let mut data_args: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // The arguments of each module block the change adds.
    let mut new_modules: HashMap<Vec<u8>, Args> = HashMap::new();
    for h in files.iter().filter(|f| is_tf(f)).flat_map(|f| &f.hunks) {
        for (i, l) in h.lines.iter().enumerate() {
            if l.kind != LineKind::Added {
                if let (Some(d), Some(a)) = (
                    DATA.captures(lines::block_opener(h, i)),
                    ARG.captures(&l.bytes),
                ) {
                    let key = [&b"data."[..], &d[1], b".", &d[2], b".", &a[1]].concat();
                    data_args.insert(key, norm(&a[2]));
                }
            }
            let side = match l.kind {
                LineKind::Removed => &mut removed,
                LineKind::Added => &mut added,
                LineKind::Context => continue,
            };
            if let Some(c) = VARIABLE.captures(&l.bytes) {
                side.insert(c[1].to_vec());
                continue;
            }
            if l.kind != LineKind::Added {
                continue;
            }
            let opener = lines::block_opener(h, i);
            if let (Some((kind, name)), Some(a)) = (block_of(opener), ARG.captures(&l.bytes)) {
                if kind == "module" {
                    new_modules
                        .entry(name.into_bytes())
                        .or_default()
                        .push((a[1].to_vec(), norm(&a[2])));
                }
            } else if LOCALS.is_match(opener) {
                if let Some(c) = LOCAL.captures(&l.bytes) {
                    locals.insert(c[1].to_vec(), norm(&c[2]));
                }
            } else if MOVED.is_match(opener) {
                if let Some(c) = MOVED_FROM.captures(&l.bytes) {
                    moved_from.insert(c[1].to_vec());
                }
            } else if let (Some(v), Some(d)) =
                (VARIABLE.captures(opener), DEFAULT.captures(&l.bytes))
            {
                defaults.insert(v[1].to_vec(), norm(&d[1]));
            }
        }
    }
    let labels = label_twins(&new_modules);
    let renames: Vec<(&Vec<u8>, &Vec<u8>)> = removed
        .difference(&added)
        .flat_map(|a| added.difference(&removed).map(move |b| (a, b)))
        .collect();
    for h in files
        .iter_mut()
        .filter(|f| is_tf(f))
        .flat_map(|f| &mut f.hunks)
    {
        h.retain_findings(|h, x| {
            let Some((i, (attr, old, new))) = x
                .line_index
                .filter(|_| replacing(x))
                .and_then(|i| Some((i, values(h, i)?)))
            else {
                return true;
            };
            // A one-or-none `count` has only `[0]`: a `moved` block from it moves every
            // instance there is. For more, which keys a block covers is not judged here.
            let only_first = [&address_of(h, i)[..], b"[0]"].concat();
            if toggles(&old) && moved_from.contains(&only_first) {
                return false;
            }
            let renamed = renames
                .iter()
                .any(|(a, b)| with_input_renamed(&old, a, b) == new);
            // A `count = C ? 1 : 0` added to what had none leaves its one instance at `[0]`.
            let old = first_instance(&old);
            let new = first_instance(&new);
            let read = data_args.get(&old).is_some_and(|v| *v == new);
            let falls_back = new
                .strip_prefix(b"local.")
                .and_then(|name| locals.get(name))
                .is_some_and(|def| defaults_to(&old, &first_instance(def)));
            let still_true = new_terms_true(&new, &defaults).is_some_and(|v| {
                v == old || defaults_to(&old, &v) || attr == b"count" && same_toggle(&old, &v)
            });
            let relabelled = labels.iter().any(|(twin, of)| {
                let from = [&b"module."[..], twin, b"."].concat();
                let to = [&b"module."[..], of, b"."].concat();
                replaced(&new, &from, &to) == old
            });
            !(renamed || read || falls_back || still_true || relabelled)
        });
    }
}

/// The block line `i` is in, as [`scan`] tracks it.
fn block_at(h: &Hunk, i: usize) -> Option<Block> {
    let mut block = block_by(&HEADER, h.header.as_bytes());
    for line in &h.lines[..i] {
        if let Some(b) = block_of(&line.bytes) {
            block = Some(b);
        } else if line.bytes.first() == Some(&b'}') {
            block = None;
        }
    }
    block
}

/// The address of the block line `i` is in, as a `moved` block names it:
/// `aws_s3_bucket_logging.default`, `module.db` (empty outside a block).
fn address_of(h: &Hunk, i: usize) -> Vec<u8> {
    match block_at(h, i) {
        Some((kind, name)) if kind == "module" => format!("module.{name}").into_bytes(),
        Some((kind, name)) => format!("{kind}.{name}").into_bytes(),
        None => Vec::new(),
    }
}

/// A conditional's value with the condition's terms that the change's new inputs keep true by
/// default taken out (`var.a&&var.b?1:0` is `var.a?1:0` when `b` defaults to `true`; a whole
/// condition true by default leaves its first branch); None when no term is such. `defaults`
/// maps input names to their default values, whitespace gone.
fn new_terms_true(value: &[u8], defaults: &HashMap<Vec<u8>, Vec<u8>>) -> Option<Vec<u8>> {
    let (q, c) = conditional(value)?;
    let is_true = |term: &[u8]| {
        let default = |name: &[u8]| defaults.get(name).map(Vec::as_slice);
        if let Some(name) = term.strip_prefix(b"var.") {
            if let Some(name) = name.strip_suffix(b"==null") {
                return default(name) == Some(b"null");
            }
            return default(name) == Some(b"true");
        }
        term.strip_prefix(b"!var.")
            .is_some_and(|name| default(name) == Some(b"false"))
    };
    let terms: Vec<&[u8]> = split_and(&value[..q]);
    let kept: Vec<&[u8]> = terms.iter().copied().filter(|t| !is_true(t)).collect();
    if kept.len() == terms.len() {
        return None;
    }
    if kept.is_empty() {
        return Some(value[q + 1..c].to_vec());
    }
    Some([&kept.join(&b"&&"[..])[..], &value[q..]].concat())
}

/// A condition's top-level `&&` terms.
fn split_and(cond: &[u8]) -> Vec<&[u8]> {
    let (mut out, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0usize, false);
    let mut i = 0;
    while i < cond.len() {
        match cond[i] {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'&' if depth == 0 && cond.get(i + 1) == Some(&b'&') => {
                out.push(&cond[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&cond[start..]);
    out
}

/// The argument the added line `i` sets, and its old and new values (whitespace gone): the
/// new from the line, the old from the removed line of the same argument above it.
fn values(h: &Hunk, i: usize) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let caps = ARG.captures(&h.lines.get(i)?.bytes)?;
    let (attr, new) = (caps.get(1)?.as_bytes(), norm(caps.get(2)?.as_bytes()));
    let old = h.lines[..i].iter().rev().find_map(|l| {
        let c = ARG
            .captures(&l.bytes)
            .filter(|_| l.kind == LineKind::Removed)?;
        let was = c.get(1)?.as_bytes();
        // `count` turned into `for_each` (or back) is the same argument for this.
        let twin = std::str::from_utf8(attr)
            .ok()
            .and_then(switched_keying)
            .is_some_and(|t| t.as_bytes() == was);
        (was == attr || twin).then(|| norm(c.get(2).map_or(&b""[..], |m| m.as_bytes())))
    })?;
    Some((attr.to_vec(), old, new))
}

/// New cloudposse null-label modules that only copy another label's context, at most with an
/// `id_length_limit` (the module, the label it copies): their `id` is that label's `id`, cut
/// only where it was longer than the limit, and a name longer than a provider's limit (64
/// characters for an IAM role) could never have been created. Any other argument (attributes,
/// a delimiter, a name) makes another id.
fn label_twins(modules: &HashMap<Vec<u8>, Args>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, args) in modules {
        let arg = |k: &[u8]| args.iter().find(|(a, _)| a == k).map(|(_, v)| &v[..]);
        let label = arg(b"source").is_some_and(|s| s.ends_with(b"/label/null\""));
        let plain = args.iter().all(|(a, _)| {
            matches!(
                &a[..],
                b"source" | b"version" | b"context" | b"id_length_limit"
            )
        });
        let of = arg(b"context")
            .and_then(|c| c.strip_prefix(b"module."))
            .and_then(|c| c.strip_suffix(b".context"));
        if let (true, true, Some(of)) = (label, plain, of) {
            out.push((name.clone(), of.to_vec()));
        }
    }
    out
}

/// `value` with `from` read as `to` wherever `at(value, i)` lets it start at `i`.
fn substitute(value: &[u8], from: &[u8], to: &[u8], at: impl Fn(&[u8], usize) -> bool) -> Vec<u8> {
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

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `value` with every `from` (a `module.x.` prefix) read as `to`.
fn replaced(value: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    substitute(value, from, to, |v, i| i == 0 || !word_byte(v[i - 1]))
}

/// `value` with every `[0]` after a name taken out: `data.t.n[0].location` reads what
/// `data.t.n.location` read before the block was given a one-or-none count.
fn first_instance(value: &[u8]) -> Vec<u8> {
    substitute(value, b"[0].", b".", |v, i| i > 0 && word_byte(v[i - 1]))
}

/// `value` with every `var.from` read as `var.to`.
fn with_input_renamed(value: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pat = [&b"var."[..], from].concat();
    let to = [&b"var."[..], to].concat();
    substitute(value, &pat, &to, |v, i| {
        let starts = i == 0 || !word_byte(v[i - 1]);
        starts && v.get(i + pat.len()).is_none_or(|&b| !word_byte(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{hits, hunk};
    use crate::risk::logic::RULES;

    fn ids(text: &str) -> Vec<&'static str> {
        let h = hunk("infra/main.tf", text);
        hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect()
    }

    #[test]
    fn a_header_cut_at_80_columns_still_names_the_resource() {
        let mut h = hunk(
            "infra/main.tf",
            "-  os_type = each.value.os_type\n+  os_type = try(each.value.os.type, \"Linux\")\n",
        );
        h.header =
            "resource \"azurerm_kubernetes_cluster_node_pool\" \"node_pool_create_before_destroy"
                .into();
        let found: Vec<_> = hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect();
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    #[test]
    fn a_changed_database_engine_is_a_stateful_replacement() {
        let found = ids(concat!(
            " resource \"aws_db_instance\" \"main\" {\n",
            "-  engine     = \"mysql\"\n",
            "+  engine     = \"postgres\"\n",
            "   identifier = \"prod-main\"\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
    }

    /// terraform-aws-vpc 3210728: a new optional input in front of the old name keeps it.
    #[test]
    fn a_fallback_to_the_old_value_is_no_change() {
        // Nested fallbacks and a map lookup's default (terraform-aws-ecs, -route53).
        assert!(ids(concat!(
            " resource \"aws_cloudwatch_log_group\" \"this\" {\n",
            "-  name              = \"/aws/ecs/${var.cluster_name}\"\n",
            "+  name              = try(coalesce(var.cloudwatch_log_group_name, \"/aws/ecs/${var.cluster_name}\"), \"\")\n",
            " }\n",
        ))
        .is_empty());
        assert!(ids(concat!(
            " resource \"aws_route53_zone\" \"this\" {\n",
            "-  name          = each.key\n",
            "+  name          = lookup(each.value, \"domain_name\", each.key)\n",
            " }\n",
        ))
        .is_empty());
        // A filtering `for` keeps the keys the conditional gave.
        assert!(ids(concat!(
            " resource \"aws_route53_zone\" \"this\" {\n",
            "-  for_each = var.create ? var.zones : tomap({})\n",
            "+  for_each = { for k, v in var.zones : k => v if var.create }\n",
            " }\n",
        ))
        .is_empty());
        // A lookup whose default is not the old value, or a filter on something else, changes it.
        assert_eq!(
            ids(concat!(
                " resource \"aws_route53_zone\" \"this\" {\n",
                "-  name          = each.key\n",
                "+  name          = lookup(each.value, \"domain_name\", var.name)\n",
                " }\n",
            )),
            ["destructive.tf-stateful-force-new"]
        );
        assert_eq!(
            ids(concat!(
                " resource \"aws_route53_zone\" \"this\" {\n",
                "-  for_each = var.create ? var.zones : tomap({})\n",
                "+  for_each = { for k, v in var.zones : k => v if v.enabled }\n",
                " }\n",
            )),
            ["destructive.tf-stateful-force-new"]
        );
        assert!(ids(concat!(
            " resource \"aws_redshift_subnet_group\" \"redshift\" {\n",
            "-  name        = lower(var.name)\n",
            "+  name        = lower(coalesce(var.redshift_subnet_group_name, var.name))\n",
            " }\n",
        ))
        .is_empty());
        assert_eq!(
            ids(concat!(
                " resource \"aws_redshift_subnet_group\" \"redshift\" {\n",
                "-  name        = lower(var.name)\n",
                "+  name        = lower(coalesce(var.name, var.redshift_subnet_group_name))\n",
                " }\n",
            )),
            ["destructive.tf-force-new"]
        );
    }

    /// The rules `refine_change` leaves on `main.tf` of a change of two files.
    fn replacing(main: &str, variables: &str) -> Vec<String> {
        use crate::risk::logic::testutil::{modified, rules_of};
        let mut files = vec![
            modified("main.tf", main),
            modified("variables.tf", variables),
        ];
        crate::risk::Engine::builtin().scan_change(&mut files);
        rules_of(&files, "main.tf")
            .into_iter()
            .filter(|r| REPLACING.contains(&r.as_str()))
            .collect()
    }

    /// Azure/terraform-azurerm-network 37ca3dfe: the data source's input read directly, and its
    /// location behind a fallback local once the data source has a one-or-none count.
    #[test]
    fn what_a_data_source_read_is_the_same_value_read_directly() {
        let main = concat!(
            " data \"azurerm_resource_group\" \"network\" {\n",
            "+  count = var.resource_group_location == null ? 1 : 0\n",
            "   name = var.resource_group_name\n",
            " }\n",
            "+locals {\n",
            "+  resource_group_location = var.resource_group_location == null ? data.azurerm_resource_group.network[0].location : var.resource_group_location\n",
            "+}\n",
            " resource \"azurerm_virtual_network\" \"vnet\" {\n",
            "-  resource_group_name = data.azurerm_resource_group.network.name\n",
            "-  location            = data.azurerm_resource_group.network.location\n",
            "+  resource_group_name = var.resource_group_name\n",
            "+  location            = local.resource_group_location\n",
            " }\n",
        );
        assert!(replacing(main, "").is_empty());
        // Another input than the one the data source was given is another group.
        let other = main.replace(
            "+  resource_group_name = var.resource_group_name",
            "+  resource_group_name = var.network_resource_group_name",
        );
        assert_eq!(replacing(&other, ""), ["destructive.tf-force-new"]);
    }

    /// cloudposse/terraform-aws-iam-role 9bc829f7: a label that only caps the id's length.
    #[test]
    fn a_label_copying_the_context_with_a_length_limit_names_the_same() {
        let main = |extra: &str| {
            format!(
                concat!(
                    "+module \"role_name\" {{\n",
                    "+  source          = \"cloudposse/label/null\"\n",
                    "+  version         = \"0.25.0\"\n",
                    "+  id_length_limit = 64\n",
                    "{}",
                    "+  context         = module.this.context\n",
                    "+}}\n",
                    " resource \"aws_iam_role\" \"default\" {{\n",
                    "-  name = var.use_fullname ? module.this.id : module.this.name\n",
                    "+  name = var.use_fullname ? module.role_name.id : module.this.name\n",
                    " }}\n",
                ),
                extra
            )
        };
        assert!(replacing(&main(""), "").is_empty());
        // Attributes make another id.
        assert_eq!(
            replacing(&main("+  attributes      = [\"role\"]\n"), ""),
            ["destructive.tf-force-new"]
        );
    }

    /// terraform-google-memorystore 04cef768, cloudposse/terraform-aws-dynamodb 97c8a7a3,
    /// terraform-aws-transit-gateway 1661dfa3, cloudposse/terraform-aws-s3-bucket b4978749.
    #[test]
    fn a_value_kept_through_the_rest_of_the_change_replaces_nothing() {
        let project = " resource \"google_redis_instance\" \"default\" {\n-  project = var.project\n+  project = var.project_id\n }\n";
        assert!(replacing(
            project,
            "-variable \"project\" {\n+variable \"project_id\" {\n"
        )
        .is_empty());
        assert_eq!(replacing(project, "+variable \"other\" {\n").len(), 1);

        let table = concat!(
            " locals {\n",
            "+  table_name = var.table_name != null ? var.table_name : module.this.id\n",
            " }\n",
            " resource \"aws_dynamodb_table\" \"default\" {\n",
            "-  name = module.this.id\n",
            "+  name = local.table_name\n",
            " }\n",
        );
        assert!(replacing(table, "").is_empty());
        assert_eq!(replacing(&table.replace("!= null", "== null"), "").len(), 1);

        let gated = " resource \"aws_ec2_transit_gateway_route_table\" \"this\" {\n-  count = var.create_tgw ? 1 : 0\n+  count = var.create_tgw && var.create_tgw_routes ? 1 : 0\n }\n";
        let declared = |default: &str| {
            format!("+variable \"create_tgw_routes\" {{\n+  type    = bool\n+  default = {default}\n+}}\n")
        };
        assert!(replacing(gated, &declared("true")).is_empty());
        assert_eq!(replacing(gated, &declared("false")).len(), 1);

        let logging = " resource \"aws_s3_bucket_logging\" \"default\" {\n-  count = local.enabled ? 1 : 0\n+  for_each = toset(local.enabled ? [\"enabled\"] : [])\n }\n";
        let moved = "+moved {\n+  from = aws_s3_bucket_logging.default[0]\n+  to   = aws_s3_bucket_logging.default[\"enabled\"]\n+}\n";
        assert!(replacing(&format!("{moved}{logging}"), "").is_empty());
        assert_eq!(replacing(logging, "").len(), 1);
        // Three instances, one of them moved: the other two are still replaced.
        let three = logging.replace("local.enabled ? 1 : 0", "3");
        assert_eq!(replacing(&format!("{moved}{three}"), "").len(), 1);
    }

    #[test]
    fn a_changed_instance_subnet_is_a_replacement() {
        let found = ids(concat!(
            " resource \"aws_instance\" \"web\" {\n",
            "-  subnet_id = aws_subnet.a.id\n",
            "+  subnet_id = aws_subnet.b.id\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    #[test]
    fn realignment_in_place_updates_and_nested_names_do_not_fire() {
        assert!(ids(concat!(
            " resource \"aws_db_instance\" \"main\" {\n",
            "-  identifier = \"prod-main\"\n",
            "-  instance_class = \"db.r6g.large\"\n",
            "+  identifier     = \"prod-main\"\n",
            "+  instance_class = \"db.r6g.xlarge\"\n",
            "   parameter {\n",
            "-    name = \"a\"\n",
            "+    name = \"b\"\n",
            "   }\n",
            " }\n",
        ))
        .is_empty());
        // A resource type the table does not know.
        assert!(ids(concat!(
            " resource \"aws_iam_policy_attachment\" \"x\" {\n",
            "-  name = \"a\"\n",
            "+  name = \"b\"\n",
            " }\n",
        ))
        .is_empty());
    }

    #[test]
    fn a_changed_for_each_rekeys_instances() {
        let found = ids(concat!(
            " resource \"aws_iam_user\" \"users\" {\n",
            "-  for_each = toset(var.names)\n",
            "+  for_each = { for n in var.names : n => n }\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-instance-keys"]);
        // A bucket's instances hold data: rekeyed, they are recreated empty.
        let found = ids(concat!(
            " resource \"aws_s3_bucket\" \"logs\" {\n",
            "-  for_each = toset(var.names)\n",
            "+  for_each = { for n in var.names : n => n }\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
        // One or none either way: the only instance stays `[0]`.
        assert!(ids(concat!(
            " resource \"aws_s3_bucket\" \"logs\" {\n",
            "-  count = module.this.enabled ? 1 : 0\n",
            "+  count = local.enabled ? 1 : 0\n",
            " }\n",
        ))
        .is_empty());
    }

    #[test]
    fn name_turned_name_prefix_is_a_replacement() {
        let found = ids(concat!(
            " resource \"aws_security_group\" \"this\" {\n",
            "-  name        = var.name\n",
            "+  name_prefix = \"${var.name}-\"\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    #[test]
    fn the_hunk_header_names_the_block_when_its_line_is_out_of_view() {
        let mut h = hunk(
            "main.tf",
            "   storage_type = \"gp3\"\n-  bucket = \"a\"\n+  bucket = \"b\"\n",
        );
        h.header = "resource \"aws_s3_bucket\" \"this\" {".into();
        let found: Vec<_> = hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect();
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
    }
}
