//! Verdicts and points: how each case of an exercise went, and the first failure with all it
//! takes to explain it.

use super::cases::{Case, Kind};
use super::explain::Diagnosis;
use super::failure::Failure;
use crate::sandbox::runner::RunOutcome;
use crate::workbook::manifest::Exercise;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The verdict on one exercise.
pub enum Verdict {
    Passed,
    /// The first failure; none when the exercise was checked by another process of the check,
    /// which sent its report (`ExerciseResult::rendered`) instead.
    Failed(Option<Box<CaseFailure>>),
    NotStarted {
        location: Option<String>,
    },
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
    /// What the report says about it, made once from all the evidence.
    pub diagnosis: Diagnosis,
}

/// How one case went, for the grades.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Its report, when another process of the check ran it and wrote the report there.
    pub rendered: Option<String>,
    /// Its first failure, as another process of the check wrote it, when that process ran
    /// only some of its cases (`Verdict::Failed(None)`).
    pub failure_text: Option<String>,
}

impl ExerciseResult {
    /// A result for an exercise whose cases could not run at all.
    pub fn unrun(verdict: Verdict, exercise: &Exercise, cases: &[Case]) -> ExerciseResult {
        let cases = outcomes_unrun(exercise, cases);
        ExerciseResult {
            verdict,
            cases,
            elapsed: Duration::ZERO,
            rendered: None,
            failure_text: None,
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
    // Each case's share is a multiple of 1/1024 and the last case of a kind takes what is
    // left: binary fractions add up exactly, so the points of a kind (and every total a
    // grade book or Gradescope computes from the cases) are whole where the manifest's are.
    const STEP: f64 = 1024.0;
    let mut given: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
    cases
        .iter()
        .map(|c| {
            let of_kind = cases.iter().filter(|o| o.kind == c.kind).count();
            let total = exercise
                .case_points
                .get(c.kind.name())
                .copied()
                .unwrap_or(0.0);
            let (seen, sum) = given.entry(c.kind.name()).or_default();
            *seen += 1;
            let share = if *seen == of_kind {
                total - *sum
            } else {
                (total / of_kind as f64 * STEP).floor() / STEP
            };
            *sum += share;
            share
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
