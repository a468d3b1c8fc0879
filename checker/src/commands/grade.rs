//! `grade`: checks a class's submissions with this (the reference) checker, two at a time,
//! and writes a gradebook. Each submission is checked by a child checker process of its own,
//! so one submission's hang, flood or crash cannot touch another's; builds share the target
//! directory, so the dependencies are compiled once for the whole class. A report counts only
//! when its child checker ended normally in this run: an earlier one is removed first, and a
//! child that crashed or was killed scores zero whatever its report says.

use crate::output::json::Report;
use crate::sandbox::interrupt::interrupted;
use crate::session::{fresh_seed, name_hash};
use crate::wording::number;
use crate::workbook::build::MISSING;
use crate::workbook::manifest::Exercise;
use crate::workbook::{Workbook, write_atomic};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;

#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 once the gradebook is written, 1 when a submission's check did not finish (its row scores 0), 2 for usage or infrastructure errors."
)]
pub struct GradeArgs {
    /// Where to write gradebook.csv and each submission's report (NAME.json, NAME.txt).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Directories each holding a student's copy of the workbook (at least its exercises/).
    #[arg(required = true, value_name = "SUBMISSION")]
    submissions: Vec<PathBuf>,
    /// Base seed; each submission's own seed is derived from it and its name.
    #[arg(long)]
    seed: Option<u64>,
    /// Run each case N times; it passes only if every run passes.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(super::REPEATS))]
    repeat: u32,
    /// Submissions checked at once.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    jobs: u32,
}

/// One row of the gradebook.
struct Row {
    name: String,
    scores: Vec<f64>,
    /// Why points were lost, in a few words.
    reason: String,
    /// The child checker ended normally and its report was read.
    checked: bool,
}

pub fn grade(wb: &Workbook, args: &GradeArgs) -> Result<ExitCode, String> {
    let exercises = &wb.exercises;
    let mut names: Vec<String> = Vec::new();
    for dir in &args.submissions {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .ok_or_else(|| format!("{} is not a directory", dir.display()))?;
        if names.contains(&name) {
            return Err(format!(
                "two submissions are called `{name}`; the gradebook names rows by directory name"
            ));
        }
        names.push(name);
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let base = args.seed.unwrap_or_else(fresh_seed);
    let me = std::env::current_exe().map_err(|e| format!("cannot find the checker itself: {e}"))?;

    let queue: Mutex<Vec<usize>> = Mutex::new((0..names.len()).rev().collect());
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new((0..names.len()).map(|_| None).collect());
    let ticker = Ticker::new(names.len());
    std::thread::scope(|scope| {
        for _ in 0..args.jobs {
            scope.spawn(|| {
                loop {
                    if interrupted() {
                        return;
                    }
                    let Some(i) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                        return;
                    };
                    ticker.started(&names[i]);
                    let seed = (base ^ name_hash(&names[i])) % 1_000_000_000;
                    let row =
                        grade_one(&me, &args.submissions[i], &names[i], seed, args, exercises);
                    if let Ok(mut rows) = rows.lock() {
                        rows[i] = Some(row);
                    }
                    ticker.finished();
                }
            });
        }
    });
    ticker.clear();
    if interrupted() {
        return Ok(ExitCode::from(130));
    }
    let rows: Vec<Row> = rows
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let csv = gradebook(exercises, &rows);
    let path = args.out.join("gradebook.csv");
    write_atomic(&path, &csv)?;
    let max: u32 = exercises.iter().map(|e| e.points).sum();
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for row in &rows {
        let total: f64 = row.scores.iter().sum();
        sayln!(
            "{:<width$}  {:>5}/{max}  {}",
            row.name,
            number(total),
            row.reason
        );
    }
    sayln!(
        "wrote {} and one report per submission in {}",
        path.display(),
        args.out.display()
    );
    let unchecked = rows.iter().filter(|r| !r.checked).count();
    if unchecked > 0 {
        anstream::eprintln!(
            "checker: {unchecked} submission(s) could not be checked to the end and score 0: see their NAME.txt"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks one submission in a child checker and reads back its JSON report.
fn grade_one(
    me: &Path,
    dir: &Path,
    name: &str,
    seed: u64,
    args: &GradeArgs,
    exercises: &[Exercise],
) -> Row {
    let zero = |reason: String| Row {
        name: name.to_string(),
        scores: vec![0.0; exercises.len()],
        reason,
        checked: false,
    };
    // Usually the copy's exercises/ folder; a submission of just that folder works too.
    let folder = if dir.join("exercises").is_dir() {
        dir.join("exercises")
    } else {
        dir.to_path_buf()
    };
    let json_path = args.out.join(format!("{name}.json"));
    // A report from an earlier grading must never stand for this one.
    match std::fs::remove_file(&json_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return zero(format!("cannot remove its old report: {e}"));
        }
        _ => {}
    }
    let text = match std::fs::File::create(args.out.join(format!("{name}.txt"))) {
        Ok(f) => f,
        Err(e) => return zero(format!("cannot write its report: {e}")),
    };
    let errors = text
        .try_clone()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null());
    // `--exercises=DIR`: a folder whose name starts with `-` is still a folder.
    let mut exercises_arg = std::ffi::OsString::from("--exercises=");
    exercises_arg.push(&folder);
    let status = Command::new(me)
        .arg(exercises_arg)
        .args(["--format", "json", "--output"])
        .arg(&json_path)
        .args([
            "--seed",
            &seed.to_string(),
            "--repeat",
            &args.repeat.to_string(),
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(text)
        .stderr(errors)
        .status();
    let status = match status {
        Ok(status) => status,
        Err(e) => return zero(format!("cannot start the checker: {e}")),
    };
    let report: Option<Report> = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    match (status.code(), report) {
        // The check could not run (exit status 2); its report says why.
        (
            Some(0..=2),
            Some(Report {
                error: Some(error), ..
            }),
        ) => zero(error),
        // 0: every exercise passed; 1: one did not. Only then are the scores the checker's.
        (Some(0 | 1), Some(report)) => score(name, exercises, &report),
        (Some(0..=2), _) => zero("the check ended without a readable report".into()),
        _ => zero(format!("the check did not finish ({})", ended(&status))),
    }
}

/// How a child checker ended, in a few words.
fn ended(status: &std::process::ExitStatus) -> String {
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

/// A submission's row from its report: each exercise's score, and why points were lost.
fn score(name: &str, exercises: &[Exercise], report: &Report) -> Row {
    let mut lost = Vec::new();
    let scores = exercises
        .iter()
        .map(|e| {
            let r = report.exercises.iter().find(|r| r.name == e.name);
            let verdict = r.map_or("not checked", |r| r.verdict.as_str());
            let errors = r.and_then(|r| r.compiler_errors.as_deref()).unwrap_or("");
            let first_failure = r.and_then(|r| r.cases.iter().find_map(|c| c.happened.as_deref()));
            let number = e.name.split('_').next().unwrap_or(&e.name);
            match (verdict, first_failure) {
                ("passed", _) => {}
                _ if errors.contains(MISSING) => lost.push(format!("{number} missing")),
                ("failed", Some(what)) => {
                    let what: String = what.chars().take(60).collect();
                    lost.push(format!("{number} failed ({what})"))
                }
                _ => lost.push(format!("{number} {verdict}")),
            }
            r.map_or(0.0, |r| r.score)
        })
        .collect();
    Row {
        name: name.to_string(),
        scores,
        reason: if lost.is_empty() {
            "all passed".into()
        } else {
            lost.join(", ")
        },
        checked: true,
    }
}

/// `submission,<one column per exercise>,total,max`, one row per submission.
fn gradebook(exercises: &[Exercise], rows: &[Row]) -> String {
    let mut csv = String::from("submission");
    for e in exercises {
        csv.push(',');
        csv.push_str(&e.name);
    }
    csv.push_str(",total,max\n");
    let max: u32 = exercises.iter().map(|e| e.points).sum();
    for row in rows {
        csv.push_str(&csv_field(&row.name));
        for s in &row.scores {
            csv.push(',');
            csv.push_str(&number(*s));
        }
        csv.push_str(&format!(",{},{max}\n", number(row.scores.iter().sum())));
    }
    csv
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A one-line progress bar on a terminal; nothing elsewhere.
struct Ticker {
    total: usize,
    done: Mutex<(usize, String)>,
    on: bool,
}

impl Ticker {
    fn new(total: usize) -> Ticker {
        Ticker {
            total,
            done: Mutex::new((0, String::new())),
            on: std::io::stderr().is_terminal(),
        }
    }

    fn started(&self, name: &str) {
        if let Ok(mut d) = self.done.lock() {
            d.1 = name.to_string();
        }
        self.draw();
    }

    fn finished(&self) {
        if let Ok(mut d) = self.done.lock() {
            d.0 += 1;
        }
        self.draw();
    }

    fn draw(&self) {
        let Ok(d) = self.done.lock() else { return };
        if self.on {
            let filled = d.0 * 30 / self.total.max(1);
            eprint!(
                "\r\x1b[2K[{}{}] {}/{} {}",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                d.0,
                self.total,
                d.1
            );
        }
    }

    fn clear(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradebook_has_a_column_per_exercise_and_quotes_odd_names() {
        let exercises = crate::workbook::manifest::exercises();
        let mut scores = vec![0.0; exercises.len()];
        scores[0] = 20.0;
        scores[1] = 2.5;
        let rows = vec![Row {
            name: "ann, b".into(),
            scores,
            reason: String::new(),
            checked: true,
        }];
        let csv = gradebook(&exercises, &rows);
        let mut lines = csv.lines();
        let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            lines.next(),
            Some(format!("submission,{},total,max", names.join(",")).as_str())
        );
        let max: u32 = exercises.iter().map(|e| e.points).sum();
        let zeros = ",0".repeat(exercises.len() - 2);
        assert_eq!(
            lines.next(),
            Some(format!("\"ann, b\",20,2.5{zeros},22.5,{max}").as_str())
        );
    }
}
