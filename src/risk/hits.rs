//! Raw hits and their conversion into findings: cheap to collect (no strings unless a logic
//! rule has something precise to say), sorted most severe first, deduplicated, and capped per
//! hunk before any `Finding` is built, so a hunk with thousands of hits stays cheap.

use crate::model::{Finding, Hunk, Severity};

use super::spec::RuleInfo;

/// At most this many findings per hunk; the rest are counted in `Hunk::findings_omitted`.
pub const MAX_FINDINGS_PER_HUNK: usize = 25;

/// One rule firing on one line (or on the whole hunk or file when `line` is None).
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// Index into the engine's rule table.
    pub rule: usize,
    /// Index into the hunk's lines.
    pub line: Option<usize>,
    /// 0-based character column.
    pub column: Option<u32>,
    /// A more precise sentence than the rule's own.
    pub message: Option<String>,
}

impl Hit {
    pub fn at(rule: usize, line: Option<usize>) -> Hit {
        Hit {
            rule,
            line,
            column: None,
            message: None,
        }
    }
}

fn severity(infos: &[RuleInfo], hit: &Hit) -> Severity {
    infos[hit.rule].severity.unwrap_or(Severity::Low)
}

/// Sorts, deduplicates (one finding per rule and line) and caps; returns the findings and how
/// many were left out. Hits of rules that are turned off are dropped.
pub(crate) fn finish(
    infos: &[RuleInfo],
    mut hits: Vec<Hit>,
    hunk: Option<&Hunk>,
    cap: usize,
) -> (Vec<Finding>, usize) {
    hits.retain(|h| infos[h.rule].severity.is_some());
    hits.sort_by(|a, b| {
        severity(infos, b)
            .cmp(&severity(infos, a))
            .then(a.line.cmp(&b.line))
            .then(a.rule.cmp(&b.rule))
            .then(a.column.cmp(&b.column))
    });
    hits.dedup_by(|b, a| a.rule == b.rule && a.line == b.line);
    let omitted = hits.len().saturating_sub(cap);
    hits.truncate(cap);
    let findings = hits
        .into_iter()
        .map(|h| to_finding(infos, h, hunk))
        .collect();
    (findings, omitted)
}

fn to_finding(infos: &[RuleInfo], hit: Hit, hunk: Option<&Hunk>) -> Finding {
    let info = &infos[hit.rule];
    let line_no = match (hunk, hit.line) {
        (Some(h), Some(i)) => h.lines.get(i).and_then(|l| l.number()),
        _ => None,
    };
    Finding {
        rule: info.id.clone(),
        severity: info.severity.unwrap_or(Severity::Low),
        category: info.category.clone(),
        line_index: hit.line,
        line_no,
        column: hit.column,
        message: hit.message.unwrap_or_else(|| info.message.clone()),
    }
}

/// The 0-based character column of byte offset `at` in a line, counting as `Line::text()`
/// decodes (each UTF-8 sequence is one character).
pub(crate) fn char_column(bytes: &[u8], at: usize) -> u32 {
    let prefix = &bytes[..at.min(bytes.len())];
    let chars = prefix.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
    u32::try_from(chars).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::spec::RuleOrigin;

    fn info(id: &str, severity: Option<Severity>) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            severity,
            category: "c".into(),
            message: format!("{id} message"),
            origin: RuleOrigin::Builtin,
        }
    }

    #[test]
    fn sorted_most_severe_first_deduplicated_and_capped() {
        let infos = vec![
            info("low", Some(Severity::Low)),
            info("crit", Some(Severity::Critical)),
            info("off", None),
        ];
        let hits = vec![
            Hit::at(0, Some(1)),
            Hit::at(1, Some(5)),
            Hit::at(1, Some(5)),
            Hit::at(2, Some(0)),
            Hit::at(0, Some(2)),
        ];
        let (findings, omitted) = finish(&infos, hits, None, 2);
        assert_eq!(findings[0].rule, "crit");
        assert_eq!(findings[1].rule, "low");
        assert_eq!(findings[1].line_index, Some(1));
        assert_eq!(omitted, 1);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let s = "aé\u{202E}x";
        let at = s.find('\u{202E}').unwrap();
        assert_eq!(char_column(s.as_bytes(), at), 2);
    }
}
