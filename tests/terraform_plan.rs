//! `--plan FILE`: a real `terraform show -json` plan (tests/terraform_plans/, copied from
//! hashicorp/terraform-json's test data; see SOURCE.md there) makes its deletes and
//! replacements critical findings on the hunks of the resource blocks they name.

mod common;

use std::path::{Path, PathBuf};

use common::Fixture;
use countersign::risk::terraform::TerraformPlan;

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/terraform_plans")
}

fn read(name: &str) -> TerraformPlan {
    TerraformPlan::read(&plans().join(name)).unwrap()
}

#[test]
fn real_plans_say_what_they_destroy() {
    let p = read("config_resource_depends_on.plan.json");
    assert_eq!(p.destroyed.len(), 1, "{p:?}");
    assert_eq!(p.destroyed[0].address, "null_resource.bar");
    assert!(p.destroyed[0].replace);
    assert_eq!(
        p.summary(),
        "the Terraform plan destroys 1 resource (1 of them recreated)"
    );

    let p = read("action_reason.plan.json");
    assert_eq!(
        p.destroyed[0].reason.as_deref(),
        Some("replace_because_tainted")
    );

    let p = read("basic.plan.json");
    assert!(p.destroyed.is_empty(), "{p:?}");
    assert_eq!(p.summary(), "the Terraform plan destroys no resource");
}

#[test]
fn a_file_that_is_not_a_plan_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("plan.json");
    std::fs::write(&bad, r#"{"resources": []}"#).unwrap();
    let err = format!("{:#}", TerraformPlan::read(&bad).unwrap_err());
    assert!(
        err.contains("plan.json") && err.contains("terraform show -json"),
        "{err}"
    );
}

fn scan_json(fx: &Fixture, plan: &Path) -> serde_json::Value {
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(["scan", "HEAD", "--all", "--format", "json", "--plan"])
        .arg(plan)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule, severity, message) of every finding of the scanned commit.
fn findings(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["commits"][0]["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["findings"].as_array().unwrap().clone())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("rule"), s("severity"), s("message"))
        })
        .collect()
}

#[test]
fn scan_puts_the_plans_replacement_on_the_hunk_that_causes_it() {
    let fx = Fixture::new();
    // The configuration the plan was made from, without the change that replaced `bar`.
    let main_tf =
        std::fs::read_to_string(plans().join("config_resource_depends_on.main.tf")).unwrap();
    let before = main_tf.replace("  depends_on = [\"null_resource.foo\"]\n", "");
    assert_ne!(before, main_tf);
    fx.write("main.tf", &before).commit("base");
    fx.write("main.tf", &main_tf).commit_ai("bar waits for foo");

    let plan = plans().join("config_resource_depends_on.plan.json");
    let v = scan_json(&fx, &plan);
    let found = findings(&v);
    let destroys: Vec<_> = found
        .iter()
        .filter(|(rule, _, _)| rule == "destructive.tf-plan-destroys")
        .collect();
    assert_eq!(destroys.len(), 1, "{found:?}");
    assert_eq!(destroys[0].1, "critical");
    assert!(
        destroys[0]
            .2
            .contains("destroys and recreates `null_resource.bar`"),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(_, _, m)| m.contains("null_resource.foo")),
        "{found:?}"
    );

    // A plan that destroys nothing adds nothing.
    let v = scan_json(&fx, &plans().join("basic.plan.json"));
    assert!(!findings(&v)
        .iter()
        .any(|(r, _, _)| r == "destructive.tf-plan-destroys"));
}

#[test]
fn a_missing_plan_file_is_a_usage_error() {
    let fx = Fixture::new();
    fx.write("main.tf", "").commit("base");
    let out = fx
        .command(common::bin().to_str().unwrap())
        .args(["scan", "HEAD", "--plan", "no-such-plan.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-plan.json"), "{err}");
}
