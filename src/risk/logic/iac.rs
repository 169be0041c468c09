//! Infrastructure as code: Terraform resource and module blocks removed or renamed (weighed
//! against what the hunk adds back and its `moved`/`removed` blocks), and ingress opened to the
//! whole internet, told apart from egress and default routes by the nearest direction keyword.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;

use super::{re, FileFacts, Id, Lang, Sink};

static BLOCK: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]+)")?"#));
static FROM: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*from\s*=\s*([\w.\[\]\x22-]+)"));
/// Kinds that hold data, by name; the force-new table's `stateful` entries count too (an Azure
/// resource group, whose deletion deletes every resource in it). A virtual machine (its root
/// disk goes with it) and a cluster (its control plane's state, and what runs on it) count.
static STATEFUL: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(db_instance|db_cluster|rds_cluster|_database|dynamodb_table|bigquery|bigtable|spanner|firestore",
        r"|cosmosdb|s3_bucket$|storage_bucket|storage_account|storage_container|ebs_volume|_disk$",
        r"|efs_file_system|elasticache|redis|memorystore|kms_key|key_vault|secretsmanager_secret",
        r"|backup_vault|redshift|docdb|neptune|opensearch|elasticsearch_domain|sql_database_instance",
        r"|sql_server|mssql|postgresql|mysql|keyspaces|msk_cluster|kinesis_stream|sqs_queue|filestore",
        r"|^aws_instance$|compute_instance$|virtual_machine$|lightsail_instance$",
        r"|eks_cluster$|container_cluster$|kubernetes_cluster$|ecs_cluster$)"
    ))
});
static OPEN: LazyLock<Regex> = LazyLock::new(|| re(r"0\.0\.0\.0/0|::/0"));
static DIRECTION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(ingress|inbound)|(egress|outbound)|\broute\b"));

/// How far from a CIDR line to look for the block's direction.
const DIRECTION_WINDOW: usize = 12;

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    if file.lang == Lang::Terraform {
        blocks(hunk, sink);
    }
    if sink.on(Id::OpenIngress) {
        ingress(hunk, sink);
    }
    if file.lang == Lang::Yaml && sink.on(Id::StateAbsent) {
        state_absent(hunk, sink);
    }
}

static PRESENT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*-?\s*state:\s*["']?present["']?\s*(#.*)?$"#));
static ABSENT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*-?\s*state:\s*["']?absent["']?\s*(#.*)?$"#));

/// An Ansible task that made sure something exists (`state: present`) now makes sure it does
/// not: the next run deletes it on every host. A new task with `state: absent` is usually the
/// role cleaning up what it once put there, and is left alone.
fn state_absent(hunk: &Hunk, sink: &mut Sink) {
    let was_present = hunk
        .lines
        .iter()
        .any(|l| l.kind == LineKind::Removed && PRESENT.is_match(&l.bytes));
    if !was_present {
        return;
    }
    if let Some(i) = hunk
        .lines
        .iter()
        .position(|l| l.kind == LineKind::Added && ABSENT.is_match(&l.bytes))
    {
        let b = &hunk.lines[i].bytes;
        sink.push(
            Id::StateAbsent,
            Some(i),
            Some(char_column(b, first_non_space(b))),
            None,
        );
    }
}

/// Resource types that stand for no real infrastructure: waits and placeholders.
const HOLDS_NOTHING: [&str; 4] = [
    "time_sleep",
    "null_resource",
    "terraform_data",
    "time_offset",
];

/// A `resource "type" "name"` or `module "name"` header: (kind, address, type).
fn block(bytes: &[u8]) -> Option<(bool, String, String)> {
    if !BLOCK.is_match(bytes) {
        return None;
    }
    let caps = BLOCK.captures(bytes)?;
    let is_module = caps.get(1)?.as_bytes() == b"module";
    let first = String::from_utf8_lossy(caps.get(2)?.as_bytes()).into_owned();
    if is_module {
        return Some((true, format!("module.{first}"), String::new()));
    }
    let name = String::from_utf8_lossy(caps.get(3)?.as_bytes()).into_owned();
    Some((false, format!("{first}.{name}"), first))
}

fn blocks(hunk: &Hunk, sink: &mut Sink) {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    let mut handled = Vec::new();
    // Inside a `/* … */` comment on each side (old, new): a `moved` block or a resource left
    // there "for documentation" does nothing.
    let mut comment = [false, false];
    for (i, l) in hunk.lines.iter().enumerate() {
        let sides: &[usize] = match l.kind {
            LineKind::Removed => &[0],
            LineKind::Added => &[1],
            LineKind::Context => &[0, 1],
        };
        let was = sides.iter().any(|&s| comment[s]);
        let t = l.bytes.trim_ascii();
        let opens = t.starts_with(b"/*");
        let closes = t.windows(2).any(|w| w == b"*/");
        for &s in sides {
            comment[s] = (comment[s] || opens) && !closes;
        }
        if was || opens {
            continue;
        }
        match l.kind {
            LineKind::Removed => removed.extend(block(&l.bytes).map(|b| (i, b))),
            LineKind::Added => {
                added.extend(block(&l.bytes).map(|b| b.1));
                let from = if FROM.is_match(&l.bytes) {
                    FROM.captures(&l.bytes)
                } else {
                    None
                };
                if let Some(c) = from.as_ref().and_then(|c| c.get(1)) {
                    handled.push(String::from_utf8_lossy(c.as_bytes()).replace('"', ""));
                }
            }
            LineKind::Context => {}
        }
    }
    for (i, (is_module, address, kind)) in removed {
        // A timer or a placeholder holds nothing and runs nothing on destroy: removing one
        // (a `time_sleep` workaround) destroys no real infrastructure.
        if HOLDS_NOTHING.contains(&kind.as_str()) {
            continue;
        }
        let moved = handled
            .iter()
            .any(|h| h == &address || h.starts_with(&format!("{address}[")));
        if added.contains(&address) || moved || iam_rewritten(&kind, &added) {
            continue;
        }
        let col = Some(char_column(
            &hunk.lines[i].bytes,
            first_non_space(&hunk.lines[i].bytes),
        ));
        if is_module {
            let msg = format!(
                "Module `{address}` is removed, so the next apply destroys everything it created."
            );
            sink.push(Id::TfModuleRemoved, Some(i), col, Some(msg));
            continue;
        }
        let renamed_to = added.iter().find(|a| {
            a.split_once('.').is_some_and(|(t, _)| t == kind) && !a.starts_with("module.")
        });
        if let Some(to) = renamed_to {
            let msg = format!("`{address}` is renamed to `{to}` without a `moved` block, so the next apply destroys it and creates a new one.");
            sink.push(Id::TfResourceRenamed, Some(i), col, Some(msg));
        } else if STATEFUL.is_match(kind.as_bytes())
            || crate::risk::terraform::entry(&kind).is_some_and(|e| e.stateful)
        {
            let msg = format!("`{address}` holds data and is removed, so the next apply destroys it and everything in it.");
            sink.push(Id::TfStatefulRemoved, Some(i), col, Some(msg));
        } else {
            let msg = format!("`{address}` is removed, so the next apply destroys it.");
            sink.push(Id::TfResourceRemoved, Some(i), col, Some(msg));
        }
    }
}

/// An IAM grant rewritten in another of the provider's forms for the same thing
/// (`google_pubsub_subscription_iam_binding` for `…_iam_member`): the next apply removes the
/// old grant and makes the new one; it destroys no infrastructure and no data.
fn iam_rewritten(kind: &str, added: &[String]) -> bool {
    let Some(base) = ["_iam_binding", "_iam_member", "_iam_policy"]
        .iter()
        .find_map(|s| kind.strip_suffix(s))
    else {
        return false;
    };
    added.iter().any(|a| {
        a.split_once('.').is_some_and(|(t, _)| {
            t != kind
                && t.strip_prefix(base).is_some_and(|rest| {
                    matches!(rest, "_iam_binding" | "_iam_member" | "_iam_policy")
                })
        })
    })
}

fn first_non_space(b: &[u8]) -> usize {
    b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(0)
}

/// Added lines opening a CIDR to the world, where the nearest direction keyword says ingress.
fn ingress(hunk: &Hunk, sink: &mut Sink) {
    let lines = &hunk.lines;
    for (i, l) in lines.iter().enumerate() {
        if l.kind != LineKind::Added {
            continue;
        }
        let Some(m) = OPEN.find(&l.bytes) else {
            continue;
        };
        if direction_near(hunk, i) == Some(true) {
            sink.push(
                Id::OpenIngress,
                Some(i),
                Some(char_column(&l.bytes, m.start())),
                None,
            );
        }
    }
}

/// Some(true) for ingress, Some(false) for egress or a route, from the nearest keyword of the
/// new side around line `i` (the line itself first, then alternately before and after).
fn direction_near(hunk: &Hunk, i: usize) -> Option<bool> {
    let lines = &hunk.lines;
    let judge = |j: usize| -> Option<bool> {
        let l = lines.get(j)?;
        if l.kind == LineKind::Removed {
            return None;
        }
        let caps = DIRECTION.captures(&l.bytes)?;
        Some(caps.get(1).is_some())
    };
    if let Some(d) = judge(i) {
        return Some(d);
    }
    for d in 1..=DIRECTION_WINDOW {
        let before = i.checked_sub(d).and_then(judge);
        if before.is_some() {
            return before;
        }
        if let Some(after) = judge(i + d) {
            return Some(after);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{facts, hits, hunk};

    fn fired(path: &str, text: &str) -> Vec<(Id, usize)> {
        let h = hunk(path, text);
        let ids = super::super::RULES.iter().map(|m| m.id).collect::<Vec<_>>();
        hits(|sink| scan(&facts(path), &h, sink))
            .iter()
            .map(|h| (id_of(ids[h.rule]), h.line.unwrap()))
            .collect()
    }

    fn id_of(name: &str) -> Id {
        match name {
            "destructive.tf-resource-removed" => Id::TfResourceRemoved,
            "destructive.tf-stateful-resource-removed" => Id::TfStatefulRemoved,
            "destructive.tf-resource-renamed" => Id::TfResourceRenamed,
            "destructive.tf-module-removed" => Id::TfModuleRemoved,
            "security.open-ingress" => Id::OpenIngress,
            "destructive.state-absent" => Id::StateAbsent,
            other => panic!("{other}"),
        }
    }

    /// terraform-google-pubsub b8390bda: authoritative bindings turned into members.
    #[test]
    fn an_iam_grant_rewritten_in_another_form_destroys_nothing() {
        let rewrite = "-resource \"google_pubsub_subscription_iam_binding\" \"pull\" {\n-  role = \"roles/pubsub.subscriber\"\n+resource \"google_pubsub_subscription_iam_member\" \"pull\" {\n+  role = \"roles/pubsub.subscriber\"\n";
        assert!(fired("main.tf", rewrite).is_empty());
        let gone = "-resource \"google_pubsub_subscription_iam_binding\" \"pull\" {\n-  role = \"roles/pubsub.subscriber\"\n";
        assert_eq!(fired("main.tf", gone), vec![(Id::TfResourceRemoved, 0)]);
    }

    #[test]
    fn removed_resources_fire_by_kind() {
        let text = "-resource \"aws_db_instance\" \"main\" {\n-  engine = \"postgres\"\n-}\n";
        assert_eq!(fired("db.tf", text), vec![(Id::TfStatefulRemoved, 0)]);
        let text = "-resource \"aws_route53_record\" \"www\" {\n-  name = \"www\"\n-}\n";
        assert_eq!(fired("dns.tf", text), vec![(Id::TfResourceRemoved, 0)]);
        // A virtual machine takes its root disk with it.
        let text = "-resource \"aws_instance\" \"web\" {\n-  ami = var.ami\n-}\n";
        assert_eq!(fired("ec2.tf", text), vec![(Id::TfStatefulRemoved, 0)]);
        let text = "-resource \"aws_iam_instance_profile\" \"web\" {\n-  role = \"web\"\n-}\n";
        assert_eq!(fired("iam.tf", text), vec![(Id::TfResourceRemoved, 0)]);
        assert_eq!(
            fired("m.tf", "-module \"vpc\" {\n-  source = \"./vpc\"\n-}\n"),
            vec![(Id::TfModuleRemoved, 0)]
        );
    }

    #[test]
    fn removing_a_resource_that_holds_nothing_does_not_fire() {
        let text = "-resource \"time_sleep\" \"wait\" {\n-  create_duration = \"90s\"\n-}\n";
        assert!(fired("main.tf", text).is_empty());
    }

    #[test]
    fn a_task_turned_from_present_to_absent_fires_but_a_new_cleanup_does_not() {
        let flip = "       ec2_group:\n-        state: present\n+        state: absent\n";
        assert_eq!(fired("aws.yml", flip), vec![(Id::StateAbsent, 2)]);
        let cleanup = "+- name: Remove the old key\n+  file:\n+    path: /etc/apt/old.asc\n+    state: absent\n";
        assert!(fired("tasks/main.yml", cleanup).is_empty());
    }

    #[test]
    fn renames_need_a_moved_block() {
        let text = "-resource \"aws_s3_bucket\" \"logs\" {\n+resource \"aws_s3_bucket\" \"access_logs\" {\n   bucket = \"x\"\n";
        assert_eq!(fired("s3.tf", text), vec![(Id::TfResourceRenamed, 0)]);
        let with_moved = format!("{text}+moved {{\n+  from = aws_s3_bucket.logs\n+  to   = aws_s3_bucket.access_logs\n+}}\n");
        assert!(fired("s3.tf", &with_moved).is_empty());
        // cloudposse/terraform-aws-s3-log-storage 048ae6a1: the `moved` blocks are left in a
        // comment, so they move nothing.
        let commented = format!("{text}+/*\n+moved {{\n+  from = aws_s3_bucket.logs\n+  to   = aws_s3_bucket.access_logs\n+}}\n+*/\n");
        assert_eq!(fired("s3.tf", &commented), vec![(Id::TfResourceRenamed, 0)]);
    }

    #[test]
    fn editing_inside_a_kept_resource_does_not_fire() {
        let text = "-resource \"aws_instance\" \"web\" {\n+resource \"aws_instance\" \"web\" {\n-  instance_type = \"t3.small\"\n+  instance_type = \"t3.medium\"\n";
        assert!(fired("ec2.tf", text).is_empty());
    }

    #[test]
    fn ingress_to_the_world_fires_but_egress_and_routes_do_not() {
        let ing = "   ingress {\n     from_port   = 22\n     to_port     = 22\n+    cidr_blocks = [\"0.0.0.0/0\"]\n   }\n";
        assert_eq!(fired("sg.tf", ing), vec![(Id::OpenIngress, 3)]);
        let eg = "   egress {\n     from_port   = 0\n+    cidr_blocks = [\"0.0.0.0/0\"]\n   }\n";
        assert!(fired("sg.tf", eg).is_empty());
        let route = "   route {\n+    cidr_block = \"0.0.0.0/0\"\n     gateway_id = aws_internet_gateway.main.id\n";
        assert!(fired("vpc.tf", route).is_empty());
    }
}
