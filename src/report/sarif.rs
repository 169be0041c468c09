//! The scan report as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one rule
//! per risk rule seen, one result per finding in an AI-touched hunk, located by file, line and
//! column. Validated against the official schema in tests (docs/schemas/sarif-schema-2.1.0.json).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::ScanReport;
use crate::model::Severity;

/// SARIF's level for a severity: what a pull request shows as an error, a warning or a note.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score) for a severity, so its
/// alerts sort as critical, high, medium and low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

pub fn to_sarif(report: &ScanReport) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index: Map<String, Value> = Map::new();
    let mut results = Vec::new();
    for c in &report.commits {
        for h in &c.hunks {
            // The same set of hunks `--fail-on` counts: those a reviewer has to look at.
            if !h.ai_touched {
                continue;
            }
            for f in &h.findings {
                let index = match rule_index.get(&f.rule).and_then(Value::as_u64) {
                    Some(i) => i,
                    None => {
                        let i = rules.len() as u64;
                        rule_index.insert(f.rule.clone(), json!(i));
                        rules.push(json!({
                            "id": f.rule,
                            "name": f.rule,
                            "shortDescription": { "text": format!("{}: {}", f.category, f.rule) },
                            "defaultConfiguration": { "level": level(f.severity) },
                            "properties": {
                                "tags": [f.category.as_str(), "countersign"],
                                "security-severity": security_severity(f.severity),
                            },
                        }));
                        i
                    }
                };
                let line = f.line.unwrap_or(h.new_start).max(1);
                let mut region = json!({ "startLine": line });
                if let Some(col) = f.column.filter(|c| *c > 0) {
                    region["startColumn"] = json!(col);
                }
                // Stable across rebases (no commit id, no line number), so an alert that
                // survives a rebase is the same alert.
                let fingerprint = Sha256::digest(format!("{}\0{}\0{}", f.rule, h.file, f.message));
                let fingerprint: String = fingerprint[..16]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                results.push(json!({
                    "ruleId": f.rule,
                    "ruleIndex": index,
                    "level": level(f.severity),
                    "message": { "text": f.message },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&h.file), "uriBaseId": "%SRCROOT%" },
                            "region": region,
                        }
                    }],
                    "partialFingerprints": { "countersign/v1": fingerprint },
                    "properties": {
                        "severity": f.severity.as_str(),
                        "category": f.category,
                        "commit": c.id,
                        "hunk": h.id,
                    },
                }));
            }
        }
    }
    let log = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "countersign",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "automationDetails": { "id": format!("countersign/scan/{}", report.range) },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": { "range": report.range },
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// A repository path as a relative URI reference: each byte outside the unreserved set and
/// `/` percent-encoded, so a space or `#` in a file name stays part of the path.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uris() {
        assert_eq!(uri("src/a b#c.rs"), "src/a%20b%23c.rs");
        assert_eq!(uri("dir/ü.py"), "dir/%C3%BC.py");
    }

    #[test]
    fn severities_map_to_levels() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
    }
}
