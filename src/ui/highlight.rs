//! Syntax highlighting off the input path: a worker thread owns syntect and highlights a hunk's
//! old and new sides on request; the UI draws plain until the colours arrive, then redraws.
//! Only hunks on screen and a few ahead are ever requested, and results are cached.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use ratatui::style::Color;
use syntect::easy::HighlightLines;
use syntect::highlighting::ThemeSet;
use syntect::parsing::SyntaxSet;

use super::render_line::SyntaxSpan;
use crate::model::{Hunk, HunkId, LineKind};

/// Hunks longer than this are shown without syntax colours: a generated or minified file
/// gains nothing from them and would keep the worker busy.
const MAX_LINES: usize = 3000;
const MAX_LINE_BYTES: usize = 2000;
const CACHE_LIMIT: usize = 512;

/// Highlighted side of a hunk: per line of that side, its colour spans.
pub type Sides = Arc<[Vec<Vec<SyntaxSpan>>; 2]>;

struct Request {
    id: HunkId,
    path: String,
    /// Old side (context + removed), new side (context + added).
    sides: [Vec<String>; 2],
}

pub struct Highlighter {
    tx: Option<Sender<Request>>,
    rx: Option<Receiver<(HunkId, Sides)>>,
    cache: HashMap<HunkId, Sides>,
    pending: HashSet<HunkId>,
}

impl Highlighter {
    /// Starts the worker with the named syntect theme; `None` (NO_COLOR) highlights nothing.
    pub fn start(theme: Option<&str>) -> Highlighter {
        Highlighter::start_waking(theme, super::colors::Depth::TrueColor, || {})
    }

    /// As [`start`](Highlighter::start), calling `wake` after each result is ready, so that
    /// an event loop asleep on its inbox takes it in at once rather than at its next look.
    pub fn start_waking(
        theme: Option<&str>,
        depth: super::colors::Depth,
        wake: impl Fn() + Send + 'static,
    ) -> Highlighter {
        let Some(theme) = theme.map(str::to_string) else {
            return Highlighter::off();
        };
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (res_tx, res_rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("countersign-highlight".into())
            .spawn(move || worker(&theme, depth, req_rx, res_tx, &wake));
        match spawned {
            Ok(_) => Highlighter {
                tx: Some(req_tx),
                rx: Some(res_rx),
                cache: HashMap::new(),
                pending: HashSet::new(),
            },
            Err(_) => Highlighter::off(),
        }
    }

    pub fn off() -> Highlighter {
        Highlighter {
            tx: None,
            rx: None,
            cache: HashMap::new(),
            pending: HashSet::new(),
        }
    }

    pub fn get(&self, id: &HunkId) -> Option<&Sides> {
        self.cache.get(id)
    }

    /// Asks for a hunk's colours unless they are cached, pending, or not worth it.
    pub fn request(&mut self, path: &str, hunk: &Hunk) {
        let Some(tx) = &self.tx else { return };
        if hunk.lines.is_empty()
            || hunk.lines.len() > MAX_LINES
            || self.cache.contains_key(&hunk.id)
            || self.pending.contains(&hunk.id)
        {
            return;
        }
        let sides = sides(hunk);
        let sent = tx.send(Request {
            id: hunk.id,
            path: path.to_string(),
            sides,
        });
        if sent.is_ok() {
            self.pending.insert(hunk.id);
        }
    }

    /// Takes in finished work; true when something new arrived (a redraw is due).
    pub fn receive(&mut self) -> bool {
        let Some(rx) = &self.rx else { return false };
        let mut any = false;
        while let Ok((id, sides)) = rx.try_recv() {
            self.pending.remove(&id);
            if self.cache.len() >= CACHE_LIMIT {
                self.cache.clear();
            }
            self.cache.insert(id, sides);
            any = true;
        }
        any
    }

    /// Waits up to `budget` for the colours of `id`, if they were asked for: a hunk that can
    /// be highlighted within a frame's budget is drawn in colour the first time, not plain and
    /// then again. True when they are here.
    pub fn wait_for(&mut self, id: &HunkId, budget: std::time::Duration) -> bool {
        if self.cache.contains_key(id) {
            return true;
        }
        if !self.pending.contains(id) {
            return false;
        }
        let deadline = std::time::Instant::now() + budget;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            let Some(rx) = &self.rx else { return false };
            match rx.recv_timeout(left) {
                Ok((got, sides)) => {
                    self.pending.remove(&got);
                    if self.cache.len() >= CACHE_LIMIT {
                        self.cache.clear();
                    }
                    self.cache.insert(got, sides);
                    if got == *id {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    pub fn is_busy(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// A hunk's two sides as the highlighter reads them: old (context + removed) and new (context +
/// added); over-long lines are left blank rather than fed to the grammar.
pub fn sides(hunk: &Hunk) -> [Vec<String>; 2] {
    let mut sides: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for line in &hunk.lines {
        let text = if line.bytes.len() > MAX_LINE_BYTES {
            String::new()
        } else {
            line.text().into_owned()
        };
        match line.kind {
            LineKind::Removed => sides[0].push(text),
            LineKind::Added => sides[1].push(text),
            LineKind::Context => {
                sides[0].push(text.clone());
                sides[1].push(text);
            }
        }
    }
    sides
}

/// The grammar for a file: by extension, then by file name (`Makefile`), then by its first
/// line (`#!/bin/sh`), else plain text.
pub fn syntax_for<'s>(
    syntaxes: &'s SyntaxSet,
    path: &str,
    first_line: Option<&str>,
) -> &'s syntect::parsing::SyntaxReference {
    let file = std::path::Path::new(path);
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // syntect's default set has no TypeScript; JavaScript's grammar reads it well enough.
    let ext = match ext {
        "ts" | "tsx" | "mts" | "cts" => "js",
        other => other,
    };
    syntaxes
        .find_syntax_by_extension(ext)
        .or_else(|| syntaxes.find_syntax_by_extension(name))
        .or_else(|| first_line.and_then(|l| syntaxes.find_syntax_by_first_line(l)))
        .unwrap_or_else(|| syntaxes.find_syntax_plain_text())
}

fn worker(
    theme: &str,
    depth: super::colors::Depth,
    rx: Receiver<Request>,
    tx: Sender<(HunkId, Sides)>,
    wake: &dyn Fn(),
) {
    let syntaxes = SyntaxSet::load_defaults_newlines();
    let themes = ThemeSet::load_defaults();
    let Some(theme) = themes
        .themes
        .get(theme)
        .or_else(|| themes.themes.get("base16-ocean.dark"))
    else {
        return;
    };
    while let Ok(req) = rx.recv() {
        let first = req.sides[1].first().or(req.sides[0].first());
        let syntax = syntax_for(&syntaxes, &req.path, first.map(String::as_str));
        let side = |lines: &[String]| -> Vec<Vec<SyntaxSpan>> {
            let mut h = HighlightLines::new(syntax, theme);
            lines
                .iter()
                .map(|line| {
                    let with_nl = format!("{line}\n");
                    let mut spans = Vec::new();
                    let mut at = 0u32;
                    if let Ok(ranges) = h.highlight_line(&with_nl, &syntaxes) {
                        for (style, piece) in ranges {
                            let end = at + piece.len() as u32;
                            let c = style.foreground;
                            let colour = Color::Rgb(c.r, c.g, c.b);
                            spans.push((at, end, super::colors::map(colour, depth)));
                            at = end;
                        }
                    }
                    spans
                })
                .collect()
        };
        let sides = Arc::new([side(&req.sides[0]), side(&req.sides[1])]);
        if tx.send((req.id, sides)).is_err() {
            return;
        }
        wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Line;

    fn rust_hunk(text: &str) -> Hunk {
        Hunk::new(
            "src/lib.rs",
            (1, 0),
            (1, 1),
            "",
            vec![Line::new(LineKind::Added, None, Some(1), text.as_bytes())],
        )
    }

    /// The loop waits for the current hunk's colours within a frame's budget, so it is drawn
    /// once, in colour; a hunk never asked for is not waited on.
    #[test]
    fn a_requested_hunk_is_waited_for_and_an_unasked_one_is_not() {
        let mut hl = Highlighter::start(Some("base16-ocean.dark"));
        let h = rust_hunk("fn main() { let x = 1; }");
        hl.request("src/lib.rs", &h);
        // The grammars load on first use; a debug build is slow: a generous budget here.
        assert!(hl.wait_for(&h.id, std::time::Duration::from_secs(20)));
        let sides = hl.get(&h.id).expect("cached once waited for");
        assert!(!sides[1][0].is_empty(), "the added line has colour spans");
        let other = rust_hunk("fn other() {}");
        assert!(!hl.wait_for(&other.id, std::time::Duration::from_millis(50)));
        assert!(hl.get(&other.id).is_none());
        let mut off = Highlighter::off();
        off.request("src/lib.rs", &h);
        assert!(!off.wait_for(&h.id, std::time::Duration::from_millis(10)));
    }
}
