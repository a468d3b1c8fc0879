//! What a submission earns from how its child checker ended and the report it sent: its
//! scores, its status and why points were lost. A report counts only when its checker ended
//! normally in this run; a checker that crashed, was killed or was stopped scores zero,
//! whatever its report says.

use crate::output::json::Report;
use crate::workbook::build::MISSING;
use crate::workbook::manifest::Exercise;
use crate::workbook::upload::{self, NOTHING_FOUND};
use std::process::ExitStatus;

/// A gradebook row's `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Checked to the end; the points are the report's.
    Graded,
    /// No exercise compiled.
    DidNotCompile,
    /// No exercise file, two copies of them, or not a folder.
    NoFiles,
    /// The child checker did not end normally, its report could not be read, or the check
    /// could not run.
    Crashed,
    /// Grading was interrupted while this submission was being checked.
    Interrupted,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::DidNotCompile => "did not compile",
            Status::NoFiles => "no files",
            Status::Crashed => "crashed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// What a submission earned in this run.
#[derive(Debug)]
pub struct Earned {
    /// One per exercise, in the manifest's order.
    pub scores: Vec<f64>,
    pub status: Status,
    /// Why points were lost, in a few words.
    pub reason: String,
    /// The child's report is the submission's report (else grade writes one of its own,
    /// scoring zero with the reason).
    pub report_stands: bool,
}

impl Earned {
    /// Nothing, for the reason given.
    pub fn zero(exercises: &[Exercise], status: Status, reason: String) -> Earned {
        Earned {
            scores: vec![0.0; exercises.len()],
            status,
            reason,
            report_stands: false,
        }
    }
}

/// What a child's report earns: its scores only when the child ended normally (0: every
/// exercise passed, 1: one did not), and was not told to stop.
pub fn accept(
    status: &ExitStatus,
    stopped: bool,
    report: Option<&Report>,
    exercises: &[Exercise],
) -> Earned {
    let zero = |status, reason: String| Earned::zero(exercises, status, reason);
    if stopped {
        return zero(
            Status::Interrupted,
            "grading was interrupted during its check".into(),
        );
    }
    match (status.code(), report) {
        // The check could not run (exit status 2); its report says why.
        (
            Some(0..=2),
            Some(Report {
                error: Some(error), ..
            }),
        ) => Earned {
            report_stands: true,
            ..zero(
                if upload::refused(error) {
                    Status::NoFiles
                } else {
                    Status::Crashed
                },
                error.clone(),
            )
        },
        (Some(0 | 1), Some(report)) => score(exercises, report),
        (Some(0..=2), _) => zero(
            Status::Crashed,
            "the check ended without a readable report".into(),
        ),
        _ => zero(
            Status::Crashed,
            format!("the check did not finish ({})", ended(status)),
        ),
    }
}

/// How a child checker ended, in a few words.
pub fn ended(status: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => match nix::sys::signal::Signal::try_from(sig) {
            Ok(sig) => format!("killed by {}", sig.as_str()),
            Err(_) => format!("killed by signal {sig}"),
        },
        (None, None) => "stopped".into(),
    }
}

/// A finished report's scores, and why points were lost; `did not compile` when no exercise
/// compiled, `no files` when none was there.
fn score(exercises: &[Exercise], report: &Report) -> Earned {
    let mut lost = Vec::new();
    let (mut missing, mut uncompiled) = (0, 0);
    let scores = exercises
        .iter()
        .map(|e| {
            let r = report.exercises.iter().find(|r| r.name == e.name);
            let verdict = r.map_or("not checked", |r| r.verdict.as_str());
            let errors = r.and_then(|r| r.compiler_errors.as_deref()).unwrap_or("");
            let first_failure = r.and_then(|r| r.cases.iter().find_map(|c| c.happened.as_deref()));
            let number = e.name.split('_').next().unwrap_or(&e.name);
            uncompiled += usize::from(verdict == "does not compile");
            match (verdict, first_failure) {
                ("passed", _) => {}
                _ if errors.contains(MISSING) => {
                    missing += 1;
                    lost.push(format!("{number} missing"))
                }
                ("failed", Some(what)) => {
                    let what: String = what.chars().take(60).collect();
                    lost.push(format!("{number} failed ({what})"))
                }
                _ => lost.push(format!("{number} {verdict}")),
            }
            r.map_or(0.0, |r| r.score)
        })
        .collect();
    let (status, reason) = if missing == exercises.len() {
        (Status::NoFiles, NOTHING_FOUND.to_string())
    } else if uncompiled == exercises.len() {
        (Status::DidNotCompile, lost.join(", "))
    } else if lost.is_empty() {
        (Status::Graded, "all passed".into())
    } else {
        (Status::Graded, lost.join(", "))
    };
    Earned {
        scores,
        status,
        reason,
        report_stands: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::json::{ExerciseReport, ReportSource, SCHEMA_VERSION};
    use std::os::unix::process::ExitStatusExt;

    fn exercise(name: &str, verdict: &str, score: f64, errors: Option<&str>) -> ExerciseReport {
        ExerciseReport {
            name: name.into(),
            title: String::new(),
            verdict: verdict.into(),
            score,
            max_score: 20,
            elapsed_secs: 1.0,
            compiler_errors: errors.map(String::from),
            report: String::new(),
            cases: Vec::new(),
        }
    }

    fn report(exercises: Vec<ExerciseReport>, error: Option<&str>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            seed: 1,
            source: ReportSource::Exercises,
            score: exercises.iter().map(|e| e.score).sum(),
            max_score: 185.0,
            elapsed_secs: 1.0,
            error: error.map(String::from),
            structural_checks_skipped: None,
            sandbox_missing: Vec::new(),
            exercises,
        }
    }

    fn exited(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn a_report_counts_only_from_a_checker_that_ended_normally() {
        let exercises = crate::workbook::manifest::exercises();
        let killed = ExitStatus::from_raw(libc::SIGKILL);
        let forged = report(vec![exercise("01_raw_pipe", "passed", 20.0, None)], None);
        let row = accept(&exited(1), false, Some(&forged), &exercises);
        assert_eq!((row.scores[0], row.status), (20.0, Status::Graded));
        let row = accept(&killed, false, Some(&forged), &exercises);
        assert_eq!((row.scores[0], row.status), (0.0, Status::Crashed));
        assert_eq!(row.reason, "the check did not finish (killed by SIGKILL)");
        assert!(!row.report_stands);
        let row = accept(&exited(101), false, Some(&forged), &exercises);
        assert_eq!(row.reason, "the check did not finish (exit status 101)");
        let row = accept(&exited(1), true, Some(&forged), &exercises);
        assert_eq!((row.scores[0], row.status), (0.0, Status::Interrupted));
        let cannot = report(Vec::new(), Some("cannot run cargo"));
        let row = accept(&exited(2), false, Some(&cannot), &exercises);
        assert_eq!(
            (row.status, row.reason.as_str()),
            (Status::Crashed, "cannot run cargo")
        );
        let row = accept(&exited(0), false, None, &exercises);
        assert_eq!(row.reason, "the check ended without a readable report");
        assert_eq!(row.status, Status::Crashed);
    }

    #[test]
    fn no_file_and_no_compiled_exercise_have_their_own_status() {
        let exercises = crate::workbook::manifest::exercises();
        let none = report(
            Vec::new(),
            Some("no exercise files found in ann (no exercises/ folder)"),
        );
        let row = accept(&exited(2), false, Some(&none), &exercises);
        assert_eq!(row.status, Status::NoFiles);
        assert!(row.report_stands);
        let with = |first: ExerciseReport| {
            let mut all = vec![first];
            for e in &exercises[1..] {
                let errors = format!("{} {MISSING}", e.name);
                all.push(exercise(&e.name, "does not compile", 0.0, Some(&errors)));
            }
            accept(&exited(1), false, Some(&report(all, None)), &exercises)
        };
        let missing = format!("01_raw_pipe.rs {MISSING}");
        let row = with(exercise(
            "01_raw_pipe",
            "does not compile",
            0.0,
            Some(&missing),
        ));
        assert_eq!(
            (row.status, row.reason.as_str()),
            (Status::NoFiles, NOTHING_FOUND)
        );
        let broken = "error[E0308]: mismatched types";
        let row = with(exercise(
            "01_raw_pipe",
            "does not compile",
            0.0,
            Some(broken),
        ));
        assert_eq!(row.status, Status::DidNotCompile);
        assert!(row.reason.starts_with("01 does not compile, 02 missing"));
        let row = with(exercise("01_raw_pipe", "not started", 0.0, None));
        assert_eq!(row.status, Status::Graded);
    }
}
