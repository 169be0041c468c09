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

/// `-q` / `-v` of the commands that report (verify, scan, log): their text output only.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct VerbosityArgs {
    /// Print only what fails: the failing commits (or findings) and why, no summary.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print the detail behind each line: per commit, every check, key and piece of evidence.
    #[arg(short, long)]
    pub verbose: bool,
}

impl VerbosityArgs {
    pub fn level(self) -> crate::report::Verbosity {
        use crate::report::Verbosity;
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }
}
