//! An old migration edited where the edit changes nothing the databases that ran it ran.
//! `data.migration-edited` warns that databases which already ran a migration never see an
//! edit of it. Two edits change nothing they ran: one of its `down` alone (a rollback made to
//! tolerate a partial state, `if (Schema::hasColumn(…))`), which runs only when someone rolls
//! back; and existence guards wrapped around its statements as they were (`if
//! column_exists?(…)` … `end`), so that it no longer fails where the change is already made.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{FileChange, LineKind};

const RULE: &str = "data.migration-edited";

/// A line that opens a function or method (PHP, Python, Ruby, JS).
static FUNCTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:(?:public|private|protected|static|async)\s+)*(?:function|def)\s+(\w+)|^\s*(?:exports\.)?(\w+)\s*[:=]\s*(?:async\s+)?function\b|^\s*(?:async\s+)?(\w+)\s*\([^)]*\)\s*\{\s*$",
    )
    .ok()
});

/// A line that tests whether a schema object is there, before touching it.
static GUARD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(if|unless)\b.*\b((column|index|table|foreign_key)_exists\?|Schema::has(Column|Table|Index)|hasColumn|hasTable)|^\s*(if|unless)\s+(not\s+)?exists\b",
    )
    .ok()
});

/// The closing line of a guard's block.
fn closes(bytes: &[u8]) -> bool {
    matches!(
        bytes.trim_ascii(),
        b"end" | b"}" | b"endif" | b"fi" | b"end if;"
    )
}

/// Every removed line is added again (re-indented) and every other added line is a guard or
/// closes one: the statements run as before, where what they change is not there yet.
fn only_guards_added(h: &crate::model::Hunk, guard: &Regex) -> bool {
    let side = |kind: LineKind| -> Vec<&[u8]> {
        h.lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.bytes.trim_ascii())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let (removed, added) = (side(LineKind::Removed), side(LineKind::Added));
    let mut guards = 0;
    let mut rest: Vec<&[u8]> = Vec::new();
    for a in added {
        if guard.is_match(a) {
            guards += 1;
        } else if !closes(a) {
            rest.push(a);
        }
    }
    let mut wanted = removed.clone();
    wanted.sort_unstable();
    rest.sort_unstable();
    guards > 0 && !removed.is_empty() && wanted == rest
}

/// A migration's way back, as frameworks name it.
fn is_rollback(name: &[u8]) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        &name[..],
        b"down" | b"downgrade" | b"rollback" | b"backwards" | b"reverse" | b"undo" | b"revert"
    )
}

pub(super) fn refine(files: &mut [FileChange]) {
    let flagged = |f: &FileChange| f.findings.iter().any(|x| x.rule == RULE);
    if !files.iter().any(flagged) {
        return;
    }
    let (Some(function), Some(guard)) = (FUNCTION.as_ref(), GUARD.as_ref()) else {
        return;
    };
    let name = |bytes: &[u8]| -> Option<Vec<u8>> {
        let c = function.captures(bytes)?;
        [1, 2, 3]
            .into_iter()
            .find_map(|i| c.get(i))
            .map(|m| m.as_bytes().to_vec())
    };
    for file in files.iter_mut().filter(|f| flagged(f)) {
        // Every changed line must be in a rollback function: the last function opened above
        // it in the hunk (its context included) is one.
        let only_rollback = !file.hunks.is_empty()
            && file.hunks.iter().all(|h| {
                let mut inside: Option<bool> = None;
                let mut changed = false;
                for l in &h.lines {
                    if let Some(n) = name(&l.bytes) {
                        inside = Some(is_rollback(&n));
                    }
                    if l.kind != LineKind::Context {
                        changed = true;
                        if inside != Some(true) {
                            return false;
                        }
                    }
                }
                changed
            });
        let guarded =
            !file.hunks.is_empty() && file.hunks.iter().all(|h| only_guards_added(h, guard));
        if only_rollback || guarded {
            file.findings.retain(|x| x.rule != RULE);
            for h in &mut file.hunks {
                h.findings.retain(|x| x.rule != RULE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::risk::logic::testutil::{modified, rules_of};
    use crate::risk::Engine;

    const PATH: &str = "database/migrations/2023_12_27_add_roles.php";

    /// human-essentials 77e4ad2b: a removal that no longer fails where the column is gone.
    #[test]
    fn existence_guards_around_the_same_statements_are_not_an_edited_migration() {
        let rb = "db/migrate/20250504183911_remove_short_name.rb";
        let edited_rb = |text: &str| {
            let mut files = vec![modified(rb, text)];
            Engine::builtin().scan_change(&mut files);
            rules_of(&files, rb).contains(&super::RULE.to_string())
        };
        let guarded = "-      remove_column :organizations, :short_name\n+      if column_exists?(:organizations, :short_name)\n+        remove_column :organizations, :short_name\n+      end\n";
        assert!(!edited_rb(guarded));
        // A guard that comes with another statement is an edit.
        assert!(edited_rb(&format!(
            "{guarded}+      remove_column :organizations, :name\n"
        )));
    }

    fn edited(text: &str) -> bool {
        let mut files = vec![modified(PATH, text)];
        Engine::builtin().scan_change(&mut files);
        rules_of(&files, PATH).contains(&super::RULE.to_string())
    }

    /// pixelfed ef57d471: the rollback drops each column only if it is there.
    #[test]
    fn an_edit_of_the_way_back_only_is_not_an_edited_migration() {
        let down = " public function down(): void\n {\n-    $table->dropColumn('role_id');\n+    if (Schema::hasColumn('users', 'role_id')) {\n+        $table->dropColumn('role_id');\n+    }\n }\n";
        assert!(!edited(down));
        let up = " public function up(): void\n {\n-    $table->integer('role_id');\n+    $table->bigInteger('role_id');\n }\n";
        assert!(edited(up));
        // A hunk that runs from the way back into the way forward edits both.
        assert!(edited(&format!(
            "{down} public function up(): void\n {{\n+    $table->dropColumn('x');\n }}\n"
        )));
    }
}
