//! AI-assistance evidence: which commits and hunks an AI wrote, and how we know.
//! (Interim: the full marker list and git-ai notes land with the detect work.)

use anyhow::Result;

use crate::model::{Commit, Evidence, EvidenceSource, Origin};
use crate::policy::Markers;

pub struct Detector {
    all: bool,
}

impl Detector {
    pub fn new(markers: &Markers, all: bool) -> Result<Detector> {
        Ok(Detector {
            all: all || markers.all,
        })
    }

    pub fn commit_evidence(&self, commit: &Commit) -> Vec<Evidence> {
        let mut out = Vec::new();
        for line in commit.message.lines() {
            let l = line.to_ascii_lowercase();
            if l.starts_with("co-authored-by:") && l.contains("noreply@anthropic.com") {
                out.push(Evidence {
                    source: EvidenceSource::Trailer,
                    agent: Some("Claude Code".into()),
                    model: None,
                    detail: line.trim().to_string(),
                });
            }
        }
        if self.all {
            out.push(Evidence {
                source: EvidenceSource::All,
                agent: None,
                model: None,
                detail: "--all".into(),
            });
        }
        out
    }
}

pub mod gitai {
    pub struct AuthorshipLog;
    pub fn parse(_note: &str) -> anyhow::Result<AuthorshipLog> {
        Ok(AuthorshipLog)
    }
}

pub fn attribute(commit: &mut Commit, _log: Option<&gitai::AuthorshipLog>, all: bool) {
    let origin = if all || commit.is_ai_assisted() {
        Origin::Ai
    } else {
        Origin::Human
    };
    for file in &mut commit.files {
        for hunk in &mut file.hunks {
            hunk.origin = origin.clone();
        }
    }
}
