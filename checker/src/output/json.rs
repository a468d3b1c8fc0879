//! pipes-lab's own JSON report (versioned): every exercise, case, verdict and diagnosis, the
//! seed and the timings. The checker writes it with `--format json`; `grade` reads it back
//! through the same types.

use super::plain;
use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::{CaseStatus, Verdict};
use crate::workbook::build::Source;
use serde::{Deserialize, Serialize};

/// The version of the schema; it changes only when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// One check's report. Written whatever the student's code did, and on an infrastructure
/// error too (then `error` says why, the score is 0 and `exercises` is empty).
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub seed: u64,
    pub source: ReportSource,
    pub score: f64,
    pub max_score: f64,
    pub elapsed_secs: f64,
    pub error: Option<String>,
    /// null when every run was traced and judged on its wiring too; else why not.
    pub structural_checks_skipped: Option<String>,
    /// The protections of the sandbox this machine did not give the runs (empty: all).
    #[serde(default)]
    pub sandbox_missing: Vec<String>,
    pub exercises: Vec<ExerciseReport>,
}

/// What was checked: `"exercises"`, `"solutions"` or `{"copy": DIR}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportSource {
    Exercises,
    Solutions,
    Copy(String),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExerciseReport {
    pub name: String,
    pub title: String,
    /// `passed`, `failed`, `not started` or `does not compile`.
    pub verdict: String,
    pub score: f64,
    pub max_score: u32,
    pub elapsed_secs: f64,
    pub compiler_errors: Option<String>,
    /// The text report, without styles.
    pub report: String,
    pub cases: Vec<CaseReport>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CaseReport {
    pub name: String,
    pub kind: String,
    /// `passed`, `failed` or `not run`.
    pub status: String,
    pub score: f64,
    pub max_score: f64,
    pub elapsed_secs: f64,
    /// For a failed case: what happened, in one line.
    pub happened: Option<String>,
    pub likely_cause: Option<String>,
}

impl From<&Source> for ReportSource {
    fn from(source: &Source) -> ReportSource {
        match source {
            Source::Exercises => ReportSource::Exercises,
            Source::Solutions => ReportSource::Solutions,
            Source::Copy(dir) => ReportSource::Copy(dir.display().to_string()),
        }
    }
}

/// The report of a check, with each exercise's text report (`texts`, in the same order).
pub fn report(card: &Scorecard, texts: &[String]) -> Report {
    let exercises = card
        .rows()
        .zip(texts)
        .map(|((ex, result), text)| ExerciseReport {
            name: ex.name.clone(),
            title: ex.title.clone(),
            verdict: result.verdict.word().into(),
            score: result.score(),
            max_score: ex.points,
            elapsed_secs: result.elapsed.as_secs_f64(),
            compiler_errors: match &result.verdict {
                Verdict::DoesNotCompile(errors) => Some(plain(errors)),
                _ => None,
            },
            report: plain(text),
            cases: result
                .cases
                .iter()
                .map(|c| CaseReport {
                    name: c.name.clone(),
                    kind: c.kind.name().into(),
                    status: match c.status {
                        CaseStatus::Passed => "passed",
                        CaseStatus::Failed => "failed",
                        CaseStatus::NotRun => "not run",
                    }
                    .into(),
                    score: c.points,
                    max_score: c.max_points,
                    elapsed_secs: c.elapsed.as_secs_f64(),
                    happened: c.happened.clone(),
                    likely_cause: c.likely_cause.clone(),
                })
                .collect(),
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        seed: card.seed,
        source: (&card.source).into(),
        score: card.score(),
        max_score: card.max_score(),
        elapsed_secs: card.elapsed.as_secs_f64(),
        error: None,
        structural_checks_skipped: card.structural_skipped.clone(),
        sandbox_missing: card.sandbox_missing.clone(),
        exercises,
    }
}

/// The report of a check that could not run at all: a grade of zero with the reason.
pub fn failed_run(message: &str, seed: u64, source: &Source, max_score: f64) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        seed,
        source: source.into(),
        score: 0.0,
        max_score,
        elapsed_secs: 0.0,
        error: Some(message.into()),
        structural_checks_skipped: None,
        sandbox_missing: Vec::new(),
        exercises: Vec::new(),
    }
}
