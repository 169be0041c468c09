//! Everything that touches git2: opening the repository, ranges, diffs into the model, notes,
//! trailers and the rewrite that writes an approval back.

pub mod notes;
