//! A Terraform plan, as `terraform show -json PLANFILE` writes it: which managed resources the
//! next apply destroys (`delete`) or destroys and recreates (`replace`). Only
//! `resource_changes` is read; the format is documented at
//! <https://developer.hashicorp.com/terraform/internals/json-format>.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct PlanJson {
    format_version: Option<String>,
    #[serde(default)]
    resource_changes: Vec<ResourceChange>,
}

#[derive(Deserialize)]
struct ResourceChange {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    change: Change,
    action_reason: Option<String>,
}

#[derive(Deserialize)]
struct Change {
    actions: Vec<String>,
}

/// One resource instance the plan destroys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destroyed {
    /// The full address, with module path and instance key (`module.db.aws_db_instance.main[0]`).
    pub address: String,
    /// The resource type and name, as a `resource "TYPE" "NAME"` block in the code says them.
    pub kind: String,
    pub name: String,
    /// Destroyed and created again (`["delete","create"]` or `["create","delete"]`), rather
    /// than only destroyed.
    pub replace: bool,
    /// Terraform's reason, when it gives one (`replace_because_cannot_update`, `…_tainted`).
    pub reason: Option<String>,
}

/// What a plan destroys; resources it creates, updates or leaves alone are not kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerraformPlan {
    pub destroyed: Vec<Destroyed>,
}

impl TerraformPlan {
    /// Reads a plan file; errors name the file.
    pub fn read(path: &Path) -> Result<TerraformPlan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the plan {}", path.display()))?;
        TerraformPlan::parse(&text).with_context(|| {
            format!(
                "{} is not a Terraform plan in JSON (make it with `terraform show -json PLANFILE`)",
                path.display()
            )
        })
    }

    pub fn parse(text: &str) -> Result<TerraformPlan> {
        let plan: PlanJson = serde_json::from_str(text).context("invalid JSON")?;
        if plan.format_version.is_none() {
            bail!("no format_version: this is not `terraform show -json` output");
        }
        let destroyed = plan
            .resource_changes
            .into_iter()
            // Data sources are read, never destroyed.
            .filter(|r| r.mode != "data")
            .filter_map(|r| {
                let deletes = r.change.actions.iter().any(|a| a == "delete");
                deletes.then(|| Destroyed {
                    replace: r.change.actions.iter().any(|a| a == "create"),
                    address: r.address,
                    kind: r.kind,
                    name: r.name,
                    reason: r.action_reason,
                })
            })
            .collect();
        Ok(TerraformPlan { destroyed })
    }

    /// One line for the review's header: how many resources the plan destroys.
    pub fn summary(&self) -> String {
        let n = self.destroyed.len();
        let replaced = self.destroyed.iter().filter(|d| d.replace).count();
        match n {
            0 => "the Terraform plan destroys no resource".to_string(),
            _ => format!(
                "the Terraform plan destroys {n} resource{} ({replaced} of them recreated)",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}
