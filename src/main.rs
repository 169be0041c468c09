//! countersign's command line: parsing and exit codes, nothing else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use countersign::commands;
use countersign::error::{exit, one_line};

#[derive(Parser)]
#[command(
    name = "countersign",
    version,
    about = "A human checkpoint for AI-assisted code: review every AI-touched hunk, then sign.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    review: commands::review::ReviewArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Review AI-touched hunks interactively (the default command).
    Review(commands::review::ReviewArgs),
    /// Scan for AI evidence and risky changes, without a terminal UI (for CI).
    Scan(commands::scan::ScanArgs),
    /// Check that what a range lands is countersigned by allowed signers (for CI and hooks).
    Verify(commands::verify::VerifyArgs),
    /// Who approved what landed on the protected branch, commit by commit.
    Log(commands::log::LogArgs),
    /// Make a throw-away repository with an AI-assisted commit and review it.
    Demo(commands::demo::DemoArgs),
    /// Print the approval record of a commit: its approval trailers and review records.
    Show(commands::show::ShowArgs),
    /// Export the review's rejections, requests for work and comments for the author or agent.
    Export(commands::export::ExportArgs),
    /// Write a policy and allowed-signers template, set the git alias, print CI snippets.
    Init(commands::init::InitArgs),
}

fn main() -> ExitCode {
    countersign::timings::start();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap's own message is several lines with usage; the contract is one line.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "countersign: {} (see countersign --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(exit::USAGE as u8);
        }
    };
    let result = match cli.command {
        None => commands::review::run(&cli.review),
        Some(Command::Review(a)) => commands::review::run(&a),
        Some(Command::Scan(a)) => commands::scan::run(&a),
        Some(Command::Verify(a)) => commands::verify::run(&a),
        Some(Command::Log(a)) => commands::log::run(&a),
        Some(Command::Demo(a)) => commands::demo::run(&a),
        Some(Command::Show(a)) => commands::show::run(&a),
        Some(Command::Export(a)) => commands::export::run(&a),
        Some(Command::Init(a)) => commands::init::run(&a),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("countersign: {}", one_line(&e));
            ExitCode::from(exit::USAGE as u8)
        }
    }
}
