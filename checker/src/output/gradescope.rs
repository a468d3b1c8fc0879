//! Gradescope's `results.json`: one test per case, with the exercise's report in the output of
//! its first failed (or not run) case.

use super::text;
use super::{Visibility, plain};
use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::CaseStatus;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Results {
    pub score: f64,
    /// Whole seconds; absent when the check could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_time: Option<u64>,
    pub output: String,
    /// The default for the tests; each test also says its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    pub tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
pub struct Test {
    pub name: String,
    pub score: f64,
    pub max_score: f64,
    pub status: &'static str,
    pub output: String,
    pub visibility: Visibility,
}

/// The results of a check, with each exercise's text report (`texts`, in the same order).
pub fn results(card: &Scorecard, texts: &[String], visibility: Visibility) -> Results {
    let mut tests = Vec::new();
    for ((ex, result), text) in card.rows().zip(texts) {
        let mut explained = false;
        for c in &result.cases {
            let mut output = match c.status {
                CaseStatus::Passed => String::new(),
                CaseStatus::Failed => format!(
                    "{}\nlikely cause: {}",
                    c.happened.as_deref().unwrap_or(""),
                    c.likely_cause.as_deref().unwrap_or("")
                ),
                CaseStatus::NotRun => format!("not run: {}", result.verdict.word()),
            };
            if c.status != CaseStatus::Passed && !explained {
                output = format!("{output}\n\n{}", plain(text));
                explained = true;
            }
            tests.push(Test {
                name: format!("{}: {}", ex.name, c.name),
                score: c.points,
                max_score: c.max_points,
                status: if c.status == CaseStatus::Passed {
                    "passed"
                } else {
                    "failed"
                },
                output,
                visibility,
            });
        }
    }
    Results {
        score: card.score(),
        execution_time: Some(card.elapsed.as_secs_f64().ceil() as u64),
        output: format!("{}\nseed {}", plain(&text::summary(card)), card.seed),
        visibility: Some(visibility),
        tests,
    }
}

/// The results of a check that could not run at all: a grade of zero with the reason.
pub fn failed_run(message: &str) -> Results {
    Results {
        score: 0.0,
        execution_time: None,
        output: format!("The check could not run: {message}"),
        visibility: None,
        tests: Vec::new(),
    }
}
