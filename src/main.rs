//! countersign's command line: parsing and exit codes, nothing else.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use countersign::commands;
use countersign::error::{exit, one_line};

/// `0.1.0 (commit 1a2b3c…)`: which build a bug report or an audit is about (build.rs).
const VERSION: &str = env!("COUNTERSIGN_VERSION");

#[derive(Parser)]
#[command(
    name = "countersign",
    version = VERSION,
    about = "A human checkpoint for AI-assisted code: review every AI-touched hunk, then sign.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    review: commands::review::ReviewArgs,
    /// Colour in the review screen and in help: auto (a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
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
    /// Sign an emergency approval with a reason, for the policy's break-glass terms only.
    BreakGlass(commands::break_glass::BreakGlassArgs),
    /// Make a throw-away repository with an AI-assisted commit and review it.
    Demo(commands::demo::DemoArgs),
    /// Print the approval record of a commit: its approval trailers and review records.
    Show(commands::show::ShowArgs),
    /// Export the review's rejections, requests for work and comments for the author or agent.
    Export(commands::export::ExportArgs),
    /// Write a policy and allowed-signers template, set the git alias, print CI snippets.
    Init(commands::init::InitArgs),
    /// Print a shell completion script: countersign completions bash > ~/.local/share/bash-completion/completions/countersign
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): countersign man > ~/.local/share/man/man1/countersign.1
    Man,
}

fn main() -> ExitCode {
    countersign::timings::start();
    quiet_broken_pipe();
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
    match cli.color {
        // The review screen reads NO_COLOR, as every tool that follows no-color.org does; set
        // before any thread starts, so no other thread reads the environment meanwhile.
        Color::Never => std::env::set_var("NO_COLOR", "1"),
        Color::Always => std::env::remove_var("NO_COLOR"),
        Color::Auto => {}
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli)));
    match outcome {
        Ok(code) => code,
        Err(payload) if is_broken_pipe(payload_str(payload.as_ref())) => die_of_sigpipe(),
        // The hook has said what happened; Rust's own exit code for a panic.
        Err(_) => ExitCode::from(101),
    }
}

fn dispatch(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None => commands::review::run(&cli.review),
        Some(Command::Review(a)) => commands::review::run(&a),
        Some(Command::Scan(a)) => commands::scan::run(&a),
        Some(Command::Verify(a)) => commands::verify::run(&a),
        Some(Command::Log(a)) => commands::log::run(&a),
        Some(Command::BreakGlass(a)) => commands::break_glass::run(&a),
        Some(Command::Demo(a)) => commands::demo::run(&a),
        Some(Command::Show(a)) => commands::show::run(&a),
        Some(Command::Export(a)) => commands::export::run(&a),
        Some(Command::Init(a)) => commands::init::run(&a),
        Some(Command::Completions { shell }) => {
            // Into memory first: clap_complete panics on a failed write.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "countersign", &mut script);
            write_stdout(&script)
        }
        Some(Command::Man) => man(),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("countersign: {}", one_line(&e));
            ExitCode::from(exit::USAGE as u8)
        }
    }
}

fn man() -> anyhow::Result<i32> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    write_stdout(&page)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<i32> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => die_of_sigpipe(),
        other => other?,
    }
    Ok(exit::OK)
}

/// `countersign verify --format json | head -c 10`: when the reader goes away, print!
/// panics with "failed printing to stdout: Broken pipe". Say nothing for that one panic (the
/// reader has what it wanted); every other panic is reported as usual.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(payload_str(info.payload())) {
            default(info);
        }
    }));
}

fn payload_str(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("")
}

fn is_broken_pipe(message: &str) -> bool {
    message.starts_with("failed printing to stdout") && message.contains("Broken pipe")
}

/// Ends the way `cat` or `grep` end when their reader goes away: killed by SIGPIPE (a shell
/// shows exit 141), so a pipeline with `set -o pipefail` sees the usual status. SIGPIPE is not
/// left at its default for the whole run because countersign writes to the stdin of
/// ssh-keygen and gpg, which may exit early: that must be an error it reports, not a silent
/// death.
fn die_of_sigpipe() -> ! {
    // SAFETY: resetting a signal's disposition and raising it; nothing else runs afterwards.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(141)
}
