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

/// The handles and ids the layers above hold and pass back, without calling git2 themselves:
/// every git2 call stays in this module.
pub use git2::{Oid, Repository};
pub use repo::{open, Repo};
