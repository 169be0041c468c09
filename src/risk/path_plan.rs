//! What a file's scan depends on by its paths alone, worked out once per pair of paths: the
//! rule groups its paths match, the exclusions, the pattern rules that apply and their
//! prefilters, and the file's facts. A range's commits touch the same files again and again,
//! and matching each path against every rule's globs again was about 4% of the CPU of loading
//! 958 commits of ripgrep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::compile::Prefilters;
use super::logic::Lang;

pub(crate) struct PathPlan {
    /// Rule groups whose paths match (`Compiled::groups_for`).
    pub groups: Vec<usize>,
    /// Per exclusion list, whether it excludes the file.
    pub excluded: Vec<bool>,
    /// Per pattern rule, whether it applies (`Compiled::active_lines`).
    pub active: Vec<bool>,
    pub prefilters: Arc<Prefilters>,
    pub lang: Lang,
    pub is_prose: bool,
    pub is_test_data: bool,
    pub is_check: bool,
    pub is_source: bool,
}

/// The plans made so far, by (path, old path; empty if none).
#[derive(Default)]
pub(crate) struct PathPlans(Mutex<HashMap<(String, String), Arc<PathPlan>>>);

impl PathPlans {
    /// The plan of a file with these paths, made with `make` the first time.
    pub fn get(
        &self,
        path: &str,
        old_path: &str,
        make: impl FnOnce() -> PathPlan,
    ) -> Arc<PathPlan> {
        let key = (path.to_string(), old_path.to_string());
        if let Some(plan) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return plan;
        }
        // Made outside the lock: two threads meeting a new path at once both make it (the
        // same result) rather than one waiting on the other.
        let plan = Arc::new(make());
        if let Ok(mut m) = self.0.lock() {
            m.entry(key).or_insert_with(|| Arc::clone(&plan));
        }
        plan
    }
}
