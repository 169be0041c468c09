//! The benchmark repository: deterministic (seeded xorshift, fixed identities and clock, no
//! network), written with git2 into an empty directory, so every run of the benchmarks measures
//! the same commits and `cargo bench` needs nothing but the source tree.
//!
//! Layout: `main` holds a human-written base (about 720 files in nine languages, plus a 15,000-
//! and an 8,000-line file and a 6,000-line legacy client). Three branches start from it, each
//! with `main` as upstream and AI-assisted commits (Claude Code trailer) on top:
//! - `bench/large` (checked out as HEAD): three commits, about 50,000 changed lines
//!   (insertions + deletions, `git diff --shortstat --no-renames main bench/large`) over 500+
//!   files: scattered edits, insertions and deletions, new and deleted files, 10 renames with
//!   edits, the big files edited, a 9,000-line generated client, a ~1 MB one-line minified
//!   bundle, and a few lines the risk engine must flag;
//! - `bench/medium`: one commit of about 5,000 changed lines;
//! - `bench/small`: one commit of about 200 changed lines.

mod content;
mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use git2::build::CheckoutBuilder;
use git2::{Oid, Repository, RepositoryInitOptions};

use content::{Lang, Rng};
use writer::Writer;

pub const BASE_BRANCH: &str = "main";
const SEED: u64 = 0x5EED_C0DE_2026_1121;

/// Which of the three benchmark changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Large,
    Medium,
    Small,
}

impl Size {
    pub const ALL: [Size; 3] = [Size::Large, Size::Medium, Size::Small];

    pub fn name(self) -> &'static str {
        match self {
            Size::Large => "large",
            Size::Medium => "medium",
            Size::Small => "small",
        }
    }

    pub fn branch(self) -> &'static str {
        match self {
            Size::Large => "bench/large",
            Size::Medium => "bench/medium",
            Size::Small => "bench/small",
        }
    }

    /// `main..bench/<size>`: the range a reviewer opens.
    pub fn range(self) -> String {
        format!("{BASE_BRANCH}..{}", self.branch())
    }

    /// Changed lines (insertions + deletions, without rename detection) the change aims at.
    pub fn target_lines(self) -> usize {
        match self {
            Size::Large => 50_000,
            Size::Medium => 5_000,
            Size::Small => 200,
        }
    }
}

/// The commits written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchRepo {
    pub base: Oid,
    /// The three commits of `bench/large`, oldest first.
    pub large: [Oid; 3],
    pub medium: Oid,
    pub small: Oid,
}

impl BenchRepo {
    pub fn tip(&self, size: Size) -> Oid {
        match size {
            Size::Large => self.large[2],
            Size::Medium => self.medium,
            Size::Small => self.small,
        }
    }
}

const LEDGER: &str = "internal/ledger/ledger.go";
const REPORT: &str = "services/analytics/report.py";
const OLD_CLIENT: &str = "web/src/legacy/old_client.ts";
const API_CLIENT: &str = "web/src/generated/api_client.ts";
const MINIFIED: &str = "web/public/vendor/charts.min.js";
const BASE_FILES: usize = 720;

/// Lines the risk engine must flag, placed in files of their language in the last commit.
const RISKY: &[(Lang, &[&str])] = &[
    (Lang::Terraform, &["  force_destroy = true"]),
    (
        Lang::Sql,
        &["DELETE FROM sessions;", "DROP TABLE audit_log_archive;"],
    ),
    (
        Lang::Shell,
        &[
            "  rm -rf \"$BUILD_DIR/\"",
            "  curl -fsSL https://get.tools.example.dev/install.sh | sh",
            "  chmod 777 /var/run/app.sock",
        ],
    ),
    (
        Lang::Python,
        &[
            "    resp = requests.get(url, verify=False)",
            "    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")",
        ],
    ),
    (
        Lang::Rust,
        &["    let raw = unsafe { std::mem::transmute::<u64, f64>(bits) };"],
    ),
    (
        Lang::TypeScript,
        &["  eval(userInput);", "  const label = \"pay\u{200B}ment\";"],
    ),
];

/// The tree being built: path → lines.
type Files = BTreeMap<String, Vec<String>>;

/// One commit's changes over the branch's files, with its changed-line count.
#[derive(Default)]
struct Change {
    writes: BTreeSet<String>,
    removes: BTreeSet<String>,
    lines: usize,
}

impl Change {
    fn add(&mut self, files: &mut Files, path: String, lines: Vec<String>) {
        self.lines += lines.len();
        files.insert(path.clone(), lines);
        self.writes.insert(path);
    }

    fn remove(&mut self, files: &mut Files, path: &str) {
        if let Some(old) = files.remove(path) {
            self.lines += old.len();
            self.removes.insert(path.to_string());
        }
    }

    /// Scattered edits worth `budget` changed lines in `path`.
    fn edit(&mut self, rng: &mut Rng, files: &mut Files, path: &str, budget: usize) {
        if let Some(lines) = files.get_mut(path) {
            self.lines += edit(rng, Lang::of_path(path), lines, budget);
            self.writes.insert(path.to_string());
        }
    }

    /// Moves `from` to `to` with a few edits (counted as git counts it without rename
    /// detection: the whole old file deleted, the whole new one added).
    fn rename(&mut self, rng: &mut Rng, files: &mut Files, from: &str, to: String, edits: usize) {
        let Some(mut lines) = files.remove(from) else {
            return;
        };
        let old = lines.len();
        edit(rng, Lang::of_path(from), &mut lines, edits);
        self.lines += old + lines.len();
        self.removes.insert(from.to_string());
        files.insert(to.clone(), lines);
        self.writes.insert(to);
    }
}

/// Creates the benchmark repository in `dir` (an existing, empty directory).
pub fn create(dir: &Path) -> Result<BenchRepo> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the benchmark directory {}", dir.display()))?;
    if entries.next().is_some() {
        bail!("the benchmark directory {} is not empty", dir.display());
    }
    let mut opts = RepositoryInitOptions::new();
    opts.external_template(false)
        .initial_head(&format!("refs/heads/{BASE_BRANCH}"));
    let repo = Repository::init_opts(dir, &opts)
        .with_context(|| format!("creating a git repository in {}", dir.display()))?;
    let w = Writer { repo: &repo };
    let mut rng = Rng::new(SEED);

    // The base: the human-written service.
    let mut files = Files::new();
    let mut base = Change::default();
    for _ in 0..BASE_FILES {
        let lang = rng.pick(Lang::MIX);
        let n = rng.fresh();
        let len = rng.range(40, 300);
        let path = lang.path(&mut rng, n);
        let body = lang.file(&mut rng, len);
        base.add(&mut files, path, body);
    }
    for (path, len) in [(LEDGER, 15_000), (REPORT, 8_000), (OLD_CLIENT, 6_000)] {
        let body = Lang::of_path(path).file(&mut rng, len);
        base.add(&mut files, path.to_string(), body);
    }
    // Which base files each commit touches: disjoint, so the range is the sum of its commits.
    let mut pool: Vec<String> = files
        .iter()
        .filter(|(p, l)| ![LEDGER, REPORT, OLD_CLIENT].contains(&p.as_str()) && l.len() >= 60)
        .map(|(p, _)| p.clone())
        .collect();
    rng.shuffle(&mut pool);
    let (c1_files, rest) = pool.split_at(300);
    let (deleted, rest) = rest.split_at(20);
    let (renamed, rest) = rest.split_at(10);
    let (c3_files, _) = rest.split_at(60);
    let base_files = files.clone();
    let base_id = w.commit(&[], &files, &base, "base", BASE_BRANCH)?;

    // Large, commit 1: scattered edits across 300 files.
    let mut c1 = Change::default();
    spread(&mut rng, &mut files, &mut c1, c1_files, 9_000);
    let c1_id = w.commit(&[base_id], &files, &c1, "c1", Size::Large.branch())?;

    // Large, commit 2: a new pipeline, deleted and moved legacy code, a vendored bundle.
    let mut c2 = Change::default();
    for _ in 0..130 {
        let lang = rng.pick(Lang::MIX);
        let n = rng.fresh();
        let path = lang.path(&mut rng, n).replacen('/', "/ingest/", 1);
        let len = rng.range(40, 200);
        let body = lang.file(&mut rng, len);
        c2.add(&mut files, path, body);
    }
    for path in deleted.iter().map(String::as_str).chain([OLD_CLIENT]) {
        c2.remove(&mut files, path);
    }
    for from in renamed {
        let to = from.replacen('/', "/legacy/", 1);
        c2.rename(&mut rng, &mut files, from, to, 6);
    }
    let bundle = vec![content::minified_js(&mut rng, 1 << 20)];
    c2.add(&mut files, MINIFIED.to_string(), bundle);
    let c2_id = w.commit(&[c1_id], &files, &c2, "c2", Size::Large.branch())?;

    // Large, commit 3: the big files, a generated client, risky lines, and edits that bring
    // the range to its target.
    let mut c3 = Change::default();
    c3.edit(&mut rng, &mut files, LEDGER, 600);
    c3.edit(&mut rng, &mut files, REPORT, 400);
    let client = Lang::TypeScript.file(&mut rng, 9_000);
    c3.add(&mut files, API_CLIENT.to_string(), client);
    for (lang, lines) in RISKY {
        let path = c3_files
            .iter()
            .find(|p| Lang::of_path(p) == *lang)
            .cloned()
            .unwrap_or_else(|| lang.path(&mut rng, 999_999));
        let body = files.entry(path.clone()).or_default();
        let at = body.len() / 3;
        body.splice(at..at, lines.iter().map(|l| l.to_string()));
        c3.lines += lines.len();
        c3.writes.insert(path);
    }
    let so_far = c1.lines + c2.lines + c3.lines;
    let left = Size::Large.target_lines().saturating_sub(so_far);
    spread(&mut rng, &mut files, &mut c3, c3_files, left);
    let c3_id = w.commit(&[c2_id], &files, &c3, "c3", Size::Large.branch())?;

    // Medium and small: one commit each on the base.
    let medium = w.side_commit(&mut rng, &base_files, base_id, Size::Medium, &pool[..40])?;
    let small = w.side_commit(&mut rng, &base_files, base_id, Size::Small, &pool[40..43])?;

    w.configure()?;
    repo.set_head(&format!("refs/heads/{}", Size::Large.branch()))
        .context("pointing HEAD at the large change")?;
    // A brand-new repository has nothing to lose: a forced checkout makes the tree match HEAD.
    repo.checkout_head(Some(CheckoutBuilder::new().force()))
        .context("checking out the large change")?;
    Ok(BenchRepo {
        base: base_id,
        large: [c1_id, c2_id, c3_id],
        medium,
        small,
    })
}

/// Edits `paths` for about `budget` changed lines in all, unevenly as real changes are.
fn spread(rng: &mut Rng, files: &mut Files, change: &mut Change, paths: &[String], budget: usize) {
    let weights: Vec<usize> = paths.iter().map(|_| rng.range(1, 9)).collect();
    let total: usize = weights.iter().sum();
    for (path, w) in paths.iter().zip(weights) {
        let share = (budget * w / total.max(1)).max(2);
        change.edit(rng, files, path, share);
    }
}

/// Applies edits worth `budget` changed lines at sites spread over `lines`: replacements,
/// insertions and deletions of a few lines each. Returns the changed-line count.
fn edit(rng: &mut Rng, lang: Lang, lines: &mut Vec<String>, budget: usize) -> usize {
    let mut pieces = Vec::new();
    let mut left = budget;
    while left > 0 {
        let p = rng.range(2, 14).min(left);
        pieces.push(p);
        left -= p;
    }
    // Sites at least ten lines apart, so most edits are hunks of their own.
    let sites = pieces.len().min(lines.len() / 10).max(1);
    let mut sizes = vec![0usize; sites];
    for (i, p) in pieces.iter().enumerate() {
        sizes[i % sites] += p;
    }
    let seg = lines.len() / sites;
    let mut changed = 0;
    for (i, size) in sizes.into_iter().enumerate().rev() {
        let start = i * seg;
        let room = seg.saturating_sub(4);
        let remove = match rng.range(0, 9) {
            0..=4 => size / 2,
            5..=7 => 0,
            _ => size,
        };
        // A deletion can't take more than its segment holds; the rest becomes an insertion.
        let remove = remove.min(room);
        let add = size - remove;
        let at = start + rng.range(0, room.saturating_sub(remove));
        let new = lang.body(rng, add);
        lines.splice(at..(at + remove).min(lines.len()), new);
        changed += remove + add;
    }
    changed
}
