//! Git notes: line-level attribution (`refs/notes/ai`) and review records.

use anyhow::Result;
use git2::{Oid, Repository};

pub fn read_note(repo: &Repository, notes_ref: &str, commit: Oid) -> Result<Option<String>> {
    match repo.find_note(Some(notes_ref), commit) {
        Ok(note) => Ok(Some(
            String::from_utf8_lossy(note.message_bytes()).into_owned(),
        )),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
