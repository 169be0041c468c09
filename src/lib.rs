//! countersign: a human checkpoint for AI-assisted code.
//!
//! Data flows one way: [`git`] reads the repository into the plain-data [`model`]; the analyses
//! ([`detect`], [`risk`]) annotate it; the UI and the commands present it and collect decisions
//! ([`session`]); [`approval`] turns a finished review into a signed trailer that [`git`] writes
//! back. The model and the analyses never touch a terminal; the UI never touches git.

pub mod approval;
pub mod commands;
pub mod config;
pub mod detect;
pub mod error;
pub mod export;
pub mod git;
pub mod load;
pub mod model;
pub mod parallel;
pub mod policy;
pub mod report;
pub mod risk;
pub mod session;
pub mod show;
pub mod text;
pub mod timefmt;
pub mod timings;
pub mod ui;
