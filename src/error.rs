//! Errors sorted at the boundary: the CLI prints one line and exits with the code that says
//! whose problem it is.

use std::fmt;

/// Exit codes of the command-line contract (DESIGN.md section 1).
pub mod exit {
    /// Success, or everything verified.
    pub const OK: i32 = 0;
    /// `verify` found a violation, or `scan --fail-on` was met.
    pub const VIOLATION: i32 = 1;
    /// Usage or environment error: not a repository, a bad revision, an unreadable policy.
    pub const USAGE: i32 = 2;
}

/// An error the user can fix, with a hint on how. Anything else that reaches the top is
/// reported the same way (one line, exit 2); this type only adds the hint.
#[derive(Debug)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> UserError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            Some(hint) => write!(f, "{} ({hint})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for UserError {}

/// Shorthand for `Err(UserError::new(..).into())`.
#[macro_export]
macro_rules! user_error {
    ($($arg:tt)*) => {
        anyhow::Error::from($crate::error::UserError::new(format!($($arg)*)))
    };
}

/// One line for stderr: the whole context chain, outermost first, without newlines.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string().replace(['\n', '\r'], " ");
        let text = text.trim().to_string();
        // git2 repeats the inner message in the outer one; don't print it twice.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn chain_is_one_line() {
        let err = Err::<(), _>(anyhow::anyhow!("line one\nline two"))
            .context("loading policy")
            .unwrap_err();
        assert_eq!(one_line(&err), "loading policy: line one line two");
    }

    #[test]
    fn user_error_carries_hint() {
        let err: anyhow::Error = UserError::new("not a git repository")
            .hint("run it inside a repository")
            .into();
        assert_eq!(
            one_line(&err),
            "not a git repository (run it inside a repository)"
        );
    }
}
