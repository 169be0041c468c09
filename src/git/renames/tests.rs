use super::*;

use crate::model::{Hunk, Line};

/// A text file added (or deleted) with `text` as its content.
fn file(change: ChangeKind, path: &str, text: &str) -> FileChange {
    let (old, new) = match change {
        ChangeKind::Deleted => (Some(path.to_string()), None),
        _ => (None, Some(path.to_string())),
    };
    let mut f = FileChange::new(old, new, change);
    let kind = if change == ChangeKind::Deleted {
        LineKind::Removed
    } else {
        LineKind::Added
    };
    let lines: Vec<Line> = text
        .lines()
        .map(|l| Line::new(kind, None, None, l.as_bytes()))
        .collect();
    f.hunks.push(Hunk::new(path, (0, 0), (1, 1), "", lines));
    let size = text.len() as u64;
    let id = format!("{:040x}", fnv(text));
    if change == ChangeKind::Deleted {
        f.old_size = size;
        f.old_mode = 0o100644;
        f.old_id = id;
    } else {
        f.new_size = size;
        f.new_mode = 0o100644;
        f.new_id = id;
    }
    f
}

fn fnv(text: &str) -> u64 {
    let mut c = Chunker::default();
    let mut chunks = Vec::new();
    for &b in text.as_bytes() {
        c.push(b, &mut chunks);
    }
    c.finish(&mut chunks);
    chunks.iter().fold(0, |a, k| a ^ k.0) ^ text.len() as u64
}

fn numbered(n: usize, word: &str) -> String {
    (0..n)
        .map(|i| format!("{word} line number {i}\n"))
        .collect()
}

#[test]
fn identical_files_pair_preferring_the_same_name() {
    let body = numbered(10, "same");
    let files = vec![
        file(ChangeKind::Deleted, "a/util.rs", &body),
        file(ChangeKind::Deleted, "b/util.rs", &body),
        file(ChangeKind::Added, "c/other.rs", &body),
        file(ChangeKind::Added, "d/util.rs", &body),
    ];
    let pairs = pair(&files).unwrap();
    assert_eq!(
        pairs,
        vec![
            Pair {
                deleted: 1,
                added: 2,
                similarity: 100
            },
            Pair {
                deleted: 0,
                added: 3,
                similarity: 100
            },
        ]
    );
}

#[test]
fn edited_files_pair_at_half_similar_or_more() {
    let old = numbered(20, "kept");
    // 15 of 20 lines kept, 5 new: about 75% similar.
    let new: String = old
        .lines()
        .take(15)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &numbered(5, "new");
    let unrelated = numbered(20, "other");
    let files = vec![
        file(ChangeKind::Deleted, "src/old_name.py", &old),
        file(ChangeKind::Added, "src/new_name.py", &new),
        file(ChangeKind::Added, "src/unrelated.py", &unrelated),
    ];
    let pairs = pair(&files).unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!((pairs[0].deleted, pairs[0].added), (0, 1));
    assert!((70..=80).contains(&pairs[0].similarity), "{pairs:?}");
}

#[test]
fn less_than_half_similar_is_not_a_rename() {
    let old = numbered(20, "kept");
    let new: String = old
        .lines()
        .take(8)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &numbered(12, "new");
    let files = vec![
        file(ChangeKind::Deleted, "a.txt", &old),
        file(ChangeKind::Added, "b.txt", &new),
    ];
    assert_eq!(pair(&files).unwrap(), vec![]);
}

#[test]
fn the_best_match_wins_and_each_file_pairs_once() {
    let base = numbered(20, "base");
    let close: String = base
        .lines()
        .take(18)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &numbered(2, "x");
    let far: String = base
        .lines()
        .take(12)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &numbered(8, "y");
    let files = vec![
        file(ChangeKind::Added, "far.txt", &far),
        file(ChangeKind::Deleted, "base.txt", &base),
        file(ChangeKind::Added, "close.txt", &close),
    ];
    let pairs = pair(&files).unwrap();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!((pairs[0].deleted, pairs[0].added), (1, 2));
}

#[test]
fn empty_and_modified_files_never_pair() {
    let files = vec![
        file(ChangeKind::Deleted, "empty.txt", ""),
        file(ChangeKind::Added, "also_empty.txt", ""),
        file(ChangeKind::Modified, "m.txt", &numbered(5, "m")),
    ];
    assert_eq!(pair(&files).unwrap(), vec![]);
}

#[test]
fn chunks_are_cut_at_newlines_and_every_64_bytes_and_crlf_counts_as_lf() {
    let long = "x".repeat(130);
    let sig = Signature::of(&file(ChangeKind::Added, "a", &format!("{long}\n")));
    // 64 + 64 + 3 ("xx\n").
    let mut sizes: Vec<u64> = sig.chunks.iter().map(|c| c.1).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![3, 128]);
    let lf = Signature::of(&file(ChangeKind::Added, "a", "one\ntwo\n"));
    let crlf = Signature::of(&file(ChangeKind::Added, "a", "one\r\ntwo\r\n"));
    assert_eq!(lf.chunks, crlf.chunks);
}

#[test]
fn a_blob_signs_as_its_lines_do() {
    // The loader signs added and deleted files from their blobs, the rest from their lines.
    let long = "y".repeat(70);
    for text in [
        "one\ntwo\n".to_string(),
        "one\r\ntwo\r\n".to_string(),
        "no newline at the end".to_string(),
        "lone \r inside\r\nand a cr at the end\r".to_string(),
        format!("{long}\n{long}"),
        format!("{}\n{}", "x".repeat(64), "z".repeat(128)),
        format!("{}\r\n\r\n\n", "w".repeat(63)),
    ] {
        // The lines as the loader reads them: split at each newline, a last line without one
        // marked so.
        let mut f = file(ChangeKind::Added, "a", "");
        let lines: Vec<Line> = text
            .split_inclusive('\n')
            .map(|l| {
                let mut line = Line::new(
                    LineKind::Added,
                    None,
                    None,
                    l.trim_end_matches('\n').as_bytes(),
                );
                line.missing_newline = !l.ends_with('\n');
                line
            })
            .collect();
        f.hunks = vec![Hunk::new("a", (0, 0), (1, 1), "", lines)];
        f.new_size = text.len() as u64;
        let lines = Signature::of(&f);
        let blob = Signature::of_content(text.as_bytes());
        assert_eq!(
            (lines.chunks, lines.size),
            (blob.chunks, blob.size),
            "{text:?}"
        );
    }
}

#[test]
fn a_directory_of_thousands_moves_whole() {
    // Past git's rename limit for similarity, identical files still pair, each with its own.
    let n = 3_000;
    let mut files = Vec::new();
    for i in 0..n {
        files.push(file(
            ChangeKind::Deleted,
            &format!("old/f{i}.txt"),
            &format!("file {i}\n"),
        ));
    }
    for i in (0..n).rev() {
        files.push(file(
            ChangeKind::Added,
            &format!("new/f{i}.txt"),
            &format!("file {i}\n"),
        ));
    }
    let pairs = pair(&files).unwrap();
    assert_eq!(pairs.len(), n);
    for p in &pairs {
        assert_eq!(
            base_name(&files[p.deleted]),
            base_name(&files[p.added]),
            "{p:?}"
        );
        assert_eq!(p.similarity, 100);
    }
}
