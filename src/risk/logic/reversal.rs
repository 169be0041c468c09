//! Security fixes taken back: a line's protection is dropped while the rest of it stays. Each
//! check pairs a removed line with the added line that replaces it, so what fires is the
//! difference between the two, not a keyword that may be anywhere:
//!
//! - a call's safe variant gives way to its plain sibling (`_secure_debug` → `_debug`,
//!   `yaml.safe_load` → `yaml.load`);
//! - a required role is lowered (`reqRepoAdmin()` → `reqRepoWriter()`);
//! - a cryptographic random source gives way to a predictable one (`secrets.choice` →
//!   `random.choice`, `SecureRandom` → `rand`);
//! - a security setting flips to its unsafe value (`enableAnnotationValidations: true` →
//!   `false`, `allowSnippetAnnotations: false` → `true`, a dashboard's `enabled: true`);
//!
//! - a validation pattern's allowed characters become a list of forbidden ones
//!   (`^[a-z0-9][a-z0-9.-]*$` → `^[a-z0-9][^/:_A-Z]*$`);
//! - a constant-time comparison is replaced by `==` (`secure_compare(a, b)` → `a == b`);
//!
//! and one more that needs several lines: a secret read from the environment falls back to a
//! literal written in the code (`os.getenv("SECRET_KEY", "e11f…")`).

use std::sync::LazyLock;

use crate::model::{Hunk, LineKind};

use super::{FileFacts, Id, Lang, Sink};

/// A check's pattern, compiled as every logic rule's is (`super::re`: ASCII classes, on
/// bytes), read through the `&str` lines the checks here work on. Unicode classes made each
/// pattern several times larger, and a small review's memory grew by megabytes once its first
/// hunk compiled them.
struct Regex(regex::bytes::Regex);

/// The groups of one match; a group that is not whole UTF-8 (no ASCII-delimited group here
/// can be) counts as not taking part.
struct Groups<'s>(Vec<Option<&'s str>>);

impl<'s> Groups<'s> {
    fn get(&self, i: usize) -> Option<&'s str> {
        self.0.get(i).copied().flatten()
    }
}

impl std::ops::Index<usize> for Groups<'_> {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i).unwrap_or("")
    }
}

impl Regex {
    fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s.as_bytes())
    }

    /// Each match's start, end and text.
    fn find_iter<'r, 's: 'r>(
        &'r self,
        s: &'s str,
    ) -> impl Iterator<Item = (usize, usize, &'s str)> + 'r {
        self.0
            .find_iter(s.as_bytes())
            .filter_map(move |m| Some((m.start(), m.end(), s.get(m.range())?)))
    }

    fn captures<'s>(&self, s: &'s str) -> Option<Groups<'s>> {
        let caps = self.0.captures(s.as_bytes())?;
        Some(Groups(
            caps.iter()
                .map(|g| g.and_then(|m| s.get(m.range())))
                .collect(),
        ))
    }
}

fn re(p: &str) -> Regex {
    Regex(super::re(p))
}

/// The line without whitespace, for comparing two lines that differ by re-alignment.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A comment line, which fixes nothing whatever it says.
fn is_comment(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with("* ")
}

static ADMIN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)admin|owner|superuser|staff|maintainer"));
static LOWER_ROLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)writer|write|reader|read|member|viewer|guest|authenticated|anyone|anonymous|public|collaborator|contributor|user|login",
    )
});
static IDENT: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z_][A-Za-z0-9_]*"));

/// A line cut into its identifiers and the text between them (blanks squashed out), for
/// [`one_ident_changed`].
struct Split<'a> {
    /// (is an identifier, text), in order.
    parts: Vec<(bool, String)>,
    idents: Vec<&'a str>,
}

fn split(s: &str) -> Split<'_> {
    let mut parts = Vec::new();
    let mut idents = Vec::new();
    let mut last = 0;
    for (start, end, ident) in IDENT.find_iter(s) {
        parts.push((false, squash(&s[last..start])));
        parts.push((true, ident.to_string()));
        idents.push(ident);
        last = end;
    }
    parts.push((false, squash(&s[last..])));
    Split { parts, idents }
}

/// The one identifier that differs between two otherwise equal lines, old and new.
fn one_ident_changed<'a>(a: &Split<'a>, b: &Split<'a>) -> Option<(&'a str, &'a str)> {
    if a.parts.len() != b.parts.len() || a.idents.len() != b.idents.len() {
        return None;
    }
    let mut diff = None;
    let mut k = 0;
    for (x, y) in a.parts.iter().zip(&b.parts) {
        if x.0 {
            if x.1 != y.1 {
                if diff.is_some() {
                    return None;
                }
                diff = Some((a.idents[k], b.idents[k]));
            }
            k += 1;
        } else if x.1 != y.1 {
            return None;
        }
    }
    diff
}

static CONSTANT_TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\w*(secure_?compare|compare_?digest|constant_?time\w*|timing_?safe\w*|hash_?equals|fixed_?time_?eq\w*|slow_?equals|safe_?str_?cmp|MessageDigest\.isEqual)\s*\(",
    )
});
static PLAIN_EQUALS: LazyLock<Regex> =
    LazyLock::new(|| re(r"[^=!<>]={2,3}[^=]|!==?|\.equals\(|\beq\?"));

static CSPRNG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bsecrets\.(choice|token_\w+|randbelow|randbits|SystemRandom)\b|^\s*(import\s+secrets|from\s+secrets\s+import)\b|\bSecureRandom\b|\bcrypto\.(randomBytes|randomUUID|randomInt|getRandomValues)\b|\bos\.urandom\b|\bSystemRandom\b|\bOsRng\b|crypto/rand\b|\brandom_bytes\s*\(|\brandom_int\s*\(|\bopenssl_random_pseudo_bytes\b|\bRandomNumberGenerator\b|\bgetrandom\b",
    )
});
static WEAK_RNG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\brandom\.(choice|choices|randint|randrange|random|sample|getrandbits|shuffle)\s*\(|^\s*(import\s+random|from\s+random\s+import)\b|\bMath\.random\s*\(|math/rand\b|(^|[^.\w:])(rand|srand|mt_rand|lcg_value)\b\s*(\(|\*|\.|$)|\bRandom\.new\b|\bnew\s+Random\s*\(|\bthread_rng\s*\(|\b(SmallRng|XorShiftRng|Xoshiro\w*|Pcg(32|64)\w*|WyRand)\b|\bseed_from_u64\s*\(",
    )
});

/// A `key: value` or `key = value` setting with a boolean value.
static SETTING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        // A typed setting too (`ALLOW_SIGNUP: bool = False`, a pydantic or dataclass field), and
        // a PHP array's (`'allow_unsafe_links' => false,`).
        r#"^(\s*)["']?([A-Za-z_][\w.-]*)["']?\s*(?::\s*\w+\s*=|:=|=>|:|=)\s*["']?(?i:(true|false|yes|no|on|off))["']?\s*[,;]?\s*(#.*|//.*)?$"#,
    )
});
/// Settings whose `true` is the safe value: turning them off weakens a check.
static PROTECTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)validat|verif|strict|secure|protect|csrf|xsrf|sanitiz|escap|encrypt|require_?auth|auth_?required|requires_?auth|signed|https_?only|enforce|check_?(host|cert|origin|signature)",
    )
});
/// Settings whose `true` opens something up.
static OPENS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        // Open sign-up lets anyone on the network make an account; a trusted proxy lets any
        // client set the address it is seen from (`X-Forwarded-For`).
        r"(?i)^(allow|enable|permit|accept|open)\w*(snippet|cross|insecure|unsafe|anonymous|anon|public|privilege|root|any|all|plaintext|unauthenticated|guest|remote|origin|unsigned|untrusted|override|sign_?up|registration|register)|insecure|unsafe|skip_?(tls|ssl|verif|auth|check)|disable_?(auth|ssl|tls|csrf|verif|check|security|sandbox)|no_?verify|dangerous|trust_?proxy",
    )
});
/// A parent block that protects: disabling it (`networkPolicy: enabled: false`) takes the
/// protection away.
static GUARDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(network_?polic\w*|tls|ssl|https|auth\w*|encryption|pod_?security\w*|security_?context|rbac|audit\w*|csrf|rate_?limit\w*|firewall|waf)\s*:",
    )
});
/// A parent block that is an admin surface: enabling it exposes it.
static SURFACE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(dashboard|admin|debug|debugger|console|pprof|profiler|swagger|graphiql|playground|actuator|phpmyadmin|adminer|api_?explorer)\w*\s*:",
    )
});

fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The nearest line above `at` indented less than `indent`: a YAML key's parent.
fn parent(hunk: &Hunk, at: usize, indent: usize) -> Option<&str> {
    for line in hunk.lines[..at].iter().rev() {
        if line.kind == LineKind::Added {
            continue;
        }
        let s = std::str::from_utf8(&line.bytes).ok()?;
        if s.trim().is_empty() || is_comment(s) {
            continue;
        }
        let i = s.len() - s.trim_start().len();
        if i < indent {
            return Some(s);
        }
    }
    None
}

/// The line holds what [`SECRET_DEFAULT`] starts with: `env` (`getenv`, `ENV.fetch`,
/// `process.env`) or `config`, in any case.
fn names_a_lookup(line: &str) -> bool {
    static NAMES: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["env", "config"])
            .ok()
    });
    // Without the automaton (it cannot fail to build on two words), every line is looked at.
    NAMES.as_ref().is_none_or(|ac| ac.is_match(line))
}

/// A secret named in the environment lookup, then a literal fallback of some length.
static SECRET_DEFAULT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(getenv|environ\.get|env\.get|ENV\.fetch|env|Getenv|GetEnv|config)\s*\(\s*["'][\w.-]*(secret|password|passwd|token|api_?key|private_?key|signing_?key|secret_?key)[\w.-]*["']\s*,\s*(default\s*=\s*)?["']([^"'\s]{16,})["']|\bprocess\.env\.\w*(SECRET|PASSWORD|TOKEN|API_?KEY|PRIVATE_?KEY)\w*\s*(\|\||\?\?)\s*["']([^"'\s]{16,})["']|\bENV\[\s*["'][\w.-]*(SECRET|PASSWORD|TOKEN|API_?KEY|PRIVATE_?KEY)[\w.-]*["']\s*\]\s*(\|\||\bor\b)\s*["']([^"'\s]{16,})["']"#,
    )
});
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)example|changeme|change_me|change-me|placeholder|dummy|xxxx|your[_-]|<|\$\{|\{\{|%\(|replace|sample|fake|test",
    )
});

/// The checks' inputs: the hunk's changed lines as text (lines that are not UTF-8 are left out).
struct Changed<'h> {
    removed: Vec<(usize, &'h str)>,
    added: Vec<(usize, &'h str)>,
    /// The added lines that are not comments, split, once a pairing check first needs them:
    /// every removed candidate is compared with each of them.
    added_split: std::cell::OnceCell<Vec<(usize, Split<'h>)>>,
}

/// Pairs compared at most: a hunk larger than this on both sides is a rewrite, not a fix taken
/// back line by line.
const MAX_PAIRS: usize = 40_000;

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.is_test_data || file.is_prose || file.is_deleted {
        return;
    }
    let mut c = Changed {
        removed: Vec::new(),
        added: Vec::new(),
        added_split: std::cell::OnceCell::new(),
    };
    for (i, line) in hunk.lines.iter().enumerate() {
        let Ok(s) = std::str::from_utf8(&line.bytes) else {
            continue;
        };
        match line.kind {
            LineKind::Removed => c.removed.push((i, s)),
            LineKind::Added => c.added.push((i, s)),
            LineKind::Context => {}
        }
    }
    if c.added.is_empty() {
        return;
    }
    let code = !matches!(
        file.lang,
        Lang::Yaml | Lang::Json | Lang::Terraform | Lang::Other
    ) || file.lang == Lang::Other && hunk.lines.len() < 400;
    if code && c.removed.len() * c.added.len() <= MAX_PAIRS {
        lowered_roles(&c, sink);
        safe_variants(&c, sink);
        loosened_classes(&c, sink);
    }
    if c.removed.len() * c.added.len() <= MAX_PAIRS {
        weakened_settings(hunk, &c, sink);
    }
    weak_random(&c, sink);
    secret_default(&c, sink);
    plain_compare(&c, sink);
}

fn plain_compare(c: &Changed, sink: &mut Sink) {
    if !sink.on(Id::ConstantTimeRemoved) {
        return;
    }
    let had = c
        .removed
        .iter()
        .any(|(_, s)| !is_comment(s) && CONSTANT_TIME.is_match(s));
    if !had || c.added.iter().any(|(_, s)| CONSTANT_TIME.is_match(s)) {
        return;
    }
    if let Some(&(i, _)) = c
        .added
        .iter()
        .find(|(_, s)| !is_comment(s) && PLAIN_EQUALS.is_match(s))
    {
        sink.push(Id::ConstantTimeRemoved, Some(i), None, None);
    }
}

/// The bracket expressions of a line (`[a-z0-9.-]`, `[^/:]`): where each starts and ends
/// (one past its `]`), and whether it is negated.
fn classes(line: &str) -> Vec<(usize, usize, bool)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' && (i == 0 || b[i - 1] != b'\\') {
            let negated = b.get(i + 1) == Some(&b'^');
            // The first `]` after the opening (and after a leading `^`) closes it.
            let from = i + 1 + usize::from(negated) + 1;
            if let Some(end) = b
                .get(from..)
                .and_then(|r| r.iter().position(|&x| x == b']'))
            {
                let end = from + end + 1;
                out.push((i, end, negated));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn loosened_classes(c: &Changed, sink: &mut Sink) {
    if !sink.on(Id::AllowListLoosened) {
        return;
    }
    for &(_, old) in &c.removed {
        if is_comment(old) || !old.contains('[') {
            continue;
        }
        let was = classes(old);
        if !was.iter().any(|k| !k.2) {
            continue;
        }
        for &(i, new) in &c.added {
            if is_comment(new) || !new.contains("[^") {
                continue;
            }
            for &(os, oe, _) in was.iter().filter(|k| !k.2) {
                for (ns, ne, _) in classes(new).into_iter().filter(|k| k.2) {
                    // The lines are the same but for that one class, allowed → forbidden.
                    if old[..os] == new[..ns] && old[oe..] == new[ne..] {
                        let msg = format!("The pattern that checks this input stops listing what is allowed (`{}`) and lists what is forbidden (`{}`): every character not listed, `;`, `$`, a backtick, a newline, now passes.", &old[os..oe], &new[ns..ne]);
                        sink.push(Id::AllowListLoosened, Some(i), None, Some(msg));
                        return;
                    }
                }
            }
        }
    }
}

/// The affixes that mark a call as the safe one of a pair (`_secure_debug`/`_debug`).
static SAFE_AFFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^_?(secure|safe|safely|escaped?|sanitized?|strict|checked|masked|redacted|quoted)_?|_?(secure|safe|safely|escaped?|sanitized?|strict|checked|masked|redacted|quoted)$",
    )
});

/// `old` is `new` with a safe affix (`_secure_debug` → `_debug`, `safe_load` → `load`,
/// `execFileSafe` → `execFile`), compared without case or underscores.
fn safe_sibling(old: &str, new: &str) -> bool {
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let (o, n) = (fold(old), fold(new));
    if n.len() < 3 || o.len() <= n.len() {
        return false;
    }
    let extra = if let Some(rest) = o.strip_suffix(n.as_str()) {
        rest
    } else if let Some(rest) = o.strip_prefix(n.as_str()) {
        rest
    } else {
        return false;
    };
    SAFE_AFFIX.is_match(extra)
        && SAFE_AFFIX
            .captures(extra)
            .is_some_and(|g| g.get(0).is_some_and(|m| m.len() == extra.len()))
}

fn safe_variants(c: &Changed, sink: &mut Sink) {
    one_name_swapped(
        c,
        Id::SafeVariantReplaced,
        sink,
        |old| {
            let lower = old.to_ascii_lowercase();
            SAFE_WORDS.iter().any(|w| lower.contains(w))
        },
        |was, now| {
            safe_sibling(was, now).then(|| format!("`{was}` gives way to `{now}`, its plain sibling: what the safe one masked, escaped or refused now passes."))
        },
    );
}

/// Fires `id` once, on the first added line that is a removed one (kept by `candidate`) with
/// one name swapped, where `judge` has something to say of the swap (`was` → `now`).
fn one_name_swapped(
    c: &Changed,
    id: Id,
    sink: &mut Sink,
    candidate: impl Fn(&str) -> bool,
    judge: impl Fn(&str, &str) -> Option<String>,
) {
    if !sink.on(id) {
        return;
    }
    for &(_, old) in &c.removed {
        if is_comment(old) || !candidate(old) {
            continue;
        }
        let old = split(old);
        let added = c.added_split.get_or_init(|| {
            c.added
                .iter()
                .filter(|(_, s)| !is_comment(s))
                .map(|&(i, s)| (i, split(s)))
                .collect()
        });
        for (i, new) in added {
            let i = *i;
            let Some((was, now)) = one_ident_changed(&old, new) else {
                continue;
            };
            if let Some(msg) = judge(was, now) {
                sink.push(id, Some(i), None, Some(msg));
                return;
            }
        }
    }
}

/// The words [`SAFE_AFFIX`] is made of: a removed line without one needs no pairing.
const SAFE_WORDS: [&str; 10] = [
    "secure", "safe", "escape", "saniti", "strict", "checked", "masked", "redacted", "quoted",
    "safely",
];

fn lowered_roles(c: &Changed, sink: &mut Sink) {
    one_name_swapped(
        c,
        Id::PrivilegeLowered,
        sink,
        |old| ADMIN.is_match(old),
        |was, now| {
            (ADMIN.is_match(was) && !ADMIN.is_match(now) && LOWER_ROLE.is_match(now)).then(|| format!("The role this needs is lowered from `{was}` to `{now}`: more people can now do it."))
        },
    );
}

fn weak_random(c: &Changed, sink: &mut Sink) {
    if !sink.on(Id::CsprngReplaced) {
        return;
    }
    let had = c
        .removed
        .iter()
        .any(|(_, s)| !is_comment(s) && CSPRNG.is_match(s));
    if !had {
        return;
    }
    let kept = c.added.iter().any(|(_, s)| CSPRNG.is_match(s));
    let weak = c
        .added
        .iter()
        .find(|(_, s)| !is_comment(s) && WEAK_RNG.is_match(s));
    if let (false, Some(&(i, _))) = (kept, weak) {
        sink.push(Id::CsprngReplaced, Some(i), None, None);
    }
}

fn weakened_settings(hunk: &Hunk, c: &Changed, sink: &mut Sink) {
    if !sink.on(Id::SettingWeakened) {
        return;
    }
    let old: Vec<(String, bool)> = c
        .removed
        .iter()
        .filter_map(|(_, s)| {
            let caps = SETTING.captures(s)?;
            Some((caps[2].to_string(), truthy(&caps[3])?))
        })
        .collect();
    if old.is_empty() {
        return;
    }
    for &(i, s) in &c.added {
        let Some(caps) = SETTING.captures(s) else {
            continue;
        };
        let (key, Some(now)) = (&caps[2], truthy(&caps[3])) else {
            continue;
        };
        if !old.iter().any(|(k, was)| k == key && *was != now) {
            continue;
        }
        let last = key.rsplit('.').next().unwrap_or(key);
        let enabled = last.eq_ignore_ascii_case("enabled");
        let weakened = if now {
            OPENS.is_match(last)
                || enabled && parent(hunk, i, caps[1].len()).is_some_and(|p| SURFACE.is_match(p))
        } else {
            PROTECTS.is_match(last) && !OPENS.is_match(last)
                || enabled && parent(hunk, i, caps[1].len()).is_some_and(|p| GUARDS.is_match(p))
        };
        if weakened {
            let msg = format!("`{key}` is switched to `{}`, its unsafe value: check this is not what ships by default.", &caps[3]);
            sink.push(Id::SettingWeakened, Some(i), None, Some(msg));
            return;
        }
    }
}

fn secret_default(c: &Changed, sink: &mut Sink) {
    if !sink.on(Id::SecretDefault) {
        return;
    }
    // A call may span lines: join each added line with up to three that follow it. A match
    // starts at the lookup's name (`getenv`, `env`, `config`, `process.env`), so only a line
    // that holds one of them starts a window.
    for (n, &(i, first)) in c.added.iter().enumerate() {
        if is_comment(first) || !names_a_lookup(first) {
            continue;
        }
        let mut text = first.trim().to_string();
        for k in 0..4 {
            if k > 0 {
                match c.added.get(n + k) {
                    Some(&(j, s)) if j == i + k => text.push_str(s.trim()),
                    _ => break,
                }
            }
            if let Some(caps) = SECRET_DEFAULT.captures(&text) {
                // The literal: of a call's default, `process.env.X || …`, or Ruby's `ENV['X'] || …`.
                let value = caps.get(4).or(caps.get(7)).or(caps.get(10)).unwrap_or("");
                if !PLACEHOLDER.is_match(value) {
                    sink.push(Id::SecretDefault, Some(i), None, None);
                    return;
                }
                break;
            }
        }
    }
}

#[cfg(test)]
#[path = "reversal_tests.rs"]
mod tests;
