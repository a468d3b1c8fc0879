//! Grades a machine can read: pipes-lab's own JSON (versioned), and Gradescope's
//! `results.json`. Both are written whatever the student's code did, and on an
//! infrastructure error too.

use crate::check::{CaseStatus, Verdict};
use crate::session::Session;
use crate::workspace::Source;
use serde_json::{Value, json};
use std::path::Path;

/// The version of pipes-lab's JSON schema; it changes only when a field changes meaning or
/// goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Gradescope,
}

fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

fn source(session: &Session) -> Value {
    match &session.source {
        Source::Exercises => json!("exercises"),
        Source::Solutions => json!("solutions"),
        Source::Copy(dir) => json!({ "copy": dir.display().to_string() }),
    }
}

/// pipes-lab's own schema: every exercise, case, verdict and diagnosis, the seed and timings.
pub fn pipes_lab(session: &Session) -> Value {
    let exercises: Vec<Value> = session
        .exercises
        .iter()
        .zip(&session.results)
        .zip(&session.reports)
        .map(|((ex, result), text)| {
            let cases: Vec<Value> = result
                .cases
                .iter()
                .map(|c| {
                    json!({
                        "name": c.name,
                        "kind": c.kind.name(),
                        "status": match c.status {
                            CaseStatus::Passed => "passed",
                            CaseStatus::Failed => "failed",
                            CaseStatus::NotRun => "not run",
                        },
                        "score": c.points,
                        "max_score": c.max_points,
                        "elapsed_secs": c.elapsed.as_secs_f64(),
                        "happened": c.happened,
                        "likely_cause": c.likely_cause,
                    })
                })
                .collect();
            json!({
                "name": ex.name,
                "title": ex.title,
                "verdict": result.verdict.word(),
                "score": result.score(),
                "max_score": ex.points,
                "elapsed_secs": result.elapsed.as_secs_f64(),
                "compiler_errors": match &result.verdict {
                    Verdict::DoesNotCompile(errors) => Some(plain(errors)),
                    _ => None,
                },
                "report": plain(text),
                "cases": cases,
            })
        })
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "seed": session.seed,
        "source": source(session),
        "score": session.score(),
        "max_score": session.max_score(),
        "elapsed_secs": session.elapsed.as_secs_f64(),
        "error": null,
        // null when every run was traced and judged on its wiring too; else why not.
        "structural_checks_skipped": crate::xray::skipped(),
        "exercises": exercises,
    })
}

/// Gradescope's `results.json`: one test per case, with the exercise's report in the output
/// of its first failed (or not run) case.
pub fn gradescope(session: &Session) -> Value {
    let mut tests = Vec::new();
    for ((ex, result), text) in session
        .exercises
        .iter()
        .zip(&session.results)
        .zip(&session.reports)
    {
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
            tests.push(json!({
                "name": format!("{}: {}", ex.name, c.name),
                "score": c.points,
                "max_score": c.max_points,
                "status": if c.status == CaseStatus::Passed { "passed" } else { "failed" },
                "output": output,
                "visibility": "visible",
            }));
        }
    }
    json!({
        "score": session.score(),
        "execution_time": session.elapsed.as_secs_f64().ceil() as u64,
        "output": format!("{}\nseed {}", plain(&session.summary()), session.seed),
        "tests": tests,
    })
}

/// What is written when the check could not run at all: a grade of zero with the reason.
pub fn failed_run(format: Format, message: &str, seed: u64) -> Value {
    match format {
        Format::Gradescope => json!({
            "score": 0.0,
            "output": format!("The check could not run: {message}"),
            "tests": [],
        }),
        _ => json!({
            "schema_version": SCHEMA_VERSION,
            "seed": seed,
            "score": 0.0,
            "max_score": crate::manifest::exercises().iter().map(|e| e.points as f64).sum::<f64>(),
            "error": message,
            "exercises": [],
        }),
    }
}

pub fn render(format: Format, session: &Session) -> Value {
    match format {
        Format::Gradescope => gradescope(session),
        _ => pipes_lab(session),
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
