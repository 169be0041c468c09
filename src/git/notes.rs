//! Git notes: line-level attribution (`refs/notes/ai`) and review records
//! (`refs/notes/countersign`), read, appended to, and carried over when commits are rewritten.

use anyhow::{Context, Result};
use git2::{Oid, Repository};

/// The git-ai authorship log.
pub const AI_NOTES: &str = "refs/notes/ai";
/// countersign's review records, one JSON line per reviewer.
pub const COUNTERSIGN_NOTES: &str = "refs/notes/countersign";
/// The notes that belong to a commit's content and review, so they follow it when it is
/// rewritten.
pub const CARRIED_NOTES: [&str; 2] = [AI_NOTES, COUNTERSIGN_NOTES];

pub fn read_note(repo: &Repository, notes_ref: &str, commit: Oid) -> Result<Option<String>> {
    Ok(read_note_bytes(repo, notes_ref, commit)?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// The note's exact bytes, for copying it without loss.
pub fn read_note_bytes(repo: &Repository, notes_ref: &str, commit: Oid) -> Result<Option<Vec<u8>>> {
    let notes_ref = full_ref(notes_ref);
    let notes_ref = notes_ref.as_str();
    match repo.find_note(Some(notes_ref), commit) {
        Ok(note) => Ok(Some(note.message_bytes().to_vec())),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the {notes_ref} note of {commit}")),
    }
}

/// A notes ref's tree, read once for many commits' notes: `find_note` reads and parses the
/// whole notes tree again for every commit, most of the time of judging a long range.
pub struct NotesTree<'r> {
    git: &'r Repository,
    tree: Option<git2::Tree<'r>>,
}

impl<'r> NotesTree<'r> {
    /// The notes at `notes_ref` as it is now (no notes when it does not exist).
    pub fn at_ref(git: &'r Repository, notes_ref: &str) -> Result<NotesTree<'r>> {
        let name = full_ref(notes_ref);
        let commit = match git.refname_to_id(&name) {
            Ok(id) => Some(id),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {name}")),
        };
        NotesTree::at_commit(git, commit)
    }

    /// The notes of the notes commit `commit` (none for `None`).
    pub fn at_commit(git: &'r Repository, commit: Option<Oid>) -> Result<NotesTree<'r>> {
        let tree = commit
            .map(|id| {
                git.find_commit(id)
                    .and_then(|c| c.tree())
                    .with_context(|| format!("reading the notes commit {id}"))
            })
            .transpose()?;
        Ok(NotesTree { git, tree })
    }

    /// The note of `commit`, as text.
    pub fn read(&self, commit: Oid) -> Result<Option<String>> {
        let Some(tree) = &self.tree else {
            return Ok(None);
        };
        let Some(blob) = find_note_blob(self.git, tree, &commit.to_string())? else {
            return Ok(None);
        };
        let blob = self
            .git
            .find_blob(blob)
            .with_context(|| format!("reading the note of {commit}"))?;
        Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
    }
}

/// The note blob for the object named `hex` (what is left of it below a fan-out directory):
/// an entry of the whole name, else a two-digit fan-out directory holding the rest, as git
/// lays out notes trees of many notes.
fn find_note_blob(git: &Repository, tree: &git2::Tree<'_>, hex: &str) -> Result<Option<Oid>> {
    if let Some(entry) = tree.get_name(hex) {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            return Ok(Some(entry.id()));
        }
    }
    let Some((fanout, rest)) = hex.split_at_checked(2).filter(|(_, r)| !r.is_empty()) else {
        return Ok(None);
    };
    match tree.get_name(fanout) {
        Some(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
            let sub = git
                .find_tree(entry.id())
                .with_context(|| format!("reading the notes directory {fanout}"))?;
            find_note_blob(git, &sub, rest)
        }
        _ => Ok(None),
    }
}

/// `existing` with `text` added as its last line(s), one newline between and at the end.
fn appended(existing: &str, text: &str) -> String {
    let mut out = existing.trim_end_matches('\n').to_string();
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(text.trim_end_matches('\n'));
    out.push('\n');
    out
}

/// Appends `text` (a review record line, see `ReviewRecord::append_to_note`) to the note of
/// `commit` in `notes_ref`, creating the note if there is none. `who` commits to the notes
/// ref (the committer, as `git notes append` would). Returns the new notes commit.
pub fn append_note(
    repo: &Repository,
    notes_ref: &str,
    commit: Oid,
    text: &str,
    who: &git2::Signature<'_>,
) -> Result<Oid> {
    let existing = match read_note_bytes(repo, notes_ref, commit)? {
        Some(bytes) => String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!("the {notes_ref} note of {commit} is not UTF-8 text; not appending")
        })?,
        None => String::new(),
    };
    let note = appended(&existing, text);
    repo.note(who, who, Some(notes_ref), commit, &note, true)
        .with_context(|| format!("writing the {notes_ref} note of {commit}"))
}

/// What happened to one note when its commit was rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copied {
    /// The old commit had no note.
    Nothing,
    Copied,
    /// The new commit already had the same note.
    AlreadyThere,
    /// The new commit had a different note; the old one was added after it, as git's
    /// `notes.rewriteMode=concatenate` (its default) does.
    Concatenated,
}

/// Carries the note of `old` in `notes_ref` over to `new`.
pub fn copy_note(
    repo: &Repository,
    notes_ref: &str,
    old: Oid,
    new: Oid,
    who: &git2::Signature<'_>,
) -> Result<Copied> {
    if old == new {
        return Ok(Copied::AlreadyThere);
    }
    let Some(bytes) = read_note_bytes(repo, notes_ref, old)? else {
        return Ok(Copied::Nothing);
    };
    // libgit2 writes notes from a C string: a note that is not text, or holds a NUL, can't be
    // copied byte for byte, and a lossy copy would corrupt an authorship log.
    let text = String::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))
        .ok_or_else(|| {
            anyhow::anyhow!("the {notes_ref} note of {old} is not plain text and can't be copied")
        })?;
    let (note, result) = match read_note_bytes(repo, notes_ref, new)? {
        Some(existing) if existing == text.as_bytes() => return Ok(Copied::AlreadyThere),
        Some(existing) => (
            appended(&String::from_utf8_lossy(&existing), &text),
            Copied::Concatenated,
        ),
        None => (text, Copied::Copied),
    };
    repo.note(who, who, Some(notes_ref), new, &note, true)
        .with_context(|| format!("copying the {notes_ref} note of {old} to {new}"))?;
    Ok(result)
}

/// `ai` → `refs/notes/ai`, as `git notes --ref` expands a short name.
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
    fn appending_keeps_one_line_per_record() {
        assert_eq!(appended("", "{\"a\":1}"), "{\"a\":1}\n");
        assert_eq!(
            appended("{\"a\":1}\n\n", "{\"b\":2}\n"),
            "{\"a\":1}\n{\"b\":2}\n"
        );
    }

    #[test]
    fn notes_are_appended_and_copied() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let who = git2::Signature::new("Jane", "jane@example.com", &git2::Time::new(0, 0)).unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let a = repo.commit(None, &who, &who, "a", &tree, &[]).unwrap();
        let b = repo.commit(None, &who, &who, "b", &tree, &[]).unwrap();
        append_note(&repo, COUNTERSIGN_NOTES, a, "{\"r\":1}", &who).unwrap();
        append_note(&repo, COUNTERSIGN_NOTES, a, "{\"r\":2}", &who).unwrap();
        let note = read_note(&repo, COUNTERSIGN_NOTES, a).unwrap().unwrap();
        assert_eq!(note, "{\"r\":1}\n{\"r\":2}\n");
        assert_eq!(
            copy_note(&repo, AI_NOTES, a, b, &who).unwrap(),
            Copied::Nothing
        );
        assert_eq!(
            copy_note(&repo, COUNTERSIGN_NOTES, a, b, &who).unwrap(),
            Copied::Copied
        );
        assert_eq!(
            copy_note(&repo, COUNTERSIGN_NOTES, a, b, &who).unwrap(),
            Copied::AlreadyThere
        );
        assert_eq!(
            read_note(&repo, COUNTERSIGN_NOTES, b).unwrap().unwrap(),
            note
        );
    }
}
