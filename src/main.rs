//! countersign's command line: parsing and exit codes, nothing else.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    review: ReviewArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Review AI-touched hunks interactively (the default command).
    Review(ReviewArgs),
    /// Scan for AI evidence and risky changes, without a terminal UI (for CI).
    Scan(ScanArgs),
    /// Check that every AI-assisted commit carries a valid countersignature (for CI).
    Verify(VerifyArgs),
    /// Make a throw-away repository with an AI-assisted commit and review it.
    Demo(DemoArgs),
    /// Print the approval record of a commit: its approval trailers and review records.
    Show(ShowArgs),
    /// Export the review's rejections, requests for work and comments for the author or agent.
    Export(ExportArgs),
    /// Write a policy and allowed-signers template, set the git alias, print CI snippets.
    Init(InitArgs),
}

#[derive(Args, Default)]
struct ReviewArgs {
    /// A commit or a range (A..B); default: the branch's AI-assisted commits not in its upstream.
    rev: Option<String>,
    /// Treat every commit and hunk as AI-touched.
    #[arg(long)]
    all: bool,
    /// Colour theme: dark, light, colorblind, or a theme file's name in the config directory.
    #[arg(long)]
    theme: Option<String>,
}

#[derive(Args)]
struct ScanArgs {
    /// A commit or a range (A..B); default as for review.
    rev: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when a finding of this severity or worse is in an AI-touched hunk.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Treat every commit and hunk as AI-touched.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// A commit or a range (A..B); default: the branch's commits not in its upstream.
    rev: Option<String>,
    /// The allowed-signers file (default: the policy's, read from the trusted ref).
    #[arg(long, value_name = "FILE")]
    allowed_signers: Option<std::path::PathBuf>,
    /// An SSH revocation list (KRL or public keys), on top of the policy's at the trusted ref.
    #[arg(long, value_name = "FILE")]
    revoked_signers: Option<std::path::PathBuf>,
    /// The trusted ref to read the policy and allowed signers from (default: the upstream or
    /// default branch).
    #[arg(long, value_name = "REF")]
    policy_ref: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
struct DemoArgs {
    /// Create the demo repository here (an empty or new directory) instead of a temp folder.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// Create the repository and print where it is, without opening the review.
    #[arg(long)]
    no_review: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// The commit.
    #[arg(default_value = "HEAD")]
    rev: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
struct ExportArgs {
    /// A commit or a range (A..B); default as for review.
    rev: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    format: ExportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Count every hunk as AI-touched, as a review with --all did.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
struct InitArgs {
    /// Set the git alias without asking.
    #[arg(long)]
    yes: bool,
    /// Leave the git alias alone.
    #[arg(long)]
    no_alias: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
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
        None => review(cli.review),
        Some(Command::Review(args)) => review(args),
        Some(Command::Scan(a)) => commands::scan::run(&commands::scan::Options {
            rev: a.rev,
            json: matches!(a.format, Format::Json),
            fail_on: a.fail_on,
            all: a.all,
        }),
        Some(Command::Verify(a)) => commands::verify::run(&commands::verify::Options {
            rev: a.rev,
            allowed_signers: a.allowed_signers,
            revoked_signers: a.revoked_signers,
            policy_ref: a.policy_ref,
            json: matches!(a.format, Format::Json),
        }),
        Some(Command::Demo(a)) => commands::demo::run(a.dir, !a.no_review),
        Some(Command::Show(a)) => commands::show::run(&commands::show::Options {
            rev: a.rev,
            json: matches!(a.format, Format::Json),
        }),
        Some(Command::Export(a)) => commands::export::run(&commands::export::Options {
            rev: a.rev,
            json: matches!(a.format, ExportFormat::Json),
            output: a.output,
            all: a.all,
        }),
        Some(Command::Init(a)) => commands::init::run(&commands::init::Options {
            yes: a.yes,
            no_alias: a.no_alias,
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("countersign: {}", one_line(&e));
            ExitCode::from(exit::USAGE as u8)
        }
    }
}

fn review(args: ReviewArgs) -> anyhow::Result<i32> {
    commands::review::run(&commands::review::Options {
        rev: args.rev,
        all: args.all,
        theme: args.theme,
    })
}
