//! The file finder: a fuzzy match of paths, as fzf and helix's file picker do it, over the
//! files of the review. Enter goes to the chosen file's first hunk.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Effect;
use crate::ui::app::{App, Finder, Overlay, Row};

/// One file the finder offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub commit: usize,
    pub file: usize,
    /// The path, with the commit's short id when the review has several commits.
    pub label: String,
    /// Byte offsets in `label` of the matched characters (for emphasis).
    pub hits: Vec<usize>,
}

pub(super) fn open(app: &mut App) {
    app.overlay = Some(Overlay::Finder(Finder {
        query: String::new(),
        selected: 0,
    }));
}

pub(super) fn key(app: &mut App, mut f: Finder, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Char('c') if ctrl => return Vec::new(),
        KeyCode::Enter => {
            let found = candidates(app, &f.query);
            if let Some(c) = found.get(f.selected.min(found.len().saturating_sub(1))) {
                if let Some(p) = app.row_target(Row::File(c.commit, c.file)) {
                    app.moved = true;
                    app.go(p);
                }
            }
            return Vec::new();
        }
        KeyCode::Down | KeyCode::Tab => f.selected += 1,
        KeyCode::Char('n' | 'j') if ctrl => f.selected += 1,
        KeyCode::Up | KeyCode::BackTab => f.selected = f.selected.saturating_sub(1),
        KeyCode::Char('p' | 'k') if ctrl => f.selected = f.selected.saturating_sub(1),
        KeyCode::Backspace => {
            f.query.pop();
            f.selected = 0;
        }
        KeyCode::Char(c) if !ctrl && !c.is_control() => {
            f.query.push(c);
            f.selected = 0;
        }
        _ => {}
    }
    let n = candidates(app, &f.query).len();
    f.selected = f.selected.min(n.saturating_sub(1));
    app.overlay = Some(Overlay::Finder(f));
    Vec::new()
}

/// The review's files that match `query`, best first (review order among equals); every file
/// in review order when the query is empty.
pub fn candidates(app: &App, query: &str) -> Vec<Candidate> {
    let many = app.review.commits.len() > 1;
    let mut scored: Vec<(i64, usize, Candidate)> = Vec::new();
    let mut order = 0;
    for (c, commit) in app.review.commits.iter().enumerate() {
        for (f, file) in commit.files.iter().enumerate() {
            if app.row_target(Row::File(c, f)).is_none() {
                continue;
            }
            let path = crate::text::printable(&file.display_path());
            let label = if many {
                format!("{path}  {}", commit.short_id())
            } else {
                path.clone()
            };
            order += 1;
            let Some((score, hits)) = score(&path, query) else {
                continue;
            };
            scored.push((
                score,
                order,
                Candidate {
                    commit: c,
                    file: f,
                    label,
                    hits,
                },
            ));
        }
    }
    scored.sort_by_key(|(score, order, _)| (std::cmp::Reverse(*score), *order));
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// How well `query` matches `path`: every query character must appear in order (smart case:
/// a query without capitals ignores case). Consecutive characters, characters that start a
/// path segment or a word, and characters in the file name score higher; gaps cost. Returns
/// the score and the matched byte offsets, or None.
pub fn score(path: &str, query: &str) -> Option<(i64, Vec<usize>)> {
    if query.is_empty() {
        return Some((0, Vec::new()));
    }
    let fold = !query.chars().any(char::is_uppercase);
    let norm = |c: char| if fold { c.to_ascii_lowercase() } else { c };
    let chars: Vec<(usize, char)> = path.char_indices().collect();
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    let q: Vec<char> = query.chars().map(norm).collect();
    // Two greedy passes, from the path's start and from the file name's start, the better
    // kept: a query that names the file should match in the name, not scattered over folders.
    let attempt = |from: usize| -> Option<(i64, Vec<usize>)> {
        let mut hits = Vec::with_capacity(q.len());
        let mut qi = 0;
        let mut score = 0i64;
        let mut prev: Option<usize> = None;
        for (k, &(at, c)) in chars.iter().enumerate() {
            if at < from || qi == q.len() {
                continue;
            }
            if norm(c) != q[qi] {
                continue;
            }
            let boundary = k == 0 || matches!(chars[k - 1].1, '/' | '_' | '-' | '.' | ' ');
            score += 16;
            if prev == Some(k.wrapping_sub(1)) {
                score += 24;
            } else if let Some(p) = prev {
                score -= (k - p) as i64;
            }
            if boundary {
                score += 20;
            }
            if at >= name_start {
                score += 10;
            }
            hits.push(at);
            prev = Some(k);
            qi += 1;
        }
        (qi == q.len()).then(|| (score - chars.len() as i64 / 8, hits))
    };
    let whole = attempt(0);
    let named = attempt(name_start);
    match (whole, named) {
        (Some(a), Some(b)) => Some(if b.0 >= a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn every_character_in_order_or_no_match() {
        assert!(score("src/ui/view/list.rs", "lst").is_some());
        assert!(score("src/ui/view/list.rs", "tsl").is_none());
        assert!(score("src/ui/view/list.rs", "").is_some());
        assert!(
            score("README.md", "readme").is_some(),
            "smart case ignores case"
        );
        assert!(
            score("readme.md", "README").is_none(),
            "a capital asks for case"
        );
    }

    #[test]
    fn the_file_name_and_consecutive_characters_win() {
        let s = |p: &str, q: &str| score(p, q).map(|(s, _)| s).unwrap_or(i64::MIN);
        // "list" in the name beats l…i…s…t scattered over folders.
        assert!(s("src/ui/view/list.rs", "list") > s("src/lib/input/state/tests.rs", "list"));
        // Five Dockerfiles: the service's folder tells them apart.
        assert!(
            s("services/payments/Dockerfile", "paydock")
                > s("services/search/Dockerfile", "paydock")
        );
        let (_, hits) = score("src/main.rs", "main").unwrap();
        assert_eq!(hits, vec![4, 5, 6, 7]);
    }
}
