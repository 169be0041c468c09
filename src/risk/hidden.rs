//! Hidden text in added lines: bidirectional controls (Trojan Source, CVE-2021-42574),
//! invisible characters, control characters and terminal escapes, and identifiers that mix
//! Latin with look-alike Cyrillic or Greek letters (CVE-2021-42694). Each is reported at the
//! exact character column of its first occurrence on the line, with how many there are.

use crate::model::{Hunk, LineKind};

use super::logic::{Id, Sink};

/// Scans the added lines of `hunk`.
/// `test_data`: the file is a test, fixture or snapshot, where control characters and other
/// scripts are the data under test (ESC sequences for a colour test, Cyrillic for Unicode
/// search); there only the characters that hide code (bidi, invisible) are reported.
pub(crate) fn scan(hunk: &Hunk, test_data: bool, sink: &mut Sink) {
    for (i, line) in hunk.lines.iter().enumerate() {
        if line.kind != LineKind::Added || !worth_a_look(&line.bytes) {
            continue;
        }
        let text = line.text();
        let first_line = line.new_no == Some(1);
        scan_text(&text, first_line, |id, column, message| {
            if !(test_data && matches!(id, Id::Control | Id::MixedScript | Id::MixedScriptString)) {
                sink.push(id, Some(i), Some(column), Some(message))
            }
        });
    }
}

/// Content git showed as text that is not: most of its added lines are not valid UTF-8
/// (compressed or encrypted data without a NUL byte in its first block).
pub(crate) fn not_really_text(hunks: &[Hunk]) -> bool {
    let (mut lines, mut invalid) = (0usize, 0usize);
    for line in hunks.iter().flat_map(|h| &h.lines) {
        if line.kind == LineKind::Added && !line.bytes.is_ascii() {
            lines += 1;
            invalid += usize::from(std::str::from_utf8(&line.bytes).is_err());
        } else if line.kind == LineKind::Added {
            lines += 1;
        }
    }
    lines > 0 && invalid * 2 > lines
}

/// Whether a line can hold anything this module looks for, from its bytes alone: a control
/// byte, or the UTF-8 lead byte of a range with bidi, invisible, Cyrillic or Greek characters.
/// Plain ASCII and most accented or CJK text skip the character-by-character scan.
fn worth_a_look(bytes: &[u8]) -> bool {
    let body = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    // A form feed alone on a line is the old page-break convention (GNU, CPython), not hiding.
    if body.iter().all(|&b| b == 0x0c || b == b' ' || b == b'\t') {
        return false;
    }
    if body.is_ascii() {
        return body.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f);
    }
    body.iter().any(|&b| {
        (b < 0x20 && b != b'\t')
            || b == 0x7f
            || matches!(b, 0xC2 | 0xCD..=0xD4 | 0xD8 | 0xE1..=0xE3 | 0xEF | 0xF0 | 0xF3)
    })
}

/// First occurrence (column, character) and count of one kind of hidden text on a line.
#[derive(Default)]
struct Seen {
    first: Option<(u32, char)>,
    count: usize,
}

impl Seen {
    fn note(&mut self, column: u32, c: char) {
        if self.first.is_none() {
            self.first = Some((column, c));
        }
        self.count += 1;
    }
}

/// Reports each kind found on the line once: `report(rule, column, message)`.
pub(crate) fn scan_text(text: &str, first_line: bool, mut report: impl FnMut(Id, u32, String)) {
    let (mut bidi, mut invisible, mut control) =
        (Seen::default(), Seen::default(), Seen::default());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().enumerate().peekable();
    let mut foreign_letters = false;
    // Marks (LRM, RLM, ALM) only set the direction of neutral characters next to them; in a
    // line of Hebrew or Arabic text that is what they are for (a file extension, a number in a
    // translation). They count as hiding only in a line without right-to-left letters.
    let (mut marks, mut rtl_letters) = (Seen::default(), false);
    while let Some((col, c)) = chars.next() {
        let column = u32::try_from(col).unwrap_or(u32::MAX);
        let next = chars.peek().map(|&(_, n)| n);
        foreign_letters |= is_cyrillic(c) || is_greek_lookalike(c);
        rtl_letters |= is_rtl_letter(c);
        if is_bidi_mark(c) {
            marks.note(column, c);
        } else if is_bidi(c) {
            bidi.note(column, c);
        } else if is_control(c) && !(c == '\r' && next.is_none()) {
            control.note(column, c);
        } else if is_invisible(c, prev, next, first_line && col == 0) {
            invisible.note(column, c);
        }
        prev = Some(c);
    }
    if !rtl_letters {
        if let Some((col, c)) = marks.first {
            if bidi.first.is_none_or(|(b, _)| col < b) {
                bidi.first = Some((col, c));
            }
            bidi.count += marks.count;
        }
    }
    if let Some((col, c)) = bidi.first {
        report(Id::Bidi, col, format!("{} reorders how this line is displayed, so the code does not read the way it compiles (Trojan Source){}.", describe(c), more(bidi.count)));
    }
    if let Some((col, c)) = invisible.first {
        report(
            Id::Invisible,
            col,
            format!(
                "Invisible {} hides in this line, so what you read is not what runs{}.",
                describe(c),
                more(invisible.count)
            ),
        );
    }
    if let Some((col, c)) = control.first {
        let what = if c == '\u{1b}' {
            "a terminal escape sequence (ESC)".to_string()
        } else {
            format!("control character {}", describe(c))
        };
        report(
            Id::Control,
            col,
            format!(
                "This line holds {what}, which can hide or rewrite what a terminal shows{}.",
                more(control.count)
            ),
        );
    }
    let mixed = if foreign_letters {
        mixed_script(text)
    } else {
        None
    };
    if let Some((col, c)) = mixed {
        // Inside a string the word is data (a test's `"fooб"`), not a name the code calls; it
        // can still be a host or a command that reads as another, so it is not dropped.
        if in_string(text, col) {
            report(Id::MixedScriptString, col, format!("A quoted string mixes Latin letters with the look-alike {} ({}): text that reads as one word (a host, a command, a key) and is another.", script(c), describe(c)));
        } else {
            report(Id::MixedScript, col, format!("An identifier mixes Latin letters with the look-alike {} ({}), so it is not the name it appears to be.", script(c), describe(c)));
        }
    }
}

/// Character `col` of `text` is inside a `"…"` or `` `…` `` string: an odd number of unescaped
/// quotes of one kind opened before it.
fn in_string(text: &str, col: u32) -> bool {
    let mut open: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.chars().enumerate() {
        if u32::try_from(i).is_ok_and(|i| i >= col) {
            break;
        }
        match (open, c) {
            _ if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (None, '"' | '`') => open = Some(c),
            (Some(q), _) if c == q => open = None,
            _ => {}
        }
    }
    open.is_some()
}

fn more(count: usize) -> String {
    if count > 1 {
        format!(" ({count} on this line)")
    } else {
        String::new()
    }
}

fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A letter of a right-to-left script: Hebrew, Arabic, Syriac, Thaana, N'Ko and their
/// presentation forms (not the Arabic letter mark, a control).
fn is_rtl_letter(c: char) -> bool {
    matches!(c, '\u{05D0}'..='\u{05EA}' | '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{0710}'..='\u{072F}' | '\u{0780}'..='\u{07A5}' | '\u{07CA}'..='\u{07EA}' | '\u{FB1D}'..='\u{FDFB}' | '\u{FE70}'..='\u{FEFC}')
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// C0 controls except tab, DEL and C1 controls. ESC is the start of a terminal escape.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)
}

fn is_invisible(c: char, prev: Option<char>, next: Option<char>, file_start: bool) -> bool {
    let ascii_next_to = |x: Option<char>| x.is_none_or(|x| x.is_ascii());
    match c {
        // A byte-order mark is only legitimate as the file's first character.
        '\u{FEFF}' => !file_start,
        // Joiners are part of emoji sequences and some scripts' spelling; between ASCII
        // characters they only serve to make two identical-looking names differ.
        '\u{200C}' | '\u{200D}' => ascii_next_to(prev) || ascii_next_to(next),
        // Variation selectors after an emoji choose its presentation; after ASCII they carry
        // hidden payloads (as in the GlassWorm extensions). A keycap (`1` + VS16 + U+20E3) is fine.
        '\u{FE00}'..='\u{FE0F}' => {
            prev.is_none_or(|p| p.is_ascii() || ('\u{FE00}'..='\u{FE0F}').contains(&p))
                && next != Some('\u{20E3}')
        }
        '\u{200B}'
        | '\u{2060}'..='\u{2064}'
        | '\u{00AD}'
        | '\u{180E}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{2800}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}' => true,
        _ => false,
    }
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) && c != '\u{D7}' && c != '\u{F7}'
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{52F}').contains(&c)
}

/// Greek letters that pass for Latin ones (μ and the like do not, and are used in names).
fn is_greek_lookalike(c: char) -> bool {
    matches!(
        c,
        'Α' | 'Β'
            | 'Ε'
            | 'Ζ'
            | 'Η'
            | 'Ι'
            | 'Κ'
            | 'Μ'
            | 'Ν'
            | 'Ο'
            | 'Ρ'
            | 'Τ'
            | 'Υ'
            | 'Χ'
            | 'α'
            | 'ι'
            | 'κ'
            | 'ν'
            | 'ο'
            | 'ρ'
            | 'υ'
            | 'χ'
    )
}

/// The column and character of the first foreign letter in the first token (a run of letters,
/// digits and `_`) that mixes Latin with Cyrillic or look-alike Greek.
fn mixed_script(text: &str) -> Option<(u32, char)> {
    let mut latin = false;
    let mut foreign: Option<(u32, char)> = None;
    for (col, c) in text.chars().enumerate() {
        let word_char = c.is_ascii_alphanumeric()
            || c == '_'
            || is_latin(c)
            || is_cyrillic(c)
            || (!c.is_ascii() && c.is_alphanumeric());
        if word_char {
            if is_latin(c) {
                latin = true;
            } else if foreign.is_none() && (is_cyrillic(c) || is_greek_lookalike(c)) {
                foreign = Some((u32::try_from(col).unwrap_or(u32::MAX), c));
            }
            continue;
        }
        if latin && foreign.is_some() {
            return foreign;
        }
        latin = false;
        foreign = None;
    }
    if latin {
        foreign
    } else {
        None
    }
}

fn script(c: char) -> &'static str {
    if is_cyrillic(c) {
        "Cyrillic letter"
    } else {
        "Greek letter"
    }
}

/// `U+202E RIGHT-TO-LEFT OVERRIDE`, or just the code point for the rarer ones.
fn describe(c: char) -> String {
    let name = match c {
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{2060}' => "WORD JOINER",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (BOM)",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{3164}' => "HANGUL FILLER",
        '\u{1b}' => "ESCAPE",
        '\u{0}' => "NUL",
        '\u{8}' => "BACKSPACE",
        '\r' => "CARRIAGE RETURN",
        '\u{9b}' => "CONTROL SEQUENCE INTRODUCER",
        _ if ('\u{E0000}'..='\u{E007F}').contains(&c) => "TAG CHARACTER",
        _ if ('\u{FE00}'..='\u{FE0F}').contains(&c) || ('\u{E0100}'..='\u{E01EF}').contains(&c) => {
            "VARIATION SELECTOR"
        }
        _ => "",
    };
    let code = format!("U+{:04X}", u32::from(c));
    match (name, is_cyrillic(c) || is_greek_lookalike(c)) {
        ("", true) => format!("'{c}' {code}"),
        ("", false) => code,
        (n, _) => format!("{code} {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Id, u32)> {
        let mut out = Vec::new();
        scan_text(text, false, |id, col, _| out.push((id, col)));
        out
    }

    #[test]
    fn trojan_source_bidi_is_found_at_its_column() {
        let line =
            "    if access_level != \"user\u{202E} \u{2066}// Check if admin\u{2069} \u{2066}\" {";
        assert_eq!(found(line), vec![(Id::Bidi, 28)]);
    }

    #[test]
    fn bidi_marks_and_arabic_letter_mark_count() {
        assert_eq!(found("x\u{200F}y"), vec![(Id::Bidi, 1)]);
        assert_eq!(found("a\u{061C}"), vec![(Id::Bidi, 1)]);
        // In Hebrew text a mark keeps `.png` on the right side: what marks are for.
        assert!(found("  file: \"קובץ \u{200E}.png\u{200F}\"").is_empty());
        // An override still fires there.
        assert_eq!(found("קובץ \u{202E}x"), vec![(Id::Bidi, 5)]);
    }

    #[test]
    fn zero_width_and_invisible_characters_are_found() {
        assert_eq!(
            found("let is\u{200B}Admin = true;"),
            vec![(Id::Invisible, 6)]
        );
        assert_eq!(
            found("const \u{3164} = req.query;"),
            vec![(Id::Invisible, 6)]
        );
        assert_eq!(found("x = 1\u{E0041}\u{E0042}"), vec![(Id::Invisible, 5)]);
        assert_eq!(found("pass\u{00AD}word"), vec![(Id::Invisible, 4)]);
        assert_eq!(found("a\u{FE01}b"), vec![(Id::Invisible, 1)]);
    }

    #[test]
    fn bom_is_fine_only_at_file_start() {
        let mut out = Vec::new();
        scan_text("\u{FEFF}package main", true, |id, col, _| {
            out.push((id, col))
        });
        assert!(out.is_empty());
        assert_eq!(found("\u{FEFF}package main"), vec![(Id::Invisible, 0)]);
    }

    #[test]
    fn emoji_sequences_are_not_hidden_text() {
        assert!(
            found("label = \"👨\u{200D}👩\u{200D}👧 family ❤\u{FE0F} 1\u{FE0F}\u{20E3}\"")
                .is_empty()
        );
    }

    #[test]
    fn escapes_and_controls_are_found_but_tab_and_final_cr_are_fine() {
        assert_eq!(
            found("echo \"\u{1b}[2J\u{1b}[1A done\""),
            vec![(Id::Control, 6)]
        );
        assert_eq!(found("a\u{8}b"), vec![(Id::Control, 1)]);
        assert_eq!(found("x\u{9b}31m"), vec![(Id::Control, 1)]);
        assert!(found("\tfoo = 1;\r").is_empty());
        assert!(!worth_a_look(b"\x0c"));
        assert_eq!(found("x\x0c = 1"), vec![(Id::Control, 1)]);
        assert_eq!(found("foo\r = 1;"), vec![(Id::Control, 3)]);
    }

    #[test]
    fn mixed_script_identifiers_are_found() {
        // Cyrillic 'а' (U+0430) inside a Latin name.
        assert_eq!(
            found("if user.is_\u{430}dmin {"),
            vec![(Id::MixedScript, 11)]
        );
        // Greek omicron in "cοnfig".
        assert_eq!(found("load(c\u{3BF}nfig)"), vec![(Id::MixedScript, 6)]);
    }

    /// ripgrep d9ca5293: a word test's data is a string; a look-alike host stays a finding.
    #[test]
    fn mixed_script_in_a_string_is_data_of_medium_weight() {
        assert_eq!(
            found("assert_eq!(None, find(r\"foo\", \"foo\u{431}\"));"),
            vec![(Id::MixedScriptString, 34)]
        );
        assert_eq!(
            found("let url = \"https://p\u{430}ypal.com\";"),
            vec![(Id::MixedScriptString, 20)]
        );
        // An escaped quote does not close the string; code after a closed one is code again.
        assert_eq!(
            found("s = \"a\\\"b\u{430}c\""),
            vec![(Id::MixedScriptString, 9)]
        );
        assert_eq!(
            found("f(\"x\", is_\u{430}dmin)"),
            vec![(Id::MixedScript, 10)]
        );
    }

    #[test]
    fn single_script_words_and_units_are_not_mixed() {
        assert!(found("// Проверка доступа: only admins").is_empty());
        assert!(found("let timeout_μs = 5;").is_empty());
        assert!(found("name = \"Müller\" # café").is_empty());
    }

    #[test]
    fn only_added_lines_are_scanned() {
        use crate::risk::logic::testutil::{hits, hunk};
        let h = hunk("a.rs", "-let a\u{202E} = 1;\n x\u{202E}\n+let b = 2;\n");
        assert!(hits(|sink| scan(&h, false, sink)).is_empty());
    }

    #[test]
    fn test_data_keeps_only_the_characters_that_hide_code() {
        use crate::risk::logic::testutil::{hits, hunk};
        let h = hunk(
            "tests/color.rs",
            "+let want = \"\x1b[0m1\x1b[0m:\";\n+let s = \"\\nПривет\";\n",
        );
        assert!(!hits(|sink| scan(&h, false, sink)).is_empty());
        assert!(hits(|sink| scan(&h, true, sink)).is_empty());
        let bidi = hunk("tests/a.rs", "+let a\u{202E} = 1;\n");
        assert_eq!(hits(|sink| scan(&bidi, true, sink)).len(), 1);
    }

    #[test]
    fn compressed_content_shown_as_text_is_not_text() {
        use crate::model::{Hunk, Line, LineKind};
        let line = |b: &[u8]| Line::new(LineKind::Added, None, Some(1), b);
        let h = Hunk::new(
            "d.br",
            (0, 0),
            (1, 2),
            "",
            vec![line(b"\x8b\xff\x01n"), line(b"\xc3\x28ab")],
        );
        assert!(not_really_text(std::slice::from_ref(&h)));
        let t = Hunk::new(
            "a.txt",
            (0, 0),
            (1, 2),
            "",
            vec![line("héllo".as_bytes()), line(b"plain")],
        );
        assert!(!not_really_text(std::slice::from_ref(&t)));
    }
}
