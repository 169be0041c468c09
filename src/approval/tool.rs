//! Running the signing tools: never with the terminal as stdin unless the tool needs it (it
//! reads passphrases from /dev/tty itself), always with output captured, and with errors that
//! say which program failed and how.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{anyhow, Context, Result};

/// What to give the child on stdin.
pub enum Input<'a> {
    Null,
    Bytes(&'a [u8]),
    /// The caller's own stdin (the terminal): for a signer that asks for a passphrase there,
    /// once the review screen has handed the terminal over.
    Terminal,
}

/// Runs `program args…` with `env` added, stdin as given, stdout and stderr captured.
pub fn run(
    program: &str,
    args: &[&str],
    env: &[(&str, &Path)],
    input: Input<'_>,
) -> Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k, v.as_os_str())));
    run_command(cmd, program, input)
}

/// Runs a prepared command with stdin as given and stdout and stderr captured; `program` names
/// it in errors.
pub fn run_command(mut cmd: Command, program: &str, input: Input<'_>) -> Result<Output> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(match input {
            Input::Null => Stdio::null(),
            Input::Bytes(_) => Stdio::piped(),
            Input::Terminal => Stdio::inherit(),
        });
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!("'{program}' was not found; install it or point git's config at it")
        } else {
            anyhow!("could not run '{program}': {e}")
        }
    })?;
    if let Input::Bytes(bytes) = input {
        if let Some(mut stdin) = child.stdin.take() {
            // A tool that exits early closes its end; its exit status tells the real story.
            let _ = stdin.write_all(bytes);
        }
    }
    child
        .wait_with_output()
        .with_context(|| format!("waiting for '{program}'"))
}

/// The last non-empty line of stderr (where these tools put the reason), for messages.
pub fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("[GNUPG:]"))
        .unwrap_or("no message")
        .to_string()
}
