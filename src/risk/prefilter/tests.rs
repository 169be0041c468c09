use super::*;
use crate::risk::builtin_factors;
use crate::risk::factors::factors;
use regex_syntax::hir::Hir;

use regex::bytes::Regex;

fn parse(p: &str) -> Hir {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(p)
        .unwrap()
}

fn factor_strs(p: &str) -> Option<Vec<String>> {
    factors(&parse(p)).map(|fs| {
        fs.into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect()
    })
}

#[test]
fn literal_runs_become_lowercase_factors() {
    assert_eq!(
        factor_strs(r"(?i)\bdrop\s+table\b"),
        Some(vec!["table".into()])
    );
    assert_eq!(
        factor_strs(r"\bDELETE\s+FROM\b"),
        Some(vec!["delete".into()])
    );
    assert_eq!(
        factor_strs(r"(?i)\bforce_?destroy\s*="),
        Some(vec!["force_destroy".into(), "forcedestroy".into()])
    );
}

#[test]
fn alternations_need_a_factor_in_every_branch() {
    assert_eq!(
        factor_strs(r"(?i)\b[\w.-]*(timeout|retries)\w*\s*=\s*\d"),
        Some(vec!["retries".into(), "timeout".into()])
    );
    // One branch without a literal: the pattern runs on every line.
    assert_eq!(factor_strs(r"curl[^\n]*\|\s*sh|^\s*\w+\s*=\s*\d"), None);
}

#[test]
fn gaps_and_short_literals_give_no_factor() {
    assert_eq!(factor_strs(r".*"), None);
    assert_eq!(factor_strs(r"\|\|\s*true"), Some(vec!["true".into()]));
    assert_eq!(factor_strs(r"\|\|\s*:"), Some(vec!["||".into()]));
    assert_eq!(factor_strs(r"\|\s*:"), None);
    assert_eq!(factor_strs(r"a?b"), None);
}

#[test]
fn candidates_come_from_factors_and_from_the_always_set() {
    let pats = [r"(?i)\bdrop\s+table\b", r"^\s*\w+\s*=\s*\d+$", r"rm\s+-rf"];
    let all = [true; 21];
    let fs: Vec<Option<Vec<Vec<u8>>>> = pats.iter().map(|p| factors(&parse(p))).collect();
    let rules: Vec<RuleFactors> = pats
        .iter()
        .zip(&fs)
        .enumerate()
        .map(|(i, (p, f))| (i * 10, *p, f.as_deref()))
        .collect();
    let pf = Prefilter::build(&rules, Always::of(&rules));
    let mut out = Candidates::default();
    pf.candidates(b"DROP TABLE users; -- rm -rf", true, &mut out);
    assert_eq!(out.rules, vec![0, 20]);
    // Factors are matched whatever the line's case.
    pf.candidates(b"Drop Table users; RM -RF", true, &mut out);
    assert_eq!(out.rules, vec![0, 20]);
    pf.candidates(b"x = 42", true, &mut out);
    assert_eq!(out.rules, vec![10]);
    pf.candidates(b"nothing here", true, &mut out);
    assert!(out.rules.is_empty());
    // A file none of whose rules lack factors skips the set of those rules.
    let mut active = all;
    active[10] = false;
    assert!(pf.needs_always(&all) && !pf.needs_always(&active));
    pf.candidates(b"x = 42", false, &mut out);
    assert!(out.rules.is_empty());
}

/// Every changed or context line of the risk corpus (tests/corpus), plus the demo's.
fn corpus_lines() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let v: toml::Value = toml::from_str(&text).unwrap();
        for case in v["case"].as_array().unwrap() {
            // File-level cases (a mode change, a binary) have no lines.
            let hunk = case.get("hunk").and_then(|h| h.as_str()).unwrap_or("");
            for l in hunk.lines() {
                lines.push(l.get(1..).unwrap_or("").as_bytes().to_vec());
            }
        }
    }
    lines
}

fn builtin_patterns() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (_, text) in crate::risk::BUILTIN_RULES {
        let v: toml::Value = toml::from_str(text).unwrap();
        for rule in v
            .get("rule")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            for side in ["added", "removed"] {
                if let Some(p) = rule.get(side).and_then(|x| x.as_str()) {
                    out.push((format!("{} {side}", rule["id"].as_str().unwrap()), p.into()));
                }
            }
        }
    }
    out
}

/// The property the scan relies on: a line a rule matches contains one of the rule's factors.
#[test]
fn no_builtin_rule_match_is_filtered_out() {
    let lines = corpus_lines();
    let mut matched = 0;
    for (name, p) in builtin_patterns() {
        let re = Regex::new(&format!("(?-u){p}")).unwrap();
        let Some(fs) = factors(&parse(&p)) else {
            continue;
        };
        for line in lines.iter().filter(|l| re.is_match(l)) {
            matched += 1;
            let lower = line.to_ascii_lowercase();
            assert!(
                fs.iter().any(|f| lower.windows(f.len()).any(|w| w == f)),
                "{name}: {:?} matches but holds none of its factors",
                String::from_utf8_lossy(line)
            );
        }
    }
    // The corpus exercises the rules: hundreds of matching lines were checked.
    assert!(matched > 150, "only {matched} matching lines");
}

#[test]
fn most_builtin_rules_have_factors() {
    let all = builtin_patterns();
    let without: Vec<&str> = all
        .iter()
        .filter(|(_, p)| factors(&parse(p)).is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    // The ones left run on every line in one small set; keep them few.
    assert!(without.len() * 5 <= all.len(), "{without:?}");
}

/// The table the build worked out holds every built-in line pattern, with the factors the
/// analysis gives at run time: a pattern missing from it would only be slower, a wrong entry
/// would hide matches.
#[test]
fn the_build_time_table_has_every_builtin_pattern_and_its_factors() {
    for (name, p) in builtin_patterns() {
        let known = builtin_factors::lookup(&p)
            .unwrap_or_else(|| panic!("{name}: {p} is not in the build-time table"));
        let now = factors(&parse(&p));
        let known: Option<Vec<Vec<u8>>> = known.map(|fs| fs.iter().map(|f| f.to_vec()).collect());
        assert_eq!(known, now, "{name}");
    }
}
