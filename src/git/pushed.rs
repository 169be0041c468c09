//! The ref updates of a push still in progress, as a pre-receive hook reads them on stdin
//! (`<old oid> <new oid> <refname>` lines): the approvals store entries and review records a
//! reviewer pushes together with the branch (`git push origin main refs/notes/countersign
//! 'refs/countersign/*'`) are not on any ref yet while the hook runs, only in git's quarantine.
//! Read only for where approvals are found; the policy and signer lists still come from the
//! trusted commit, and every approval found here is judged like one from the store.

use std::collections::HashMap;

use anyhow::{bail, Result};
use git2::Oid;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// The new value of each pushed ref; `None` for a deletion.
    updates: HashMap<String, Option<Oid>>,
}

impl Pushed {
    /// Parses the hook's lines; `origin` names them in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Pushed> {
        let mut updates = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let (new, name) = match fields.as_slice() {
                [] => continue,
                [_, new, name] => (*new, *name),
                _ => bail!(
                    "{origin} line {}: expected '<old oid> <new oid> <refname>', found '{}'",
                    i + 1,
                    line.trim()
                ),
            };
            let Ok(new) = Oid::from_str(new) else {
                bail!("{origin} line {}: '{new}' is not an object id", i + 1);
            };
            updates.insert(name.to_string(), (!new.is_zero()).then_some(new));
        }
        Ok(Pushed { updates })
    }

    /// What the push sets `refname` to: `Some(None)` when it deletes it, `None` when the push
    /// leaves it alone.
    pub fn get(&self, refname: &str) -> Option<Option<Oid>> {
        self.updates.get(refname).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_lines_are_read_and_deletions_kept_apart() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!("{zero} {a} refs/notes/countersign\n\n{a} {zero} refs/heads/old\n");
        let p = Pushed::parse(&text, "stdin").unwrap();
        assert_eq!(
            p.get("refs/notes/countersign"),
            Some(Some(Oid::from_str(&a).unwrap()))
        );
        assert_eq!(p.get("refs/heads/old"), Some(None));
        assert_eq!(p.get("refs/heads/main"), None);
        let err = Pushed::parse("x y\n", "stdin").unwrap_err().to_string();
        assert!(err.starts_with("stdin line 1: expected"), "{err}");
        let err = Pushed::parse(&format!("{zero} nope refs/x"), "f")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "f line 1: 'nope' is not an object id");
    }
}
