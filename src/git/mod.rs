//! Everything that touches git2: opening the repository, ranges, diffs into the model, notes,
//! trailers and the rewrite that writes an approval back.

pub mod bench_repo;
pub mod chain;
pub mod demo_repo;
pub mod diff;
pub mod landing;
pub mod notes;
pub mod pushed;
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

/// Parses a full object id (hex), for ids the model holds as text.
pub fn oid(id: &str) -> anyhow::Result<Oid> {
    Oid::from_str(id).map_err(|_| anyhow::anyhow!("'{id}' is not an object id"))
}

/// The git directory of an open repository (for threads that open their own handle).
pub fn git_dir(repo: &Repository) -> std::path::PathBuf {
    repo.path().to_path_buf()
}
pub use repo::{open, Repo};
