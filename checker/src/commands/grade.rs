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
    /// Refuse to grade where the sandbox lacks any protection (see INSTRUCTORS.md, The sandbox).
    #[arg(long)]
    require_sandbox: bool,
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
    let me = Checker {
        program: std::env::current_exe()
            .map_err(|e| format!("cannot find the checker itself: {e}"))?,
        target_dir: &wb.target_dir,
    };

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

/// Checks one submission in a child checker. The report comes back over a pipe only this
/// process holds (the child's descriptor 3, which no program of the run inherits), and
/// becomes a grade only if the child ended normally; NAME.txt and NAME.json are written once
/// the child, and so every process of its runs, is gone.
fn grade_one(
    me: &Checker,
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
    let (json_path, text_path) = (
        args.out.join(format!("{name}.json")),
        args.out.join(format!("{name}.txt")),
    );
    // Reports from an earlier grading must never stand for this one.
    for old in [&json_path, &text_path] {
        match std::fs::remove_file(old) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return zero(format!("cannot remove its old report: {e}"));
            }
            _ => {}
        }
    }
    // Usually the copy's exercises/ folder; a submission of just that folder works too.
    let folder = if dir.join("exercises").is_dir() {
        dir.join("exercises")
    } else {
        dir.to_path_buf()
    };
    let checked = match check_in_child(me, &folder, seed, args) {
        Ok(checked) => checked,
        Err(e) => return zero(format!("cannot start the checker: {e}")),
    };
    let mut text = checked.text;
    if let Some(line) = verdict_line(&checked.status) {
        text.extend_from_slice(line.as_bytes());
    }
    if let Err(e) = std::fs::write(&text_path, &text) {
        return zero(format!("cannot write its report: {e}"));
    }
    let report: Option<Report> = serde_json::from_slice(&checked.report).ok();
    if let Some(report) = &report
        && let Ok(json) = serde_json::to_string_pretty(report)
        && let Err(e) = write_atomic(&json_path, &(json + "\n"))
    {
        return zero(e);
    }
    let mut row = accept(&checked.status, report.as_ref(), exercises);
    row.name = name.to_string();
    row
}

/// What a child checker left: how it ended, its text report (stdout and stderr), and the
/// JSON report it sent.
struct Checked {
    status: std::process::ExitStatus,
    text: Vec<u8>,
    report: Vec<u8>,
}

/// The checker program each submission is checked by, and the target directory it uses.
struct Checker<'a> {
    program: PathBuf,
    target_dir: &'a Path,
}

fn check_in_child(
    me: &Checker,
    folder: &Path,
    seed: u64,
    args: &GradeArgs,
) -> std::io::Result<Checked> {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let (text_rx, text_tx) = std::io::pipe()?;
    let (report_rx, report_tx) = std::io::pipe()?;
    // `--exercises=DIR`: a folder whose name starts with `-` is still a folder.
    let mut exercises_arg = std::ffi::OsString::from("--exercises=");
    exercises_arg.push(folder);
    let mut target = std::ffi::OsString::from("--target-dir=");
    target.push(me.target_dir);
    let mut command = Command::new(&me.program);
    command
        .arg(exercises_arg)
        .args(["--format", "json", "--report-fd", "3"])
        // The submissions are checked side by side already: one lane each.
        .args(["--jobs", "1"])
        .arg(target)
        .args([
            "--seed",
            &seed.to_string(),
            "--repeat",
            &args.repeat.to_string(),
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(text_tx.try_clone()?)
        .stderr(text_tx);
    if args.require_sandbox {
        command.arg("--require-sandbox");
    }
    let fd = report_tx.as_raw_fd();
    // SAFETY: dup2 only, between fork and exec; the pipe's own descriptor is close-on-exec.
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let mut child = command.spawn()?;
    drop(command);
    drop(report_tx);
    let read_all = |mut from: std::io::PipeReader| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut from, &mut bytes);
            bytes
        })
    };
    let (text, report) = (read_all(text_rx), read_all(report_rx));
    let status = child.wait()?;
    Ok(Checked {
        status,
        text: text.join().unwrap_or_default(),
        report: report.join().unwrap_or_default(),
    })
}

/// The last line of NAME.txt when the child did not end on its own.
fn verdict_line(status: &std::process::ExitStatus) -> Option<String> {
    (!matches!(status.code(), Some(0..=2)))
        .then(|| format!("\ngrade: the check did not finish ({})\n", ended(status)))
}

/// The row a child's report earns: its scores only when the child ended normally (0: every
/// exercise passed, 1: one did not); the reason otherwise.
fn accept(
    status: &std::process::ExitStatus,
    report: Option<&Report>,
    exercises: &[Exercise],
) -> Row {
    let zero = |reason: String| Row {
        name: String::new(),
        scores: vec![0.0; exercises.len()],
        reason,
        checked: false,
    };
    match (status.code(), report) {
        // The check could not run (exit status 2); its report says why.
        (
            Some(0..=2),
            Some(Report {
                error: Some(error), ..
            }),
        ) => zero(error.clone()),
        (Some(0 | 1), Some(report)) => score(exercises, report),
        (Some(0..=2), _) => zero("the check ended without a readable report".into()),
        _ => zero(format!("the check did not finish ({})", ended(status))),
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
fn score(exercises: &[Exercise], report: &Report) -> Row {
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
        name: String::new(),
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
    use crate::output::json::{ExerciseReport, ReportSource, SCHEMA_VERSION};
    use std::os::unix::process::ExitStatusExt;

    fn report(score: f64, error: Option<&str>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            seed: 1,
            source: ReportSource::Exercises,
            score,
            max_score: 185.0,
            elapsed_secs: 1.0,
            error: error.map(String::from),
            structural_checks_skipped: None,
            sandbox_missing: Vec::new(),
            exercises: vec![ExerciseReport {
                name: "01_raw_pipe".into(),
                title: String::new(),
                verdict: "passed".into(),
                score,
                max_score: 20,
                elapsed_secs: 1.0,
                compiler_errors: None,
                report: String::new(),
                cases: Vec::new(),
            }],
        }
    }

    #[test]
    fn a_report_counts_only_from_a_checker_that_ended_normally() {
        let exercises = crate::workbook::manifest::exercises();
        let exited = |code: i32| std::process::ExitStatus::from_raw(code << 8);
        let killed = std::process::ExitStatus::from_raw(libc::SIGKILL);
        let forged = report(20.0, None);
        let row = accept(&exited(1), Some(&forged), &exercises);
        assert_eq!((row.scores[0], row.checked), (20.0, true));
        let row = accept(&killed, Some(&forged), &exercises);
        assert_eq!((row.scores[0], row.checked), (0.0, false));
        assert_eq!(row.reason, "the check did not finish (killed by SIGKILL)");
        let row = accept(&exited(101), Some(&forged), &exercises);
        assert_eq!(row.reason, "the check did not finish (exit status 101)");
        let row = accept(
            &exited(2),
            Some(&report(0.0, Some("cannot run cargo"))),
            &exercises,
        );
        assert_eq!(row.reason, "cannot run cargo");
        let row = accept(&exited(0), None, &exercises);
        assert_eq!(row.reason, "the check ended without a readable report");
        assert!(verdict_line(&killed).is_some_and(|l| l.contains("killed by SIGKILL")));
        assert_eq!(verdict_line(&exited(1)), None);
    }

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
