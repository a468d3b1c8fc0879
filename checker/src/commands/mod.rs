//! The commands, one file each: what a person asks for on the command line. The student's:
//! `check` (no subcommand), `watch`, `hint`, `list`, `reset`, `xray`; the instructors': `grade`,
//! `bless`, `export`, `gradescope`. Each finds the workbook once and passes it down.

mod bless;
mod check;
mod contract;
mod export;
mod grade;
mod gradescope;
mod hint;
mod list;
mod reset;
mod stored_zip;
mod watch;
mod xray;

use crate::workbook::Workbook;
use crate::workbook::build::Source;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// How many times `--repeat` may run each case, for a check and for grading alike.
const REPEATS: std::ops::RangeInclusive<i64> = 1..=100;

#[derive(Parser)]
#[command(
    name = "checker",
    about = "Builds your pipes-lab exercises, runs them and explains what went wrong.",
    after_help = "Exit status: 0 when every selected exercise passes, 1 when one does not, 2 for usage or infrastructure errors.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: check::CheckArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate checker/transcripts/ from the reference solutions (instructors).
    Bless {
        /// Exercises to bless (all when none).
        #[arg(value_name = "EXERCISE")]
        selected: Vec<String>,
    },
    /// Grade a class: check each submission and write a gradebook (instructors).
    Grade(grade::GradeArgs),
    /// Write a copy of the workbook for students, without the reference solutions (instructors).
    Export {
        /// Where to write it; must not exist yet, or be empty.
        dir: PathBuf,
    },
    /// Write a Gradescope autograder: setup.sh, run_autograder, the workbook without its
    /// solutions, and autograder.zip holding them, to upload as it is (instructors).
    Gradescope {
        /// Where to write it; must not exist yet, or be empty.
        dir: PathBuf,
    },
    /// Check the first unfinished exercise, then re-check each exercise when its file is saved.
    Watch {
        /// Do not watch files; press r to re-check (for file systems that report no changes).
        #[arg(long)]
        manual: bool,
        #[command(flatten)]
        copy: CopyArg,
    },
    /// Show the next hint for an exercise (the first unfinished one when none is named).
    Hint {
        #[arg(value_name = "EXERCISE")]
        exercise: Option<String>,
        #[command(flatten)]
        copy: CopyArg,
    },
    /// One line per exercise: done, failing, not started or does not compile.
    List {
        #[command(flatten)]
        copy: CopyArg,
    },
    /// Run an exercise once and draw how it wired its processes and pipes, next to what the
    /// exercise expects (Linux: traced with ptrace).
    Xray {
        /// The exercise, by number (4, 04) or name.
        exercise: String,
        /// The program's arguments (default: the transcript's first command's).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
        /// Print mermaid flowcharts in markdown, to paste into notes.
        #[arg(long)]
        mermaid: bool,
        /// Also write the run's timeline as a page to open in a browser: one lane per process,
        /// each write, read, print and sleep on it (default FILE: under target/pipes-lab/).
        #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
        html: Option<Option<std::path::PathBuf>>,
        /// Also write the timeline alone, as an SVG picture to embed in a document, without
        /// the run's pids (default FILE: under target/pipes-lab/).
        #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
        svg: Option<Option<std::path::PathBuf>>,
        /// Draw the short reads and writes the X-ray injects from this seed (a failed check
        /// says which one it used).
        #[arg(long)]
        seed: Option<u64>,
        /// With --html: the page of case K of the last check, from its kept files, without
        /// running the program again (a check keeps the page of the case it reports failed).
        #[arg(long, value_name = "K", requires = "html", conflicts_with_all = ["args", "seed", "mermaid", "svg"])]
        case: Option<usize>,
        /// X-ray the reference solution instead (instructors).
        #[arg(long, conflicts_with = "dir")]
        solutions: bool,
        #[command(flatten)]
        copy: CopyArg,
    },
    /// An exercise's contract clause by clause, with what the checker checks for each.
    Contract {
        /// The exercise, by number (4, 04) or name.
        exercise: String,
    },
    /// Put an exercise's original file back (asks first).
    Reset {
        #[arg(value_name = "EXERCISE")]
        exercise: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        copy: CopyArg,
    },
}

#[derive(Args)]
struct CopyArg {
    /// Work on the exercise files of another copy of the workbook (DIR is its exercises/ folder).
    #[arg(long = "exercises", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl CopyArg {
    fn source(&self) -> Source {
        self.dir.clone().map_or(Source::Exercises, Source::Copy)
    }
}

/// Carries out the command line.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let Some(command) = cli.command else {
        // The check finds the workbook itself: a failure to must still be written as a grade.
        return check::check(&cli.check);
    };
    let wb = Workbook::locate()?;
    match command {
        Command::Bless { selected } => bless::bless(&wb, &selected),
        Command::Grade(args) => grade::grade(&wb, &args),
        Command::Export { dir } => export::export(&wb, &dir),
        Command::Gradescope { dir } => gradescope::gradescope(&wb, &dir),
        Command::Watch { manual, copy } => watch::watch(&wb, copy.source(), manual),
        Command::Hint { exercise, copy } => {
            hint::hint(&wb, &wb.exercise_files(&copy.source()), exercise)
        }
        Command::List { copy } => list::list(&wb, copy.source()),
        Command::Contract { exercise } => contract::contract(wb.exercise(&exercise)?),
        Command::Reset {
            exercise,
            yes,
            copy,
        } => reset::reset(&wb, &wb.exercise_files(&copy.source()), &exercise, yes),
        Command::Xray {
            exercise,
            args,
            mermaid,
            html,
            svg,
            seed,
            case,
            solutions,
            copy,
        } => xray::xray(
            &wb,
            &xray::Request {
                exercise,
                args,
                source: if solutions {
                    Source::Solutions
                } else {
                    copy.source()
                },
                mermaid,
                html,
                svg,
                seed,
                case,
            },
        ),
    }
}
