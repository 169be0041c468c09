//! Reading git notes: the git-ai authorship log (`refs/notes/ai`) and, later, our own review
//! records (`refs/notes/countersign`).

use anyhow::{Context, Result};

/// The text of the note that `notes_ref` attaches to `commit`, or None when there is none (no
/// such note, or no such notes ref yet). `notes_ref` is a full ref (`refs/notes/ai`) or a short
/// name (`ai`), as `git notes --ref` takes it.
pub fn read_note(
    repo: &git2::Repository,
    notes_ref: &str,
    commit: git2::Oid,
) -> Result<Option<String>> {
    let full = full_ref(notes_ref);
    let note = match repo.find_note(Some(&full), commit) {
        Ok(note) => note,
        // The ref or the note is missing: most commits have no note, which is not an error.
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the {full} note of commit {commit}"))
        }
    };
    let text = std::str::from_utf8(note.message_bytes())
        .with_context(|| format!("the {full} note of commit {commit} is not UTF-8"))?;
    Ok(Some(text.to_string()))
}

/// `ai` → `refs/notes/ai`, as git expands `--ref`.
fn full_ref(notes_ref: &str) -> String {
    if notes_ref.starts_with("refs/") {
        notes_ref.to_string()
    } else if let Some(rest) = notes_ref.strip_prefix("notes/") {
        format!("refs/notes/{rest}")
    } else {
        format!("refs/notes/{notes_ref}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_like_git_notes_ref() {
        assert_eq!(full_ref("ai"), "refs/notes/ai");
        assert_eq!(full_ref("notes/ai"), "refs/notes/ai");
        assert_eq!(full_ref("refs/notes/ai"), "refs/notes/ai");
    }
}
