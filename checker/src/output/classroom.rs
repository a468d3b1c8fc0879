//! GitHub Classroom's autograding: the result a runner step hands to Classroom's grading
//! reporter (`classroom-resources/autograding-grading-reporter`), which sums each test's
//! score against the runner's `max_score`. One test per case, base64 of the JSON, as the
//! reporter reads it from the step's `result` output.

use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::CaseStatus;
use base64::Engine;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Runner {
    pub version: u32,
    /// `pass` when every case passed, `fail` when one did not, `error` when the check could
    /// not run.
    pub status: &'static str,
    pub max_score: f64,
    pub tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
pub struct Test {
    pub name: String,
    pub status: &'static str,
    pub score: f64,
    pub message: String,
    /// The command that replays the case's check.
    pub test_code: String,
    pub filename: String,
    pub line_no: u32,
    /// Milliseconds.
    pub duration: u64,
}

/// The runner result of a check, with each exercise's text report (`texts`, in order): the
/// report goes with the exercise's first case that did not pass.
pub fn runner(card: &Scorecard, texts: &[String]) -> Runner {
    let tests = super::cases_shown(card, texts)
        .into_iter()
        .map(|(ex, c, message)| Test {
            name: format!("{}: {}", ex.name, c.name),
            status: if c.status == CaseStatus::Passed {
                "pass"
            } else {
                "fail"
            },
            score: c.points,
            message,
            test_code: format!("cargo lab {} --seed {}", ex.number(), card.seed),
            filename: ex.exercise_path(),
            line_no: 0,
            duration: c.elapsed.as_millis() as u64,
        })
        .collect();
    Runner {
        version: 1,
        status: if card.all_passed() { "pass" } else { "fail" },
        max_score: card.max_score(),
        tests,
    }
}

/// The runner result of a check that could not run at all: every point lost, with the reason.
pub fn failed_run(message: &str, max_score: f64) -> Runner {
    Runner {
        version: 1,
        status: "error",
        max_score,
        tests: vec![Test {
            name: "the check".into(),
            status: "error",
            score: 0.0,
            message: format!("The check could not run: {message}"),
            test_code: String::new(),
            filename: String::new(),
            line_no: 0,
            duration: 0,
        }],
    }
}

/// What the step's `result` output holds: the JSON, base64-encoded, on one line.
pub fn encoded(runner: &Runner) -> Result<String, String> {
    let json = serde_json::to_string(runner).map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(json) + "\n")
}
