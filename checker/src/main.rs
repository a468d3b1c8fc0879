//! pipes-lab's checker: builds the student's exercises, runs them against stored transcripts
//! and randomized cases, and explains what went wrong.

mod bless;
mod cases;
mod check;
mod hang;
mod manifest;
mod proctree;
mod report;
mod runner;
mod spy;
mod syscalls;
mod transcript;
mod workspace;

use check::{Bench, ExerciseResult, Verdict};
use clap::{Args, Parser, Subcommand};
use manifest::Exercise;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::PathBuf;
use std::process::ExitCode;
use workspace::{Built, Source, Workspace};

#[derive(Parser)]
#[command(
    name = "checker",
    about = "Builds your pipes-lab exercises, runs them and explains what went wrong.",
    after_help = "Exit status: 0 when every selected exercise passes, 1 when one does not, 2 for usage or infrastructure errors.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate checker/transcripts/ from the reference solutions (instructors).
    Bless {
        /// Exercises to bless (all when none).
        #[arg(value_name = "EXERCISE")]
        selected: Vec<String>,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// Exercises to check, by number (1, 01) or name (raw_pipe, 01_raw_pipe); all when none.
    #[arg(value_name = "EXERCISE")]
    selected: Vec<String>,
    /// Run the checks on the reference solutions instead (instructors).
    #[arg(long, conflicts_with = "copy")]
    solutions: bool,
    /// Check the exercise files of another copy of the workbook (DIR is its exercises/ folder).
    #[arg(long = "exercises", value_name = "DIR")]
    copy: Option<PathBuf>,
    /// Seed of the random cases (the report prints it); the same seed gives the same cases.
    #[arg(long)]
    seed: Option<u64>,
    /// Show whole diffs and stderr, not only their beginning.
    #[arg(long, short)]
    verbose: bool,
}

fn main() -> ExitCode {
    if let Some(stage) = spy::spy_name() {
        return ExitCode::from(spy::run_as_spy(&stage) as u8);
    }
    let cli = Cli::parse();
    proctree::become_subreaper();
    runner::install_interrupt_handler();
    let result = match cli.command {
        Some(Command::Bless { selected }) => bless::bless(&selected),
        None => check(&cli.check),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            anstream::eprintln!("checker: {message}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let selected = manifest::select(manifest::exercises(), &args.selected)?;
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let source = match (&args.copy, args.solutions) {
        (Some(dir), _) => Source::Copy(dir.clone()),
        (None, true) => Source::Solutions,
        (None, false) => Source::Exercises,
    };
    let names: Vec<&str> = selected.iter().map(|e| e.name.as_str()).collect();
    anstream::eprintln!("building {} ...", names.join(", "));
    let refs: Vec<&Exercise> = selected.iter().collect();
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let built = ws.build(&source, &refs, color)?;

    let work = ws.work_dir();
    let manifest_path = ws.root.join("Cargo.toml");
    let mut results: Vec<ExerciseResult> = Vec::new();
    for (ex, built) in selected.iter().zip(&built) {
        if runner::interrupted() {
            break;
        }
        let result = match built {
            Built::Failed(errors) => ExerciseResult {
                verdict: Verdict::DoesNotCompile(errors.clone()),
                cases_passed: 0,
                cases_total: 0,
                elapsed: std::time::Duration::ZERO,
            },
            Built::Program(program) => {
                let transcript = bless::load_transcript(&ws, ex)?;
                let mut rng = StdRng::seed_from_u64(seed ^ name_hash(&ex.name));
                let mut cases = cases::cases(ex, &transcript, &mut rng);
                let files =
                    cases::transcript_files(&ws.root.join("checker/transcripts").join(&ex.name));
                for case in cases
                    .iter_mut()
                    .filter(|c| c.kind == cases::Kind::Transcript)
                {
                    case.files = files.clone();
                }
                Bench {
                    exercise: ex,
                    program,
                    work: &work,
                }
                .check(cases)
            }
        };
        let rerun = report::Rerun {
            prefix: match &source {
                Source::Exercises => format!(
                    "cargo run -q --manifest-path {} -p exercises --bin {} --",
                    report::shown(&manifest_path),
                    ex.name
                ),
                Source::Solutions => format!(
                    "cargo run -q --manifest-path {} -p solutions --bin {} --",
                    report::shown(&manifest_path),
                    ex.solution_bin()
                ),
                Source::Copy(dir) => format!(
                    "cargo run -q --manifest-path {} --bin {} --",
                    dir.join("Cargo.toml").display(),
                    ex.name
                ),
            },
        };
        report::exercise(
            ex,
            &result,
            &rerun,
            args.verbose,
            matches!(source, Source::Exercises),
        );
        results.push(result);
    }
    let _ = std::fs::remove_dir_all(work.join("bin").join(std::process::id().to_string()));
    if runner::interrupted() {
        anstream::eprintln!(
            "checker: interrupted; every process the check started has been stopped"
        );
        return Ok(ExitCode::from(130));
    }
    let rows: Vec<(&Exercise, &Verdict)> = selected
        .iter()
        .zip(results.iter().map(|r| &r.verdict))
        .collect();
    report::summary(&rows, seed);
    let all_passed = results.iter().all(|r| matches!(r.verdict, Verdict::Passed));
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A seed from the clock, so that every run (and every student) gets other random cases.
fn fresh_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_nanos() as u64 ^ std::process::id() as u64) % 1_000_000_000
}

/// Each exercise draws from its own stream, so checking one exercise alone with a seed gives
/// the same cases as checking all of them with it.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}
