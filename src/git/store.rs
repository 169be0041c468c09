//! The approvals store: every approval countersign writes, filed by the content digest it
//! approves, so `verify` finds the approval of a change however it landed (a squash merge with
//! a forge-written message, a rebase merge, a merge queue's rebuilt commit), not only through
//! the commit message.
//!
//! One ref per approved change, `refs/countersign/approvals/<digest hex>`, pointing at a tree:
//! `approvals` (the trailer lines of every approval of that change, one block per reviewer),
//! `records` (their review records, one JSON line each) and `trees/<id>` (the approved base and
//! result trees, kept reachable so a clean-replay policy can replay them after the reviewed
//! commits are gone). A ref per change means two reviewers of different changes never race on
//! one ref. Anyone who can push may write here; nothing in it is trusted but the signatures.

use anyhow::{Context, Result};
use git2::{ErrorCode, FileMode, Oid, Repository};

/// Where the store's refs live; CI fetches `refs/countersign/*`.
pub const PREFIX: &str = "refs/countersign/approvals/";

/// What the store holds for one change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Trailer lines, `Countersigned-by` / `Countersign-Approval` / `Countersign-Signature` per
    /// approval, as one trailer block.
    pub approvals: String,
    /// Review records, one canonical JSON line each.
    pub records: String,
}

pub fn refname(digest_hex: &str) -> String {
    format!("{PREFIX}{digest_hex}")
}

/// The entry for the change with this content digest (hex), if any.
pub fn read(git: &Repository, digest_hex: &str) -> Result<Option<Entry>> {
    let name = refname(digest_hex);
    let reference = match git.find_reference(&name) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {name}")),
    };
    match reference.resolve().ok().and_then(|r| r.target()) {
        Some(id) => read_at(git, id),
        None => Ok(None),
    }
}

/// The entry a store ref pointing at `id` holds (a ref a push is about to set, say).
pub fn read_at(git: &Repository, id: Oid) -> Result<Option<Entry>> {
    let Ok(tree) = git.find_object(id, None).and_then(|o| o.peel_to_tree()) else {
        // Not ours to judge: a ref that is not a tree holds no approval.
        return Ok(None);
    };
    let text = |file: &str| -> String {
        tree.get_name(file)
            .and_then(|e| e.to_object(git).ok())
            .and_then(|o| o.into_blob().ok())
            .map(|b| String::from_utf8_lossy(b.content()).into_owned())
            .unwrap_or_default()
    };
    Ok(Some(Entry {
        approvals: text("approvals"),
        records: text("records"),
    }))
}

/// Adds one approval (its trailer lines and record line) to the entry of its change, keeping
/// the approved trees reachable. A compare-and-swap on the ref: a concurrent writer makes
/// this fail rather than lose the other approval.
pub fn add(
    git: &Repository,
    digest_hex: &str,
    trailers: &str,
    record_json: &str,
    trees: &[&str],
) -> Result<Oid> {
    let name = refname(digest_hex);
    let current = match git.find_reference(&name) {
        Ok(r) => Some(r.target().context("the store ref is symbolic")?),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {name}")),
    };
    let mut entry = read(git, digest_hex)?.unwrap_or_default();
    append_block(&mut entry.approvals, trailers);
    append_block(&mut entry.records, record_json);
    let mut old_trees: Vec<(String, Oid)> = Vec::new();
    if let Some(old) = current.and_then(|id| git.find_tree(id).ok()) {
        if let Some(sub) = old
            .get_name("trees")
            .and_then(|e| e.to_object(git).ok())
            .and_then(|o| o.into_tree().ok())
        {
            for e in sub.iter() {
                if let Ok(n) = e.name() {
                    old_trees.push((n.to_string(), e.id()));
                }
            }
        }
    }
    // The empty tree (a root commit's base) need not be in the object database yet.
    git.treebuilder(None)?.write()?;
    let mut trees_builder = git.treebuilder(None).context("building the store tree")?;
    for (n, id) in &old_trees {
        trees_builder.insert(n, *id, FileMode::Tree.into())?;
    }
    for id in trees {
        let oid = Oid::from_str(id).with_context(|| format!("'{id}' is not a tree id"))?;
        git.find_tree(oid)
            .with_context(|| format!("the approved tree {id} is not in the repository"))?;
        trees_builder.insert(id, oid, FileMode::Tree.into())?;
    }
    let trees_oid = trees_builder.write()?;
    let mut root = git.treebuilder(None)?;
    root.insert(
        "approvals",
        git.blob(entry.approvals.as_bytes())?,
        FileMode::Blob.into(),
    )?;
    root.insert(
        "records",
        git.blob(entry.records.as_bytes())?,
        FileMode::Blob.into(),
    )?;
    root.insert("trees", trees_oid, FileMode::Tree.into())?;
    let tree = root.write()?;
    let message = "countersign: approval";
    match current {
        Some(old) => git.reference_matching(&name, tree, true, old, message),
        None => git.reference(&name, tree, false, message),
    }
    .with_context(|| format!("updating {name} (another approval was written at the same time?)"))?;
    Ok(tree)
}

/// One block after the other with no blank line between: the approvals stay one trailer
/// block, which is how they are read back.
fn append_block(text: &mut String, block: &str) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(block.trim_end_matches('\n'));
    text.push('\n');
}
