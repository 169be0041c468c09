//! Unit tests of `risk::context` (kept apart so the module stays readable).

mod tests {
    use crate::model::{ChangeKind, FileChange};
    use crate::risk::logic::testutil::hunk;
    use crate::risk::Engine;

    fn file(path: &str, change: ChangeKind, text: &str) -> FileChange {
        let (old, new) = match change {
            ChangeKind::Added => (None, Some(path.to_string())),
            ChangeKind::Deleted => (Some(path.to_string()), None),
            _ => (Some(path.to_string()), Some(path.to_string())),
        };
        let mut f = FileChange::new(old, new, change);
        f.hunks.push(hunk(path, text));
        f
    }

    const TEST: &str = "#[test]\nfn parses_the_empty_input() {\n    assert_eq!(parse(\"\"), None);\n    assert_eq!(parse(\"x\"), Some(1));\n}\n";

    fn with(prefix: char) -> String {
        TEST.lines().map(|l| format!("{prefix}{l}\n")).collect()
    }

    fn rules(f: &FileChange) -> Vec<String> {
        f.hunks[0].findings.iter().map(|x| x.rule.clone()).collect()
    }

    fn count(f: &FileChange, rule: &str) -> usize {
        f.hunks[0]
            .findings
            .iter()
            .filter(|x| x.rule == rule)
            .count()
    }

    #[test]
    fn a_test_moved_to_another_file_is_not_removed() {
        let mut files = vec![
            file(
                "tests/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("tests/new.rs", ChangeKind::Added, &with('+')),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(!rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }

    #[test]
    fn a_test_rewritten_in_another_file_keeps_its_name() {
        let rewritten = "+#[test]\n+fn parses_the_empty_input() {\n+    let p = Parser::new();\n+    assert!(p.parse(\"\").is_none());\n+}\n";
        let mut files = vec![
            file(
                "src/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("crates/p/src/lib.rs", ChangeKind::Modified, rewritten),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(!rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }

    #[test]
    fn a_test_deleted_outright_still_is() {
        let mut files = vec![
            file(
                "tests/old.rs",
                ChangeKind::Modified,
                &format!(" use x;\n{}", with('-')),
            ),
            file("src/lib.rs", ChangeKind::Modified, "+pub fn other() {}\n"),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-removed"));
    }

    /// ripgrep 0.3.0..14.0.0: `fn binary_search_mmap()` in tests/tests.rs became
    /// `rgtest!(binary_search_mmap, …)` in tests/misc.rs, with a new body.
    #[test]
    fn a_test_rewritten_as_a_macro_call_keeps_its_name() {
        let old = "-#[test]\n-fn binary_search_mmap() {\n-    let wd = WorkDir::new(\"binary_search_mmap\");\n-    assert_eq!(lines, \"foo\\x00bar\\n\");\n-}\n";
        let new = "+rgtest!(binary_search_mmap, |dir: Dir, mut cmd: TestCommand| {\n+    eqnice!(\"foo\\x00bar\\n\", cmd.stdout());\n+});\n";
        let mut files = vec![
            file("tests/tests.rs", ChangeKind::Modified, old),
            file("tests/misc.rs", ChangeKind::Added, new),
        ];
        Engine::builtin().scan_change(&mut files);
        assert_eq!(count(&files[0], "safety-net.test-removed"), 0);
        assert_eq!(count(&files[0], "safety-net.assertions-removed"), 0);
    }

    /// ripgrep: src/unescape.rs was deleted and its tests reappear, renamed (`unescape_nul` is
    /// now `nul`), with the same assertions in crates/cli/src/escape.rs; one test that went
    /// nowhere is still named.
    #[test]
    fn tests_whose_assertions_reappear_elsewhere_moved_and_the_others_did_not() {
        let old = concat!(
            "-    #[test]\n-    fn unescape_nul() {\n",
            "-        assert_eq!(b(b\"\\x00\"), unescape(r\"\\x00\"));\n-    }\n",
            "-    #[test]\n-    fn unescape_nl() {\n",
            "-        assert_eq!(b(b\"\\n\"), unescape(r\"\\n\"));\n-    }\n",
            "-    #[test]\n-    fn unescape_octal() {\n",
            "-        assert_eq!(b(b\"\\x07\"), unescape(r\"\\007\"));\n-    }\n",
        );
        let new = concat!(
            "+    #[test]\n+    fn nul() {\n",
            "+        assert_eq!(b(b\"\\x00\"), unescape(r\"\\x00\"));\n",
            "+        assert_eq!(b(b\"\\x00\"), unescape(r\"\\0\"));\n+    }\n",
            "+    #[test]\n+    fn nl() {\n",
            "+        assert_eq!(b(b\"\\n\"), unescape(r\"\\n\"));\n+    }\n",
        );
        let mut files = vec![
            file("src/unescape.rs", ChangeKind::Deleted, old),
            file("crates/cli/src/escape.rs", ChangeKind::Added, new),
        ];
        Engine::builtin().scan_change(&mut files);
        let lost: Vec<_> = files[0].hunks[0]
            .findings
            .iter()
            .filter(|x| x.rule == "safety-net.test-removed")
            .map(|x| x.line_index)
            .collect();
        // Line 8 is the `#[test]` of `unescape_octal`, which nobody added back.
        assert_eq!(lost, vec![Some(8)]);
        assert_eq!(count(&files[0], "safety-net.assertions-removed"), 1);
    }

    /// An unrelated test added elsewhere does not excuse a deleted one.
    #[test]
    fn a_new_unrelated_test_elsewhere_is_no_move() {
        let new = "+#[test]\n+fn renders_the_header() {\n+    assert_eq!(render(&h), \"x\");\n+}\n";
        let mut files = vec![
            file("tests/old.rs", ChangeKind::Modified, &with('-')),
            file("tests/other.rs", ChangeKind::Modified, new),
        ];
        Engine::builtin().scan_change(&mut files);
        assert_eq!(count(&files[0], "safety-net.test-removed"), 1);
        assert_eq!(count(&files[0], "safety-net.assertions-removed"), 1);
    }

    fn many(prefix: char, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| format!("{prefix}    #[test]\n{prefix}    fn {n}() {{\n{prefix}        assert!(check_{n}());\n{prefix}    }}\n"))
            .collect()
    }

    /// A source file deleted with its inline tests while the change adds as many tests
    /// elsewhere (ripgrep's src/search_stream.rs, rewritten as the grep-searcher crate): the
    /// deletion is the finding, not each test.
    /// ansible-ssh-hardening 18be974: a task file inlined into the playbook that included it
    /// (its list items lose their dashes there) was moved, not deleted; one whose lines went
    /// nowhere still is.
    #[test]
    fn a_task_file_inlined_into_another_is_not_deleted() {
        let deleted = |inlined: Option<&str>| {
            let mut files = vec![file(
                "tasks/crypto.yml",
                ChangeKind::Deleted,
                "-- include_tasks: crypto_macs.yml\n-  when: not ssh_macs\n-- include_tasks: crypto_kex.yml\n-  when: not ssh_kex\n",
            )];
            files.extend(inlined.map(|t| file("tasks/hardening.yml", ChangeKind::Modified, t)));
            Engine::builtin().scan_change(&mut files);
            rules(&files[0])
                .iter()
                .any(|r| r == "destructive.file-deleted")
        };
        assert!(deleted(None));
        assert!(!deleted(Some(
            "+- name: set macs\n+  include_tasks: crypto_macs.yml\n+  when: not ssh_macs\n+- name: set kex\n+  include_tasks: crypto_kex.yml\n+  when: not ssh_kex\n"
        )));
        assert!(deleted(Some("+- name: unrelated\n+  when: not ssh_macs\n")));
    }

    #[test]
    fn code_deleted_with_its_tests_while_as_many_are_added_elsewhere() {
        let old = format!(
            "-pub fn search() {{}}\n-#[cfg(test)]\n-mod tests {{\n{}-}}\n",
            many('-', &["a1", "b2"])
        );
        let mut files = vec![
            file("src/search_stream.rs", ChangeKind::Deleted, &old),
            file(
                "crates/searcher/src/lib.rs",
                ChangeKind::Added,
                &many('+', &["x1", "y2"]),
            ),
        ];
        Engine::builtin().scan_change(&mut files);
        assert_eq!(count(&files[0], "safety-net.test-removed"), 0);
        assert!(rules(&files[0])
            .iter()
            .any(|r| r == "destructive.file-deleted"));

        // Fewer tests added than the deleted file had: each lost one is named.
        let mut files = vec![
            file("src/search_stream.rs", ChangeKind::Deleted, &old),
            file(
                "crates/searcher/src/lib.rs",
                ChangeKind::Added,
                &many('+', &["x1"]),
            ),
        ];
        Engine::builtin().scan_change(&mut files);
        assert_eq!(count(&files[0], "safety-net.test-removed"), 2);

        // A deleted test file must find its tests again by name or assertions.
        let mut files = vec![
            file(
                "tests/search.rs",
                ChangeKind::Deleted,
                &many('-', &["a1", "b2"]),
            ),
            file(
                "tests/other.rs",
                ChangeKind::Added,
                &many('+', &["x1", "y2"]),
            ),
        ];
        Engine::builtin().scan_change(&mut files);
        assert!(rules(&files[0])
            .iter()
            .any(|r| r == "safety-net.test-file-deleted"));
        assert_eq!(count(&files[0], "safety-net.test-removed"), 2);
    }
}

mod names {
    use super::super::{declared, initials};

    #[test]
    fn declared_names_and_their_short_forms() {
        assert_eq!(
            declared(b"    fn regression_64() {"),
            Some(&b"regression_64"[..])
        );
        assert_eq!(
            declared(b"rgtest!(r64, |dir: Dir, mut cmd| {"),
            Some(&b"r64"[..])
        );
        assert_eq!(declared(b"sherlock!(dir, \"x\")"), None);
        assert_eq!(declared(b"    let x = f();"), None);
        assert_eq!(initials(b"regression_210").as_deref(), Some(&b"r210"[..]));
        assert_eq!(
            initials(b"feature_159_zero_max").as_deref(),
            Some(&b"f159zm"[..])
        );
        // Without a number a short form would be too easy to hit by chance.
        assert_eq!(initials(b"binary_search"), None);
    }
}
