//! What a check looks like to its readers: `text`, the report a student reads; `json`,
//! pipes-lab's versioned report; `gradescope`, Gradescope's results.json; `drawing`, the X-ray's
//! pictures. Each reads judging's types and decides nothing.

pub mod drawing;
pub mod gradescope;
pub mod json;
pub mod text;

use crate::judging::scorecard::Scorecard;
use crate::workbook::build::Source;

/// What a check prints: the report for people, pipes-lab's JSON, or Gradescope's results.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Gradescope,
}

/// A machine-readable format of a check, as pretty JSON with a final newline; `texts` are the
/// exercises' text reports, in order.
pub fn machine(format: Format, card: &Scorecard, texts: &[String]) -> Result<String, String> {
    match format {
        Format::Gradescope => to_json(&gradescope::results(card, texts)),
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
        _ => to_json(&json::failed_run(message, seed, source, max_score)),
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    Ok(serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n")
}

/// Text without its styles.
fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}
