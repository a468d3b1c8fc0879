//! One check: build the selected exercises, make their cases, run them (`case_runner`) and
//! gather the verdicts in a scorecard, whatever the output format.

mod case_runner;
mod lanes;
mod sharing;

pub use lanes::{Lane, Sender as LaneSender};

use crate::judging::cases::{self, Case, Kind};
use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::{CaseFailure, CaseStatus, ExerciseResult, Verdict};
use crate::sandbox;
use crate::sandbox::interrupt::interrupted;
use crate::sandbox::jail::Jail;
use crate::sandbox::spy;
use crate::wording::{quote, shown};
use crate::workbook::build::{BuildWalls, Built, Source};
use crate::workbook::manifest::Exercise;
use crate::workbook::progress::{ExerciseFiles, Progress};
use crate::workbook::{Workbook, stable_hash};
use case_runner::{CaseRunner, Pick};
use lanes::{Got, Lanes};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sharing::Sharing;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The environment switch that turns the X-ray off (`PIPES_LAB_XRAY=off`).
pub const XRAY_SWITCH: &str = "PIPES_LAB_XRAY";
/// The environment switch that turns the sandbox off (`PIPES_LAB_SANDBOX=off`): for measuring
/// what it costs, never for grading.
pub const SANDBOX_SWITCH: &str = "PIPES_LAB_SANDBOX";

pub struct Options {
    pub selected: Vec<String>,
    pub source: Source,
    pub seed: u64,
    pub repeat: u32,
    /// Stop each exercise at its first failing case.
    pub fail_fast: bool,
    /// Refuse to run anything where the sandbox lacks a protection.
    pub require_sandbox: bool,
    /// Refuse to run anything where runs cannot be traced (no structural check skipped).
    pub require_xray: bool,
    /// How many exercises are checked at once, each lane in a checker process of its own.
    pub jobs: usize,
    /// Probe the sandbox and the X-ray once for this process, not once per check (watch
    /// mode checks again on every save; the machine does not change in between).
    pub keep_probes: bool,
    /// Set in a process that is one lane of another check.
    pub lane: Option<Lane>,
    /// Arguments the lanes take as they are (`--verbose`, `--keep-runs`).
    pub lane_args: Vec<std::ffi::OsString>,
}

impl Options {
    /// A check of `selected` from `source`: each case once, as many lanes as CPUs allow.
    pub fn new(selected: Vec<String>, source: Source, seed: u64) -> Options {
        Options {
            selected,
            source,
            seed,
            repeat: 1,
            fail_fast: false,
            require_sandbox: false,
            require_xray: false,
            jobs: default_jobs(),
            keep_probes: false,
            lane: None,
            lane_args: Vec::new(),
        }
    }
}

/// Two lanes where there are two CPUs: a third would only share them.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// What a check tells its caller as it goes.
pub enum Event<'a> {
    /// An exercise's first failing case, the moment it is known: while the other cases still
    /// run, a student can already read what went wrong. Only for an exercise whose turn it is
    /// (every exercise before it has been passed on), and checked in this process.
    Failing(&'a Exercise, &'a CaseFailure),
    /// An exercise's result, in the order of the exercises.
    Checked(&'a Exercise, &'a ExerciseResult),
    /// An exercise's first failure as the lane that ran it wrote it, the moment it is known,
    /// when its turn has come (as `Failing`, from another process of the check).
    Shown(&'a Exercise, &'a str),
    /// How case `index` of an exercise went, as soon as it has run here.
    Case(&'a Exercise, usize, CaseStatus),
}

/// Runs the check; `event` receives each exercise's first failure as soon as it is known and
/// its result as soon as it is ready, in the order of the exercises.
pub fn run<'w>(
    wb: &'w Workbook,
    options: Options,
    mut event: impl FnMut(Event),
) -> Result<Scorecard<'w>, String> {
    let started = Instant::now();
    // A lane that shares an exercise's cases takes them from this pipe (made close-on-exec
    // before this process starts anything).
    let mut queue = match &options.lane {
        Some(lane) if lane.shares => Some(lanes::shared_queue()?),
        _ => None,
    };
    wb.require(&options.source)?;
    let exercises = wb.select(&options.selected)?;
    let programs = match &options.lane {
        Some(lane) => lane.built.clone(),
        None => wb.program_dir(),
    };
    let (jail, xray) = if options.keep_probes {
        probed_once(wb, &programs)?
    } else {
        jail(wb, &programs)?
    };
    if options.require_sandbox && !jail.missing().is_empty() {
        return Err(format!(
            "the full sandbox is required (--require-sandbox), but this machine lacks: {}",
            jail.missing().join(", ")
        ));
    }
    if let (true, Some(why)) = (options.require_xray, xray.why_off()) {
        return Err(format!("the X-ray is required (--require-xray), but {why}"));
    }
    let built = match &options.lane {
        Some(lane) => {
            sandbox::tracer::use_cpu(lane.number);
            exercises
                .iter()
                .map(|e| Built::Program(lane.built.join(wb.bin_name(&options.source, e))))
                .collect()
        }
        None => {
            let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
            if names.len() > 3 {
                anstream::eprintln!("building the {} exercises ...", names.len());
            } else {
                anstream::eprintln!("building {} ...", names.join(", "));
            }
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            let confine = confine_build(&jail);
            match wb.build(&options.source, &exercises, color, &confine, &interrupted) {
                Ok(built) => built,
                // Ctrl-C during the build: nothing was built, and the check ends as interrupted.
                Err(_) if interrupted() => Vec::new(),
                Err(e) => return Err(e),
            }
        }
    };
    let cases = exercises
        .iter()
        .map(|e| exercise_cases(wb, e, options.seed))
        .collect::<Result<Vec<_>, _>>()?;
    let work = wb.work_dir();
    sweep_stale_runs(&work.join("tmp"));
    // Like the X-ray, the stage spies are proven heard before any student code runs.
    let unheard = match cases.iter().flatten().any(|c| c.stages.is_some()) {
        true => spy::heard(&jail, &work.join("tmp")).err(),
        false => None,
    };
    let runnable: Vec<bool> = built
        .iter()
        .map(|b| matches!(b, Built::Program(_)))
        .collect();
    let lanes = options.jobs.min(runnable.iter().filter(|r| **r).count());
    // One exercise to check, its cases not timed: the lanes share them, each taking the next
    // case when it is free. (This process runs none: what a run leaves behind is found among
    // its descendants, and would include the lanes' runs.)
    let shared = (options.lane.is_none() && options.jobs >= 2 && !options.fail_fast)
        .then(|| shared_at(&runnable, &cases))
        .flatten();
    let here = |i: usize| !runnable[i] || (lanes < 2 && shared.is_none()) || options.lane.is_some();
    let trace = xray == Xray::On;
    let mut refused: Option<String> = None;
    let mut others = None;
    let mut request = lanes::Request {
        queue: None,
        source: &options.source,
        seed: options.seed,
        repeat: options.repeat,
        require_sandbox: options.require_sandbox,
        require_xray: options.require_xray,
        lane_args: &options.lane_args,
        built: &programs,
        target_dir: &wb.target_dir,
    };
    let mut sharing = None;
    if let Some(i) = shared {
        // The lanes keep their cases' files in the exercise's folder, cleared first.
        let _ = std::fs::remove_dir_all(wb.kept_dir(exercises[i]));
        let queue = lanes::queue(cases[i].len())
            .map_err(|e| format!("cannot make the pipe that hands out the cases: {e}"))?;
        request.queue = Some(&queue);
        let asked = vec![vec![exercises[i]]; options.jobs];
        others = Some(Lanes::start(&request, &asked)?);
        sharing = Some(Sharing::new(i, cases[i].len()));
    } else if lanes >= 2 && options.lane.is_none() {
        let timed: Vec<bool> = cases.iter().map(|c| lanes::timed(c)).collect();
        let mut asked: Vec<Vec<&Exercise>> = vec![Vec::new(); lanes];
        for (i, lane) in lanes::assign(&timed, lanes).into_iter().enumerate() {
            if runnable[i] {
                asked[lane].push(exercises[i]);
            }
        }
        others = Some(Lanes::start(&request, &asked)?);
    }
    // Results wait here until every exercise before them has been passed on.
    let mut ready: Vec<Option<ExerciseResult>> = exercises.iter().map(|_| None).collect();
    let mut results = Vec::new();
    let pass_on = |ready: &mut Vec<Option<ExerciseResult>>,
                   results: &mut Vec<ExerciseResult>,
                   event: &mut dyn FnMut(Event)| {
        while let Some(Some(_)) = ready.get(results.len()) {
            let i = results.len();
            if let Some(result) = ready[i].take() {
                event(Event::Checked(exercises[i], &result));
                results.push(result);
            }
        }
    };
    for (i, (ex, built)) in exercises.iter().copied().zip(&built).enumerate() {
        if interrupted() {
            break;
        }
        if !here(i) {
            continue;
        }
        let result = match built {
            Built::Failed(errors) => {
                ExerciseResult::unrun(Verdict::DoesNotCompile(errors.clone()), ex, &cases[i])
            }
            Built::Program(program) => {
                let kept = wb.kept_dir(ex);
                let rerun = wb.rerun_prefix(&options.source, ex);
                let replay = replay_command(&options.source, ex, options.seed);
                let in_turn = results.len() == i;
                let mut told = |i: usize, status: CaseStatus, first: Option<&CaseFailure>| {
                    event(Event::Case(ex, i, status));
                    if let (true, Some(f)) = (in_turn, first) {
                        event(Event::Failing(ex, f));
                    }
                };
                let mut runner = CaseRunner {
                    pick: queue.take().map_or(Pick::All, Pick::Queue),
                    told: &mut told,
                    exercise: ex,
                    program,
                    work: &work,
                    kept: &kept,
                    repeat: options.repeat,
                    fail_fast: options.fail_fast,
                    rerun: &rerun,
                    replay: &replay,
                    trace,
                    jail: &jail,
                    refused: None,
                    unheard: unheard.clone(),
                    seed: options.seed ^ name_hash(&ex.name),
                };
                let result = runner.check(cases[i].clone());
                refused = refused.or(runner.refused);
                result
            }
        };
        ready[i] = Some(result);
        pass_on(&mut ready, &mut results, &mut event);
    }
    let mut structural_skipped = skipped_line(&xray, refused.as_deref(), unheard.as_deref());
    if let Some(mut others) = others {
        while let Some(got) = others.next(interrupted)? {
            let Some(i) = exercises.iter().position(|e| e.name == got.exercise()) else {
                continue;
            };
            let in_turn = results.len() == i;
            let shares = sharing.as_mut().filter(|s| s.exercise == i);
            let result = match (got, shares) {
                (
                    Got::Case {
                        lane,
                        index,
                        status,
                        ..
                    },
                    Some(s),
                ) => {
                    s.ran(lane, index, status);
                    if let Some(report) = s.first_failure().filter(|_| in_turn) {
                        event(Event::Shown(exercises[i], report));
                    }
                    continue;
                }
                (Got::Case { .. }, None) => continue,
                (Got::Failing { lane, report, .. }, Some(s)) => {
                    s.failing(lane, report);
                    if let Some(report) = s.first_failure().filter(|_| in_turn) {
                        event(Event::Shown(exercises[i], report));
                    }
                    continue;
                }
                // Its first failure, shown while its other cases run, when the exercise's turn
                // has come.
                (Got::Failing { report, .. }, None) => {
                    if in_turn {
                        event(Event::Shown(exercises[i], &report));
                    }
                    continue;
                }
                (Got::Checked { lane, result, .. }, Some(s)) => {
                    if matches!(result.verdict, Verdict::NotStarted { .. }) {
                        // Its first case reached `todo!()`: the other cases tell nothing more.
                        for other in (0..options.jobs).filter(|o| *o != lane) {
                            others.abandon(other);
                        }
                        result
                    } else {
                        match s.checked(result, options.jobs, interrupted())? {
                            Some(result) => result,
                            None => continue,
                        }
                    }
                }
                (Got::Checked { result, .. }, None) => result,
            };
            ready[i] = Some(result);
            pass_on(&mut ready, &mut results, &mut event);
        }
        structural_skipped = structural_skipped.or(others.structural_skipped.take());
    }
    // The lanes have ended. A shared exercise not started keeps its first case's files only,
    // as a check in one lane does: a lane stopped may have kept a case or two.
    if let Some(s) = &sharing
        && let Some(result) = results.get(s.exercise)
        && matches!(result.verdict, Verdict::NotStarted { .. })
        && let Ok(kept) = std::fs::read_dir(wb.kept_dir(exercises[s.exercise]))
    {
        for case in kept.flatten() {
            if !case.file_name().to_string_lossy().starts_with("01-") {
                let _ = std::fs::remove_dir_all(case.path());
            }
        }
    }
    if options.lane.is_none() {
        wb.forget_programs();
    }
    // A run the X-ray could not follow after all: with --require-xray, no grade without it
    // (said once, by the check that started the lanes).
    if let (true, None, Some(line)) = (options.require_xray, &options.lane, &structural_skipped) {
        return Err(format!(
            "the X-ray is required (--require-xray), but {line}"
        ));
    }
    Ok(Scorecard {
        seed: options.seed,
        source: options.source,
        exercises,
        results,
        elapsed: started.elapsed(),
        interrupted: interrupted(),
        structural_skipped,
        sandbox_missing: jail.missing().to_vec(),
    })
}

/// Fewer cases than this gain nothing from more processes, which take milliseconds to start.
const SHARED_FROM: usize = 6;

/// The exercise whose cases the lanes share: the one exercise to check, when its cases are
/// not timed and there are enough of them.
fn shared_at(runnable: &[bool], cases: &[Vec<Case>]) -> Option<usize> {
    let mut run = (0..runnable.len()).filter(|&i| runnable[i]);
    let (i, None) = (run.next()?, run.next()) else {
        return None;
    };
    (cases[i].len() >= SHARED_FROM && !lanes::timed(&cases[i])).then_some(i)
}

/// Whether runs are traced, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Xray {
    On,
    /// Not on Linux.
    NeedsLinux,
    /// `PIPES_LAB_XRAY=off`.
    SwitchedOff,
    /// The X-ray's probe found it blind here, and why.
    Blind(String),
}

impl Xray {
    /// Why runs are not traced, as the rest of `structural checks skipped: ...` says it.
    pub fn why_off(&self) -> Option<String> {
        match self {
            Xray::On => None,
            Xray::NeedsLinux => Some("the X-ray needs Linux".into()),
            Xray::SwitchedOff => Some(format!("the X-ray is switched off ({XRAY_SWITCH}=off)")),
            Xray::Blind(why) => Some(format!("runs cannot be traced here: {why}")),
        }
    }
}

/// Run folders that a check killed outright left behind (each run removes its own as it
/// ends). Older than any run lasts, they belong to no check still going: a check beside this
/// one (`grade` runs two) only ever has fresh ones.
fn sweep_stale_runs(runs: &Path) {
    const STALE: Duration = Duration::from_secs(600);
    let Ok(list) = std::fs::read_dir(runs) else {
        return;
    };
    for entry in list.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
            // remove_dir_all never follows a link a program left there.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `jail`, probed by the first check of this process that asks and kept for the next ones
/// on the same programs' folder.
fn probed_once(wb: &Workbook, programs: &std::path::Path) -> Result<(Arc<Jail>, Xray), String> {
    type Probed = Option<(PathBuf, Arc<Jail>, Xray)>;
    static PROBED: std::sync::Mutex<Probed> = std::sync::Mutex::new(None);
    let mut kept = PROBED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((dir, jail, xray)) = kept.as_ref()
        && dir == programs
    {
        return Ok((jail.clone(), xray.clone()));
    }
    let (jail, xray) = jail(wb, programs)?;
    *kept = Some((programs.to_path_buf(), jail.clone(), xray.clone()));
    Ok((jail, xray))
}

/// The sandbox for the builds and runs of this workbook's programs, as this machine allows it:
/// the programs' folder, the run folders and the checker itself (the stage spies) must be
/// reachable by its unprivileged user; the workbook, the target directory and the home
/// folder stay off the runs' PATH. The X-ray is proven on a probe behind that very sandbox;
/// where root may not trace the unprivileged user's programs, runs keep root's user (without
/// its capabilities) so that they are traced, and the report names what that costs.
pub fn jail(wb: &Workbook, programs: &std::path::Path) -> Result<(Arc<Jail>, Xray), String> {
    let (programs, runs) = (programs.to_path_buf(), wb.work_dir().join("tmp"));
    for dir in [&programs, &runs] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut reach = vec![programs, runs.clone()];
    reach.extend(std::env::current_exe().ok());
    let mut hidden = vec![wb.root.clone(), wb.target_dir.clone()];
    hidden.extend(std::env::var_os("HOME").map(PathBuf::from));
    let jail = if std::env::var(SANDBOX_SWITCH).is_ok_and(|v| v == "off") {
        let why = format!("switched off by {SANDBOX_SWITCH}=off");
        Arc::new(Jail::off(hidden.clone(), &why))
    } else {
        Arc::new(Jail::probe(&reach, hidden.clone()))
    };
    if !cfg!(target_os = "linux") {
        return Ok((jail, Xray::NeedsLinux));
    }
    if std::env::var(XRAY_SWITCH).is_ok_and(|v| v == "off") {
        return Ok((jail, Xray::SwitchedOff));
    }
    #[cfg(target_os = "linux")]
    {
        use crate::sandbox::probe::trace_seen;
        let blind = match trace_seen(&jail, &runs) {
            Ok(()) => return Ok((jail, Xray::On)),
            Err(why) => why,
        };
        if jail.switches_user() {
            let why = "root may not trace another user's programs here (no CAP_SYS_PTRACE)";
            if let Some(kept) = Jail::powerless(&reach, hidden, why).map(Arc::new)
                && trace_seen(&kept, &runs).is_ok()
            {
                return Ok((kept, Xray::On));
            }
        }
        Ok((jail, Xray::Blind(blind)))
    }
    #[cfg(not(target_os = "linux"))]
    Ok((jail, Xray::NeedsLinux))
}

/// The wall around builds of untrusted code, as `Workbook::build` takes it.
pub fn confine_build(jail: &Jail) -> impl Fn(&mut Command, &BuildWalls) -> std::io::Result<()> {
    |command, walls| {
        jail.confine_build(
            command,
            &walls.readable,
            &walls.runnable,
            &walls.writable,
            &walls.closed,
        )
    }
}

/// Keeps each checked exercise's verdict in the progress file (never the solutions').
pub fn record(card: &Scorecard, files: &ExerciseFiles, welcomed: bool) -> Result<(), String> {
    if matches!(card.source, Source::Solutions) {
        return Ok(());
    }
    let mut progress = Progress::load(files);
    progress.welcomed |= welcomed;
    for (ex, result) in card.rows() {
        progress.record(&ex.name, result.verdict.word(), &files.file(&ex.name));
    }
    progress.save()
}

/// The one line a report prints when checks were skipped: the structural checks, because the
/// X-ray is off here or, `refused`, because a run could not be traced after all; the stage
/// checks, because, `unheard`, the stage spies cannot be heard here.
fn skipped_line(xray: &Xray, refused: Option<&str>, unheard: Option<&str>) -> Option<String> {
    let structural = match (xray.why_off(), refused) {
        // The cases whose failure the X-ray makes happen (`Case::mishap`) go with it.
        (Some(why), _) => Some(format!(
            "{why}; so were the cases that need the X-ray to change a call"
        )),
        (None, Some(refused)) => Some(format!("runs cannot be traced here: {refused}")),
        (None, None) => None,
    };
    let skipped: Vec<String> = structural
        .map(|why| format!("structural checks skipped: {why}"))
        .into_iter()
        .chain(unheard.map(|why| {
            format!("stage checks skipped: the stage spies cannot be heard here: {why}")
        }))
        .collect();
    (!skipped.is_empty()).then(|| format!("{}; every other check ran as usual", skipped.join("; ")))
}

/// The cases of an exercise: its transcript's commands, with their files, then the random
/// ones drawn from the seed.
fn exercise_cases(wb: &Workbook, ex: &Exercise, seed: u64) -> Result<Vec<Case>, String> {
    let transcript = wb.transcript(ex)?;
    let mut rng = StdRng::seed_from_u64(seed ^ name_hash(&ex.name));
    let mut cases = cases::cases(ex, &transcript, &mut rng);
    let files = wb.transcript_files(ex);
    for case in cases.iter_mut().filter(|c| c.kind == Kind::Transcript) {
        case.files = files.clone();
    }
    Ok(cases)
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
/// The check that replays an exercise's cases, and the X-ray's cuts, from `seed`.
fn replay_command(source: &Source, exercise: &Exercise, seed: u64) -> String {
    let from = match source {
        Source::Exercises => String::new(),
        Source::Solutions => " --solutions".into(),
        Source::Copy(dir) => format!(" --exercises {}", quote(&shown(dir))),
    };
    format!("cargo lab {} --seed {seed}{from}", exercise.number())
}

pub fn name_hash(name: &str) -> u64 {
    stable_hash(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_folders_older_than_any_run_are_swept() {
        let runs = tempfile::tempdir().expect("temporary directory");
        let (old, fresh) = (runs.path().join("01.old"), runs.path().join("01.fresh"));
        for dir in [&old, &fresh] {
            std::fs::create_dir_all(dir.join("run")).expect("a run folder");
        }
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::open(&old)
            .and_then(|f| f.set_modified(long_ago))
            .expect("age the folder");
        sweep_stale_runs(runs.path());
        assert!(!old.exists() && fresh.exists());
    }
}
