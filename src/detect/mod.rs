//! AI-assistance evidence: which commits and hunks an AI wrote, and how we know.
