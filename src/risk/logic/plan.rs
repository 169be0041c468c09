//! A Terraform plan's destroys on the hunks that cause them: a hunk inside, or touching, the
//! `resource "TYPE" "NAME"` block of a resource the plan deletes or replaces gets a critical
//! finding naming its address. The block is matched by type and name; the module path and the
//! instance key of the address are not in the code, so every instance of it matches.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::Hunk;
use crate::risk::terraform::TerraformPlan;

use super::{Id, Sink};

/// A resource block's opening line, or a hunk header git cut at 80 columns.
static RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern, covered by the tests below.
    Regex::new(r#"^\s*resource\s+"([^"]+)"\s+"([^"]*)"?"#).expect("valid built-in regex")
});

fn block(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let caps = RESOURCE.captures(bytes)?;
    Some((caps.get(1)?.as_bytes(), caps.get(2)?.as_bytes()))
}

pub(in crate::risk) fn scan(hunk: &Hunk, plan: &TerraformPlan, sink: &mut Sink) {
    if plan.destroyed.is_empty() || !sink.on(Id::TfPlanDestroys) {
        return;
    }
    let first_change = hunk.lines.iter().position(|l| l.is_change());
    // (line the block opens on, or None for the header's block; type; name)
    let mut blocks: Vec<(Option<usize>, &[u8], &[u8])> = Vec::new();
    if let Some((kind, name)) = block(hunk.header.as_bytes()) {
        blocks.push((None, kind, name));
    }
    for (i, line) in hunk.lines.iter().enumerate() {
        if let Some((kind, name)) = block(&line.bytes) {
            blocks.push((Some(i), kind, name));
        }
    }
    for d in &plan.destroyed {
        // A name git cut short in the header matches as a prefix.
        let Some(&(at, _, _)) = blocks.iter().find(|(at, kind, name)| {
            *kind == d.kind.as_bytes()
                && (*name == d.name.as_bytes()
                    || (at.is_none() && d.name.as_bytes().starts_with(name)))
        }) else {
            continue;
        };
        let what = if d.replace {
            "destroys and recreates"
        } else {
            "destroys"
        };
        let why = d
            .reason
            .as_deref()
            .map(|r| format!(" ({})", r.replace('_', " ")))
            .unwrap_or_default();
        sink.push(
            Id::TfPlanDestroys,
            at.or(first_change),
            None,
            Some(format!(
                "The Terraform plan {what} `{}`{why}: this change is where it comes from.",
                d.address
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{hits, hunk};
    use crate::risk::terraform::Destroyed;

    fn plan(kind: &str, name: &str, replace: bool) -> TerraformPlan {
        TerraformPlan {
            destroyed: vec![Destroyed {
                address: format!("module.db.{kind}.{name}[0]"),
                kind: kind.into(),
                name: name.into(),
                replace,
                reason: Some("replace_because_cannot_update".into()),
            }],
        }
    }

    #[test]
    fn the_block_of_a_destroyed_resource_gets_the_finding_on_its_opening_line() {
        let h = hunk(
            "db.tf",
            " resource \"aws_db_instance\" \"main\" {\n-  identifier = \"a\"\n+  identifier = \"b\"\n }\n",
        );
        let found = hits(|s| scan(&h, &plan("aws_db_instance", "main", true), s));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(0));
        let msg = found[0].message.as_deref().unwrap_or_default();
        assert!(msg.contains("destroys and recreates `module.db.aws_db_instance.main[0]` (replace because cannot update)"), "{msg}");
    }

    #[test]
    fn a_hunk_in_another_block_or_a_plan_without_destroys_is_quiet() {
        let h = hunk(
            "db.tf",
            " resource \"aws_db_instance\" \"replica\" {\n-  identifier = \"a\"\n+  identifier = \"b\"\n",
        );
        assert!(hits(|s| scan(&h, &plan("aws_db_instance", "main", false), s)).is_empty());
        assert!(hits(|s| scan(&h, &TerraformPlan::default(), s)).is_empty());
    }

    #[test]
    fn the_header_names_the_block_even_when_git_cut_it() {
        let mut h = hunk("db.tf", "-  engine = \"mysql\"\n+  engine = \"postgres\"\n");
        h.header = "resource \"aws_db_instance\" \"ma".into();
        let found = hits(|s| scan(&h, &plan("aws_db_instance", "main", false), s));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(0));
    }
}
