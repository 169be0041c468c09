//! Every intent the reviewer can express, as data. Keys map to actions (keymap.rs), `update`
//! applies them, and the help screen is generated from `Action::ALL` with each one's description.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    NextHunk,
    PrevHunk,
    NextUndecided,
    NextFile,
    PrevFile,
    First,
    Last,
    Approve,
    Reject,
    NeedsWork,
    Comment,
    Undo,
    Search,
    SearchNext,
    SearchPrev,
    NextCommit,
    PrevCommit,
    Message,
    Findings,
    Zoom,
    SideBySide,
    TriageOrder,
    Edit,
    Expand,
    Fold,
    Unfold,
    FoldAll,
    UnfoldAll,
    FindFile,
    Interdiff,
    ChangedOnly,
    Sign,
    Help,
    Quit,
}

impl Action {
    pub const ALL: [Action; 38] = [
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::NextHunk,
        Action::PrevHunk,
        Action::NextUndecided,
        Action::NextFile,
        Action::PrevFile,
        Action::First,
        Action::Last,
        Action::Approve,
        Action::Reject,
        Action::NeedsWork,
        Action::Comment,
        Action::Undo,
        Action::Search,
        Action::SearchNext,
        Action::SearchPrev,
        Action::NextCommit,
        Action::PrevCommit,
        Action::Message,
        Action::Findings,
        Action::Zoom,
        Action::SideBySide,
        Action::TriageOrder,
        Action::Edit,
        Action::Expand,
        Action::Fold,
        Action::Unfold,
        Action::FoldAll,
        Action::UnfoldAll,
        Action::FindFile,
        Action::Interdiff,
        Action::ChangedOnly,
        Action::Sign,
        Action::Help,
        Action::Quit,
    ];

    /// The name used in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page-down",
            Action::PageUp => "page-up",
            Action::NextHunk => "next-hunk",
            Action::PrevHunk => "prev-hunk",
            Action::NextUndecided => "next-undecided",
            Action::NextFile => "next-file",
            Action::PrevFile => "prev-file",
            Action::First => "first",
            Action::Last => "last",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::NeedsWork => "needs-work",
            Action::Comment => "comment",
            Action::Undo => "undo",
            Action::Search => "search",
            Action::SearchNext => "search-next",
            Action::SearchPrev => "search-prev",
            Action::NextCommit => "next-commit",
            Action::PrevCommit => "prev-commit",
            Action::Message => "message",
            Action::Findings => "findings",
            Action::Zoom => "zoom",
            Action::SideBySide => "side-by-side",
            Action::TriageOrder => "triage-order",
            Action::Edit => "edit",
            Action::Expand => "expand",
            Action::Fold => "fold",
            Action::Unfold => "unfold",
            Action::FoldAll => "fold-all",
            Action::UnfoldAll => "unfold-all",
            Action::FindFile => "find-file",
            Action::Interdiff => "interdiff",
            Action::ChangedOnly => "changed-only",
            Action::Sign => "sign",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help screen.
    pub fn description(self) -> &'static str {
        match self {
            Action::Down => "next line (into the next hunk at the end)",
            Action::Up => "previous line",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::NextHunk => "next hunk",
            Action::PrevHunk => "previous hunk",
            Action::NextUndecided => "next undecided hunk",
            Action::NextFile => "next file",
            Action::PrevFile => "previous file",
            Action::First => "first hunk",
            Action::Last => "last hunk",
            Action::Approve => "approve the hunk, go to the next undecided",
            Action::Reject => "reject the hunk, go to the next undecided",
            Action::NeedsWork => "mark the hunk as needing work, go on",
            Action::Comment => "comment on the hunk (multi-line)",
            Action::Undo => "undo the last decision or comment",
            Action::Search => "search paths and lines",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::NextCommit => "next commit",
            Action::PrevCommit => "previous commit",
            Action::Message => "show the whole commit message",
            Action::Findings => "all of the hunk's findings, in full",
            Action::Zoom => "hide or show the file list (more room for code)",
            Action::SideBySide => "toggle side-by-side view",
            Action::TriageOrder => "file order / triage order (riskiest first)",
            Action::Edit => "open the file in $EDITOR at the line",
            Action::Expand => "show a huge hunk in full",
            Action::Fold => "fold the file in the list (again: its commit)",
            Action::Unfold => "unfold the file and its commit in the list",
            Action::FoldAll => "fold every file (again: every commit)",
            Action::UnfoldAll => "unfold everything in the list",
            Action::FindFile => "find a file by its path (fuzzy) and go to it",
            Action::Interdiff => "changes since your last round, or the hunk as it is",
            Action::ChangedOnly => "only hunks changed or new since your last round",
            Action::Sign => "sign the approval (once every AI hunk is approved)",
            Action::Help => "show or hide this help",
            Action::Quit => "quit (everything is already saved)",
        }
    }

    /// Shown in the status line when they matter.
    pub fn is_essential(self) -> bool {
        matches!(
            self,
            Action::Approve
                | Action::Reject
                | Action::NeedsWork
                | Action::Comment
                | Action::NextHunk
                | Action::Help
        )
    }
}
