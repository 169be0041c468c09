//! An old migration whose way back is all that changes. `data.migration-edited` warns that
//! databases which already ran a migration never see an edit of it; an edit of its `down`
//! (a rollback made to tolerate a partial state, `if (Schema::hasColumn(…))`) changes nothing
//! those databases ran, and runs only when someone rolls back.

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
    let Some(function) = FUNCTION.as_ref() else {
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
        if only_rollback {
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
