//! The check (no subcommand): builds the selected exercises, runs their cases, prints each
//! exercise's report as soon as it is ready and the summary, and writes the grades a machine
//! reads (`--format json|gradescope`, to stdout or `--output FILE`).

use crate::judging::verdict::Verdict;
use crate::output::{self, Format, Visibility, text, timeline};
use crate::session::{self, Lane, LaneSender, Options};
use crate::workbook::build::Source;
use crate::workbook::progress::Progress;
use crate::workbook::{Workbook, manifest, write_atomic};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct CheckArgs {
    /// Exercises to check, by number (1, 01) or name (raw_pipe, 01_raw_pipe); all when none.
    #[arg(value_name = "EXERCISE")]
    selected: Vec<String>,
    /// Run the checks on the reference solutions instead (instructors).
    #[arg(long, conflicts_with = "copy")]
    solutions: bool,
    /// Check the exercise files of another copy of the workbook: DIR holds them (an exercises/
    /// folder anywhere in it, else a src/bin/ folder, else the NN_name.rs files themselves).
    #[arg(long = "exercises", value_name = "DIR")]
    copy: Option<PathBuf>,
    /// Seed of the random cases (the report prints it); the same seed gives the same cases.
    #[arg(long)]
    seed: Option<u64>,
    /// Show whole diffs and stderr, not only their beginning.
    #[arg(long, short)]
    verbose: bool,
    /// What to print: the report for people, pipes-lab's JSON, Gradescope's results.json, or
    /// the result of a GitHub Classroom runner (base64, as its grading reporter reads it).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Who sees each test's result on Gradescope (with --format gradescope).
    #[arg(long, value_enum, default_value = "visible")]
    visibility: Visibility,
    /// Write the JSON formats to FILE (atomically) instead of stdout; the text report still
    /// goes to stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Stop each exercise at its first failing case: the same verdict and explanation,
    /// sooner; the cases after it are not run and earn nothing (not for grading).
    #[arg(long)]
    fail_fast: bool,
    /// Run each case N times; it passes only if every run passes.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(super::REPEATS))]
    repeat: u32,
    /// Refuse to run student code where the sandbox lacks any protection (see INSTRUCTORS.md,
    /// The sandbox).
    #[arg(long)]
    require_sandbox: bool,
    /// Refuse to check where runs cannot be traced, rather than skip the structural checks
    /// (see INSTRUCTORS.md, Structural checks).
    #[arg(long)]
    require_xray: bool,
    /// Keep each case's command, inputs and outputs under DIR/<exercise>/ instead of
    /// target/pipes-lab/last-run/ (how `grade` keeps each submission's runs apart).
    #[arg(long, value_name = "DIR", hide = true)]
    keep_runs: Option<PathBuf>,
    /// Write the JSON formats to this inherited descriptor (how `grade` receives a report).
    #[arg(long, value_name = "FD", hide = true, conflicts_with = "output")]
    report_fd: Option<i32>,
    /// How many CPUs the check keeps busy at once (default: 2 where there are two); the timed
    /// cases run side by side on one of them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=8))]
    jobs: Option<u32>,
    /// Check as lane K of another check, which built the programs into --built and reads
    /// the results from descriptor 3.
    #[arg(long, value_name = "K", hide = true, requires = "built")]
    lane: Option<usize>,
    #[arg(long, value_name = "DIR", hide = true, requires = "lane")]
    built: Option<PathBuf>,
    /// As a lane: take the cases to run from N pipes, descriptors 4 to 3+N, one after the
    /// other (4 bytes each: the exercise's place among those given, and the case's).
    #[arg(long, value_name = "N", hide = true, requires = "lane", value_parser = clap::value_parser!(u32).range(1..=4))]
    queues: Option<u32>,
    /// As a lane: which CPU its traced runs use, by place among those it may use.
    #[arg(
        long,
        value_name = "K",
        hide = true,
        requires = "lane",
        default_value_t = 0
    )]
    cpu: usize,
    /// As a lane: the check that started it holds the turn of timed runs for it.
    #[arg(long, hide = true, requires = "lane")]
    turn_held: bool,
    /// The target directory, as the check that started this one found it.
    #[arg(long, value_name = "DIR", hide = true)]
    target_dir: Option<PathBuf>,
    /// Only prove the X-ray for the programs in DIR, and say what it found (a check runs
    /// this process while cargo builds).
    #[arg(long, value_name = "DIR", hide = true)]
    prove_xray: Option<PathBuf>,
}

/// Where the machine-readable format goes.
enum Sink {
    Stdout,
    File(PathBuf),
    /// A descriptor this process inherited, kept from everything it starts.
    Descriptor(std::fs::File),
}

impl Sink {
    fn of(args: &CheckArgs) -> Result<Sink, String> {
        if let Some(fd) = args.report_fd {
            // SAFETY: fcntl on a number only looks the descriptor up.
            if fd < 3 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
                return Err(format!(
                    "--report-fd {fd} is not an open descriptor above 2"
                ));
            }
            // SAFETY: the descriptor is open, and this process owns it from here on.
            let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
            return Ok(Sink::Descriptor(file));
        }
        Ok(args.output.clone().map_or(Sink::Stdout, Sink::File))
    }

    fn write(&self, json: &str) -> Result<(), String> {
        match self {
            Sink::File(path) => write_atomic(path, json),
            Sink::Descriptor(file) => std::io::Write::write_all(&mut &*file, json.as_bytes())
                .map_err(|e| format!("cannot send the report: {e}")),
            Sink::Stdout => {
                say!("{json}");
                Ok(())
            }
        }
    }
}

pub fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    if let Some(programs) = &args.prove_xray {
        println!("{}", session::proven_here(&workbook(args)?, programs)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let (Some(_), Some(built)) = (args.lane, &args.built) {
        return lane(
            args,
            Lane {
                built: built.clone(),
                cpu: args.cpu,
                queues: args.queues.unwrap_or(0) as usize,
                turn_held: args.turn_held,
            },
        );
    }
    let seed = args.seed.unwrap_or_else(session::fresh_seed);
    let source = source(args);
    let sink = Sink::of(args)?;
    // The text report goes to stdout unless stdout carries the JSON.
    let show_text = args.format == Format::Text || !matches!(sink, Sink::Stdout);
    let emit = |json: String| sink.write(&json);
    // Whatever stops the check, a machine-readable format still gets a grade of zero.
    let failed = |message: String, max_score: f64| -> Result<ExitCode, String> {
        if args.format != Format::Text {
            emit(output::machine_failed(
                args.format,
                &message,
                seed,
                &source,
                max_score,
            )?)?;
        }
        Err(message)
    };
    let wb = match workbook(args) {
        Ok(wb) => wb,
        Err(message) => {
            let max = manifest::exercises().iter().map(|e| e.points as f64).sum();
            return failed(message, max);
        }
    };
    let options = options(args, source.clone(), seed);
    // The solution is named once the student's own program passes, never before.
    let show_solution = !matches!(source, Source::Solutions) && wb.has_solutions();
    let files = wb.exercise_files(&source);
    let welcome =
        show_text && matches!(source, Source::Exercises) && !Progress::load(&files).welcomed;
    if welcome {
        say!("{}", text::WELCOME);
    }
    let mut texts = Vec::new();
    // Exercises whose first failure was printed as soon as it was known.
    let mut shown_early: Vec<String> = Vec::new();
    let card = match session::run(&wb, options, |event| match event {
        session::Event::Failing(ex, failure) => {
            timeline::keep(failure);
            if show_text {
                say!("{}", text::failing(ex, failure, args.verbose));
                shown_early.push(ex.name.clone());
            }
        }
        session::Event::Case(..) | session::Event::Drained(_) => {}
        session::Event::Shown(ex, report) => {
            if show_text {
                say!("{report}");
                shown_early.push(ex.name.clone());
            }
        }
        session::Event::Checked(ex, result) => {
            if let (Verdict::Failed(Some(f)), false) =
                (&result.verdict, shown_early.contains(&ex.name))
            {
                timeline::keep(f);
            }
            let kept = wb.kept_dir(ex);
            let report = text::exercise(ex, result, &kept, args.verbose, show_solution);
            if shown_early.contains(&ex.name) {
                say!("{}", text::finished(result, &kept, args.verbose));
            } else if let (true, Some(failed)) = (show_text, text::failed(ex, result, args.verbose))
            {
                // Found before its turn (in another lane): shown as one shown at once is.
                say!("{failed}");
                say!("{}", text::finished(result, &kept, args.verbose));
            } else if show_text && !matches!(result.verdict, Verdict::NotStarted { .. }) {
                // A not-started exercise is a line of the summary; the first comes in full
                // after it.
                say!("{report}");
            }
            texts.push(report);
        }
    }) {
        Ok(card) => card,
        Err(message) => {
            let max = wb.exercises.iter().map(|e| e.points as f64).sum();
            return failed(message, max);
        }
    };
    // Progress is a convenience: a read-only folder must not fail the check.
    if let Err(e) = session::record(&card, &files, welcome) {
        anstream::eprintln!("checker: progress not saved: {e}");
    }
    if card.interrupted {
        anstream::eprintln!(
            "checker: interrupted; every process the check started has been stopped"
        );
    } else if show_text {
        say!("{}{}", text::summary(&card), text::next_step(&card));
    }
    if args.format != Format::Text {
        emit(output::machine(
            args.format,
            &card,
            &texts,
            args.visibility,
        )?)?;
    }
    Ok(if card.interrupted {
        ExitCode::from(130)
    } else if card.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The check's options from its arguments.
fn options(args: &CheckArgs, source: Source, seed: u64) -> Options {
    Options {
        repeat: args.repeat,
        fail_fast: args.fail_fast,
        require_sandbox: args.require_sandbox,
        require_xray: args.require_xray,
        jobs: args.jobs.map_or_else(session::default_jobs, |n| n as usize),
        lane_args: lane_args(args),
        ..Options::new(args.selected.clone(), source, seed)
    }
}

/// The arguments a lane takes as they are: what only the report needs, and where runs are kept.
fn lane_args(args: &CheckArgs) -> Vec<std::ffi::OsString> {
    let mut passed = Vec::new();
    if args.verbose {
        passed.push("--verbose".into());
    }
    if args.fail_fast {
        passed.push("--fail-fast".into());
    }
    if let Some(dir) = &args.keep_runs {
        let mut arg = std::ffi::OsString::from("--keep-runs=");
        arg.push(dir);
        passed.push(arg);
    }
    passed
}

/// One lane of another check: checks the exercises given, built already, and sends each
/// result with its report to the check that started it.
fn lane(args: &CheckArgs, lane: Lane) -> Result<ExitCode, String> {
    let mut sender = LaneSender::open()?;
    let source = source(args);
    let wb = workbook(args)?;
    let seed = args.seed.unwrap_or_else(session::fresh_seed);
    let options = Options {
        lane: Some(lane),
        jobs: 1,
        ..options(args, source.clone(), seed)
    };
    let show_solution = !matches!(source, Source::Solutions) && wb.has_solutions();
    // Exercises whose first failure was sent as soon as it was known (its timeline kept).
    let mut sent_early: Vec<String> = Vec::new();
    let card = session::run(&wb, options, |event| match event {
        session::Event::Failing(ex, f) => {
            timeline::keep(f);
            sent_early.push(ex.name.clone());
            sender.failing(ex, text::failing(ex, f, args.verbose));
        }
        session::Event::Checked(ex, result) => {
            let mut failure = None;
            if let Verdict::Failed(Some(f)) = &result.verdict {
                if !sent_early.contains(&ex.name) {
                    timeline::keep(f);
                }
                failure = Some(text::failure_block(ex, f, args.verbose));
            }
            let report = text::exercise(ex, result, &wb.kept_dir(ex), args.verbose, show_solution);
            sender.checked(ex, result, &report, failure);
        }
        session::Event::Case(ex, index, status) => sender.case(ex, index, status),
        session::Event::Drained(pipe) => sender.drained(pipe),
        session::Event::Shown(..) => {}
    })?;
    sender.done(card.structural_skipped.clone());
    Ok(if card.interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// What is checked: the student's exercises, another copy's, or the solutions.
fn source(args: &CheckArgs) -> Source {
    match (&args.copy, args.solutions) {
        (Some(dir), _) => Source::Copy(dir.clone()),
        (None, true) => Source::Solutions,
        (None, false) => Source::Exercises,
    }
}

/// The workbook, its target directory found by `cargo metadata` unless given.
fn workbook(args: &CheckArgs) -> Result<Workbook, String> {
    let mut wb = match &args.target_dir {
        Some(dir) => Workbook::with_target_dir(dir.clone())?,
        None => Workbook::locate()?,
    };
    if let Some(dir) = &args.keep_runs {
        wb.keep_runs_in(dir.clone());
    }
    Ok(wb)
}
