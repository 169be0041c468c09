//! The risk engine: rules as data (plus the few that need logic) over every hunk.
