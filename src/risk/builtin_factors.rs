//! The literal factors of the built-in rules' patterns and of the built-in AI markers, worked
//! out when countersign is built (`build.rs` runs `factors.rs` over `src/risk/rules/*.toml`
//! and `src/detect/markers.toml`).

mod rules {
    include!(concat!(env!("OUT_DIR"), "/builtin_factors.rs"));
}

mod markers {
    include!(concat!(env!("OUT_DIR"), "/marker_factors.rs"));
}

type Table = [(&'static str, Option<&'static [&'static [u8]]>)];

fn find(table: &'static Table, source: &str) -> Option<Option<&'static [&'static [u8]]>> {
    table
        .binary_search_by(|(p, _)| (*p).cmp(source))
        .ok()
        .map(|i| table[i].1)
}

/// The factors of a built-in rule pattern (the inner None: it has none and runs on every
/// line), or None when `source` is no built-in pattern.
pub(crate) fn lookup(source: &str) -> Option<Option<&'static [&'static [u8]]>> {
    find(rules::TABLE, source)
}

/// The factors of a built-in marker's pattern, as [`lookup`] (parsed case-insensitively).
pub(crate) fn marker(source: &str) -> Option<Option<&'static [&'static [u8]]>> {
    find(markers::TABLE, source)
}

#[cfg(test)]
pub(crate) fn marker_table() -> &'static Table {
    markers::TABLE
}
