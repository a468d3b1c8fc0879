//! `grade`: checks a class's submissions with this (the reference) checker, two at a time,
//! and keeps a gradebook. Each submission is checked by a child checker process of its own
//! (`child`), so one submission's hang, flood or crash cannot touch another's; builds share
//! the target directory, so the dependencies are compiled once for the whole class. What a
//! child's end and report earn is decided in `outcome`; the gradebook is rewritten after each
//! submission (`gradebook`), so an interrupted run keeps every finished row.

mod child;
mod gradebook;
mod outcome;
mod progress;

use crate::output::json::{Report, failed_run};
use crate::sandbox::interrupt::interrupted;
use crate::session::fresh_seed;
use crate::wording::number;
use crate::workbook::Workbook;
use crate::workbook::build::Source;
use crate::workbook::manifest::Exercise;
use crate::workbook::upload;
use gradebook::Gradebook;
use outcome::{Earned, Status};
use progress::Progress;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 once the gradebook is written, 1 when a submission's check crashed (its row scores 0), 2 for usage or infrastructure errors, 130 when interrupted (the gradebook keeps every finished row)."
)]
pub struct GradeArgs {
    /// Where to write gradebook.csv and each submission's reports (NAME.json, NAME.txt) and
    /// kept runs (NAME.runs/).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Folders each holding a student's exercise files (an exercises/ folder anywhere in it,
    /// else src/bin/, else the NN_name.rs files).
    #[arg(required = true, value_name = "SUBMISSION")]
    submissions: Vec<PathBuf>,
    /// The seed every submission is checked with (default: one fresh seed for the run).
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
    /// Refuse to grade where runs cannot be traced, rather than skip the structural checks
    /// (see INSTRUCTORS.md, Structural checks).
    #[arg(long)]
    require_xray: bool,
    /// Replace a gradebook in DIR that has other columns (another version of the exercises),
    /// and its rows, instead of refusing.
    #[arg(long)]
    force: bool,
}

/// A submission as given on the command line.
struct Submission {
    path: PathBuf,
    /// Its row's name and the stem of its files in the output folder: the folder's name.
    name: String,
    /// Why it cannot be checked: it is not a folder.
    not_a_folder: Option<String>,
}

/// What every submission of a grading shares.
struct Class<'a> {
    /// This checker, which checks every submission (never a copy a submission brings).
    program: PathBuf,
    target_dir: &'a Path,
    /// The output folder, absolute: the reports name the kept runs in it.
    out: PathBuf,
    seed: u64,
    args: &'a GradeArgs,
    exercises: &'a [Exercise],
    max: u32,
}

/// One submission's result in this run.
struct Graded {
    name: String,
    earned: Earned,
    seconds: f64,
}

impl Graded {
    fn total(&self) -> f64 {
        self.earned.scores.iter().sum()
    }
}

pub fn grade(wb: &Workbook, args: &GradeArgs) -> Result<ExitCode, String> {
    let submissions = submissions(&args.submissions)?;
    let names: Vec<String> = submissions.iter().map(|s| s.name.clone()).collect();
    // Before anything runs: a gradebook of another version is refused as it is.
    let book = Gradebook::open(
        &args.out,
        gradebook::columns(&wb.exercises),
        &names,
        args.force,
    )?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let class = Class {
        program: std::env::current_exe()
            .map_err(|e| format!("cannot find the checker itself: {e}"))?,
        target_dir: &wb.target_dir,
        out: args
            .out
            .canonicalize()
            .map_err(|e| format!("cannot open {}: {e}", args.out.display()))?,
        seed: args.seed.unwrap_or_else(fresh_seed),
        args,
        exercises: &wb.exercises,
        max: wb.exercises.iter().map(|e| e.points).sum(),
    };
    sayln!(
        "grading {} submission(s) with seed {}",
        submissions.len(),
        class.seed
    );
    let book = Mutex::new(book);
    let progress = Progress::new(&names, class.max);
    let (graded, unwritten) = grade_all(&class, &submissions, &book, &progress);
    progress.clear();
    let book = book.into_inner().unwrap_or_else(PoisonError::into_inner);
    book.write()?;
    if let Some(e) = unwritten {
        anstream::eprintln!(
            "checker: the gradebook could not be rewritten during the run ({e}); it is whole now"
        );
    }
    summarize(&class, &graded, book.path());
    let count = |status| graded.iter().filter(|g| g.earned.status == status).count();
    if interrupted() {
        anstream::eprintln!(
            "checker: interrupted; {} submission(s) being checked are marked interrupted, every finished row is kept, and every process of the run is stopped",
            count(Status::Interrupted)
        );
        return Ok(ExitCode::from(130));
    }
    if count(Status::Crashed) > 0 {
        anstream::eprintln!(
            "checker: {} submission(s) could not be checked to the end and score 0: see their NAME.txt",
            count(Status::Crashed)
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The submissions, each named by its folder; two of the same name are refused, since their
/// rows and files would be one.
fn submissions(paths: &[PathBuf]) -> Result<Vec<Submission>, String> {
    let mut submissions: Vec<Submission> = Vec::new();
    for path in paths {
        // Named as spelled (`.` is the working folder's name), never after where a link
        // points: the upload rule refuses a link anyway.
        let name = upload::absolute(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                format!(
                    "cannot name a row after `{}`: give each submission's own folder",
                    path.display()
                )
            })?;
        if submissions.iter().any(|s| s.name == name) {
            return Err(format!(
                "two submissions are called `{name}`; the gradebook names rows by folder name"
            ));
        }
        let not_a_folder = if path.is_dir() {
            None
        } else if path.exists() {
            Some(format!(
                "{} is not a folder (unpack it into a folder of its own)",
                path.display()
            ))
        } else {
            Some(format!("{} does not exist", path.display()))
        };
        submissions.push(Submission {
            path: path.clone(),
            name,
            not_a_folder,
        });
    }
    Ok(submissions)
}

/// Grades the submissions, `jobs` at a time, rewriting the gradebook after each; stops
/// taking new ones when interrupted. Returns what was graded, in the submissions' order, and
/// the first gradebook write that failed.
fn grade_all(
    class: &Class,
    submissions: &[Submission],
    book: &Mutex<Gradebook>,
    progress: &Progress,
) -> (Vec<Graded>, Option<String>) {
    let queue: Mutex<Vec<usize>> = Mutex::new((0..submissions.len()).rev().collect());
    let results: Mutex<Vec<Option<Graded>>> =
        Mutex::new((0..submissions.len()).map(|_| None).collect());
    let unwritten: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..class.args.jobs {
            scope.spawn(|| {
                while !interrupted() {
                    let Some(i) = lock(&queue).pop() else { return };
                    let submission = &submissions[i];
                    progress.started(&submission.name);
                    let graded = grade_one(class, submission);
                    let mut book = lock(book);
                    book.set(row(class, &graded).cells());
                    if let Err(e) = book.write() {
                        lock(&unwritten).get_or_insert(e);
                    }
                    drop(book);
                    progress.finished(
                        &graded.name,
                        graded.total(),
                        graded.earned.status.word(),
                        graded.seconds,
                    );
                    lock(&results)[i] = Some(graded);
                }
            });
        }
    });
    let graded = results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect();
    (
        graded,
        unwritten
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
    )
}

/// A lock, even one a panicking thread left: what it guards is whole between statements.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A submission's gradebook row.
fn row<'g>(class: &Class, graded: &'g Graded) -> gradebook::Row<'g> {
    gradebook::Row {
        name: &graded.name,
        scores: &graded.earned.scores,
        max: class.max,
        status: graded.earned.status.word(),
        reason: &graded.earned.reason,
        seconds: graded.seconds,
        seed: class.seed,
    }
}

/// Checks one submission and writes its NAME.txt and NAME.json, from this run only.
fn grade_one(class: &Class, submission: &Submission) -> Graded {
    let started = Instant::now();
    let (earned, text, report) = match &submission.not_a_folder {
        Some(why) => {
            // Kept runs of an earlier grading, when it was a folder, go with its old row.
            let _ = forget_runs(&runs_folder(class, submission));
            (
                Earned::zero(class.exercises, Status::NoFiles, why.clone()),
                format!("grade: {why}\n").into_bytes(),
                None,
            )
        }
        None => check_folder(class, submission),
    };
    let earned = match write_reports(class, submission, &earned, &text, report.as_ref()) {
        Ok(()) => earned,
        Err(e) => Earned::zero(class.exercises, Status::Crashed, e),
    };
    Graded {
        name: submission.name.clone(),
        earned,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Checks a submission's folder in a child checker: what it earned, its text report, and its
/// JSON report when that stands.
fn check_folder(class: &Class, submission: &Submission) -> (Earned, Vec<u8>, Option<Report>) {
    let zero = |reason: String| {
        let text = format!("grade: {reason}\n").into_bytes();
        (
            Earned::zero(class.exercises, Status::Crashed, reason),
            text,
            None,
        )
    };
    let runs = runs_folder(class, submission);
    if let Err(e) = forget_runs(&runs) {
        return zero(e);
    }
    let request = child::Request {
        program: &class.program,
        target_dir: class.target_dir,
        submission: &submission.path,
        keep_runs: &runs,
        seed: class.seed,
        repeat: class.args.repeat,
        require_sandbox: class.args.require_sandbox,
        require_xray: class.args.require_xray,
    };
    let checked = match child::check(&request) {
        Ok(checked) => checked,
        Err(e) => return zero(format!("cannot run the checker: {e}")),
    };
    let report: Option<Report> = serde_json::from_slice(&checked.report).ok();
    let earned = outcome::accept(
        &checked.status,
        checked.stopped,
        report.as_ref(),
        class.exercises,
    );
    let mut text = checked.text;
    if !earned.report_stands {
        text.extend_from_slice(format!("\ngrade: {}\n", earned.reason).as_bytes());
    }
    let report = report.filter(|_| earned.report_stands);
    (earned, text, report)
}

/// Where a submission's runs are kept: OUT/NAME.runs/.
fn runs_folder(class: &Class, submission: &Submission) -> PathBuf {
    class.out.join(format!("{}.runs", submission.name))
}

/// Removes the runs an earlier grading kept, which must not pass for this one's.
fn forget_runs(runs: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(runs) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", runs.display()))
        }
        _ => Ok(()),
    }
}

/// NAME.txt and NAME.json: the child's report when it stands, else one of grade's own that
/// scores zero and says why.
fn write_reports(
    class: &Class,
    submission: &Submission,
    earned: &Earned,
    text: &[u8],
    report: Option<&Report>,
) -> Result<(), String> {
    let own;
    let report = match report {
        Some(report) => report,
        None => {
            let source = Source::Copy(submission.path.clone());
            own = failed_run(&earned.reason, class.seed, &source, class.max.into());
            &own
        }
    };
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| format!("cannot write its report: {e}"))?;
    let file = |ext: &str| class.out.join(format!("{}.{ext}", submission.name));
    write_readable(&file("txt"), text)?;
    write_readable(&file("json"), (json + "\n").as_bytes())
}

/// What this run graded, one line each, then the seed and where everything is.
fn summarize(class: &Class, graded: &[Graded], gradebook: &Path) {
    let width = graded.iter().map(|g| g.name.len()).max().unwrap_or(0);
    for g in graded {
        sayln!(
            "{:<width$}  {:>5}/{}  {:<15}  {}",
            g.name,
            number(g.total()),
            class.max,
            g.earned.status.word(),
            g.earned.reason
        );
    }
    sayln!(
        "seed {} for every submission; wrote {} and each submission's reports in {}",
        class.seed,
        gradebook.display(),
        class.args.out.display()
    );
}

/// Writes a file atomically (a temporary file in the same folder, renamed over it) with mode
/// 0644, whatever the umask: every file grade writes can be read by the course's other
/// accounts alike.
fn write_readable(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut file, bytes).map_err(failed)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(failed)?;
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn submissions_are_named_by_folder_and_a_file_is_not_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (ann, zip) = (dir.path().join("ann"), dir.path().join("bob.zip"));
        std::fs::create_dir(&ann).expect("create");
        std::fs::write(&zip, "PK").expect("write");
        let gone = dir.path().join("cy");
        let found = submissions(&[ann.clone(), zip, gone]).expect("named");
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["ann", "bob.zip", "cy"]);
        assert!(found[0].not_a_folder.is_none());
        assert!(
            found[1]
                .not_a_folder
                .as_ref()
                .is_some_and(|w| w.contains("is not a folder"))
        );
        assert!(
            found[2]
                .not_a_folder
                .as_ref()
                .is_some_and(|w| w.contains("does not exist"))
        );
        let twice = submissions(&[ann.clone(), ann.join("..").join("ann")]);
        assert!(
            twice
                .err()
                .is_some_and(|e| e.contains("two submissions are called `ann`"))
        );
    }

    #[test]
    fn files_are_written_whole_and_readable_by_all() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("ann.json");
        write_readable(&path, b"{}\n").expect("written");
        write_readable(&path, b"{\"a\": 1}\n").expect("rewritten");
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"a\": 1}\n");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }
}
