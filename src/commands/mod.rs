//! One module per subcommand: each orchestrates the library and holds no logic of its own.

pub mod break_glass;
pub mod context;
pub mod demo;
pub mod export;
pub mod init;
pub mod log;
pub mod review;
pub mod scan;
pub mod show;
pub mod sign;
pub mod verify;

/// Output format of the commands that report (scan, verify, show, log).
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}
