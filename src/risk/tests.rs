//! Engine-level tests: the built-in rules compile, the policy layers over them, findings land
//! where the UI expects them. Per-check tests live next to each check.

use super::*;
use crate::model::{ChangeKind, FileKind, Hunk, Line, LineKind};
use logic::testutil::hunk;

fn file(path: &str, change: ChangeKind, text: &str) -> FileChange {
    let mut f = FileChange::new(Some(path.into()), Some(path.into()), change);
    if change == ChangeKind::Deleted {
        f.new_path = None;
    }
    f.hunks.push(hunk(path, text));
    f
}

fn rules_of(h: &Hunk) -> Vec<&str> {
    h.findings.iter().map(|f| f.rule.as_str()).collect()
}

fn policy(text: &str) -> Policy {
    Policy::parse(text, ".countersign.toml").unwrap()
}

#[test]
fn builtin_rules_compile_and_ids_are_unique() {
    let e = Engine::builtin();
    let mut ids: Vec<&str> = e.rules().iter().map(|r| r.id.as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(n > 80, "{n} rules");
    for r in e.rules() {
        let cat = r.id.split('.').next().unwrap();
        assert_eq!(r.category, cat, "{} is in {}", r.id, r.category);
        assert!(r.message.ends_with('.'), "{}: {}", r.id, r.message);
    }
    // Patterns compile on first use at run time: every one of them must compile.
    for rule in &e.compiled.line_rules {
        for p in rule.patterns() {
            p.compile_now()
                .unwrap_or_else(|err| panic!("{}: {err:#}", e.rules()[rule.info].id));
        }
    }
}

#[test]
fn logic_rule_table_matches_its_enum() {
    assert_eq!(
        logic::RULES[logic::Id::SymlinkEscape as usize].id,
        "security.symlink-escape"
    );
    assert_eq!(
        logic::RULES[logic::Id::Bidi as usize].id,
        "hidden-text.bidi"
    );
    assert_eq!(
        logic::RULES[logic::Id::ErrorSwallowed as usize].id,
        "safety-net.error-swallowed"
    );
}

#[test]
fn engine_is_shareable_between_threads() {
    fn check<T: Send + Sync>() {}
    check::<Engine>();
}

#[test]
fn findings_have_lines_columns_and_severity_order() {
    let mut f = file(
        "deploy/run.sh",
        ChangeKind::Modified,
        " set -e\n+curl -fsSL https://get.example.sh | sh\n+echo \"\u{202E}done\"\n",
    );
    Engine::builtin().scan_file(&mut f);
    let h = &f.hunks[0];
    assert_eq!(h.findings[0].rule, "hidden-text.bidi");
    assert_eq!(h.findings[0].line_index, Some(2));
    assert_eq!(h.findings[0].line_no, Some(3));
    assert_eq!(h.findings[0].column, Some(6));
    assert!(rules_of(h).contains(&"supply-chain.pipe-to-shell"));
    let sev: Vec<_> = h.findings.iter().map(|f| f.severity).collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "{sev:?}");
}

#[test]
fn findings_are_capped_per_hunk_with_a_count() {
    let text: String = (0..100)
        .map(|i| format!("+key{i} = \"\u{200B}\"\n"))
        .collect();
    let mut f = file("a.toml", ChangeKind::Modified, &text);
    Engine::builtin().scan_file(&mut f);
    assert_eq!(f.hunks[0].findings.len(), MAX_FINDINGS_PER_HUNK);
    assert!(f.hunks[0].findings_omitted >= 75);
}

#[test]
fn file_level_findings_go_to_the_file_and_its_first_hunk_and_critical_to_every_hunk() {
    let mut f = file(
        ".countersign.toml",
        ChangeKind::Modified,
        "-signers = 2\n+signers = 1\n",
    );
    f.hunks
        .push(hunk(".countersign.toml", " [approval]\n+strict = false\n"));
    Engine::builtin().scan_file(&mut f);
    assert_eq!(f.findings[0].rule, "trust.policy-file");
    assert_eq!(f.findings[0].line_index, None);
    for h in &f.hunks {
        assert_eq!(h.findings[0].rule, "trust.policy-file");
        assert!(h.findings[0].line_index.is_some());
    }
}

#[test]
fn binary_and_deleted_files_get_file_level_findings() {
    let mut bin = FileChange::new(None, Some("tools/helper".into()), ChangeKind::Added);
    bin.kind = FileKind::Binary;
    bin.new_mode = 0o100755;
    bin.hunks
        .push(Hunk::file_level("tools/helper", "binary", b"id"));
    Engine::builtin().scan_file(&mut bin);
    let ids: Vec<&str> = bin.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(ids, vec!["security.executable-binary", "size.binary"]);
    assert_eq!(rules_of(&bin.hunks[0]), ids);
    assert_eq!(bin.hunks[0].findings[0].line_index, None);

    let mut gone = file(
        "src/billing/refund.py",
        ChangeKind::Deleted,
        "-def refund():\n-    pass\n",
    );
    Engine::builtin().scan_file(&mut gone);
    assert_eq!(gone.findings[0].rule, "destructive.file-deleted");
}

#[test]
fn renaming_the_policy_file_away_is_still_critical() {
    let mut f = FileChange::new(
        Some(".countersign.toml".into()),
        Some("old.toml".into()),
        ChangeKind::Renamed,
    );
    f.hunks.push(Hunk::file_level("old.toml", "rename", b"r"));
    Engine::builtin().scan_file(&mut f);
    assert_eq!(f.hunks[0].findings[0].rule, "trust.policy-file");
}

#[test]
fn policy_rules_and_overrides_apply() {
    let p = policy(
        r#"
[[rules]]
id = "corp.no-legacy-client"
severity = "high"
category = "data"
message = "The legacy billing client is being retired; use billing::v2."
paths = ["*.rs"]
added = 'legacy_billing::'

[severity]
"security.rust-unsafe" = "critical"
"infrastructure.*" = "off"
"#,
    );
    let e = Engine::new(&p).unwrap();
    let mut f = file(
        "src/pay.rs",
        ChangeKind::Modified,
        "+use legacy_billing::Client;\n+unsafe { go() }\n",
    );
    e.scan_file(&mut f);
    let h = &f.hunks[0];
    assert_eq!(
        rules_of(h),
        vec!["security.rust-unsafe", "corp.no-legacy-client"]
    );
    assert_eq!(h.findings[0].severity, Severity::Critical);
    let mut ci = file(
        ".github/workflows/ci.yml",
        ChangeKind::Modified,
        "+      - run: make\n",
    );
    e.scan_file(&mut ci);
    assert!(ci.hunks[0].findings.is_empty());
}

#[test]
fn logic_rules_can_be_turned_off() {
    let e = Engine::new(&policy("[severity]\n\"hidden-text.invisible\" = \"off\"\n")).unwrap();
    let mut f = file("a.py", ChangeKind::Modified, "+x\u{200B} = 1\n");
    e.scan_file(&mut f);
    assert!(f.hunks[0].findings.is_empty());
}

#[test]
fn bad_policy_rules_are_errors_naming_the_rule() {
    let cases = [
        ("[[rules]]\nid = \"corp.x\"\nseverity = \"high\"\ncategory = \"c\"\nmessage = \"m\"\nadded = '('\n", "corp.x"),
        ("[[rules]]\nid = \"corp.y\"\nseverity = \"bad\"\ncategory = \"c\"\nmessage = \"m\"\nadded = 'x'\n", "unknown severity"),
        ("[[rules]]\nid = \"corp.z\"\nseverity = \"low\"\ncategory = \"c\"\nmessage = \"m\"\nadded = 'x'\npaths = [\"@nope\"]\n", "@nope"),
        ("[[rules]]\nid = \"size.binary\"\nseverity = \"low\"\ncategory = \"c\"\nmessage = \"m\"\nfile = \"binary\"\n", "already exists"),
        ("[severity]\n\"security.no-such-rule\" = \"low\"\n", "no rule has this id"),
    ];
    for (text, expected) in cases {
        let err = match Engine::new(&policy(text)) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn a_custom_allowed_signers_path_is_guarded_too() {
    let e = Engine::new(&policy(
        "[approval]\nallowed_signers = \"security/signers\"\n",
    ))
    .unwrap();
    let mut f = file(
        "security/signers",
        ChangeKind::Modified,
        "+mallory@example.com ssh-ed25519 AAAA\n",
    );
    e.scan_file(&mut f);
    assert_eq!(f.hunks[0].findings[0].rule, "trust.allowed-signers");
}

/// The review's engine, compiled at first use or by the thread a review starts early, is the
/// policy's: the custom path is guarded there too, not only by `Engine::new`.
#[test]
fn a_review_under_a_custom_allowed_signers_path_guards_it() {
    let p = policy("[approval]\nallowed_signers = \"security/signers\"\n");
    for prepared in [None, Some(crate::load::Prepared::start())] {
        let analysis = crate::load::Analysis::with_rules(&p, false, prepared.as_ref()).unwrap();
        let mut f = file(
            "security/signers",
            ChangeKind::Modified,
            "+mallory@example.com ssh-ed25519 AAAA\n",
        );
        analysis.engine().scan_file(&mut f);
        assert_eq!(f.hunks[0].findings[0].rule, "trust.allowed-signers");
    }
}

#[test]
fn moved_lines_do_not_fire() {
    let text = "-    verify=False,\n+        verify=False,\n";
    let mut f = file("client.py", ChangeKind::Modified, text);
    Engine::builtin().scan_file(&mut f);
    assert!(f.hunks[0].findings.is_empty(), "{:?}", f.hunks[0].findings);
}

#[test]
fn a_megabyte_line_is_scanned_quickly_and_safely() {
    let mut line = String::from("+");
    line.push_str(&"var a=function(b){return b+1};".repeat(35_000));
    line.push_str("eval(x)\u{202E}\n");
    let mut f = file("dist/app.min.js", ChangeKind::Modified, &line);
    let t = std::time::Instant::now();
    Engine::builtin().scan_file(&mut f);
    assert!(t.elapsed().as_secs() < 5);
    let ids = rules_of(&f.hunks[0]);
    assert!(
        ids.contains(&"hidden-text.bidi") && ids.contains(&"size.generated"),
        "{ids:?}"
    );
}

#[test]
fn line_rule_refinements_work() {
    let p = policy(
        r#"
[[rules]]
id = "corp.backend-bucket"
severity = "high"
category = "infrastructure"
message = "m."
added = '^\s*bucket\s*='
inside = 'backend\s+"s3"'

[[rules]]
id = "corp.pool-size"
severity = "medium"
category = "data"
message = "m."
added = 'pool_size\s*=\s*\d'
changed = true

[[rules]]
id = "corp.flag"
severity = "medium"
category = "data"
message = "m."
added = ':\s*true$'
preceded_by = '^features:'

[[rules]]
id = "corp.drop"
severity = "high"
category = "destructive"
message = "m."
added = 'drop_it\('
unless_preceded_by = 'def downgrade'
"#,
    );
    let e = Engine::new(&p).unwrap();
    let fired = |path: &str, text: &str| {
        let mut f = file(path, ChangeKind::Modified, text);
        e.scan_file(&mut f);
        f.hunks[0]
            .findings
            .iter()
            .filter(|f| f.rule.starts_with("corp."))
            .map(|f| f.rule.clone())
            .collect::<Vec<_>>()
    };
    let backend = "   backend \"s3\" {\n+    bucket = \"b\"\n   }\n";
    assert_eq!(fired("a.tf", backend), vec!["corp.backend-bucket"]);
    let resource = "   resource \"aws_s3_bucket\" \"x\" {\n+    bucket = \"b\"\n   }\n";
    assert!(fired("a.tf", resource).is_empty());
    assert_eq!(
        fired("db.py", "-pool_size = 5\n+pool_size = 50\n"),
        vec!["corp.pool-size"]
    );
    assert!(fired("db.py", "+pool_size = 5\n").is_empty());
    assert_eq!(
        fired("c.yaml", " features:\n+  beta: true\n"),
        vec!["corp.flag"]
    );
    assert!(fired("c.yaml", " logging:\n+  color: true\n").is_empty());
    assert_eq!(
        fired("m.py", " def upgrade():\n+    drop_it()\n"),
        vec!["corp.drop"]
    );
    assert!(fired("m.py", " def downgrade():\n+    drop_it()\n").is_empty());
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Deterministic xorshift noise, biased towards the bytes the checks care about.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"\"'`;{}()[]$:=/\\ \t\r\x1b\x0c-+#*.,DELETEFROMWHEREupdatesetrm -rf\xe2\x80\xae\xd0\xb0\xc3\xff\x80";
    let e = Engine::builtin();
    for path in [
        "a.sql",
        "b.py",
        "c.tf",
        "d.sh",
        "e.yaml",
        "f.go",
        "g.rs",
        "h.js",
        "Dockerfile",
    ] {
        let mut lines = Vec::new();
        for i in 0..400u32 {
            let len = (next() % 120) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let kind =
                [LineKind::Added, LineKind::Removed, LineKind::Context][(next() % 3) as usize];
            lines.push(Line::new(kind, Some(i + 1), Some(i + 1), &bytes));
        }
        let mut f = FileChange::new(Some(path.into()), Some(path.into()), ChangeKind::Modified);
        f.hunks.push(Hunk::new(path, (1, 400), (1, 400), "", lines));
        e.scan_file(&mut f);
        for finding in &f.hunks[0].findings {
            let line = &f.hunks[0].lines[finding.line_index.unwrap_or(0)];
            assert!(finding
                .column
                .is_none_or(|c| (c as usize) <= line.text().chars().count()));
        }
    }
}

/// The rules a one-hunk modified file at `path` fires, with their severity.
fn fired(path: &str, text: &str) -> Vec<(String, Severity)> {
    let mut f = file(path, ChangeKind::Modified, text);
    Engine::builtin().scan_file(&mut f);
    f.hunks[0]
        .findings
        .iter()
        .map(|x| (x.rule.clone(), x.severity))
        .collect()
}

fn fires(path: &str, text: &str, rule: &str) -> bool {
    fired(path, text).iter().any(|(r, _)| r == rule)
}

/// Found on real history (docs/real-corpus.md): a bump of a dependency that was already
/// there, or of the workspace's own path crate, is not a new dependency; a new one is.
#[test]
fn dependency_bumps_and_path_crates_are_not_new_dependencies() {
    let cases = [
        ("Gemfile", "-gem \"pghero\", \"~> 3.8\"\n+gem \"pghero\", \"~> 4.0\"\n", "supply-chain.ruby-dependency"),
        ("Cargo.toml", "-grep = { version = \"0.4.0\", path = \"crates/grep\" }\n+grep = { version = \"0.4.1\", path = \"crates/grep\" }\n", "supply-chain.cargo-dependency"),
        ("Cargo.toml", "-serde = \"1.0.100\"\n+serde = \"1.0.190\"\n", "supply-chain.cargo-dependency"),
        ("package.json", "-    \"left-pad\": \"^1.1.0\",\n+    \"left-pad\": \"^1.3.0\",\n", "supply-chain.npm-dependency"),
        ("requirements.txt", "-Django==4.2.1\n+django==4.2.7\n", "supply-chain.python-dependency"),
        ("go.mod", "-\tgolang.org/x/net v0.17.0\n+\tgolang.org/x/net v0.23.0\n", "supply-chain.go-dependency"),
    ];
    for (path, text, rule) in cases {
        assert!(!fires(path, text, rule), "{path}: {text}");
    }
    assert!(fires(
        "Cargo.toml",
        " serde = \"1\"\n+serd = \"1.0.1\"\n",
        "supply-chain.cargo-dependency"
    ));
    assert!(!fires(
        "Cargo.toml",
        "+grep-cli = { version = \"0.1\", path = \"crates/cli\" }\n",
        "supply-chain.cargo-dependency"
    ));
    assert!(fires(
        "Gemfile",
        "-gem \"pghero\"\n+gem \"pghero2\"\n",
        "supply-chain.ruby-dependency"
    ));
    // pip-tools inputs are manifests.
    assert!(fires(
        "requirements/requirements-dev.in",
        " pytest\n+pytest-cov\n",
        "supply-chain.python-dependency"
    ));
}

#[test]
fn rspec_xit_and_root_actions_and_system_paths() {
    assert!(fires(
        "spec/models/user_spec.rb",
        "-  it \"signs in\" do\n+  xit \"signs in\" do\n",
        "safety-net.test-skipped"
    ));
    assert!(!fires(
        "spec/models/user_spec.rb",
        "+  it \"exits\" do\n",
        "safety-net.test-skipped"
    ));
    // A composite action at the repository root is CI: outsider text pasted into its script.
    assert!(fires(
        "action.yml",
        "+      run: echo \"${{ github.head_ref }}\"\n",
        "security.ci-script-injection"
    ));
    // bumblebee: a stray space made `/usr/lib/nvidia…` into `/usr` and `/lib/nvidia…`.
    let got = fired("install.sh", "+rm -rf /usr /lib/nvidia-current/xorg/xorg\n");
    assert!(
        got.contains(&("destructive.rm-rf-system".into(), Severity::Critical)),
        "{got:?}"
    );
    assert!(!fires(
        "install.sh",
        "+rm -rf /usr/local/lib/myapp\n",
        "destructive.rm-rf-system"
    ));
    assert!(!fires(
        "install.sh",
        "+rm -rf /var/cache/apt/archives/*.deb\n",
        "destructive.rm-rf-system"
    ));
}

#[test]
fn rails_not_null_and_type_changes_lock_the_table() {
    let m = "db/migrate/20231120_x.rb";
    assert!(fires(
        m,
        "+    change_column_null :api_keys, :owner_id, false\n",
        "data.migration-lock"
    ));
    assert!(fires(
        m,
        "+    change_column :users, :email, :string, null: false\n",
        "data.migration-lock"
    ));
    assert!(fires(
        m,
        "+    change_column :users, :age, :bigint\n",
        "data.migration-lock"
    ));
    assert!(!fires(
        m,
        "+    change_column_null :api_keys, :owner_id, true\n",
        "data.migration-lock"
    ));
}

/// A check regrouped or moved to an env var still runs; one turned into another does not.
#[test]
fn ci_checks_kept_elsewhere_in_the_hunk_are_not_removed() {
    let ci = ".github/workflows/ci.yml";
    let moved = "-      - run: cargo test --all\n+    env:\n+      TEST_CMD: cargo test --all --locked\n+      - run: $TEST_CMD\n";
    assert!(!fires(ci, moved, "safety-net.ci-check-removed"));
    let turned = "-      - run: cargo test --all\n+      - run: cargo check --all\n";
    assert!(fires(ci, turned, "safety-net.ci-check-removed"));
    assert!(fires(
        ci,
        "-      - run: pytest tests/\n",
        "safety-net.ci-check-removed"
    ));
    assert!(fires(
        ci,
        "+      - run: pytest -k 'not slow and not network'\n",
        "safety-net.ci-tests-deselected"
    ));
    assert!(!fires(
        ci,
        "+      - run: pytest -k 'parser'\n",
        "safety-net.ci-tests-deselected"
    ));
}

/// The same tokens, re-wrapped: nothing a rule looks for changed (ripgrep's "a timeout
/// changes" on a reformat). Where indentation is syntax, a re-indent still counts.
/// kimai b42c77a2: an old migration's SQL literals re-quoted is no edit of what it does, its
/// file-level "migration edited" included; with a `$` in it, PHP would read the two quotes
/// apart, and it is judged as usual.
#[test]
fn a_migration_only_re_quoted_is_low_at_most() {
    let requoted = concat!(
        "-        $this->addSql('DELETE FROM prefs WHERE name = \"theme.fixed\"');\n",
        "+        $this->addSql(\"DELETE FROM prefs WHERE name = 'theme.fixed'\");\n",
    );
    let path = "migrations/Version20190219200020.php";
    let got = fired(path, requoted);
    assert!(got.iter().all(|(_, s)| *s <= Severity::Low), "{got:?}");
    let interpolated = requoted.replace("theme.fixed", "$name");
    let got = fired(path, &interpolated);
    assert!(got.iter().any(|(_, s)| *s > Severity::Low), "{got:?}");
}

#[test]
fn a_reformat_is_low_at_most() {
    let text = "-    let t = Duration::from_secs(30); let retries = 5;\n+    let t = Duration::from_secs(30);\n+    let retries = 5;\n";
    let got = fired("src/net.rs", text);
    assert!(got.iter().all(|(_, s)| *s <= Severity::Low), "{got:?}");
    let changed = "-    let timeout = 30;\n+    let timeout = 300;\n";
    assert!(fires("src/net.rs", changed, "data.limits-changed"));
    // The same lines in Python, where a re-wrap may change the blocks, are judged as usual.
    let got = fired("net.py", text);
    assert!(got.iter().any(|(_, s)| *s > Severity::Low), "{got:?}");
}
