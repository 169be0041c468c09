//! The built-in rules' literal factors, worked out when countersign is built (`build.rs` runs
//! `factors.rs` over `src/risk/rules/*.toml`).

include!(concat!(env!("OUT_DIR"), "/builtin_factors.rs"));

/// The factors of a built-in pattern (the inner None: it has none and runs on every line), or
/// None when `source` is no built-in pattern.
pub(crate) fn lookup(source: &str) -> Option<Option<&'static [&'static [u8]]>> {
    TABLE
        .binary_search_by(|(p, _)| (*p).cmp(source))
        .ok()
        .map(|i| TABLE[i].1)
}
