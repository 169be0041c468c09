/// Where a piece of AI-assistance evidence came from, strongest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    /// Line-level attribution in git notes (`refs/notes/ai`, the git-ai authorship log).
    Notes,
    /// A trailer such as `Co-Authored-By: Claude <noreply@anthropic.com>`.
    Trailer,
    /// The commit's author identity is an agent's.
    Author,
    /// The commit's committer identity is an agent's.
    Committer,
    /// A line in the message body, such as "Generated with Claude Code".
    Message,
    /// A marker from the repository's policy.
    Policy,
    /// The reviewer asked for everything to be treated as AI-touched (`--all`).
    All,
}

/// One reason to believe an AI wrote something.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub source: EvidenceSource,
    /// The agent, when the evidence names one ("Claude Code", "Copilot", "aider").
    pub agent: Option<String>,
    /// The model, when the evidence names one.
    pub model: Option<String>,
    /// What was seen, quoted (the trailer line, the author, the note's session).
    pub detail: String,
}

/// Who wrote a hunk, as far as the evidence goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// Written (at least in part) by an AI, per the commit's or the hunk's evidence.
    Ai,
    /// Known to be written by a human: line-level attribution says so, or the commit shows no
    /// sign of AI at all.
    Human,
    /// The commit has line-level attribution but these lines have no entry. Treated as needing
    /// review, because absence of evidence is not evidence of a human.
    #[default]
    Unknown,
}

impl Origin {
    /// Must be decided by the reviewer before the commit can be countersigned.
    pub fn is_ai_touched(&self) -> bool {
        !matches!(self, Origin::Human)
    }
}
