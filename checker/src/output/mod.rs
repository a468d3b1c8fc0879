//! What a check looks like to its readers: `text`, the report a student reads; `json`,
//! pipes-lab's versioned report; `gradescope`, Gradescope's results.json; `classroom`, what
//! GitHub Classroom's grading reporter reads; `drawing`, the X-ray's pictures; `timeline`, the
//! X-ray's timeline as a page to open. Each reads
//! judging's types and decides nothing.

pub mod classroom;
pub mod drawing;
pub mod gradescope;
pub mod json;
pub mod text;
pub mod timeline;

use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::{CaseOutcome, CaseStatus};
use crate::workbook::build::Source;
use crate::workbook::manifest::Exercise;

/// What a check prints: the report for people, pipes-lab's JSON, Gradescope's results.json,
/// or a GitHub Classroom runner's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Gradescope,
    Classroom,
}

/// Who sees a Gradescope test's result, as Gradescope names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    #[value(name = "after_due_date")]
    AfterDueDate,
    #[value(name = "after_published")]
    AfterPublished,
}

/// A machine-readable format of a check, with a final newline (pretty JSON, or one line of
/// base64 for Classroom); `texts` are the exercises' text reports, in order.
pub fn machine(
    format: Format,
    card: &Scorecard,
    texts: &[String],
    visibility: Visibility,
) -> Result<String, String> {
    match format {
        Format::Gradescope => to_json(&gradescope::results(card, texts, visibility)),
        Format::Classroom => classroom::encoded(&classroom::runner(card, texts)),
        _ => to_json(&json::report(card, texts)),
    }
}

/// A machine-readable format of a check that could not run at all.
pub fn machine_failed(
    format: Format,
    message: &str,
    seed: u64,
    source: &Source,
    max_score: f64,
) -> Result<String, String> {
    match format {
        Format::Gradescope => to_json(&gradescope::failed_run(message)),
        Format::Classroom => classroom::encoded(&classroom::failed_run(message, max_score)),
        _ => to_json(&json::failed_run(message, seed, source, max_score)),
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    Ok(serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n")
}

/// Every case of a check, each with what a grading engine shows for it: nothing when it
/// passed, what happened and the likely cause when it failed, why it did not run; the
/// exercise's whole report goes with its first case that did not pass.
fn cases_shown<'c>(
    card: &'c Scorecard,
    texts: &[String],
) -> Vec<(&'c Exercise, &'c CaseOutcome, String)> {
    let mut shown = Vec::new();
    for ((ex, result), text) in card.rows().zip(texts) {
        let mut explained = false;
        for c in &result.cases {
            let mut message = match c.status {
                CaseStatus::Passed => String::new(),
                CaseStatus::Failed => format!(
                    "{}\nlikely cause: {}",
                    c.happened.as_deref().unwrap_or(""),
                    c.likely_cause.as_deref().unwrap_or("")
                ),
                CaseStatus::NotRun => format!("not run: {}", result.verdict.word()),
            };
            if c.status != CaseStatus::Passed && !explained {
                message = format!("{message}\n\n{}", plain(text));
                explained = true;
            }
            shown.push((ex, c, message));
        }
    }
    shown
}

/// Text without its styles.
fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}
