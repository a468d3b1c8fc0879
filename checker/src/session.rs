//! One check: build the selected exercises, run their cases, and collect the results and the
//! text report of each, whatever the output format.

use crate::bless;
use crate::cases::{self, Kind};
use crate::check::{Bench, ExerciseResult, Verdict};
use crate::manifest::{self, Exercise};
use crate::progress::{Place, Progress};
use crate::report;
use crate::runner;
use crate::workspace::{Built, Source, Workspace};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::time::{Duration, Instant};

pub struct Options {
    pub selected: Vec<String>,
    pub source: Source,
    pub seed: u64,
    pub verbose: bool,
    pub repeat: u32,
}

/// Everything one check found.
pub struct Session {
    pub seed: u64,
    pub source: Source,
    pub exercises: Vec<Exercise>,
    pub results: Vec<ExerciseResult>,
    /// The text report of each exercise, with styles.
    pub reports: Vec<String>,
    pub elapsed: Duration,
    pub interrupted: bool,
}

impl Session {
    pub fn score(&self) -> f64 {
        self.results.iter().map(ExerciseResult::score).sum()
    }

    pub fn max_score(&self) -> f64 {
        self.exercises.iter().map(|e| e.points as f64).sum()
    }

    pub fn all_passed(&self) -> bool {
        self.results
            .iter()
            .all(|r| matches!(r.verdict, Verdict::Passed))
    }

    pub fn summary(&self) -> String {
        let rows: Vec<(&Exercise, &ExerciseResult)> =
            self.exercises.iter().zip(&self.results).collect();
        report::summary(&rows, self.seed)
    }
}

/// Keeps each checked exercise's verdict in the progress file.
pub fn record(session: &Session, place: &Place) -> Result<(), String> {
    if matches!(session.source, Source::Solutions) {
        return Ok(());
    }
    let mut progress = Progress::load(place);
    for (ex, result) in session.exercises.iter().zip(&session.results) {
        progress.record(&ex.name, result.verdict.word(), &place.file(&ex.name));
    }
    progress.save()
}

/// Where a source's exercise files are, and where their progress is kept: the student's at
/// the workbook's root, another copy's under the target directory (the checker writes
/// nothing into an exercises folder but what `reset` restores).
pub fn place(source: &Source) -> Result<Place, String> {
    let ws = Workspace::locate()?;
    Ok(match source {
        Source::Copy(dir) => {
            let id = name_hash(
                &dir.canonicalize()
                    .unwrap_or_else(|_| dir.clone())
                    .to_string_lossy(),
            );
            Place {
                exercises: dir.clone(),
                progress: ws
                    .work_dir()
                    .join("progress")
                    .join(format!("{id:016x}.json")),
            }
        }
        _ => Place {
            exercises: ws.root.join("exercises"),
            progress: ws.root.join(crate::progress::FILE_NAME),
        },
    })
}

/// Runs the check; `show` receives each exercise's report as soon as it is ready.
pub fn run(options: Options, mut show: impl FnMut(&str)) -> Result<Session, String> {
    let started = Instant::now();
    let ws = Workspace::locate()?;
    if matches!(options.source, Source::Solutions) && !ws.has_solutions() {
        return Err(NO_SOLUTIONS.into());
    }
    let exercises = manifest::select(manifest::exercises(), &options.selected)?;
    let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
    anstream::eprintln!("building {} ...", names.join(", "));
    let refs: Vec<&Exercise> = exercises.iter().collect();
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let built = ws.build(&options.source, &refs, color)?;

    let work = ws.work_dir();
    let mut results = Vec::new();
    let mut reports = Vec::new();
    for (ex, built) in exercises.iter().zip(&built) {
        if runner::interrupted() {
            break;
        }
        let cases = exercise_cases(&ws, ex, options.seed)?;
        let rerun = rerun_prefix(&ws, &options.source, ex);
        let result = match built {
            Built::Failed(errors) => {
                ExerciseResult::unrun(Verdict::DoesNotCompile(errors.clone()), ex, &cases)
            }
            Built::Program(program) => Bench {
                exercise: ex,
                program,
                work: &work,
                repeat: options.repeat,
                rerun: &rerun,
            }
            .check(cases),
        };
        // The solution is named once the student's own program passes, never before.
        let show_solution = !matches!(options.source, Source::Solutions) && ws.has_solutions();
        let kept = crate::check::kept_dir(&work, ex);
        let text = report::exercise(ex, &result, &kept, options.verbose, show_solution);
        show(&text);
        reports.push(text);
        results.push(result);
    }
    ws.forget_programs();
    let interrupted = runner::interrupted();
    Ok(Session {
        seed: options.seed,
        source: options.source,
        exercises,
        results,
        reports,
        elapsed: started.elapsed(),
        interrupted,
    })
}

pub const NO_SOLUTIONS: &str =
    "the reference solutions are not part of this copy of the workbook (it is the student handout)";

/// The cases of an exercise: its transcript's commands, with their files, then the random
/// ones drawn from the seed.
fn exercise_cases(ws: &Workspace, ex: &Exercise, seed: u64) -> Result<Vec<cases::Case>, String> {
    let transcript = bless::load_transcript(ws, ex)?;
    let mut rng = StdRng::seed_from_u64(seed ^ name_hash(&ex.name));
    let mut cases = cases::cases(ex, &transcript, &mut rng);
    let files = cases::transcript_files(&ws.root.join("checker/transcripts").join(&ex.name));
    for case in cases.iter_mut().filter(|c| c.kind == Kind::Transcript) {
        case.files = files.clone();
    }
    Ok(cases)
}

/// The cargo command that reruns a program by hand, before its arguments.
fn rerun_prefix(ws: &Workspace, source: &Source, ex: &Exercise) -> String {
    // Absolute: the command may first `cd` into the folder of kept inputs.
    let manifest = ws.root.join("Cargo.toml").display().to_string();
    match source {
        Source::Exercises => format!(
            "cargo run -q --manifest-path {manifest} -p exercises --bin {} --",
            ex.name
        ),
        Source::Solutions => format!(
            "cargo run -q --manifest-path {manifest} -p solutions --bin {} --",
            ex.solution_bin()
        ),
        Source::Copy(dir) => format!(
            "cargo run -q --manifest-path {} --bin {} --",
            dir.join("Cargo.toml").display(),
            ex.name
        ),
    }
}

/// A seed from the clock, so that every run (and every student) gets other random cases.
pub fn fresh_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_nanos() as u64 ^ std::process::id() as u64) % 1_000_000_000
}

/// Each exercise draws from its own stream, so checking one exercise alone with a seed gives
/// the same cases as checking all of them with it.
pub fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}
