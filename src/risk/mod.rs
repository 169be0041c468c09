//! The risk engine: rules as data (plus the few that need logic) over every hunk.
//! (Interim: the rules land with the risk work.)

use crate::model::FileChange;
use crate::policy::Policy;

pub struct Engine;

impl Engine {
    pub fn new(_policy: &Policy) -> anyhow::Result<Engine> {
        Ok(Engine)
    }

    pub fn builtin() -> Engine {
        Engine
    }

    pub fn scan_file(&self, _file: &mut FileChange) {}
}
