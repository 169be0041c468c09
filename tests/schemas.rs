//! Every machine-readable output checked against its published schema (docs/schemas/) by a
//! real validator: Python's `jsonschema` (.ci/run installs it), the official SARIF 2.1.0
//! schema for `scan --format sarif`.

mod common;

use std::path::{Path, PathBuf};

use common::signing::{allowed, approve_and_sign, reviewer};
use common::Fixture;

use common::schema::{schema, validate};

fn assert_valid(name: &str, doc: &[u8]) {
    if let Some(dir) = std::env::var_os("SCHEMA_DUMP") {
        std::fs::write(Path::new(&dir).join(format!("{name}.out.json")), doc).unwrap();
    }
    let errors = validate(&schema(name), doc);
    assert!(
        errors.is_empty(),
        "{name}: {errors}\n{}",
        String::from_utf8_lossy(doc)
    );
}

fn run(fx: &Fixture, args: &[&str]) -> (i32, Vec<u8>) {
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

/// main with a policy; an AI commit with a risky line, countersigned by Jane; one more AI
/// commit that nobody signed.
fn signed_repo() -> (Fixture, PathBuf, String, String) {
    let fx = Fixture::new();
    fx.write("app.py", "import os\n\n\ndef run(cmd):\n    return cmd\n");
    let base = fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write(
        "app.py",
        "import os\n\n\ndef run(cmd):\n    return os.system(cmd)\n\nAPI_KEY = \"AKIAIOSFODNN7EXAMPLE\"\n",
    );
    fx.commit_ai("Run commands");
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    let signers = allowed(&fx, &[&jane]);
    approve_and_sign(&fx, &format!("{base}..HEAD"), &jane);
    let signed = fx.head();
    (fx, signers, base, signed)
}

#[test]
fn scan_json_and_sarif_validate_and_sarif_locates_each_finding() {
    let (fx, _signers, base, _signed) = signed_repo();
    let range = format!("{base}..HEAD");
    let (code, json) = run(&fx, &["scan", &range, "--format", "json"]);
    assert_eq!(code, 0);
    assert_valid("scan.schema.json", &json);

    let (code, sarif) = run(&fx, &["scan", &range, "--format", "sarif"]);
    assert_eq!(code, 0);
    assert_valid("sarif-schema-2.1.0.json", &sarif);
    let scan: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let log: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let findings: Vec<&serde_json::Value> = scan["commits"][0]["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["ai_touched"] == true)
        .flat_map(|h| h["findings"].as_array().unwrap())
        .collect();
    assert!(!findings.is_empty(), "the fixture has risky lines");
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(&findings) {
        assert_eq!(r["ruleId"], f["rule"]);
        assert_eq!(r["message"]["text"], f["message"]);
        let want = match f["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "app.py");
        if let Some(line) = f["line"].as_u64() {
            assert_eq!(loc["region"]["startLine"], line);
        }
        let rule =
            &log["runs"][0]["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
    }
    // A schema that rejects nothing proves nothing: a broken log must fail it.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "severe".into();
    assert!(!validate(
        &schema("sarif-schema-2.1.0.json"),
        broken.to_string().as_bytes()
    )
    .is_empty());
}

#[test]
fn verify_show_export_and_log_json_validate() {
    let (fx, signers, base, signed) = signed_repo();
    let signers = signers.to_str().unwrap();
    let pass = format!("{base}..{signed}");
    let (code, out) = run(
        &fx,
        &[
            "verify",
            &pass,
            "--allowed-signers",
            signers,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    assert_valid("verify.schema.json", &out);

    fx.write("app.py", "import os\n");
    fx.commit_ai("Trim");
    let fail = format!("{base}..HEAD");
    let (code, out) = run(
        &fx,
        &[
            "verify",
            &fail,
            "--allowed-signers",
            signers,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    assert_valid("verify.schema.json", &out);

    let (code, out) = run(&fx, &["show", &signed, "--format", "json"]);
    assert_eq!(code, 0);
    assert_valid("show.schema.json", &out);

    let (code, out) = run(&fx, &["export", &signed, "--format", "json"]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    assert_valid("export.schema.json", &out);

    let (code, out) = run(
        &fx,
        &["log", &fail, "--format", "json", "--policy-ref", &base],
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    assert_valid("log.schema.json", &out);

    // The schemas are strict: an output with a field renamed fails.
    let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["commits"][0]["state"] = v["commits"][0]["status"].take();
    assert!(!validate(&schema("log.schema.json"), v.to_string().as_bytes()).is_empty());
}

#[test]
fn break_glass_verify_log_and_show_json_validate() {
    use countersign::commands::sign::Kind;
    let fx = Fixture::new();
    fx.write(
        ".countersign.toml",
        "[roles]\noncall = [\"raj@example.com\"]\n[[approval.sign_off]]\nrole = \"oncall\"\nsigners = 2\n\
         [approval.break_glass]\nroles = [\"oncall\"]\npaths = [\"**\"]\nwindow = \"4h\"\ncountersign_within = \"1d\"\n",
    )
    .write("app.py", "A = 1\n");
    let base = fx.commit("base");
    fx.git(&["checkout", "-q", "-b", "agent"]);
    fx.write("app.py", "A = 2\n");
    fx.commit_ai("Hotfix");
    let raj = reviewer(&fx, "Raj Oncall", "raj@example.com");
    let signers = allowed(&fx, &[&raj]);
    let at = common::EPOCH + 86_400;
    common::signing::sign_with(&fx, "HEAD", &raj, at, Kind::BreakGlass { reason: "INC-7" });
    let range = format!("{base}..HEAD");
    let now = (at + 60).to_string();
    let json = |args: &[&str]| {
        let out = fx
            .command(common::bin().to_str().unwrap())
            .args(args)
            .args(["--format", "json"])
            .env("COUNTERSIGN_NOW", &now)
            .output()
            .unwrap();
        (out.status.code(), out.stdout)
    };
    let s = signers.to_str().unwrap();
    let (code, out) = json(&["verify", &range, "--allowed-signers", s]);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).contains("\"break-glass\""));
    assert_valid("verify.schema.json", &out);
    let (code, out) = json(&["log", &range, "--allowed-signers", s]);
    assert_eq!(code, Some(0));
    assert!(String::from_utf8_lossy(&out).contains("INC-7"));
    assert_valid("log.schema.json", &out);
    let (code, out) = json(&["show", "HEAD"]);
    assert_eq!(code, Some(0));
    assert!(String::from_utf8_lossy(&out).contains("INC-7"));
    assert_valid("show.schema.json", &out);
}
