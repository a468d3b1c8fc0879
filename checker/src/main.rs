//! pipes-lab's checker: builds the student's exercises, runs them against stored transcripts
//! and randomized cases, and explains what went wrong.

/// Writes to stdout, dropping what a closed stdout (`cargo lab | head`) cannot take: the
/// checker must go on to stop the student's processes, not panic on a broken pipe. Styles are
/// stripped where colour is off, as everywhere (anstream).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = anstream::stdout();
        let _ = write!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// `say!` with a newline.
macro_rules! sayln {
    ($($arg:tt)*) => {{
        say!($($arg)*);
        say!("\n");
    }};
}

mod bless;
mod cases;
mod check;
mod export;
mod fdtable;
mod grade;
mod grades;
mod hang;
mod hint;
mod judge;
mod list;
mod manifest;
mod proctree;
mod progress;
mod report;
mod reset;
mod runner;
mod session;
mod spy;
mod syscalls;
mod transcript;
mod watch;
mod workspace;
mod xray;

use clap::{Args, Parser, Subcommand};
use grades::Format;
use std::path::PathBuf;
use std::process::ExitCode;
use workspace::Source;

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
    /// Grade a class: check each submission and write a gradebook (instructors).
    Grade(grade::GradeArgs),
    /// Write a copy of the workbook for students, without the reference solutions (instructors).
    Export {
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
        /// X-ray the reference solution instead (instructors).
        #[arg(long, conflicts_with = "dir")]
        solutions: bool,
        #[command(flatten)]
        copy: CopyArg,
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
    /// What to print: the report for people, pipes-lab's JSON, or Gradescope's results.json.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the JSON formats to FILE (atomically) instead of stdout; the text report still
    /// goes to stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run each case N times; it passes only if every run passes.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
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
        Some(Command::Grade(args)) => grade::grade(&args),
        Some(Command::Export { dir }) => export::export(&dir),
        Some(Command::Watch { manual, copy }) => session::place(&copy.source())
            .and_then(|place| watch::watch(&place, copy.source(), manual)),
        Some(Command::Hint { exercise, copy }) => {
            session::place(&copy.source()).and_then(|place| hint::hint(&place, exercise))
        }
        Some(Command::List { copy }) => {
            session::place(&copy.source()).and_then(|place| list::list(&place, copy.source()))
        }
        Some(Command::Reset {
            exercise,
            yes,
            copy,
        }) => workspace::Workspace::locate().and_then(|ws| {
            let place = session::place(&copy.source())?;
            reset::reset(&ws.root, &place, &exercise, yes)
        }),
        Some(Command::Xray {
            exercise,
            args,
            mermaid,
            solutions,
            copy,
        }) => xray::xray(&xray::Request {
            exercise,
            args,
            source: if solutions {
                Source::Solutions
            } else {
                copy.source()
            },
            mermaid,
        }),
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
    let seed = args.seed.unwrap_or_else(session::fresh_seed);
    let options = session::Options {
        selected: args.selected.clone(),
        source: match (&args.copy, args.solutions) {
            (Some(dir), _) => Source::Copy(dir.clone()),
            (None, true) => Source::Solutions,
            (None, false) => Source::Exercises,
        },
        seed,
        verbose: args.verbose,
        repeat: args.repeat,
    };
    // The text report goes to stdout unless stdout carries the JSON.
    let text = args.format == Format::Text || args.output.is_some();
    let emit = |value: serde_json::Value| -> Result<(), String> {
        let json = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n";
        match &args.output {
            Some(path) => grades::write_atomic(path, &json),
            None => {
                say!("{json}");
                Ok(())
            }
        }
    };
    let session = match session::run(options, |report| {
        if text {
            say!("{report}");
        }
    }) {
        Ok(session) => session,
        Err(message) => {
            if args.format != Format::Text {
                emit(grades::failed_run(args.format, &message, seed))?;
            }
            return Err(message);
        }
    };
    if !matches!(session.source, Source::Solutions) {
        // Progress is a convenience: a read-only folder must not fail the check.
        if let Err(e) =
            session::place(&session.source).and_then(|place| session::record(&session, &place))
        {
            anstream::eprintln!("checker: progress not saved: {e}");
        }
    }
    if session.interrupted {
        anstream::eprintln!(
            "checker: interrupted; every process the check started has been stopped"
        );
    } else if text {
        say!("{}", session.summary());
    }
    if args.format != Format::Text {
        emit(grades::render(args.format, &session))?;
    }
    Ok(if session.interrupted {
        ExitCode::from(130)
    } else if session.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
