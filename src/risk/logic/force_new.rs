//! Terraform changes that destroy without saying so: a force-new argument of a resource
//! changes value (from `terraform/force_new.toml`), or the `count`/`for_each` that keys its
//! instances changes. Only top-level arguments count (two spaces in, as `terraform fmt`
//! writes them), so a `name` inside a nested block is not taken for the resource's own.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::terraform;

use super::tf_value::{defaults_to, norm, same_toggle};
use super::{re, Id, Sink};

pub(super) static RESOURCE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{"#));
/// The same, in a hunk header: git cuts the function context at 80 columns, so the name may
/// lack its closing quote and the line its `{`.
pub(super) static HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]*))?"#));
pub(super) static ARG: LazyLock<Regex> = LazyLock::new(|| re(r"^  ([a-z_][a-z0-9_]*)\s*=\s*(.*)$"));

/// The block a line is in: ("aws_db_instance", "main") or ("module", "db").
pub(super) type Block = (String, String);

pub(super) fn block_of(bytes: &[u8]) -> Option<Block> {
    block_by(&RESOURCE, bytes)
}

pub(super) fn block_by(re: &Regex, bytes: &[u8]) -> Option<Block> {
    let caps = re.captures(bytes)?;
    let s = |i: usize| {
        caps.get(i)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    match caps.get(1)?.as_bytes() {
        b"module" => Some(("module".to_string(), s(2)?)),
        _ => Some((s(2)?, s(3).unwrap_or_default())),
    }
}

/// The argument that names a resource the other way: `name` and `name_prefix`.
pub(super) fn prefixed_twin(attr: &str) -> Option<&str> {
    match attr {
        "name" => Some("name_prefix"),
        "name_prefix" => Some("name"),
        _ => attr.strip_suffix("_prefix").filter(|a| a.ends_with("name")),
    }
}

/// The other way of keying a resource's instances.
pub(super) fn switched_keying(attr: &str) -> Option<&'static str> {
    match attr {
        "count" => Some("for_each"),
        "for_each" => Some("count"),
        _ => None,
    }
}

/// A `variable "name" {` opener (or a hunk header that git cut before its `{`), and a
/// variable's `default = …` line.
pub(super) static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*variable\s+"([^"]+)"\s*\{?"#));
pub(super) static DEFAULT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*default\s*=\s*(.+)$"));

/// A module input's default changes, and the input is named for an argument that replaces a
/// resource holding data (`variable "storage_encrypted"`, `variable "encrypted"`): modules
/// name inputs after the argument they set, so every instance that kept the default is
/// destroyed and recreated by the next apply after the upgrade.
fn variable_default(hunk: &Hunk, sink: &mut Sink) {
    let mut name = VARIABLE
        .captures(hunk.header.as_bytes())
        .map(|c| c[1].to_vec());
    let mut old: Option<Vec<u8>> = None;
    for (i, line) in hunk.lines.iter().enumerate() {
        if let Some(c) = VARIABLE.captures(&line.bytes) {
            name = Some(c[1].to_vec());
            old = None;
            continue;
        }
        if line.bytes.first() == Some(&b'}') {
            name = None;
            continue;
        }
        let Some(d) = DEFAULT.captures(&line.bytes) else {
            continue;
        };
        let value = norm(&d[1]);
        match line.kind {
            LineKind::Removed => old = Some(value),
            LineKind::Added => {
                let (Some(n), Some(was)) = (name.as_deref(), old.take()) else {
                    continue;
                };
                if was == value {
                    continue;
                }
                let input = String::from_utf8_lossy(n);
                let kinds = terraform::stateful_kinds_replaced_by(&input);
                if kinds.is_empty() {
                    continue;
                }
                let shown: Vec<String> = kinds.iter().take(3).map(|k| format!("`{k}`")).collect();
                let more = if kinds.len() > 3 { ", …" } else { "" };
                sink.push(
                    Id::TfStatefulForceNew,
                    Some(i),
                    None,
                    Some(format!(
                        "The default of `{input}` changes, and `{input}` cannot change in place on {}{more}: where the module passes it to such a resource, every instance that kept the default is destroyed and recreated with its data by the next apply.",
                        shown.join(", ")
                    )),
                );
            }
            LineKind::Context => {}
        }
    }
}

pub(super) fn scan(hunk: &Hunk, sink: &mut Sink) {
    if !(sink.on(Id::TfForceNew) || sink.on(Id::TfStatefulForceNew) || sink.on(Id::TfInstanceKeys))
    {
        return;
    }
    if sink.on(Id::TfStatefulForceNew) {
        variable_default(hunk, sink);
    }
    let mut block = block_by(&HEADER, hunk.header.as_bytes());
    // Whether the block's opening line is added: a new resource has no state to replace.
    let mut block_new = false;
    let mut removed: Vec<(Option<Block>, String, Vec<u8>)> = Vec::new();
    let mut hits = Vec::new();
    // Force-new arguments set where the existing resource had none.
    let mut set = Vec::new();
    for (i, line) in hunk.lines.iter().enumerate() {
        if let Some(b) = block_of(&line.bytes) {
            block = Some(b);
            block_new = line.kind == LineKind::Added;
            continue;
        }
        if line.bytes.first() == Some(&b'}') {
            block = None;
            continue;
        }
        let Some(caps) = ARG.captures(&line.bytes) else {
            continue;
        };
        let (Some(attr), Some(value)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let attr = String::from_utf8_lossy(attr.as_bytes()).into_owned();
        let value = norm(value.as_bytes());
        match line.kind {
            LineKind::Removed => removed.push((block.clone(), attr, value)),
            LineKind::Added => {
                let before = removed.iter().find(|(b, a, _)| *b == block && *a == attr);
                if let Some((_, _, old)) = before {
                    if *old != value
                        && !defaults_to(old, &value)
                        && !(attr == "count" && same_toggle(old, &value))
                    {
                        hits.push((i, block.clone(), attr));
                    }
                } else if let Some(other) = prefixed_twin(&attr) {
                    // `name` turned into `name_prefix` (or back): the resource gets another
                    // name, which is as force-new as a changed `name`.
                    if let Some((_, a, _)) =
                        removed.iter().find(|(b, a, _)| *b == block && a == other)
                    {
                        hits.push((i, block.clone(), a.clone()));
                    }
                } else if let Some(other) = switched_keying(&attr) {
                    // `count` turned into `for_each` (or back): every instance's index becomes
                    // a key, so each is a new address unless `moved` blocks say otherwise.
                    if removed.iter().any(|(b, a, _)| *b == block && a == other) {
                        hits.push((i, block.clone(), attr));
                    }
                } else if !block_new && value != b"null" {
                    set.push((i, block.clone(), attr));
                }
            }
            LineKind::Context => {}
        }
    }
    // An argument set for the first time on a resource that already holds data: the
    // provider's default (often computed) was its value, and any other value replaces it
    // (`encrypted = true` added to an unencrypted `aws_ebs_volume`).
    for (i, block, attr) in set {
        // Moved up within the block: the removed line comes after the added one.
        if removed.iter().any(|(b, a, _)| *b == block && *a == attr) {
            continue;
        }
        let Some((kind, name)) = block.filter(|(kind, _)| kind != "module") else {
            continue;
        };
        if terraform::forces_replacement(&kind, &attr).is_some_and(|e| e.stateful) {
            sink.push(
                Id::TfStatefulForceNew,
                Some(i),
                None,
                Some(format!(
                    "`{attr}` is now set on the existing {kind}.{name}, and it cannot change in place: unless the value is the one it already has, the next apply destroys and recreates it with the data it holds."
                )),
            );
        }
    }
    for (i, block, attr) in hits {
        let Some((kind, name)) = block else {
            continue;
        };
        if attr == "count" || attr == "for_each" {
            let address = if kind == "module" {
                format!("module.{name}")
            } else {
                format!("{kind}.{name}")
            };
            // On a resource that holds data, a destroyed instance takes its data with it.
            if terraform::entry(&kind).is_some_and(|e| e.stateful) {
                sink.push(
                    Id::TfStatefulForceNew,
                    Some(i),
                    None,
                    Some(format!(
                        "`{attr}` of {address} changes: every instance whose key or index changes is destroyed with the data it holds and recreated empty by the next apply."
                    )),
                );
                continue;
            }
            sink.push(
                Id::TfInstanceKeys,
                Some(i),
                None,
                Some(format!(
                    "`{attr}` of {address} changes: every instance whose key or index changes is destroyed and recreated by the next apply."
                )),
            );
            continue;
        }
        let Some(entry) = terraform::forces_replacement(&kind, &attr) else {
            continue;
        };
        let (id, data) = if entry.stateful {
            (Id::TfStatefulForceNew, " with the data it holds")
        } else {
            (Id::TfForceNew, "")
        };
        sink.push(
            id,
            Some(i),
            None,
            Some(format!(
                "`{attr}` of {kind}.{name} cannot change in place: the next apply destroys and recreates it{data}."
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{hits, hunk};
    use crate::risk::logic::RULES;

    fn ids(text: &str) -> Vec<&'static str> {
        let h = hunk("infra/main.tf", text);
        hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect()
    }

    #[test]
    fn a_header_cut_at_80_columns_still_names_the_resource() {
        let mut h = hunk(
            "infra/main.tf",
            "-  os_type = each.value.os_type\n+  os_type = try(each.value.os.type, \"Linux\")\n",
        );
        h.header =
            "resource \"azurerm_kubernetes_cluster_node_pool\" \"node_pool_create_before_destroy"
                .into();
        let found: Vec<_> = hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect();
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    /// cloudposse/terraform-aws-rds 5e99e937: the module's `storage_encrypted` input defaults
    /// to true now, so every database created with the old default is replaced on upgrade.
    #[test]
    fn a_changed_default_of_an_input_named_for_a_force_new_argument_replaces() {
        let default = |name: &str, old: &str, new: &str| {
            ids(&format!(
                " variable \"{name}\" {{\n   type        = bool\n-  default     = {old}\n+  default     = {new}\n }}\n"
            ))
        };
        assert_eq!(
            default("storage_encrypted", "false", "true"),
            ["destructive.tf-stateful-force-new"]
        );
        assert!(default("storage_encrypted", "false", "false").is_empty());
        assert!(default("deletion_window_in_days", "7", "30").is_empty());
    }

    #[test]
    fn a_changed_database_engine_is_a_stateful_replacement() {
        let found = ids(concat!(
            " resource \"aws_db_instance\" \"main\" {\n",
            "-  engine     = \"mysql\"\n",
            "+  engine     = \"postgres\"\n",
            "   identifier = \"prod-main\"\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
    }

    /// terraform-aws-vpc 3210728: a new optional input in front of the old name keeps it.
    #[test]
    fn a_fallback_to_the_old_value_is_no_change() {
        // Nested fallbacks and a map lookup's default (terraform-aws-ecs, -route53).
        assert!(ids(concat!(
            " resource \"aws_cloudwatch_log_group\" \"this\" {\n",
            "-  name              = \"/aws/ecs/${var.cluster_name}\"\n",
            "+  name              = try(coalesce(var.cloudwatch_log_group_name, \"/aws/ecs/${var.cluster_name}\"), \"\")\n",
            " }\n",
        ))
        .is_empty());
        assert!(ids(concat!(
            " resource \"aws_route53_zone\" \"this\" {\n",
            "-  name          = each.key\n",
            "+  name          = lookup(each.value, \"domain_name\", each.key)\n",
            " }\n",
        ))
        .is_empty());
        // A filtering `for` keeps the keys the conditional gave.
        assert!(ids(concat!(
            " resource \"aws_route53_zone\" \"this\" {\n",
            "-  for_each = var.create ? var.zones : tomap({})\n",
            "+  for_each = { for k, v in var.zones : k => v if var.create }\n",
            " }\n",
        ))
        .is_empty());
        // A lookup whose default is not the old value, or a filter on something else, changes it.
        assert_eq!(
            ids(concat!(
                " resource \"aws_route53_zone\" \"this\" {\n",
                "-  name          = each.key\n",
                "+  name          = lookup(each.value, \"domain_name\", var.name)\n",
                " }\n",
            )),
            ["destructive.tf-stateful-force-new"]
        );
        assert_eq!(
            ids(concat!(
                " resource \"aws_route53_zone\" \"this\" {\n",
                "-  for_each = var.create ? var.zones : tomap({})\n",
                "+  for_each = { for k, v in var.zones : k => v if v.enabled }\n",
                " }\n",
            )),
            ["destructive.tf-stateful-force-new"]
        );
        assert!(ids(concat!(
            " resource \"aws_redshift_subnet_group\" \"redshift\" {\n",
            "-  name        = lower(var.name)\n",
            "+  name        = lower(coalesce(var.redshift_subnet_group_name, var.name))\n",
            " }\n",
        ))
        .is_empty());
        assert_eq!(
            ids(concat!(
                " resource \"aws_redshift_subnet_group\" \"redshift\" {\n",
                "-  name        = lower(var.name)\n",
                "+  name        = lower(coalesce(var.name, var.redshift_subnet_group_name))\n",
                " }\n",
            )),
            ["destructive.tf-force-new"]
        );
    }

    #[test]
    fn a_changed_instance_subnet_is_a_replacement() {
        let found = ids(concat!(
            " resource \"aws_instance\" \"web\" {\n",
            "-  subnet_id = aws_subnet.a.id\n",
            "+  subnet_id = aws_subnet.b.id\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    #[test]
    fn realignment_in_place_updates_and_nested_names_do_not_fire() {
        assert!(ids(concat!(
            " resource \"aws_db_instance\" \"main\" {\n",
            "-  identifier = \"prod-main\"\n",
            "-  instance_class = \"db.r6g.large\"\n",
            "+  identifier     = \"prod-main\"\n",
            "+  instance_class = \"db.r6g.xlarge\"\n",
            "   parameter {\n",
            "-    name = \"a\"\n",
            "+    name = \"b\"\n",
            "   }\n",
            " }\n",
        ))
        .is_empty());
        // A resource type the table does not know.
        assert!(ids(concat!(
            " resource \"aws_iam_policy_attachment\" \"x\" {\n",
            "-  name = \"a\"\n",
            "+  name = \"b\"\n",
            " }\n",
        ))
        .is_empty());
    }

    #[test]
    fn a_changed_for_each_rekeys_instances() {
        let found = ids(concat!(
            " resource \"aws_iam_user\" \"users\" {\n",
            "-  for_each = toset(var.names)\n",
            "+  for_each = { for n in var.names : n => n }\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-instance-keys"]);
        // A bucket's instances hold data: rekeyed, they are recreated empty.
        let found = ids(concat!(
            " resource \"aws_s3_bucket\" \"logs\" {\n",
            "-  for_each = toset(var.names)\n",
            "+  for_each = { for n in var.names : n => n }\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
        // One or none either way: the only instance stays `[0]`.
        assert!(ids(concat!(
            " resource \"aws_s3_bucket\" \"logs\" {\n",
            "-  count = module.this.enabled ? 1 : 0\n",
            "+  count = local.enabled ? 1 : 0\n",
            " }\n",
        ))
        .is_empty());
    }

    #[test]
    fn name_turned_name_prefix_is_a_replacement() {
        let found = ids(concat!(
            " resource \"aws_security_group\" \"this\" {\n",
            "-  name        = var.name\n",
            "+  name_prefix = \"${var.name}-\"\n",
            " }\n",
        ));
        assert_eq!(found, ["destructive.tf-force-new"]);
    }

    #[test]
    fn the_hunk_header_names_the_block_when_its_line_is_out_of_view() {
        let mut h = hunk(
            "main.tf",
            "   storage_type = \"gp3\"\n-  bucket = \"a\"\n+  bucket = \"b\"\n",
        );
        h.header = "resource \"aws_s3_bucket\" \"this\" {".into();
        let found: Vec<_> = hits(|s| scan(&h, s))
            .iter()
            .map(|h| RULES[h.rule].id)
            .collect();
        assert_eq!(found, ["destructive.tf-stateful-force-new"]);
    }
}
