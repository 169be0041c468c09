//! The examples in docs/rules.md ("## Examples"): each is a hunk in a named file that a rule
//! must fire on or must stay quiet on. This test scans every one with the built-in rules, as
//! the loader builds a change (a patch parsed by git), so the doc cannot drift from the rules.

use std::collections::BTreeMap;
use std::path::Path;

use countersign::git::diff;
use countersign::risk::terraform::TerraformPlan;
use countersign::risk::Engine;

struct Example {
    rule: String,
    fires: bool,
    path: String,
    /// What happens to the file besides its lines (the words after PATH): see [`FILE_WORDS`].
    file: Vec<String>,
    body: Vec<String>,
    line: usize,
}

/// The words that may follow PATH: the file is `added` or `deleted` (else modified), is
/// `binary` (a block without lines), is a `symlink`, or is `executable` (a modified file
/// gains the execute bit, an added one has it). Also `size=N` (its new size in bytes, which a
/// patch does not carry) and `plan=NAME` (scanned with `tests/terraform_plans/NAME` as
/// `--plan`).
const FILE_WORDS: [&str; 5] = ["added", "deleted", "binary", "symlink", "executable"];
const VALUE_WORDS: [&str; 2] = ["size=", "plan="];

/// The value of a `key=value` word of the example.
fn value<'a>(ex: &'a Example, key: &str) -> Option<&'a str> {
    ex.file.iter().find_map(|w| w.strip_prefix(key))
}

/// A body line ending in ` ×N` stands for N copies of itself: a hunk too long to write out.
fn expand(line: &str, at: usize) -> Vec<String> {
    let Some((text, n)) = line.rsplit_once(" ×") else {
        return vec![line.to_string()];
    };
    let n: usize = n
        .parse()
        .unwrap_or_else(|_| panic!("docs/rules.md:{at}: `×{n}` is not a count"));
    vec![text.to_string(); n]
}

/// The ```` ```example RULE fires|quiet PATH [FILE_WORDS…] ```` blocks of the doc.
fn examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut open: Option<Example> = None;
    for (n, line) in doc.lines().enumerate() {
        if let Some(ex) = open.as_mut() {
            if line == "```" {
                out.extend(open.take());
            } else {
                ex.body.extend(expand(line, n + 1));
            }
        } else if let Some(head) = line.strip_prefix("```example ") {
            let parts: Vec<&str> = head.split_whitespace().collect();
            let [rule, kind, path, ref file @ ..] = parts[..] else {
                panic!(
                    "docs/rules.md:{}: want ```example RULE fires|quiet PATH [{}]",
                    n + 1,
                    FILE_WORDS.join("|")
                );
            };
            assert!(
                kind == "fires" || kind == "quiet",
                "docs/rules.md:{}: `{kind}` is neither fires nor quiet",
                n + 1
            );
            for word in file {
                assert!(
                    FILE_WORDS.contains(word) || VALUE_WORDS.iter().any(|k| word.starts_with(k)),
                    "docs/rules.md:{}: `{word}` is none of {FILE_WORDS:?}",
                    n + 1
                );
            }
            open = Some(Example {
                rule: rule.into(),
                fires: kind == "fires",
                path: path.into(),
                file: file.iter().map(|w| w.to_string()).collect(),
                body: Vec::new(),
                line: n + 1,
            });
        }
    }
    assert!(
        open.is_none(),
        "docs/rules.md: an example block is not closed"
    );
    out
}

/// The example as git prints it: the header says how the file changes, one hunk (or the
/// binary notice) holds the body.
fn patch(ex: &Example) -> String {
    let has = |word: &str| ex.file.iter().any(|w| w == word);
    let at = ex.line;
    let (added, deleted, binary) = (has("added"), has("deleted"), has("binary"));
    assert!(
        !(added && deleted),
        "docs/rules.md:{at}: a file is added or deleted, not both"
    );
    let mode = if has("symlink") {
        "120000"
    } else if has("executable") {
        "100755"
    } else {
        "100644"
    };
    let p = &ex.path;
    let mut out = format!("diff --git a/{p} b/{p}\n");
    if added {
        out.push_str(&format!("new file mode {mode}\nindex 0000000..2222222\n"));
    } else if deleted {
        out.push_str(&format!(
            "deleted file mode {mode}\nindex 1111111..0000000\n"
        ));
    } else if has("executable") {
        out.push_str("old mode 100644\nnew mode 100755\nindex 1111111..2222222\n");
    } else {
        out.push_str(&format!("index 1111111..2222222 {mode}\n"));
    }
    let a = if added {
        "/dev/null".into()
    } else {
        format!("a/{p}")
    };
    let b = if deleted {
        "/dev/null".into()
    } else {
        format!("b/{p}")
    };
    if binary {
        assert!(
            ex.body.is_empty(),
            "docs/rules.md:{at}: a binary file has no lines to show"
        );
        out.push_str(&format!("Binary files {a} and {b} differ\n"));
        return out;
    }
    let old = ex.body.iter().filter(|l| !l.starts_with('+')).count();
    let new = ex.body.iter().filter(|l| !l.starts_with('-')).count();
    assert!(
        !(added && old > 0 || deleted && new > 0),
        "docs/rules.md:{at}: an added file only adds lines, a deleted one only removes them"
    );
    // git numbers an empty side from 0 (`@@ -0,0 +1,3 @@` for a new file).
    let start = |count: usize| usize::from(count > 0);
    out.push_str(&format!(
        "--- {a}\n+++ {b}\n@@ -{},{old} +{},{new} @@\n",
        start(old),
        start(new)
    ));
    for l in &ex.body {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The rule ids that fire on the example, scanned as a one-file change.
fn fired(engine: &Engine, ex: &Example) -> Vec<String> {
    let patch = patch(ex);
    let parsed = git2::Diff::from_buffer(patch.as_bytes())
        .unwrap_or_else(|e| panic!("docs/rules.md:{}: {e}", ex.line));
    let mut files = diff::load_files(&parsed).unwrap();
    if let Some(size) = value(ex, "size=") {
        files[0].new_size = size
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("docs/rules.md:{}: `size={size}`", ex.line));
    }
    let plan = value(ex, "plan=").map(|name| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/terraform_plans")
            .join(name);
        TerraformPlan::read(&path).unwrap_or_else(|e| panic!("docs/rules.md:{}: {e:#}", ex.line))
    });
    for f in files.iter_mut() {
        engine.scan_file_with(f, plan.as_ref());
    }
    Engine::weigh_change(&mut files);
    files
        .iter()
        .flat_map(|f| f.hunks.iter().flat_map(|h| &h.findings))
        .map(|f| f.rule.clone())
        .collect()
}

#[test]
fn every_example_in_the_rules_doc_does_what_it_says() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .unwrap();
    let all = examples(&doc);
    let engine = Engine::builtin();
    let known: Vec<String> = engine.rules().iter().map(|r| r.id.clone()).collect();
    let mut kinds: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for ex in &all {
        assert!(
            known.contains(&ex.rule),
            "docs/rules.md:{}: no rule `{}`",
            ex.line,
            ex.rule
        );
        let k = kinds.entry(&ex.rule).or_default();
        if ex.fires {
            k.0 = true;
        } else {
            k.1 = true;
        }
        let ids = fired(&engine, ex);
        if ids.contains(&ex.rule) != ex.fires {
            wrong.push(format!(
                "docs/rules.md:{}: {} should {} on {}, found {ids:?}",
                ex.line,
                ex.rule,
                if ex.fires { "fire" } else { "stay quiet" },
                ex.path
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let half: Vec<_> = kinds
        .iter()
        .filter(|(_, (f, q))| !(f & q))
        .map(|(r, _)| *r)
        .collect();
    assert!(
        half.is_empty(),
        "rules with only one kind of example: {half:?}"
    );
    let missing: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|id| !kinds.contains_key(id))
        .collect();
    println!(
        "{} of {} rules have examples; without: {missing:?}",
        kinds.len(),
        known.len()
    );
    assert!(
        missing.is_empty(),
        "rules without examples in docs/rules.md: {missing:?}"
    );
}
