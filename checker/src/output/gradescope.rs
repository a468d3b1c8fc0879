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
    let tests = super::cases_shown(card, texts)
        .into_iter()
        .map(|(ex, c, output)| Test {
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
        })
        .collect();
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
