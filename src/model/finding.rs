use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered, so `max()` gives the worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity '{other}' (expected critical, high, medium or low)"
            )),
        }
    }
}

/// One thing the risk engine saw in a hunk or a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The rule's id, stable across releases (`destructive.sql-drop`).
    pub rule: String,
    pub severity: Severity,
    /// The rule's category (`destructive`, `security`, `hidden-text`…).
    pub category: String,
    /// Index into the hunk's `lines` of the line it points at (None for a file-level finding).
    pub line_index: Option<usize>,
    /// The line number in the file (new side, or old side for a removed line).
    pub line_no: Option<u32>,
    /// The column (in characters, 0-based) of what triggered it, when that matters (hidden text).
    pub column: Option<u32>,
    /// One sentence a senior understands at once.
    pub message: String,
}

impl Finding {
    /// Where it points, as a reviewer reads it: `L12:4`, `L12`, or `file`.
    pub fn place(&self) -> String {
        match (self.line_no, self.column) {
            (Some(l), Some(c)) => format!("L{l}:{}", c + 1),
            (Some(l), None) => format!("L{l}"),
            _ => "file".to_string(),
        }
    }
}
