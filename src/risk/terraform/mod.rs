//! What Terraform cannot change in place: the built-in table of force-new attributes
//! (`force_new.toml`, each resource with its source), read once.

mod plan;

pub use plan::{Destroyed, TerraformPlan};

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    resource: Vec<Entry>,
}

/// One resource type: the top-level arguments whose change forces replacement.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource holds data that a replacement loses.
    #[serde(default)]
    pub stateful: bool,
    pub force_new: Vec<String>,
    pub source: String,
    /// The provider source file (and commit) checked for `ForceNew: true` on every listed
    /// attribute; None when only the documentation was read.
    pub verified: Option<String>,
}

pub const FORCE_NEW_TOML: &str = include_str!("force_new.toml");

static TABLE: LazyLock<HashMap<String, Entry>> = LazyLock::new(|| {
    // The table is embedded and parsed by the tests, so this cannot fail in a release.
    let table: Table = toml::from_str(FORCE_NEW_TOML).expect("force_new.toml parses");
    table
        .resource
        .into_iter()
        .map(|e| (e.kind.clone(), e))
        .collect()
});

/// The table's entry for a resource type, if it has one.
pub fn entry(kind: &str) -> Option<&'static Entry> {
    TABLE.get(kind)
}

/// The resource types that hold data and that changing `attr` replaces, in the table's order
/// of names.
pub fn stateful_kinds_replaced_by(attr: &str) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = TABLE
        .values()
        .filter(|e| e.stateful && e.force_new.iter().any(|a| a == attr))
        .map(|e| e.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds
}

/// Whether changing `attr` on a `kind` resource forces its replacement.
pub fn forces_replacement(kind: &str, attr: &str) -> Option<&'static Entry> {
    entry(kind).filter(|e| e.force_new.iter().any(|a| a == attr))
}

/// Every resource type in the table.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    TABLE.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_the_three_clouds_with_sources() {
        let all: Vec<_> = kinds().collect();
        assert!(all.len() >= 40, "{} resource types", all.len());
        for prefix in ["aws_", "google_", "azurerm_"] {
            assert!(
                all.iter().filter(|k| k.starts_with(prefix)).count() >= 10,
                "fewer than 10 {prefix} types"
            );
        }
        for k in all {
            let e = entry(k).unwrap();
            assert!(!e.force_new.is_empty(), "{k}: no attribute");
            assert!(e.source.starts_with("https://"), "{k}: no source");
        }
    }

    #[test]
    fn known_replacements_are_in_the_table() {
        assert!(forces_replacement("aws_db_instance", "engine").is_some_and(|e| e.stateful));
        assert!(forces_replacement("aws_s3_bucket", "bucket").is_some());
        assert!(forces_replacement("aws_instance", "subnet_id").is_some());
        // Updated in place, so not force-new (an RDS instance is renamed in place since
        // the AWS provider's v5).
        assert!(forces_replacement("aws_db_instance", "instance_class").is_none());
        assert!(forces_replacement("aws_db_instance", "identifier").is_none());
        assert!(forces_replacement("aws_s3_bucket", "tags").is_none());
        assert!(forces_replacement("aws_nonexistent", "name").is_none());
    }
}
