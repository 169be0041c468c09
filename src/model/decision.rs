/// The reviewer's verdict on one hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Approved,
    Rejected,
    NeedsWork,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
            Verdict::NeedsWork => "needs-work",
        }
    }
}

/// What the reviewer said about one hunk: a verdict, a comment, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Seconds since the epoch of the last change.
    #[serde(default)]
    pub at: i64,
    /// The commit the decision was made on, to tell a resumed session from a carried-over one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
    /// Approved without every line having been on screen, as the reviewer confirmed; the
    /// review record says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unseen: bool,
    /// The lines the comment is about, so it follows them when they move (None for a
    /// comment written before comments had anchors, or a decision without a comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<super::Anchor>,
    /// The review round the decision was last changed in (0: before rounds were kept).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub round: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Decision {
    pub fn is_empty(&self) -> bool {
        self.verdict.is_none() && self.comment.is_empty()
    }
}
