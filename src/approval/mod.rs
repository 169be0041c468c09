//! The countersignature: content digest, signed payload, trailers, signing and verification.
//!
//! Pure logic plus the two external tools that do the cryptography (`ssh-keygen`, `gpg`). It
//! never touches git2 or a terminal: the signing settings come in as a plain
//! [`sign::SigningConfig`] (read by `git::signing_config`), and the commit as the plain model.
//! The formats are documented byte for byte in docs/approval-format.md.
//!
//! The flow: [`record::ReviewRecord::from_commit`] → [`payload::Payload`] (with
//! [`digest::content_digest`]) → [`sign::Signer::sign`] → [`trailer::ApprovalSet`] →
//! [`trailer::append_approval`]. Back: [`trailer::parse_approvals`] → [`check::check_change`]
//! per change and [`judge::judge`] over a range's first-parent chain.

pub mod breakglass;
pub mod check;
pub mod digest;
pub mod judge;
pub mod payload;
pub mod record;
pub mod sign;
pub mod signature;
pub mod signers;
pub mod signoff;
pub mod sshsig;
pub(crate) mod tool;
pub mod trailer;
pub mod trailer_block;
pub mod verify_sig;

#[cfg(test)]
mod trailer_tests;

pub use digest::{content_digest, Sha256Digest};
pub use payload::{Identity, ObjectFormat, Payload, Scope};
pub use record::{HunkCounts, ReviewRecord};
pub use signature::{Scheme, Signature, SSH_NAMESPACE};
pub use trailer::{append_approval, parse_approvals, ApprovalSet, ParsedApprovals};

#[cfg(test)]
#[path = "signoff_tests.rs"]
mod signoff_tests;
