//! Weakened safety nets that only show when removals are weighed against additions: tests and
//! assertions removed (a rename or a rewrite that keeps as many is not a loss), and errors
//! caught and dropped, whose body is on the next line.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::model::{Hunk, LineKind};
use crate::risk::hits::char_column;
use crate::risk::lines::HunkFacts;

use super::{re, FileFacts, Id, Lang, Sink};

/// Literals one of which every test declaration / assertion contains: a fast first pass.
static TEST_HINT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"test|Test|it\(|it\.|it '|it "|describe|context|scenario|specify"#));
static ASSERT_HINT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"assert|expect|t\.Error|t\.Fatal|t\.Fail|require\.|should|pytest\.raises|verify\(|eq\w*!")
});
static TEST_DECL: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^\s*(async\s+)?def\s+test\w*\s*\(|^\s*class\s+Test\w*|^\s*func\s+(\(\w+\s+\*?\w+\)\s+)?Test\w*\(",
        r"|#\[(\w+::)?test\b|@(Test|ParameterizedTest|RepeatedTest|TestFactory)\b",
        r#"|^\s*(it|test|describe|context|scenario|specify)(\.each\(.*\))?\s*\(?\s*["'`]"#,
        // A test written as a macro call that names it (ripgrep's `rgtest!(name, |dir, cmd| …)`).
        r"|^\s*\w*test\w*!\s*\(\s*\w+\s*,",
        // PHPUnit's and JUnit 3's convention: a public method named test….
        r"|^\s*(public\s+)?(static\s+)?function\s+test\w*\s*\(|^\s*public\s+void\s+test\w*\s*\(",
    ))
});
static ASSERTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        // `expect(…)` of Jest/RSpec, not Rust's `.expect("…")` on an Option or Result.
        r"^\s*assert\b|\bself\.assert\w*\(|\b(debug_)?assert(_eq|_ne|_matches)?!\(|(^|[^.\w])expect\s*[({]",
        r"|\bassert(Equals|NotEquals|True|False|NotNull|Null|That|Throws|DoesNotThrow|Same|NotSame|ArrayEquals|Contains)\s*\(",
        // RSpec's `.should`, `.should_not`, `.should_receive`, not `.should_attempt_color()`.
        r"|\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\(|\b(assert|require)\.\w+\(|\.should(\.|\(|\s|_not\b|_receive\b)",
        // Rust assertion macros of a crate's own, by the naming convention (`assert_paths!`,
        // ripgrep's `eqnice!`, `prop_assert_eq!`).
        r"|\b\w*assert\w*!\s*[(\[{]|\beq\w*!\(|\b\w+_eq!\(",
        r"|\bassert_(equal|not_equal|raises|nil|not_nil|includes|match|predicate|empty|not_empty|in_delta)\b",
        r"|\bpytest\.raises\(|\bverify\(",
    ))
});
static PY_EXCEPT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*except\b([^:]*):\s*(pass|\.\.\.)?\s*(#.*)?$"));
static PY_FINE: LazyLock<Regex> = LazyLock::new(|| {
    // Failures that mean "not there", where carrying on is the point (EAFP lookups).
    re(
        r"ImportError|ModuleNotFoundError|FileNotFoundError|ProcessLookupError|StopIteration|IndexError|KeyError",
    )
});
// A `pass` with a comment saying why it carries on is a decision written down, not a slip.
static PY_PASS: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(pass|\.\.\.)\s*$"));
/// `except:` or `except Exception:`, which catch everything, so even `return None` drops it.
static PY_BROAD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*except\s*(\(?\s*(Base)?Exception\s*\)?)?\s*(as\s+\w+)?\s*:\s*(#.*)?$")
});
static PY_GIVE_UP: LazyLock<Regex> = LazyLock::new(|| {
    // Without a comment: one saying why it gives up is a decision written down.
    re(r#"^\s*(pass|\.\.\.|continue|return(\s+(None|False|\[\]|\{\}|""|''|0|-1))?)\s*$"#)
});
static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\bcatch\s*(\([^)]*\))?\s*\{\s*(/[/*].*)?\}|\.catch\(\s*(\(\s*\w*\s*\)|\w+)\s*=>\s*(\{\s*\}|null|undefined|void 0)\s*\)",
        r"|\bErr\(_\w*\)\s*=>\s*(\{\s*\}|\(\))|\.ok\(\);\s*$|\brescue\s+nil\b|\bif\s+err\s*!=\s*nil\s*\{\s*\}",
    ))
});
/// A block opener whose body, on the next line, may drop the error.
static OPENER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\bcatch\s*(\([^)]*\))?\s*\{\s*$|\berr\s*!=\s*nil\s*\{\s*$|\brescue\b[^\n]*$")
});
static EMPTY_BODY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(\}|end|return\s+nil|return\s+null|return;?|nil)\s*;?\s*(//.*)?$"));
static HINT: LazyLock<Regex> =
    LazyLock::new(|| re(r"catch|except|rescue|err\s*!=\s*nil|Err\(|\.ok\(\)"));
static COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(//|#|/\*|\*)"));

/// A line that declares a test (as `safety-net.test-removed` counts them).
pub(crate) fn is_test_decl(bytes: &[u8]) -> bool {
    TEST_HINT.is_match(bytes) && TEST_DECL.is_match(bytes)
}

/// A line that asserts something (as `safety-net.assertions-removed` counts them).
pub(crate) fn is_assertion(bytes: &[u8]) -> bool {
    ASSERT_HINT.is_match(bytes) && ASSERTION.is_match(bytes)
}

pub(super) fn scan(file: &FileFacts, hunk: &Hunk, sink: &mut Sink) {
    let mut facts = HunkFacts::new(hunk);
    if sink.on(Id::TestRemoved) {
        net_loss(
            hunk,
            &mut facts,
            &TEST_HINT,
            &TEST_DECL,
            |lost, kept, i, col, sink: &mut Sink| {
                let msg = if kept == 0 {
                    "A test is deleted, so the behaviour it checked is no longer checked."
                        .to_string()
                } else {
                    format!("{lost} test declarations are removed and {kept} added, so some behaviour is no longer checked.")
                };
                sink.push(Id::TestRemoved, Some(i), col, Some(msg));
            },
            sink,
            false,
        );
    }
    if sink.on(Id::AssertionsRemoved) {
        net_loss(
            hunk,
            &mut facts,
            &ASSERT_HINT,
            &ASSERTION,
            |lost, kept, i, col, sink: &mut Sink| {
                let noun = if lost == 1 {
                    "assertion is"
                } else {
                    "assertions are"
                };
                let msg =
                    format!("{lost} {noun} removed and {kept} added, so the tests now check less.");
                sink.push(Id::AssertionsRemoved, Some(i), col, Some(msg));
            },
            sink,
            true,
        );
    }
    let code = matches!(
        file.lang,
        Lang::Python | Lang::Js | Lang::Go | Lang::Rust | Lang::Java | Lang::Ruby
    );
    if code && sink.on(Id::ErrorSwallowed) {
        swallowed(hunk, sink);
    }
    if file.is_check && sink.on(Id::CheckCommentedOut) {
        commented_out(hunk, sink);
    }
}

/// How many removed lines must come back commented out: one may be a note, two are a block
/// switched off.
const COMMENTED_MIN: usize = 2;

/// Removed lines that the hunk adds back behind a comment marker (`# - name: Run a test`,
/// `// assert_eq!(…)`): the check is switched off, not changed.
fn commented_out(hunk: &Hunk, sink: &mut Sink) {
    let uncomment = |b: &[u8]| -> Option<Vec<u8>> {
        let t = b.trim_ascii();
        let rest = [&b"#"[..], b"//", b"--", b";"]
            .iter()
            .find_map(|m| t.strip_prefix(*m))?;
        let rest = rest.trim_ascii();
        (rest.len() >= 4).then(|| rest.to_vec())
    };
    let removed: std::collections::HashSet<&[u8]> = hunk
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Removed)
        .map(|l| l.bytes.trim_ascii())
        .filter(|t| t.len() >= 4)
        .collect();
    if removed.len() < COMMENTED_MIN {
        return;
    }
    let mut first = None;
    let mut count = 0;
    for (i, l) in hunk.lines.iter().enumerate() {
        if l.kind != LineKind::Added {
            continue;
        }
        if uncomment(&l.bytes).is_some_and(|u| removed.contains(&u[..])) {
            first.get_or_insert(i);
            count += 1;
        }
    }
    if let Some(i) = first.filter(|_| count >= COMMENTED_MIN) {
        let b = &hunk.lines[i].bytes;
        sink.push(Id::CheckCommentedOut, Some(i), Some(first_col(b)), None);
    }
}

/// Removed lines matching `re` (not just moved) outnumber added ones: report the lost ones
/// (only the first when `once`).
fn net_loss(
    hunk: &Hunk,
    facts: &mut HunkFacts,
    hint: &Regex,
    re: &Regex,
    report: impl Fn(usize, usize, usize, Option<u32>, &mut Sink),
    sink: &mut Sink,
    once: bool,
) {
    // The removed side first: most hunks remove no test or assertion, and then the added
    // lines need no look.
    let mut removed = Vec::new();
    for (i, l) in hunk.lines.iter().enumerate() {
        if l.kind != LineKind::Removed || !hint.is_match(&l.bytes) {
            continue;
        }
        let Some(m) = re.find(&l.bytes) else { continue };
        if !facts.is_moved(i) {
            removed.push((i, char_column(&l.bytes, m.start())));
        }
    }
    if removed.is_empty() {
        return;
    }
    let added = hunk
        .lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            l.kind == LineKind::Added
                && hint.is_match(&l.bytes)
                && re.is_match(&l.bytes)
                && !facts.is_moved(*i)
        })
        .count();
    if removed.len() <= added {
        return;
    }
    let lost = removed.len() - added;
    let shown = if once { 1 } else { lost };
    for &(i, col) in removed.iter().take(shown) {
        report(removed.len(), added, i, Some(col), sink);
    }
}

fn swallowed(hunk: &Hunk, sink: &mut Sink) {
    let lines = &hunk.lines;
    for (j, l) in lines.iter().enumerate() {
        // Most lines mention no error handling at all: one literal scan rules them out.
        if l.kind == LineKind::Removed || !HINT.is_match(&l.bytes) {
            continue;
        }
        let bytes = &l.bytes[..];
        let added = l.kind == LineKind::Added;
        if added {
            if let Some(m) = INLINE.find(bytes) {
                sink.push(
                    Id::ErrorSwallowed,
                    Some(j),
                    Some(char_column(bytes, m.start())),
                    None,
                );
                continue;
            }
        }
        let py = if PY_EXCEPT.is_match(bytes) {
            PY_EXCEPT.captures(bytes)
        } else {
            None
        };
        let py_fine = py
            .as_ref()
            .is_some_and(|c| c.get(1).is_some_and(|t| PY_FINE.is_match(t.as_bytes())));
        if let Some(c) = &py {
            if c.get(2).is_some() {
                // `except X: pass  # why` says why it carries on, as the body form does.
                if added && !py_fine && c.get(3).is_none() {
                    sink.push(Id::ErrorSwallowed, Some(j), Some(first_col(bytes)), None);
                }
                continue;
            }
        }
        let broad = PY_BROAD.is_match(bytes);
        if py.is_none() && !OPENER.is_match(bytes) {
            continue;
        }
        // The opener's body: the next line on the new side that is not blank or a comment.
        let Some(i) = lines[j + 1..]
            .iter()
            .position(|n| {
                n.kind != LineKind::Removed
                    && !n.bytes.trim_ascii().is_empty()
                    && !COMMENT.is_match(&n.bytes)
            })
            .map(|p| p + j + 1)
        else {
            continue;
        };
        let body = &lines[i].bytes;
        let drops = if py.is_some() {
            (!py_fine && PY_PASS.is_match(body)) || (broad && PY_GIVE_UP.is_match(body))
        } else {
            EMPTY_BODY.is_match(body)
        };
        if drops && (added || lines[i].kind == LineKind::Added) {
            let at = if added { j } else { i };
            sink.push(
                Id::ErrorSwallowed,
                Some(at),
                Some(first_col(&lines[at].bytes)),
                None,
            );
        }
    }
}

fn first_col(b: &[u8]) -> u32 {
    let at = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(0);
    char_column(b, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::logic::testutil::{facts, hits, hunk};

    fn fired(path: &str, text: &str) -> Vec<(&'static str, usize)> {
        let h = hunk(path, text);
        hits(|sink| scan(&facts(path), &h, sink))
            .iter()
            .map(|h| (super::super::RULES[h.rule].id, h.line.unwrap()))
            .collect()
    }

    #[test]
    fn a_check_commented_out_fires_only_in_check_files() {
        let text = "-    - name: Run a test container\n-      command: docker run --rm hello-world\n+    # - name: Run a test container\n+    #   command: docker run --rm hello-world\n";
        let h = hunk("molecule/default/verify.yml", text);
        let mut f = facts("molecule/default/verify.yml");
        f.is_check = true;
        let ids: Vec<usize> = hits(|sink| scan(&f, &h, sink))
            .iter()
            .map(|x| x.rule)
            .collect();
        assert_eq!(ids, vec![Id::CheckCommentedOut as usize]);
        let plain = facts("app/settings.yml");
        assert!(hits(|sink| scan(&plain, &h, sink)).is_empty());
    }

    #[test]
    fn deleted_tests_fire_but_renamed_ones_do_not() {
        let text = " def test_a():\n     assert f() == 1\n-\n-def test_refund_is_idempotent():\n-    pass\n";
        assert_eq!(
            fired("tests/test_pay.py", text),
            vec![("safety-net.test-removed", 3)]
        );
        let renamed = "-func TestParse(t *testing.T) {\n+func TestParseHeader(t *testing.T) {\n";
        assert!(fired("parse_test.go", renamed).is_empty());
        let rust = "-    #[test]\n-    fn rejects_expired() {\n-        assert!(check(&expired()).is_err());\n-    }\n";
        let got = fired("src/lib.rs", rust);
        assert!(got.contains(&("safety-net.test-removed", 0)), "{got:?}");
        assert!(
            got.contains(&("safety-net.assertions-removed", 2)),
            "{got:?}"
        );
    }

    #[test]
    fn removed_assertions_fire_and_added_or_rewritten_ones_do_not() {
        let removed = "   it('charges', () => {\n     const r = charge(5);\n-    expect(r.ok).toBe(true);\n-    expect(r.amount).toBe(5);\n   });\n";
        assert_eq!(
            fired("pay.test.ts", removed),
            vec![("safety-net.assertions-removed", 2)]
        );
        let added = "     r = client.get('/')\n+    assert r.status_code == 200\n+    assert 'x' in r.text\n";
        assert!(fired("tests/test_web.py", added).is_empty());
        let rewritten =
            "-        assertEquals(5, total);\n+        assertThat(total).isEqualTo(5);\n";
        assert!(fired("src/test/java/TotalTest.java", rewritten).is_empty());
    }

    /// Found on ripgrep's history: method calls that only look like assertions.
    #[test]
    fn rust_expect_and_should_methods_are_not_assertions() {
        for line in [
            "-        let c = lock.expect(\"no console\");",
            "-            if choice.should_attempt_color() {",
        ] {
            assert!(
                fired("src/lib.rs", &format!("{line}\n")).is_empty(),
                "{line}"
            );
        }
        for line in [
            "-    expect(r.ok).toBe(true);",
            "-    eqnice!(expected, cmd.stdout());",
            "-    assert_paths!(wd, &[\"a\"]);",
            "-    x.should_not be_nil",
        ] {
            assert_eq!(
                fired("tests/a_test.rs", &format!("{line}\n")),
                vec![("safety-net.assertions-removed", 0)],
                "{line}"
            );
        }
    }

    #[test]
    fn swallowed_errors_fire_in_their_usual_shapes() {
        assert_eq!(
            fired(
                "a.py",
                "+    try:\n+        sync()\n+    except Exception:\n+        pass\n"
            )
            .len(),
            1
        );
        assert_eq!(fired("a.ts", "+  } catch (e) {}\n").len(), 1);
        assert_eq!(
            fired("a.py", "+    except:\n+        return None\n").len(),
            1
        );
        assert_eq!(fired("a.ts", "+  await send().catch(() => {});\n").len(), 1);
        assert_eq!(
            fired(
                "A.java",
                "+        } catch (IOException e) {\n+            // ignore\n+        }\n"
            )
            .len(),
            1
        );
        assert_eq!(
            fired("a.go", "+\tif err != nil {\n+\t\treturn nil\n+\t}\n").len(),
            1
        );
        assert_eq!(
            fired("a.rs", "+    let _ = fs::remove_file(&p).ok();\n").len(),
            1
        );
    }

    #[test]
    fn handled_errors_do_not_fire() {
        assert!(fired(
            "a.py",
            "+try:\n+    import ujson as json\n+except ImportError:\n+    import json\n"
        )
        .is_empty());
        assert!(fired(
            "a.py",
            "+except ValueError as e:\n+    log.warning('bad value: %s', e)\n"
        )
        .is_empty());
        assert!(fired("a.py", "+    except KeyError:\n+        return default\n").is_empty());
        assert!(fired(
            "a.go",
            "+\tif err != nil {\n+\t\treturn fmt.Errorf(\"load: %w\", err)\n+\t}\n"
        )
        .is_empty());
        assert!(fired(
            "a.ts",
            "+  } catch (e) {\n+    logger.error(e);\n+    throw e;\n+  }\n"
        )
        .is_empty());
    }
}
