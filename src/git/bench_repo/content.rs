//! Plausible source text for the benchmark repository: a seeded xorshift generator and, per
//! language, templates of the units a real file is made of (functions, classes, resources,
//! sections). Almost every generated line carries a fresh identifier, so `git diff` pairs lines
//! exactly as the generator intends and the changed-line counts come out as planned.

/// xorshift64*: tiny, deterministic on every platform, and good enough to vary shapes.
pub struct Rng {
    state: u64,
    seq: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // A zero state would stay zero forever.
        Rng {
            state: seed | 1,
            seq: 0,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() - 1)]
    }

    /// A fresh number, so that generated lines don't repeat.
    pub fn fresh(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.range(0, i);
            items.swap(i, j);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
    TypeScript,
    Go,
    Yaml,
    Sql,
    Terraform,
    Shell,
    Markdown,
}

/// How a language's files are built: a unit opens, has a body of several lines, and closes.
struct Templates {
    open: &'static [&'static str],
    body: &'static [&'static str],
    close: &'static [&'static str],
}

pub const WORDS: &[&str] = &[
    "account", "invoice", "ledger", "payment", "session", "token", "order", "cart", "shipment",
    "customer", "report", "metric", "event", "queue", "worker", "retry", "cache", "index",
    "tenant", "region", "bucket", "policy", "user", "audit", "export", "import", "schema", "batch",
    "job", "stream", "refund", "price", "coupon", "webhook", "client", "request", "response",
    "status", "balance", "transfer", "charge", "dispute", "plan", "quota", "limit", "window",
    "snapshot", "record", "entry", "cursor", "page", "filter", "profile", "device",
];

impl Lang {
    /// The mix of a typical polyglot service repository, by number of files.
    pub const MIX: &'static [Lang] = &[
        Lang::Rust,
        Lang::Rust,
        Lang::Python,
        Lang::Python,
        Lang::Python,
        Lang::TypeScript,
        Lang::TypeScript,
        Lang::TypeScript,
        Lang::Go,
        Lang::Go,
        Lang::Yaml,
        Lang::Sql,
        Lang::Terraform,
        Lang::Shell,
        Lang::Markdown,
    ];

    /// A path for a new file of this language; `n` keeps paths unique.
    pub fn path(self, rng: &mut Rng, n: u64) -> String {
        let a = rng.pick(WORDS);
        let b = rng.pick(WORDS);
        match self {
            Lang::Rust => format!("crates/{a}/src/{b}_{n}.rs"),
            Lang::Python => format!("services/{a}/{b}_{n}.py"),
            Lang::TypeScript => format!("web/src/{a}/{b}_{n}.ts"),
            Lang::Go => format!("internal/{a}/{b}_{n}.go"),
            Lang::Yaml => format!("deploy/k8s/{a}/{b}-{n}.yaml"),
            Lang::Sql => format!("db/migrations/{n:05}_{a}_{b}.sql"),
            Lang::Terraform => format!("infra/{a}/{b}_{n}.tf"),
            Lang::Shell => format!("scripts/{a}/{b}_{n}.sh"),
            Lang::Markdown => format!("docs/{a}/{b}-{n}.md"),
        }
    }

    pub fn of_path(path: &str) -> Lang {
        match path.rsplit('.').next().unwrap_or("") {
            "rs" => Lang::Rust,
            "py" => Lang::Python,
            "ts" | "js" => Lang::TypeScript,
            "go" => Lang::Go,
            "yaml" | "yml" => Lang::Yaml,
            "sql" => Lang::Sql,
            "tf" => Lang::Terraform,
            "sh" => Lang::Shell,
            _ => Lang::Markdown,
        }
    }

    fn templates(self) -> Templates {
        match self {
            Lang::Rust => Templates {
                open: &[
                    "/// %s.",
                    "pub fn %w_%i(ctx: &Context, %w: u64) -> Result<%W> {",
                ],
                body: &[
                    "    let %w_%i = ctx.%ws().get(%w).context(\"%s\")?;",
                    "    if %w_%i.%w > %n {",
                    "        return Err(Error::%W(\"%w %i\".into()));",
                    "    }",
                    "    tracing::debug!(%w_id = %n, \"%s\");",
                    "    let %w_%i: Vec<%W> = %w.iter().filter(|x| x.%w_%i()).collect();",
                    "    // %s.",
                    "    ctx.metrics.incr(\"%w.%w_%i\", %n);",
                ],
                close: &["    Ok(%W::from(%w_%i))", "}", ""],
            },
            Lang::Python => Templates {
                open: &["def %w_%i(self, %w, %w=None):", "    \"\"\"%s.\"\"\""],
                body: &[
                    "    %w_%i = self.%w.get(%w, timeout=%n)",
                    "    if %w_%i is None:",
                    "        raise %WError(\"%s %i\")",
                    "    log.info(\"%s\", extra={\"%w\": %w_%i})",
                    "    # %s.",
                    "    %w_%i = [x for x in %w if x.%w_%i]",
                    "    self.metrics.incr(\"%w.%w_%i\")",
                ],
                close: &["    return %w_%i", ""],
            },
            Lang::TypeScript => Templates {
                open: &[
                    "/** %s. */",
                    "export async function %w%i(%w: %W, opts: %WOptions): Promise<%W> {",
                ],
                body: &[
                    "  const %w%i = await opts.client.get<%W>(`/%w/${%w.id}`);",
                    "  if (!%w%i.%w) {",
                    "    throw new %WError(\"%s %i\");",
                    "  }",
                    "  // %s.",
                    "  const %w%i = %w.items.filter((x) => x.%w%i > %n);",
                    "  metrics.increment(\"%w.%w%i\", { %w: %n });",
                ],
                close: &["  return %w%i;", "}", ""],
            },
            Lang::Go => Templates {
                open: &[
                    "// %W%i %s.",
                    "func (s *%WService) %W%i(ctx context.Context, %w %W) (*%W, error) {",
                ],
                body: &[
                    "\t%w%i, err := s.%w.Get(ctx, %w.ID)",
                    "\tif err != nil {",
                    "\t\treturn nil, fmt.Errorf(\"%s %i: %w\", err)",
                    "\t}",
                    "\t// %s.",
                    "\ts.metrics.Incr(\"%w.%w_%i\", %n)",
                    "\t%w%i := make([]%W, 0, %n)",
                ],
                close: &["\treturn %w%i, nil", "}", ""],
            },
            Lang::Yaml => Templates {
                open: &["%w-%i:"],
                body: &[
                    "  enabled: true",
                    "  %w_%i: \"%w-%n\"",
                    "  endpoint: \"https://%w.internal.example.com/%w/%i\"",
                    "  # %s",
                    "  labels: [%w, %w, v%n]",
                    "  image: \"registry.example.com/%w/%w:%n.%i\"",
                ],
                close: &[""],
            },
            Lang::Sql => Templates {
                open: &["-- %s.", "CREATE TABLE %w_%i ("],
                body: &[
                    "    %w_%i BIGINT NOT NULL,",
                    "    %w_%i TEXT NOT NULL DEFAULT '%w',",
                    "    %w_%i_at TIMESTAMPTZ,",
                    "    %w_%i NUMERIC(12, 2) NOT NULL DEFAULT %n,",
                ],
                close: &["    id BIGSERIAL PRIMARY KEY", ");", ""],
            },
            Lang::Terraform => Templates {
                open: &["# %s.", "resource \"aws_%w_%w\" \"%w_%i\" {"],
                body: &[
                    "  name        = \"%w-%w-%i\"",
                    "  %w_%i = %n",
                    "  description = \"%s\"",
                    "  %w_arn = aws_%w.%w_%i.arn",
                ],
                close: &["  tags = { Team = \"%w\", Id = \"%i\" }", "}", ""],
            },
            Lang::Shell => Templates {
                open: &["# %s.", "%w_%i() {"],
                body: &[
                    "  local %w_%i=\"${1:-%w}\"",
                    "  echo \"%s: ${%w_%i}\"",
                    "  if [ -z \"${%w_%i}\" ]; then",
                    "    return %n",
                    "  fi",
                    "  %w_%i=$(jq -r '.%w' \"${%w_%i}\")",
                ],
                close: &["}", ""],
            },
            Lang::Markdown => Templates {
                open: &["## %W %i", ""],
                body: &[
                    "%s, %s, and %s.",
                    "- `%w_%i`: %s.",
                    "The %w %i %s; see `%w/%w_%i`.",
                ],
                close: &[""],
            },
        }
    }

    /// One unit (function, class, resource, section) of about `body` body lines.
    pub fn unit(self, rng: &mut Rng, body: usize) -> Vec<String> {
        let t = self.templates();
        let mut out: Vec<String> = t.open.iter().map(|l| fill(rng, l)).collect();
        out.extend(self.body(rng, body));
        out.extend(t.close.iter().map(|l| fill(rng, l)));
        out
    }

    /// `n` body lines, as an edit inside a unit writes them.
    pub fn body(self, rng: &mut Rng, n: usize) -> Vec<String> {
        let t = self.templates();
        (0..n)
            .map(|_| {
                let template = rng.pick(t.body);
                fill(rng, template)
            })
            .collect()
    }

    /// A whole file of about `lines` lines.
    pub fn file(self, rng: &mut Rng, lines: usize) -> Vec<String> {
        let mut out = Vec::with_capacity(lines + 16);
        while out.len() < lines {
            let body = rng.range(2, 9);
            out.extend(self.unit(rng, body));
        }
        out.truncate(lines);
        out
    }
}

/// Expands `%w` (a word), `%W` (a type name), `%n` (a small number), `%i` (a fresh id) and
/// `%s` (a short sentence).
pub fn fill(rng: &mut Rng, template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str(rng.pick(WORDS)),
            Some('W') => out.push_str(&capitalised(rng.pick(WORDS))),
            Some('n') => out.push_str(&rng.range(1, 5000).to_string()),
            Some('i') => out.push_str(&rng.fresh().to_string()),
            Some('s') => out.push_str(&sentence(rng)),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn sentence(rng: &mut Rng) -> String {
    let n = rng.range(3, 7);
    let words: Vec<&str> = (0..n).map(|_| rng.pick(WORDS)).collect();
    capitalised(&words.join(" "))
}

/// A minified bundle of about `bytes` bytes on a single line, as a vendored build output is.
pub fn minified_js(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 256);
    out.push_str("!function(e,t){\"use strict\";");
    while out.len() < bytes {
        let f = rng.fresh();
        let w = rng.pick(WORDS);
        let n = rng.range(1, 999);
        out.push_str(&format!(
            "var {w}{f}=function(a,b){{return a.{w}?b({n}):a[{n}]||null}};e.{w}{f}={w}{f};"
        ));
    }
    out.push_str("}(window,document);");
    out
}
