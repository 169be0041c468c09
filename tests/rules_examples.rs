//! The examples in docs/rules.md ("## Examples"): each is a hunk in a named file that a rule
//! must fire on or must stay quiet on. This test scans every one with the built-in rules, as
//! the loader builds a change (a patch parsed by git), so the doc cannot drift from the rules.

use std::collections::BTreeMap;
use std::path::Path;

use countersign::git::diff;
use countersign::risk::Engine;

struct Example {
    rule: String,
    fires: bool,
    path: String,
    body: Vec<String>,
    line: usize,
}

/// The ```` ```example RULE fires|quiet PATH ```` blocks of the doc.
fn examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut open: Option<Example> = None;
    for (n, line) in doc.lines().enumerate() {
        if let Some(ex) = open.as_mut() {
            if line == "```" {
                out.extend(open.take());
            } else {
                ex.body.push(line.to_string());
            }
        } else if let Some(head) = line.strip_prefix("```example ") {
            let parts: Vec<&str> = head.split_whitespace().collect();
            let [rule, kind, path] = parts[..] else {
                panic!(
                    "docs/rules.md:{}: want ```example RULE fires|quiet PATH",
                    n + 1
                );
            };
            assert!(
                kind == "fires" || kind == "quiet",
                "docs/rules.md:{}: `{kind}` is neither fires nor quiet",
                n + 1
            );
            open = Some(Example {
                rule: rule.into(),
                fires: kind == "fires",
                path: path.into(),
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

/// The rule ids that fire on the example, scanned as a one-hunk change of its file.
fn fired(ex: &Example) -> Vec<String> {
    let old = ex.body.iter().filter(|l| !l.starts_with('+')).count();
    let new = ex.body.iter().filter(|l| !l.starts_with('-')).count();
    let mut patch = format!(
        "diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -1,{old} +1,{new} @@\n",
        p = ex.path
    );
    for l in &ex.body {
        patch.push_str(l);
        patch.push('\n');
    }
    let parsed = git2::Diff::from_buffer(patch.as_bytes())
        .unwrap_or_else(|e| panic!("docs/rules.md:{}: {e}", ex.line));
    let mut files = diff::load_files(&parsed).unwrap();
    Engine::builtin().scan_change(&mut files);
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
    let known: Vec<String> = Engine::builtin()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
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
        let ids = fired(ex);
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
    let missing: Vec<_> = known
        .iter()
        .filter(|id| !kinds.contains_key(id.as_str()))
        .collect();
    println!(
        "{} of {} rules have examples; without: {missing:?}",
        kinds.len(),
        known.len()
    );
    // Every rule should have examples; until then the covered set may only grow.
    assert!(kinds.len() >= 38, "{} rules with examples", kinds.len());
}
