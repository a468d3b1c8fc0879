//! Verdicts and points: how each case of an exercise went, and the first failure with all it
//! takes to explain it.

use super::cases::{Case, Kind};
use super::failure::Failure;
use crate::sandbox::runner::RunOutcome;
use crate::workbook::manifest::Exercise;
use std::path::PathBuf;
use std::time::Duration;

/// The verdict on one exercise.
pub enum Verdict {
    Passed,
    Failed(Box<CaseFailure>),
    NotStarted { location: Option<String> },
    DoesNotCompile(String),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed(_) => "failed",
            Verdict::NotStarted { .. } => "not started",
            Verdict::DoesNotCompile(_) => "does not compile",
        }
    }
}

/// The first failing case of an exercise, with all it takes to explain it.
pub struct CaseFailure {
    pub case: Case,
    pub failure: Failure,
    pub outcome: RunOutcome,
    /// The working directory of the failed run, kept with its inputs and outputs.
    pub kept: Option<PathBuf>,
    /// The shell command that reruns it by hand.
    pub command: String,
    /// The panic message and location, when the program panicked.
    pub panic: Option<String>,
}

/// How one case went, for the grades.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub name: String,
    pub kind: Kind,
    pub status: CaseStatus,
    pub points: f64,
    pub max_points: f64,
    pub elapsed: Duration,
    /// For a failed case: what happened, in one line.
    pub happened: Option<String>,
    pub likely_cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    Failed,
    /// Not run: the exercise does not compile or is not started, or an earlier case hung.
    NotRun,
}

pub struct ExerciseResult {
    pub verdict: Verdict,
    pub cases: Vec<CaseOutcome>,
    /// Wall time of all its runs.
    pub elapsed: Duration,
}

impl ExerciseResult {
    /// A result for an exercise whose cases could not run at all.
    pub fn unrun(verdict: Verdict, exercise: &Exercise, cases: &[Case]) -> ExerciseResult {
        let cases = outcomes_unrun(exercise, cases);
        ExerciseResult {
            verdict,
            cases,
            elapsed: Duration::ZERO,
        }
    }

    pub fn passed_count(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.status == CaseStatus::Passed)
            .count()
    }

    pub fn score(&self) -> f64 {
        self.cases.iter().map(|c| c.points).sum()
    }
}

/// Each case's share of the exercise's points: its kind's points, split evenly among the
/// cases of that kind.
pub fn max_points(exercise: &Exercise, cases: &[Case]) -> Vec<f64> {
    cases
        .iter()
        .map(|c| {
            let of_kind = cases.iter().filter(|o| o.kind == c.kind).count() as f64;
            exercise
                .case_points
                .get(c.kind.name())
                .copied()
                .unwrap_or(0.0)
                / of_kind
        })
        .collect()
}

pub fn outcomes_unrun(exercise: &Exercise, cases: &[Case]) -> Vec<CaseOutcome> {
    cases
        .iter()
        .zip(max_points(exercise, cases))
        .map(|(c, max)| CaseOutcome {
            name: c.name.clone(),
            kind: c.kind,
            status: CaseStatus::NotRun,
            points: 0.0,
            max_points: max,
            elapsed: Duration::ZERO,
            happened: None,
            likely_cause: None,
        })
        .collect()
}
