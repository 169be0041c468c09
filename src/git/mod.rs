//! Everything that touches git2: opening the repository, ranges, diffs into the model, notes,
//! trailers and the rewrite that writes an approval back.

pub mod bench_repo;
pub mod chain;
pub mod demo_repo;
pub mod diff;
pub mod landing;
pub mod notes;
pub mod range;
pub mod renames;
pub mod replay;
pub mod repo;
pub mod rewrite;
pub mod signing_config;
pub mod store;
pub mod trusted;

/// Commit and tree ids, for the layers above that hold them without touching git2.
pub use git2::Oid;
pub use repo::{open, Repo};
