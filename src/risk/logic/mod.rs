//! The checks that need more than a pattern on one line: statements spanning lines, a removal
//! weighed against what the hunk adds back, a block's context, characters a regex over bytes
//! cannot name. Each has a stable id, severity and category like any rule in `rules/*.toml`, so
//! the policy can re-rate or turn it off the same way.

mod condition;
mod downgrade;
mod dropped;
mod force_new;
mod guard;
mod iac;
mod mode;
pub(crate) mod plan;
mod reversal;
mod safety;
mod shell;
mod size;
mod sql;
mod tf_change;
mod tf_value;

use crate::model::{FileChange, Hunk, Severity};

use super::hits::Hit;

/// A logic rule's constant pattern, on a line's raw bytes with ASCII classes (which keep it on
/// the DFA for non-ASCII text); every one is covered by its module's tests.
fn re(p: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(p)
        .unicode(false)
        .build()
        .expect("valid built-in regex")
}

pub(crate) use guard::{in_removed_function, removed_text};
pub(crate) use safety::{is_assertion, is_test_decl};
pub(crate) use tf_change::refine_change as refine_terraform_change;
pub(crate) use tf_value::defaults_to;

/// The logic rules, in the order of [`RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Id {
    Bidi,
    Invisible,
    Control,
    MixedScript,
    MixedScriptString,
    SqlNoWhere,
    TfResourceRemoved,
    TfStatefulRemoved,
    TfResourceRenamed,
    TfModuleRemoved,
    OpenIngress,
    RmRfVariable,
    LargeDeletion,
    TestRemoved,
    AssertionsRemoved,
    ErrorSwallowed,
    LargeHunk,
    Minified,
    SymlinkEscape,
    TfForceNew,
    TfStatefulForceNew,
    TfInstanceKeys,
    TfPlanDestroys,
    EscapingUnwrapped,
    PrivilegeLowered,
    CsprngReplaced,
    SettingWeakened,
    SecretDefault,
    ConstantTimeRemoved,
    AllowListLoosened,
    PermissionCheckRemoved,
    ValidationRemoved,
    StateAbsent,
    CheckCommentedOut,
    AccessWrapperRemoved,
    ScopeDropped,
    ScopeDroppedWrite,
    SafeVariantReplaced,
    ModeLoosened,
    CheckSubjectRemoved,
    DependencyDowngraded,
}

/// Id, severity, category and the rule's general sentence (findings may be more precise).
pub(crate) struct Meta {
    pub id: &'static str,
    pub severity: Severity,
    pub category: &'static str,
    pub message: &'static str,
}

const fn m(
    id: &'static str,
    severity: Severity,
    category: &'static str,
    message: &'static str,
) -> Meta {
    Meta {
        id,
        severity,
        category,
        message,
    }
}

use Severity::{Critical, High, Medium};

pub(crate) const RULES: [Meta; 41] = [
    m("hidden-text.bidi", Critical, "hidden-text", "A bidirectional control character makes this line display differently from how it compiles (Trojan Source)."),
    m("hidden-text.invisible", Critical, "hidden-text", "An invisible character hides in this line, so what you read is not what runs."),
    m("hidden-text.control", Critical, "hidden-text", "A control character or terminal escape sequence hides in this line and can rewrite what a terminal shows."),
    m("hidden-text.mixed-script", Critical, "hidden-text", "An identifier mixes Latin with look-alike Cyrillic or Greek letters, so it is not the name it appears to be."),
    m("hidden-text.mixed-script-string", Medium, "hidden-text", "A quoted string mixes Latin with look-alike Cyrillic or Greek letters: text that reads as one word (a host, a command, a key) and is another."),
    m("destructive.sql-no-where", Critical, "destructive", "A DELETE or UPDATE without a WHERE clause changes every row of the table."),
    m("destructive.tf-resource-removed", High, "destructive", "A Terraform resource block is removed, so the next apply destroys it."),
    m("destructive.tf-stateful-resource-removed", Critical, "destructive", "A Terraform resource that holds data (database, bucket, volume, key) is removed, so the next apply destroys it and its data."),
    m("destructive.tf-resource-renamed", High, "destructive", "A Terraform resource is renamed without a `moved` block, so the next apply destroys it and creates a new one."),
    m("destructive.tf-module-removed", High, "destructive", "A Terraform module block is removed, so the next apply destroys everything it created."),
    m("security.open-ingress", High, "security", "Inbound traffic is opened to the whole internet (0.0.0.0/0 or ::/0)."),
    m("destructive.rm-rf-variable", High, "destructive", "`rm -rf` on a variable deletes whatever it holds; if it is empty or wrong that is the wrong tree (or `/`)."),
    m("destructive.large-deletion", Medium, "destructive", "This hunk deletes a large block of code with little to replace it."),
    m("safety-net.test-removed", High, "safety-net", "A test is deleted, so the behaviour it checked is no longer checked."),
    m("safety-net.assertions-removed", High, "safety-net", "Assertions are removed and not replaced, so the tests now check less."),
    m("safety-net.error-swallowed", Medium, "safety-net", "An error is caught and ignored, so failures will pass silently."),
    m("size.large-hunk", Medium, "size", "This hunk is too large to review well in one sitting; ask for it to be split."),
    m("size.minified", Medium, "size", "Very long lines (minified or generated content) cannot be reviewed line by line."),
    m("security.symlink-escape", High, "security", "A symbolic link points outside the repository (an absolute path or `..`)."),
    m("destructive.tf-force-new", High, "destructive", "An argument Terraform cannot change in place changes, so the next apply destroys and recreates the resource."),
    m("destructive.tf-stateful-force-new", Critical, "destructive", "An argument Terraform cannot change in place changes on a resource that holds data, so the next apply destroys and recreates it with its data."),
    m("destructive.tf-instance-keys", High, "destructive", "`count` or `for_each` changes, so every instance whose key or index changes is destroyed and recreated by the next apply."),
    m("destructive.tf-plan-destroys", Critical, "destructive", "The Terraform plan given with --plan destroys (or replaces) the resource this hunk changes."),
    m("security.escaping-unwrapped", High, "security", "An escaping or cleaning call is taken off a value the line still uses: unless it is checked elsewhere now, that is injection (HTML, a path, a command)."),
    m("security.privilege-lowered", High, "security", "The role a route or check requires is lowered (admin to writer, staff to user): more people can now do this."),
    m("security.csprng-replaced", Critical, "security", "A cryptographic random source gives way to a predictable one (`random`, `rand`, `Math.random`): tokens or keys made from it can be guessed."),
    m("security.setting-weakened", High, "security", "A security setting flips to its unsafe value (a validation or strict check off, an `allow…` for snippets, cross-namespace or insecure access on, an admin dashboard enabled)."),
    m("security.secret-default", Critical, "security", "A secret read from the environment falls back to a literal written in the code: every install that does not set it shares this published key."),
    m("security.constant-time-removed", High, "security", "A constant-time comparison (`secure_compare`, `compare_digest`, `timingSafeEqual`) gives way to `==`: how long the comparison takes now tells an attacker how much of the secret matched."),
    m("security.allow-list-loosened", High, "security", "A validation pattern stops listing the characters it allows and lists forbidden ones instead (`[a-z0-9.-]` becomes `[^/:]`): everything not thought of, `;`, `$`, a backtick, now passes."),
    m("security.permission-check-removed", High, "security", "A check on the user's permission or role that refused the request is removed, and nothing in the hunk refuses it now: whoever it kept out gets through."),
    m("security.validation-removed", Medium, "security", "A check that rejected bad input (it raised, threw, returned false or an error) is removed, and nothing in the hunk rejects it now: what it refused (a path with `..`, a non-numeric value, the wrong type) goes through."),
    m("destructive.state-absent", High, "destructive", "A task that kept something in place (`state: present`) now removes it (`state: absent`): the next run deletes it (a security group, a file, a user) on every host or account it targets."),
    m("safety-net.check-commented-out", Medium, "safety-net", "Lines of a test, CI job or verification step are commented out rather than fixed or deleted: the check they made no longer runs, and nothing says when it comes back."),
    m("security.access-wrapper-removed", High, "security", "An access wrapper (`admin_view(…)`, `login_required(…)`, `requireAuth(…)`) is taken off a handler the line still routes: whoever it kept out now reaches it."),
    m("security.scope-dropped", High, "security", "A term that limited a query or call to the requesting user's own records (`user_id`, `owner`, `tenant`, `visible…`, `policy`) is dropped while the rest of the line stays: one user can reach another's data."),
    m("security.scope-dropped-write", Critical, "security", "A delete or update loses the term that limited it to the requesting user's own records (`AND user_id = $2`): any user can change or delete anyone's."),
    m("security.safe-variant-replaced", High, "security", "A call's safe variant gives way to its plain sibling (`_secure_debug` → `_debug`, `yaml.safe_load` → `yaml.load`, `escapeHtml` → `html`): what the safe one masked, escaped or refused now passes."),
    m("security.mode-loosened", High, "security", "A file or directory mode is widened, or the `chmod` that restricted a file is removed (`0600` → `0644`, `chmod 600 key` dropped): other users on the host can now read (or write) it."),
    m("security.check-subject-removed", Medium, "security", "A condition that named what a check was about (an admin, an owner, a membership, a disabled account, `..` in a path, a throttle) is removed, and no condition the hunk adds names it again: unless the same check holds elsewhere now, what it refused goes through."),
    m("supply-chain.dependency-downgraded", Medium, "supply-chain", "A dependency goes back to an older version: whatever the newer release fixed, a security advisory included, is undone."),
];

/// What the logic rules know about the file a hunk belongs to.
pub(crate) struct FileFacts {
    pub lang: Lang,
    pub is_prose: bool,
    pub is_deleted: bool,
    /// A test, fixture or snapshot: strange characters there are usually the data under test.
    pub is_test_data: bool,
    /// CI, a test or a verification playbook: its lines are checks (`@ci`, `@tests`,
    /// `@verification`).
    pub is_check: bool,
    /// Git showed it as text, but it is not (see `hidden::not_really_text`).
    pub not_text: bool,
    /// Source code in a programming language (see [`is_source`]), not configuration or markup.
    pub is_source: bool,
}

/// The language a file is written in, as far as the checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Shell,
    Sql,
    Terraform,
    Yaml,
    Json,
    Dockerfile,
    Make,
    Python,
    Js,
    Go,
    Rust,
    Java,
    Ruby,
    Other,
}

impl Lang {
    pub fn of(path: &str) -> Lang {
        let name = file_name(path);
        let ext = extension(&name);
        if name == "dockerfile"
            || name.starts_with("dockerfile.")
            || ext == "dockerfile"
            || name == "containerfile"
        {
            return Lang::Dockerfile;
        }
        if name == "makefile" || name == "justfile" || ext == "mk" {
            return Lang::Make;
        }
        match ext {
            "sh" | "bash" | "zsh" | "ksh" | "bats" => Lang::Shell,
            "sql" => Lang::Sql,
            "tf" | "tfvars" | "hcl" => Lang::Terraform,
            "yml" | "yaml" => Lang::Yaml,
            "json" => Lang::Json,
            "py" | "pyi" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "vue" | "svelte" => {
                Lang::Js
            }
            "go" => Lang::Go,
            "rs" => Lang::Rust,
            "java" | "kt" | "kts" | "scala" | "groovy" | "cs" => Lang::Java,
            "rb" | "rake" => Lang::Ruby,
            _ => Lang::Other,
        }
    }

    /// Languages whose source can hold SQL in strings or as itself.
    pub fn may_hold_sql(self) -> bool {
        !matches!(
            self,
            Lang::Yaml | Lang::Json | Lang::Dockerfile | Lang::Terraform
        )
    }

    /// Re-indenting changes what the code means (Python blocks, YAML nesting, Make recipes).
    pub fn indentation_matters(self) -> bool {
        matches!(self, Lang::Python | Lang::Yaml | Lang::Make | Lang::Other)
    }

    /// Shell commands can appear here (scripts, Makefiles, Dockerfile `RUN`, CI `run:`).
    pub fn may_hold_shell(self) -> bool {
        matches!(
            self,
            Lang::Shell | Lang::Make | Lang::Dockerfile | Lang::Yaml | Lang::Json | Lang::Other
        )
    }
}

/// A path's last component, lowercased: what [`Lang::of`] and [`is_source`] look at.
fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

/// What follows a file name's last dot (nothing without one).
fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// Source code in a programming language, by its extension: where a removed `if` is a check
/// taken out, not a template's or a config file's.
pub(crate) fn is_source(path: &str) -> bool {
    matches!(
        extension(&file_name(path)),
        "py" | "pyi"
            | "js"
            | "mjs"
            | "cjs"
            | "jsx"
            | "ts"
            | "mts"
            | "cts"
            | "tsx"
            | "vue"
            | "svelte"
            | "go"
            | "rs"
            | "java"
            | "kt"
            | "kts"
            | "scala"
            | "groovy"
            | "cs"
            | "rb"
            | "php"
            | "c"
            | "cc"
            | "cpp"
            | "cxx"
            | "h"
            | "hpp"
            | "swift"
            | "ex"
            | "exs"
            | "erl"
            | "lua"
            | "pl"
            | "pm"
            | "dart"
            | "m"
            | "mm"
            | "zig"
            | "nim"
    )
}

/// Re-indenting the file can change what it means: Python, YAML, Make, Nim, and any file whose
/// language is not known (source in a brace language such as PHP or C is known not to).
pub(crate) fn layout_is_syntax(lang: Lang, path: &str) -> bool {
    match lang {
        Lang::Other => !is_source(path) || extension(&file_name(path)) == "nim",
        _ => lang.indentation_matters(),
    }
}

/// Collects logic hits, skipping rules the policy turned off before any work is done.
pub(crate) struct Sink<'e> {
    /// Index of the first logic rule in the engine's rule table.
    pub base: usize,
    pub enabled: &'e [bool],
    pub hits: Vec<Hit>,
}

impl Sink<'_> {
    pub fn on(&self, id: Id) -> bool {
        self.enabled.get(id as usize).copied().unwrap_or(false)
    }

    pub fn push(
        &mut self,
        id: Id,
        line: Option<usize>,
        column: Option<u32>,
        message: Option<String>,
    ) {
        if self.on(id) {
            self.hits.push(Hit {
                rule: self.base + id as usize,
                line,
                column,
                message,
            });
        }
    }
}

/// Runs every logic check on one hunk.
pub(crate) fn scan_hunk(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if !file.not_text {
        super::hidden::scan(hunk, file.is_test_data, sink);
    }
    if file.lang.may_hold_sql() && !file.is_prose {
        sql::scan(file, hunk, sink);
    }
    if matches!(file.lang, Lang::Terraform | Lang::Yaml | Lang::Json) {
        iac::scan(file, hunk, sink);
    }
    if file.lang == Lang::Terraform {
        force_new::scan(hunk, sink);
    }
    if file.lang.may_hold_shell() && !file.is_prose {
        shell::scan(hunk, sink);
    }
    if !file.is_prose {
        safety::scan(file, hunk, sink);
        reversal::scan(file, hunk, sink);
        dropped::scan(file, hunk, sink);
        mode::scan(file, hunk, sink);
        guard::scan(file, hunk, sink);
        condition::scan(file, hunk, sink);
        downgrade::scan(file, hunk, sink);
    }
    size::scan_hunk(file, hunk, sink);
}

/// File-level logic checks: minified content and links that escape the repository.
pub(crate) fn scan_file(file: &FileChange, facts: &FileFacts, sink: &mut Sink) {
    size::scan_file(file, facts, sink);
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::{FileFacts, Lang, Sink, RULES};
    use crate::model::{Hunk, Line, LineKind};
    use crate::risk::hits::Hit;

    /// What the checks know of a plain (not deleted, not prose) file at `path`.
    pub fn facts(path: &str) -> FileFacts {
        FileFacts {
            lang: Lang::of(path),
            is_prose: false,
            is_deleted: false,
            is_test_data: false,
            is_check: false,
            not_text: false,
            is_source: super::is_source(path),
        }
    }

    /// The hits `scan` pushes with every logic rule on.
    pub fn hits(scan: impl FnOnce(&mut Sink)) -> Vec<Hit> {
        let enabled = [true; RULES.len()];
        let mut sink = Sink {
            base: 0,
            enabled: &enabled,
            hits: Vec::new(),
        };
        scan(&mut sink);
        sink.hits
    }

    /// A hunk from `+`/`-`/` ` prefixed lines, numbered from 1.
    /// The rules of the findings on `path`'s hunks, after a scan of the whole change.
    pub fn rules_of(files: &[crate::model::FileChange], path: &str) -> Vec<String> {
        files
            .iter()
            .filter(|f| f.path() == path)
            .flat_map(|f| &f.hunks)
            .flat_map(|h| &h.findings)
            .map(|x| x.rule.clone())
            .collect()
    }

    /// A modified file of one hunk ([`hunk`]), for tests that scan a whole change.
    pub fn modified(path: &str, text: &str) -> crate::model::FileChange {
        let mut f = crate::model::FileChange::new(
            Some(path.to_string()),
            Some(path.to_string()),
            crate::model::ChangeKind::Modified,
        );
        f.hunks.push(hunk(path, text));
        f
    }

    pub fn hunk(path: &str, text: &str) -> Hunk {
        let (mut old, mut new) = (1u32, 1u32);
        let mut lines = Vec::new();
        for raw in text.lines() {
            let (kind, body) = match raw.chars().next() {
                Some('+') => (LineKind::Added, &raw[1..]),
                Some('-') => (LineKind::Removed, &raw[1..]),
                Some(' ') => (LineKind::Context, &raw[1..]),
                _ => (LineKind::Context, raw),
            };
            let (o, n) = match kind {
                LineKind::Added => (None, Some(new)),
                LineKind::Removed => (Some(old), None),
                LineKind::Context => (Some(old), Some(new)),
            };
            if o.is_some() {
                old += 1;
            }
            if n.is_some() {
                new += 1;
            }
            lines.push(Line::new(kind, o, n, body.as_bytes()));
        }
        Hunk::new(path, (1, old - 1), (1, new - 1), "", lines)
    }

    /// The ids of the rules a hunk-level check fires on `text` (a hunk of `path`).
    pub fn ids(
        scan: fn(&FileFacts, &Hunk, &mut Sink),
        path: &str,
        text: &str,
    ) -> Vec<&'static str> {
        let h = hunk(path, text);
        let f = facts(path);
        hits(|s| scan(&f, &h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect()
    }
}
