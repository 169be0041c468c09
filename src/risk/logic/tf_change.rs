//! Each replacement finding of [`force_new`](super::force_new) weighed against the rest of
//! the change: the argument keeps its value, and nothing is replaced, when the change renames
//! the input it reads, defines a fallback to the old value, moves the instances with a `moved`
//! block, or reads through a data source or label the same thing it read before.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{FileChange, Finding, Hunk, LineKind};
use crate::risk::lines;

use super::force_new::{
    block_by, block_of, prefixed_twin, switched_keying, Block, ARG, DEFAULT, HEADER, VARIABLE,
};
use super::re;
use super::tf_value::{
    conditional, defaults_to, first_instance, norm, null_conditional, replaced, same_toggle,
    toggles, with_input_renamed,
};

/// A block's top-level arguments, each with its value without whitespace.
type Args = Vec<(Vec<u8>, Vec<u8>)>;

/// The findings [`refine_change`] weighs: an argument whose new value replaces the resource.
const REPLACING: [&str; 3] = [
    "destructive.tf-force-new",
    "destructive.tf-stateful-force-new",
    "destructive.tf-instance-keys",
];

static LOCAL: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*(.+)$"));
static LOCALS: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*locals\s*\{"));
static MOVED: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*moved\s*\{"));
static MOVED_FROM: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*from\s*=\s*(\S+)\s*$"));
static DATA: LazyLock<Regex> = LazyLock::new(|| re(r#"^\s*data\s+"([^"]+)"\s+"([^"]+)"\s*\{"#));

/// Weighs each replacement finding against the rest of the change. The argument keeps its
/// value, and nothing is replaced, when it now reads an input the change renamed
/// (`var.project` for `var.project_id`, with `variable "project"` renamed so), or a local the
/// change defines as a fallback to the old value (`table_name = var.table_name != null ?
/// var.table_name : module.this.id`, the input unset by default), or when its new condition
/// only adds inputs the change declares with a default that keeps it true
/// (`var.create && var.create_routes ? 1 : 0`, `create_routes` defaulting to `true`). A
/// `count`/`for_each` change of a resource the change gives a `moved` block from its old
/// address moves its instances in state instead of replacing them.
pub(crate) fn refine_change(files: &mut [FileChange]) {
    let is_tf = |f: &FileChange| f.path().ends_with(".tf");
    let replacing = |x: &Finding| REPLACING.contains(&x.rule.as_str());
    let any = files
        .iter()
        .filter(|f| is_tf(f))
        .flat_map(|f| &f.hunks)
        .any(|h| h.findings.iter().any(replacing));
    if !any {
        return;
    }
    // Input names declared on each side of the change, and the locals it defines.
    let (mut removed, mut added) = (HashSet::new(), HashSet::new());
    let mut locals: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // The new inputs' defaults, and the addresses `moved` blocks move instances from.
    let mut defaults: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut moved_from: HashSet<Vec<u8>> = HashSet::new();
    // What a data source read with its old arguments (`data.T.N.name` is the `name` it was
    // asked for): an argument that now takes the input directly reads the same value.
    let mut data_args: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // The arguments of each module block the change adds.
    let mut new_modules: HashMap<Vec<u8>, Args> = HashMap::new();
    for h in files.iter().filter(|f| is_tf(f)).flat_map(|f| &f.hunks) {
        for (i, l) in h.lines.iter().enumerate() {
            if l.kind != LineKind::Added {
                if let (Some(d), Some(a)) = (
                    DATA.captures(lines::block_opener(h, i)),
                    ARG.captures(&l.bytes),
                ) {
                    let key = [&b"data."[..], &d[1], b".", &d[2], b".", &a[1]].concat();
                    data_args.insert(key, norm(&a[2]));
                }
            }
            let side = match l.kind {
                LineKind::Removed => &mut removed,
                LineKind::Added => &mut added,
                LineKind::Context => continue,
            };
            if let Some(c) = VARIABLE.captures(&l.bytes) {
                side.insert(c[1].to_vec());
                continue;
            }
            if l.kind != LineKind::Added {
                continue;
            }
            let opener = lines::block_opener(h, i);
            if let (Some((kind, name)), Some(a)) = (block_of(opener), ARG.captures(&l.bytes)) {
                if kind == "module" {
                    new_modules
                        .entry(name.into_bytes())
                        .or_default()
                        .push((a[1].to_vec(), norm(&a[2])));
                }
            } else if LOCALS.is_match(opener) {
                if let Some(c) = LOCAL.captures(&l.bytes) {
                    locals.insert(c[1].to_vec(), norm(&c[2]));
                }
            } else if MOVED.is_match(opener) {
                if let Some(c) = MOVED_FROM.captures(&l.bytes) {
                    moved_from.insert(c[1].to_vec());
                }
            } else if let (Some(v), Some(d)) =
                (VARIABLE.captures(opener), DEFAULT.captures(&l.bytes))
            {
                defaults.insert(v[1].to_vec(), norm(&d[1]));
            }
        }
    }
    let labels = label_twins(&new_modules);
    let renames: Vec<(&Vec<u8>, &Vec<u8>)> = removed
        .difference(&added)
        .flat_map(|a| added.difference(&removed).map(move |b| (a, b)))
        .collect();
    for h in files
        .iter_mut()
        .filter(|f| is_tf(f))
        .flat_map(|f| &mut f.hunks)
    {
        h.retain_findings(|h, x| {
            if x.line_index
                .is_some_and(|i| replacing(x) && unset_by_default(h, i, &defaults))
            {
                return false;
            }
            let Some((i, (attr, old, new))) = x
                .line_index
                .filter(|_| replacing(x))
                .and_then(|i| Some((i, values(h, i)?)))
            else {
                return true;
            };
            // A one-or-none `count` has only `[0]`: a `moved` block from it moves every
            // instance there is. For more, which keys a block covers is not judged here.
            let only_first = [&address_of(h, i)[..], b"[0]"].concat();
            if toggles(&old) && moved_from.contains(&only_first) {
                return false;
            }
            let renamed = renames
                .iter()
                .any(|(a, b)| with_input_renamed(&old, a, b) == new);
            // A `count = C ? 1 : 0` added to what had none leaves its one instance at `[0]`.
            let old = first_instance(&old);
            let new = first_instance(&new);
            let read = data_args.get(&old).is_some_and(|v| *v == new);
            // The old value was itself a fallback (`var.target_name == null ? X : var.target_name`):
            // unset, it was `X`, and a local falling back to `X` names the same.
            let unset_old = null_conditional(&old);
            let falls_back = new
                .strip_prefix(b"local.")
                .and_then(|name| locals.get(name))
                .is_some_and(|def| {
                    let def = first_instance(def);
                    defaults_to(&old, &def)
                        || unset_old.as_ref().is_some_and(|o| defaults_to(o, &def))
                });
            let still_true = new_terms_true(&new, &defaults).is_some_and(|v| {
                v == old || defaults_to(&old, &v) || attr == b"count" && same_toggle(&old, &v)
            });
            let relabelled = labels.iter().any(|(twin, of)| {
                let from = [&b"module."[..], twin, b"."].concat();
                let to = [&b"module."[..], of, b"."].concat();
                replaced(&new, &from, &to) == old
            });
            !(renamed || read || falls_back || still_true || relabelled)
        });
    }
}

/// The block line `i` is in, as [`scan`] tracks it.
fn block_at(h: &Hunk, i: usize) -> Option<Block> {
    let mut block = block_by(&HEADER, h.header.as_bytes());
    for line in &h.lines[..i] {
        if let Some(b) = block_of(&line.bytes) {
            block = Some(b);
        } else if line.bytes.first() == Some(&b'}') {
            block = None;
        }
    }
    block
}

/// The address of the block line `i` is in, as a `moved` block names it:
/// `aws_s3_bucket_logging.default`, `module.db` (empty outside a block).
fn address_of(h: &Hunk, i: usize) -> Vec<u8> {
    match block_at(h, i) {
        Some((kind, name)) if kind == "module" => format!("module.{name}").into_bytes(),
        Some((kind, name)) => format!("{kind}.{name}").into_bytes(),
        None => Vec::new(),
    }
}

/// A conditional's value with the condition's terms that the change's new inputs keep true by
/// default taken out (`var.a&&var.b?1:0` is `var.a?1:0` when `b` defaults to `true`; a whole
/// condition true by default leaves its first branch); None when no term is such. `defaults`
/// maps input names to their default values, whitespace gone.
fn new_terms_true(value: &[u8], defaults: &HashMap<Vec<u8>, Vec<u8>>) -> Option<Vec<u8>> {
    let (q, c) = conditional(value)?;
    let is_true = |term: &[u8]| {
        let default = |name: &[u8]| defaults.get(name).map(Vec::as_slice);
        if let Some(name) = term.strip_prefix(b"var.") {
            if let Some(name) = name.strip_suffix(b"==null") {
                return default(name) == Some(b"null");
            }
            return default(name) == Some(b"true");
        }
        term.strip_prefix(b"!var.")
            .is_some_and(|name| default(name) == Some(b"false"))
    };
    let terms: Vec<&[u8]> = split_and(&value[..q]);
    let kept: Vec<&[u8]> = terms.iter().copied().filter(|t| !is_true(t)).collect();
    if kept.len() == terms.len() {
        return None;
    }
    if kept.is_empty() {
        return Some(value[q + 1..c].to_vec());
    }
    Some([&kept.join(&b"&&"[..])[..], &value[q..]].concat())
}

/// A condition's top-level `&&` terms.
fn split_and(cond: &[u8]) -> Vec<&[u8]> {
    let (mut out, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0usize, false);
    let mut i = 0;
    while i < cond.len() {
        match cond[i] {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'&' if depth == 0 && cond.get(i + 1) == Some(&b'&') => {
                out.push(&cond[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&cond[start..]);
    out
}

/// The added line `i` sets an argument the resource had no line for, and nothing says its
/// value differs from the provider's default: only a literal (`true`, `"gp3"`, `100`) or an
/// input the change declares with such a default is taken for a new value; `false`, `null`,
/// and what the change does not show (an input declared elsewhere, a local) are not.
fn unset_by_default(h: &Hunk, i: usize, defaults: &HashMap<Vec<u8>, Vec<u8>>) -> bool {
    if values(h, i).is_some() {
        return false;
    }
    let Some(caps) = h.lines.get(i).and_then(|l| ARG.captures(&l.bytes)) else {
        return false;
    };
    // `name` turned into `name_prefix` is a new name, not a first setting.
    let twin = std::str::from_utf8(&caps[1]).ok().and_then(prefixed_twin);
    if h.lines.iter().any(|l| {
        l.kind == LineKind::Removed
            && ARG
                .captures(&l.bytes)
                .is_some_and(|c| twin.is_some_and(|t| t.as_bytes() == &c[1]))
    }) {
        return false;
    }
    let new = norm(&caps[2]);
    let value = match new.strip_prefix(b"var.") {
        Some(name) => match defaults.get(name) {
            Some(d) => d.as_slice(),
            None => return true,
        },
        None => &new,
    };
    let literal = value == b"true"
        || value.first() == Some(&b'"') && !value[1..].contains(&b'$')
        || value.first().is_some_and(u8::is_ascii_digit);
    !literal
}

/// The argument the added line `i` sets, and its old and new values (whitespace gone): the
/// new from the line, the old from the removed line of the same argument above it.
fn values(h: &Hunk, i: usize) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let caps = ARG.captures(&h.lines.get(i)?.bytes)?;
    let (attr, new) = (caps.get(1)?.as_bytes(), norm(caps.get(2)?.as_bytes()));
    let old = h.lines[..i].iter().rev().find_map(|l| {
        let c = ARG
            .captures(&l.bytes)
            .filter(|_| l.kind == LineKind::Removed)?;
        let was = c.get(1)?.as_bytes();
        // `count` turned into `for_each` (or back) is the same argument for this.
        let twin = std::str::from_utf8(attr)
            .ok()
            .and_then(switched_keying)
            .is_some_and(|t| t.as_bytes() == was);
        (was == attr || twin).then(|| norm(c.get(2).map_or(&b""[..], |m| m.as_bytes())))
    })?;
    Some((attr.to_vec(), old, new))
}

/// New cloudposse null-label modules that only copy another label's context, at most with an
/// `id_length_limit` (the module, the label it copies): their `id` is that label's `id`, cut
/// only where it was longer than the limit, and a name longer than a provider's limit (64
/// characters for an IAM role) could never have been created. Any other argument (attributes,
/// a delimiter, a name) makes another id.
fn label_twins(modules: &HashMap<Vec<u8>, Args>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, args) in modules {
        let arg = |k: &[u8]| args.iter().find(|(a, _)| a == k).map(|(_, v)| &v[..]);
        let label = arg(b"source").is_some_and(|s| s.ends_with(b"/label/null\""));
        let plain = args.iter().all(|(a, _)| {
            matches!(
                &a[..],
                b"source" | b"version" | b"context" | b"id_length_limit"
            )
        });
        let of = arg(b"context")
            .and_then(|c| c.strip_prefix(b"module."))
            .and_then(|c| c.strip_suffix(b".context"));
        if let (true, true, Some(of)) = (label, plain, of) {
            out.push((name.clone(), of.to_vec()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules `refine_change` leaves on `main.tf` of a change of two files.
    fn replacing(main: &str, variables: &str) -> Vec<String> {
        use crate::risk::logic::testutil::{modified, rules_of};
        let mut files = vec![
            modified("main.tf", main),
            modified("variables.tf", variables),
        ];
        crate::risk::Engine::builtin().scan_change(&mut files);
        rules_of(&files, "main.tf")
            .into_iter()
            .filter(|r| REPLACING.contains(&r.as_str()))
            .collect()
    }

    /// Azure/terraform-azurerm-network 37ca3dfe: the data source's input read directly, and its
    /// location behind a fallback local once the data source has a one-or-none count.
    #[test]
    fn what_a_data_source_read_is_the_same_value_read_directly() {
        let main = concat!(
            " data \"azurerm_resource_group\" \"network\" {\n",
            "+  count = var.resource_group_location == null ? 1 : 0\n",
            "   name = var.resource_group_name\n",
            " }\n",
            "+locals {\n",
            "+  resource_group_location = var.resource_group_location == null ? data.azurerm_resource_group.network[0].location : var.resource_group_location\n",
            "+}\n",
            " resource \"azurerm_virtual_network\" \"vnet\" {\n",
            "-  resource_group_name = data.azurerm_resource_group.network.name\n",
            "-  location            = data.azurerm_resource_group.network.location\n",
            "+  resource_group_name = var.resource_group_name\n",
            "+  location            = local.resource_group_location\n",
            " }\n",
        );
        assert!(replacing(main, "").is_empty());
        // Another input than the one the data source was given is another group.
        let other = main.replace(
            "+  resource_group_name = var.resource_group_name",
            "+  resource_group_name = var.network_resource_group_name",
        );
        assert_eq!(replacing(&other, ""), ["destructive.tf-force-new"]);
    }

    /// cloudposse/terraform-aws-iam-role 9bc829f7: a label that only caps the id's length.
    #[test]
    fn a_label_copying_the_context_with_a_length_limit_names_the_same() {
        let main = |extra: &str| {
            format!(
                concat!(
                    "+module \"role_name\" {{\n",
                    "+  source          = \"cloudposse/label/null\"\n",
                    "+  version         = \"0.25.0\"\n",
                    "+  id_length_limit = 64\n",
                    "{}",
                    "+  context         = module.this.context\n",
                    "+}}\n",
                    " resource \"aws_iam_role\" \"default\" {{\n",
                    "-  name = var.use_fullname ? module.this.id : module.this.name\n",
                    "+  name = var.use_fullname ? module.role_name.id : module.this.name\n",
                    " }}\n",
                ),
                extra
            )
        };
        assert!(replacing(&main(""), "").is_empty());
        // Attributes make another id.
        assert_eq!(
            replacing(&main("+  attributes      = [\"role\"]\n"), ""),
            ["destructive.tf-force-new"]
        );
    }

    /// terraform-google-memorystore 04cef768, cloudposse/terraform-aws-dynamodb 97c8a7a3,
    /// terraform-aws-transit-gateway 1661dfa3, cloudposse/terraform-aws-s3-bucket b4978749.
    #[test]
    fn a_value_kept_through_the_rest_of_the_change_replaces_nothing() {
        let project = " resource \"google_redis_instance\" \"default\" {\n-  project = var.project\n+  project = var.project_id\n }\n";
        assert!(replacing(
            project,
            "-variable \"project\" {\n+variable \"project_id\" {\n"
        )
        .is_empty());
        assert_eq!(replacing(project, "+variable \"other\" {\n").len(), 1);

        let table = concat!(
            " locals {\n",
            "+  table_name = var.table_name != null ? var.table_name : module.this.id\n",
            " }\n",
            " resource \"aws_dynamodb_table\" \"default\" {\n",
            "-  name = module.this.id\n",
            "+  name = local.table_name\n",
            " }\n",
        );
        assert!(replacing(table, "").is_empty());
        // cloudposse/terraform-aws-backup 4126e5be: the old value was a fallback to the label
        // already; the new local falls back to the same label.
        let vault = concat!(
            " locals {\n",
            "+  vault_name = coalesce(var.vault_name, module.this.id)\n",
            " }\n",
            " resource \"aws_backup_vault\" \"default\" {\n",
            "-  name = var.target_vault_name == null ? module.this.id : var.target_vault_name\n",
            "+  name = local.vault_name\n",
            " }\n",
        );
        assert!(replacing(vault, "").is_empty());
        assert_eq!(
            replacing(&vault.replace("module.this.id)", "\"vault\")"), "").len(),
            1
        );
        assert_eq!(replacing(&table.replace("!= null", "== null"), "").len(), 1);

        let gated = " resource \"aws_ec2_transit_gateway_route_table\" \"this\" {\n-  count = var.create_tgw ? 1 : 0\n+  count = var.create_tgw && var.create_tgw_routes ? 1 : 0\n }\n";
        let declared = |default: &str| {
            format!("+variable \"create_tgw_routes\" {{\n+  type    = bool\n+  default = {default}\n+}}\n")
        };
        assert!(replacing(gated, &declared("true")).is_empty());
        assert_eq!(replacing(gated, &declared("false")).len(), 1);

        let logging = " resource \"aws_s3_bucket_logging\" \"default\" {\n-  count = local.enabled ? 1 : 0\n+  for_each = toset(local.enabled ? [\"enabled\"] : [])\n }\n";
        let moved = "+moved {\n+  from = aws_s3_bucket_logging.default[0]\n+  to   = aws_s3_bucket_logging.default[\"enabled\"]\n+}\n";
        assert!(replacing(&format!("{moved}{logging}"), "").is_empty());
        assert_eq!(replacing(logging, "").len(), 1);
        // Three instances, one of them moved: the other two are still replaced.
        let three = logging.replace("local.enabled ? 1 : 0", "3");
        assert_eq!(replacing(&format!("{moved}{three}"), "").len(), 1);
    }
    /// cloudposse/terraform-aws-ec2-instance b510fe67: `encrypted` added to an existing volume
    /// with a default of `true` replaces every unencrypted volume; the same with `false` (the
    /// provider's default), with an input declared elsewhere, or on a new resource does not.
    #[test]
    fn a_force_new_argument_set_for_the_first_time_replaces_only_with_a_new_value() {
        let volume = |value: &str| {
            format!(" resource \"aws_ebs_volume\" \"default\" {{\n   size = 10\n+  encrypted = {value}\n }}\n")
        };
        let declared = |default: &str| {
            format!("+variable \"ebs_volume_encrypted\" {{\n+  type    = bool\n+  default = {default}\n+}}\n")
        };
        let by_var = volume("var.ebs_volume_encrypted");
        assert_eq!(
            replacing(&by_var, &declared("true")),
            ["destructive.tf-stateful-force-new"]
        );
        assert!(replacing(&by_var, &declared("false")).is_empty());
        assert!(replacing(&by_var, &declared("null")).is_empty());
        assert!(replacing(&by_var, "").is_empty());
        assert_eq!(replacing(&volume("true"), "").len(), 1);
        assert!(replacing(&volume("local.encrypted"), "").is_empty());
        let new =
            "+resource \"aws_ebs_volume\" \"default\" {\n+  size = 10\n+  encrypted = true\n+}\n";
        assert!(replacing(new, "").is_empty());
        // Moved up within the block is no new setting.
        let moved = " resource \"aws_ebs_volume\" \"default\" {\n+  encrypted = true\n   size = 10\n-  encrypted = true\n }\n";
        assert!(replacing(moved, "").is_empty());
    }
}
