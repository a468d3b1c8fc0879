//! What one check found, for every output format: each exercise's verdict and points, the
//! seed, the time, and whether the structural checks ran.

use super::verdict::{ExerciseResult, Verdict};
use crate::workbook::build::Source;
use crate::workbook::manifest::Exercise;
use std::time::Duration;

pub struct Scorecard<'w> {
    pub seed: u64,
    pub source: Source,
    pub exercises: Vec<&'w Exercise>,
    /// One per exercise checked, in the same order (fewer when the check was interrupted).
    pub results: Vec<ExerciseResult>,
    pub elapsed: Duration,
    pub interrupted: bool,
    /// The line that says why the structural checks were skipped, when they were.
    pub structural_skipped: Option<String>,
    /// The protections of the sandbox this machine did not give the runs.
    pub sandbox_missing: Vec<String>,
}

impl Scorecard<'_> {
    pub fn score(&self) -> f64 {
        self.results.iter().map(ExerciseResult::score).sum()
    }

    pub fn max_score(&self) -> f64 {
        self.exercises.iter().map(|e| e.points as f64).sum()
    }

    pub fn all_passed(&self) -> bool {
        self.results
            .iter()
            .all(|r| matches!(r.verdict, Verdict::Passed))
    }

    /// Each checked exercise with its result.
    pub fn rows(&self) -> impl Iterator<Item = (&Exercise, &ExerciseResult)> {
        self.exercises.iter().copied().zip(&self.results)
    }
}
