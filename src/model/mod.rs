//! The review as plain data: what git said, what the analyses found and what the reviewer decided.
//!
//! Nothing here touches git, the disk or a terminal, so every other layer (the loader, the
//! analyses, the UI, the approval) can be tested on values built by hand.

mod anchor;
mod commit;
mod decision;
mod evidence;
mod file;
mod finding;
mod hunk;
mod line;
mod review;

pub use anchor::{Anchor, Located, Side};
pub use commit::{Commit, Person, StaleApproval};
pub use decision::{Decision, Verdict};
pub use evidence::{Evidence, EvidenceSource, Origin};
pub use file::{ChangeKind, FileChange, FileKind};
pub use finding::{Finding, Severity};
pub use hunk::{Hunk, HunkId};
pub use line::{Line, LineKind, Text};
pub use review::{HunkRef, Review};
