//! The rules' path globs, matched without compiling them into regexes. globset turns every glob
//! that is not a plain extension or file name (`**/tests/**`, `*_test.go`, `CHANGELOG*`) into
//! one large regex set, and building it was a fifth of the instructions of a whole
//! `countersign scan` of a 200-line commit. Paths are short and the globs few, so a matcher over
//! path components, behind a literal every path it can match contains, costs less to build and
//! about as little to run. Globs this matcher does not handle (`{a,b}`, escapes) go to globset,
//! so every glob keeps globset's meaning (`literal_separator`: `*` and `?` stop at `/`).

use std::collections::HashMap;

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Globs, each with its index in the list they were built from.
#[derive(Debug)]
pub(crate) struct Globs {
    /// `**/NAME`: the file name, exactly.
    names: HashMap<String, Vec<usize>>,
    /// `**/*SUFFIX`: the file name ends with it.
    suffixes: Vec<(String, usize)>,
    /// The rest this matcher handles, each behind a literal any path it matches contains.
    patterns: Vec<(Pattern, String, usize)>,
    /// Globs left to globset, and their indexes.
    fallback: Option<(GlobSet, Vec<usize>)>,
}

impl Globs {
    /// Globs are matched as given (callers lowercase both sides for case-insensitive matching).
    pub fn build<S: AsRef<str>>(globs: &[S]) -> Result<Globs> {
        let mut out = Globs {
            names: HashMap::new(),
            suffixes: Vec::new(),
            patterns: Vec::new(),
            fallback: None,
        };
        let (mut rest, mut rest_ids) = (GlobSetBuilder::new(), Vec::new());
        for (i, g) in globs.iter().enumerate() {
            let g = g.as_ref();
            match Pattern::parse(g) {
                Some(p) => out.add(p, i),
                None => {
                    rest.add(
                        GlobBuilder::new(g)
                            .literal_separator(true)
                            .build()
                            .with_context(|| format!("invalid glob '{g}'"))?,
                    );
                    rest_ids.push(i);
                }
            }
        }
        if !rest_ids.is_empty() {
            let set = rest.build().context("building a glob set")?;
            out.fallback = Some((set, rest_ids));
        }
        Ok(out)
    }

    fn add(&mut self, p: Pattern, i: usize) {
        if let [Part::AnyDirs, Part::Name(tokens)] = p.parts.as_slice() {
            if let Some(name) = literal(tokens) {
                self.names.entry(name).or_default().push(i);
                return;
            }
            if let [Token::Star, rest @ ..] = tokens.as_slice() {
                if let Some(suffix) = literal(rest) {
                    self.suffixes.push((suffix, i));
                    return;
                }
            }
        }
        let needle = p.longest_literal();
        self.patterns.push((p, needle, i));
    }

    /// Calls `hit` with the index of every glob that matches `path`, each once.
    pub fn each_match(&self, path: &str, mut hit: impl FnMut(usize)) {
        let name = path.rsplit('/').next().unwrap_or(path);
        if let Some(ids) = self.names.get(name) {
            ids.iter().for_each(|&i| hit(i));
        }
        for (suffix, i) in &self.suffixes {
            if name.ends_with(suffix.as_str()) {
                hit(*i);
            }
        }
        if self
            .patterns
            .iter()
            .any(|(_, needle, _)| path.contains(needle.as_str()))
        {
            let parts: Vec<Vec<char>> = path.split('/').map(|c| c.chars().collect()).collect();
            for (p, needle, i) in &self.patterns {
                if path.contains(needle.as_str()) && p.matches(&parts) {
                    hit(*i);
                }
            }
        }
        if let Some((set, ids)) = &self.fallback {
            for g in set.matches(path) {
                hit(ids[g]);
            }
        }
    }

    pub fn is_match(&self, path: &str) -> bool {
        let mut any = false;
        self.each_match(path, |_| any = true);
        any
    }
}

/// A glob as path components.
#[derive(Debug)]
struct Pattern {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    /// `**` as a whole component: any number of directories (at the end: at least one name).
    AnyDirs,
    Name(Vec<Token>),
}

#[derive(Debug, Clone)]
enum Token {
    Char(char),
    /// `?`: any one character.
    One,
    /// `*`: any run of characters, the empty one too.
    Star,
    /// `[…]` / `[!…]`: ranges, inclusive.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Pattern {
    /// None for what is left to globset: alternatives, escapes, `**` inside a component, an
    /// unclosed class, an absolute or empty component.
    fn parse(glob: &str) -> Option<Pattern> {
        if glob.is_empty() || glob.contains(['{', '}', '\\']) {
            return None;
        }
        let mut parts = Vec::new();
        for component in glob.split('/') {
            if component == "**" {
                parts.push(Part::AnyDirs);
                continue;
            }
            if component.is_empty() || component.contains("**") {
                return None;
            }
            parts.push(Part::Name(tokens(component)?));
        }
        Some(Pattern { parts })
    }

    /// The longest run of plain characters: a path it matches contains it ("" when none).
    fn longest_literal(&self) -> String {
        let mut best = String::new();
        for part in &self.parts {
            let Part::Name(tokens) = part else { continue };
            let mut run = String::new();
            for t in tokens.iter().chain([&Token::Star]) {
                match t {
                    Token::Char(c) => run.push(*c),
                    _ => {
                        if run.len() > best.len() {
                            best = std::mem::take(&mut run);
                        }
                        run.clear();
                    }
                }
            }
        }
        best
    }

    fn matches(&self, path: &[Vec<char>]) -> bool {
        match_parts(&self.parts, path)
    }
}

fn tokens(component: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = component.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(match c {
            '*' => Token::Star,
            '?' => Token::One,
            '[' => {
                // The common forms only (`[1-9]`, `[!._]`); a class that starts with `]` or `^`
                // or has `-` at an end is left to globset, whose reading of those is its own.
                let negated = chars.next_if(|&c| c == '!').is_some();
                let mut body = Vec::new();
                loop {
                    match chars.next()? {
                        ']' => break,
                        c => body.push(c),
                    }
                }
                if body.is_empty() || body[0] == '^' || body[0] == '-' || body.last() == Some(&'-')
                {
                    return None;
                }
                let mut ranges = Vec::new();
                let mut at = 0;
                while at < body.len() {
                    if at + 2 < body.len() && body[at + 1] == '-' {
                        if body[at + 2] < body[at] {
                            return None;
                        }
                        ranges.push((body[at], body[at + 2]));
                        at += 3;
                    } else {
                        ranges.push((body[at], body[at]));
                        at += 1;
                    }
                }
                Token::Class { negated, ranges }
            }
            c => Token::Char(c),
        });
    }
    Some(out)
}

/// The tokens as a plain string, if they are only characters.
fn literal(tokens: &[Token]) -> Option<String> {
    tokens
        .iter()
        .map(|t| match t {
            Token::Char(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn match_parts(parts: &[Part], path: &[Vec<char>]) -> bool {
    match parts.split_first() {
        None => path.is_empty(),
        // `dir/**` needs something under `dir`.
        Some((Part::AnyDirs, [])) => !path.is_empty(),
        Some((Part::AnyDirs, rest)) => {
            (0..=path.len()).any(|skip| match_parts(rest, &path[skip..]))
        }
        Some((Part::Name(tokens), rest)) => match path.split_first() {
            Some((name, tail)) => match_name(tokens, name) && match_parts(rest, tail),
            None => false,
        },
    }
}

fn match_name(tokens: &[Token], name: &[char]) -> bool {
    match tokens.split_first() {
        None => name.is_empty(),
        Some((Token::Star, rest)) => (0..=name.len()).any(|skip| match_name(rest, &name[skip..])),
        Some((t, rest)) => match name.split_first() {
            Some((&c, tail)) => one(t, c) && match_name(rest, tail),
            None => false,
        },
    }
}

fn one(token: &Token, c: char) -> bool {
    match token {
        Token::Char(t) => *t == c,
        Token::One | Token::Star => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(globs: &[&str], path: &str) -> Vec<usize> {
        let set = Globs::build(globs).unwrap();
        let mut out = Vec::new();
        set.each_match(path, |i| out.push(i));
        out.sort();
        out
    }

    #[test]
    fn components_and_stars() {
        let g = [
            "**/tests/**",
            "**/*_test.go",
            "**/changelog*",
            ".github/workflows/*.yml",
        ];
        assert_eq!(matched(&g, "crates/core/tests/a.rs"), [0]);
        assert_eq!(matched(&g, "tests"), Vec::<usize>::new());
        assert_eq!(matched(&g, "pkg/x_test.go"), [1]);
        assert_eq!(matched(&g, "changelog.md"), [2]);
        assert_eq!(matched(&g, ".github/workflows/ci.yml"), [3]);
        // `*` stops at `/`.
        assert_eq!(
            matched(&g, ".github/workflows/sub/ci.yml"),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn classes_and_the_rest_left_to_globset() {
        let g = ["**/*.[1-9]", "**/*.{yml,yaml}", "**/[!a]b"];
        assert_eq!(matched(&g, "man/rg.1"), [0]);
        assert_eq!(matched(&g, "man/rg.x"), Vec::<usize>::new());
        assert_eq!(matched(&g, "k8s/a.yaml"), [1]);
        assert_eq!(matched(&g, "cb"), [2]);
        assert_eq!(matched(&g, "ab"), Vec::<usize>::new());
    }

    /// The built-in rules' globs against the paths of the real-world corpus (and a few made to
    /// sit on the edges): the same answers as globset's.
    #[test]
    fn agrees_with_globset_on_the_built_in_globs() {
        let mut globs: Vec<String> = Vec::new();
        let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/risk/rules");
        let quoted = regex::Regex::new(r#""([^"\n]*[*/][^"\n]*|[A-Za-z][\w.-]*)""#).unwrap();
        for entry in std::fs::read_dir(&rules).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().filter(|l| {
                let l = l.trim_start();
                l.starts_with("include")
                    || l.starts_with("exclude")
                    || l.starts_with('"')
                    || l.contains("= [")
            }) {
                for c in quoted.captures_iter(line) {
                    let g = c[1].to_lowercase();
                    globs.push(if g.contains('/') {
                        g
                    } else {
                        format!("**/{g}")
                    });
                }
            }
        }
        globs.sort();
        globs.dedup();
        assert!(globs.len() > 150, "{} globs", globs.len());
        let mut paths: Vec<String> = [
            "a",
            "a/b",
            "tests",
            "tests/",
            "x/tests",
            "x/tests/y",
            ".github/workflows/a/b.yml",
            "man/rg.1.txt.gz",
            "dockerfile",
            "dockerfile.dev",
            "a.dockerfile",
            "values.yaml",
            "charts/x/values-prod.yaml",
            "db/migrate/1_x.rb",
            "prisma/migrations/x/migration.sql",
            "é/ß.md",
            "-",
            "a-b/[x].py",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_corpus");
        let path_re = regex::Regex::new(r#"paths = \[(.*)\]"#).unwrap();
        let item = regex::Regex::new(r#""([^"]+)""#).unwrap();
        for entry in std::fs::read_dir(&corpus).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                for c in path_re.captures_iter(&text) {
                    for p in item.captures_iter(&c[1]) {
                        paths.push(p[1].to_lowercase());
                    }
                }
            }
        }
        assert!(paths.len() > 500, "{} paths", paths.len());
        let ours = Globs::build(&globs).unwrap();
        let mut theirs = GlobSetBuilder::new();
        for g in &globs {
            theirs.add(GlobBuilder::new(g).literal_separator(true).build().unwrap());
        }
        let theirs = theirs.build().unwrap();
        for p in &paths {
            let mut a = Vec::new();
            ours.each_match(p, |i| a.push(i));
            a.sort();
            let b = theirs.matches(p);
            assert_eq!(
                a.iter().map(|&i| &globs[i]).collect::<Vec<_>>(),
                b.iter().map(|&i| &globs[i]).collect::<Vec<_>>(),
                "{p}"
            );
        }
    }
}
