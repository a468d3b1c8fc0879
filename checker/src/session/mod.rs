//! One check: build the selected exercises, make their cases, run them (`case_runner`) and
//! gather the verdicts in a scorecard, whatever the output format.

mod aside;
mod case_runner;
mod lanes;
mod plan;
mod probes;
mod sharing;

pub use lanes::{Lane, Sender as LaneSender};
pub use probes::{SANDBOX_SWITCH, XRAY_SWITCH, Xray, jail, proven_here};

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
use aside::Aside;
use case_runner::{CaseRunner, NOT_STARTED, Pick};
use lanes::{Got, Lanes, Queues};
use plan::Plan;
use probes::Probes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sharing::Sharing;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// A lane's pipe number `pipe` has ended: it takes no more cases from it.
    Drained(usize),
}

/// Runs the check; `event` receives each exercise's first failure as soon as it is known and
/// its result as soon as it is ready, in the order of the exercises.
pub fn run<'w>(
    wb: &'w Workbook,
    options: Options,
    mut event: impl FnMut(Event),
) -> Result<Scorecard<'w>, String> {
    let started = Instant::now();
    // A lane that shares the cases takes them from these pipes (made close-on-exec before
    // this process starts anything).
    let mut queues = match &options.lane {
        Some(lane) if lane.queues > 0 => Some(Queues::inherited(lane.queues)?),
        _ => None,
    };
    wb.require(&options.source)?;
    let mut exercises = wb.select(&options.selected)?;
    if queues.is_some() {
        // The order they were given in is that of the pipes, which name them by place.
        exercises.sort_by_key(|e| options.selected.iter().position(|s| *s == e.name));
    }
    let programs = match &options.lane {
        Some(lane) => lane.built.clone(),
        None => wb.program_dir(),
    };
    // Another copy's build is walled in, and a lane builds nothing: their probes come first.
    // The workbook's own build runs beside them (watch mode keeps those of its first check).
    let beside = options.lane.is_none()
        && !options.keep_probes
        && !matches!(options.source, Source::Copy(_));
    let probes = Probes::start(wb, &programs, beside, options.keep_probes)?;
    if let Some((jail, xray)) = probes.found() {
        required(&options, jail, xray)?;
    }
    // The cases are made while cargo builds (it mostly waits for the compiler); a lane that
    // takes cases from pipes makes an exercise's cases when it first takes one.
    let (built, cases) = std::thread::scope(|scope| {
        let making = queues.is_none().then(|| {
            scope.spawn(|| {
                exercises
                    .iter()
                    .map(|e| exercise_cases(wb, e, options.seed))
                    .collect::<Result<Vec<_>, _>>()
            })
        });
        let built = match &options.lane {
            Some(lane) => {
                sandbox::tracer::use_cpu(lane.cpu);
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
                let color = anstream::AutoStream::choice(&std::io::stdout())
                    != anstream::ColorChoice::Never;
                let confine = |command: &mut Command, walls: &BuildWalls| match probes.found() {
                    Some((jail, _)) => confine_build(jail)(command, walls),
                    None => Err(std::io::Error::other("the sandbox is not probed yet")),
                };
                match wb.build(&options.source, &exercises, color, &confine, &interrupted) {
                    Ok(built) => built,
                    // Ctrl-C during the build: nothing was built, and the check ends as interrupted.
                    Err(_) if interrupted() => Vec::new(),
                    Err(e) => return Err(e),
                }
            }
        };
        let cases = match making {
            Some(making) => making
                .join()
                .map_err(|_| "the checker failed while making the cases".to_string())??,
            None => vec![Vec::new(); exercises.len()],
        };
        Ok::<_, String>((built, cases))
    })?;
    let (jail, xray) = probes.finish()?;
    required(&options, &jail, &xray)?;
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
    let trace = xray == Xray::On;
    let mut checking = Checking {
        wb,
        options: &options,
        work: &work,
        trace,
        jail: &jail,
        unheard: unheard.clone(),
    };
    let mut refused: Option<String> = None;
    // A lane that shares the cases: each case from the pipes, an exercise's result as soon
    // as it has taken all it will of its cases.
    if let Some(queues) = queues.as_mut() {
        refused = take_cases(queues, &exercises, &built, &mut checking, &mut event)?;
        return Ok(Scorecard {
            seed: options.seed,
            source: options.source.clone(),
            exercises: Vec::new(),
            results: Vec::new(),
            elapsed: started.elapsed(),
            interrupted: interrupted(),
            structural_skipped: skipped_line(
                &xray,
                refused.as_deref(),
                checking.unheard.as_deref(),
            ),
            sandbox_missing: jail.missing().to_vec(),
        });
    }
    // The lanes share the cases, or (stopping each exercise at its first failure) check
    // exercises whole, dealt out; one exercise with few cases is checked here.
    let plan = (options.lane.is_none() && !options.fail_fast)
        .then(|| Plan::new(&runnable, &cases, options.jobs))
        .flatten();
    let whole = options.jobs.min(runnable.iter().filter(|r| **r).count());
    let dealt = options.lane.is_none() && options.fail_fast && whole >= 2;
    let here = |i: usize| !runnable[i] || options.lane.is_some() || (plan.is_none() && !dealt);
    let request = lanes::Request {
        source: &options.source,
        seed: options.seed,
        repeat: options.repeat,
        require_sandbox: options.require_sandbox,
        require_xray: options.require_xray,
        lane_args: &options.lane_args,
        built: &programs,
        target_dir: &wb.target_dir,
    };
    let mut others = None;
    let mut shares: Vec<Option<Sharing>> = exercises.iter().map(|_| None).collect();
    // Held until every timed case is done: the timed lanes' turn among checks side by side
    // (and the empty pipe that keeps them from the other cases, in `Lanes`).
    let mut timed_turn = None;
    // The last check's files of the exercises the lanes share, deleted while they run.
    let mut _last_run = None;
    if let Some(plan) = &plan {
        let mut kept = Vec::new();
        for (i, share) in shares.iter_mut().enumerate() {
            let lanes = plan.lanes_of(i);
            if !lanes.is_empty() {
                // The lanes keep their cases' files in the exercise's folder, cleared first.
                kept.push(wb.kept_dir(exercises[i]));
                *share = Some(Sharing::new(cases[i].len(), lanes));
            }
        }
        _last_run = Some(Aside::clear(&kept, &work.join("tmp")));
        let pipe = |cases: &[(usize, usize)]| {
            lanes::queue(cases)
                .map_err(|e| format!("cannot make the pipe that hands out the cases: {e}"))
        };
        let (timed, untimed) = (pipe(&plan.timed)?, pipe(&plan.untimed)?);
        let (gate, held) = std::io::pipe()
            .map_err(|e| format!("cannot make the pipe that holds the timed lanes: {e}"))?;
        let given: Vec<&Exercise> = plan.given.iter().map(|&i| exercises[i]).collect();
        let work_of = |lane: usize| lanes::Work {
            exercises: given.clone(),
            queues: match (plan.takes_timed(lane), plan.takes_untimed(lane)) {
                (true, false) => vec![&timed],
                (true, true) => vec![&timed, &gate, &untimed],
                (false, _) => vec![&untimed],
            },
            cpu: plan.cpu(lane),
            turn_held: plan.takes_timed(lane),
        };
        // The other lanes start at once; the timed ones when this check has the turn.
        let mut started = Lanes::none();
        for lane in plan.timed_lanes..plan.lanes {
            started.add(&request, lane, &work_of(lane))?;
        }
        if plan.timed_lanes > 0 {
            let turn = case_runner::timed_turn(&work);
            for lane in 0..plan.timed_lanes {
                started.add(&request, lane, &work_of(lane))?;
            }
            started.hold(held);
            timed_turn = turn;
        }
        drop(gate);
        others = Some(started);
    } else if dealt {
        let timed: Vec<bool> = cases.iter().map(|c| lanes::timed(c)).collect();
        let mut asked: Vec<Vec<&Exercise>> = vec![Vec::new(); whole];
        for (i, lane) in lanes::assign(&timed, whole).into_iter().enumerate() {
            if runnable[i] {
                asked[lane].push(exercises[i]);
            }
        }
        let mut started = Lanes::none();
        for (lane, exercises) in asked.into_iter().enumerate() {
            let work = lanes::Work {
                exercises,
                queues: Vec::new(),
                cpu: lane,
                turn_held: false,
            };
            started.add(&request, lane, &work)?;
        }
        others = Some(started);
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
                let in_turn = results.len() == i;
                let mut told = |i: usize, status: CaseStatus, first: Option<&CaseFailure>| {
                    event(Event::Case(ex, i, status));
                    if let (true, Some(f)) = (in_turn, first) {
                        event(Event::Failing(ex, f));
                    }
                };
                let (result, why) =
                    checking.check(ex, program, cases[i].clone(), Pick::All, &mut told);
                refused = refused.or(why);
                result
            }
        };
        ready[i] = Some(result);
        pass_on(&mut ready, &mut results, &mut event);
    }
    let mut structural_skipped = skipped_line(&xray, refused.as_deref(), unheard.as_deref());
    if let Some(mut others) = others {
        while let Some(got) = others.next(interrupted)? {
            let lane = match &got {
                Got::Case { lane, .. }
                | Got::Failing { lane, .. }
                | Got::Checked { lane, .. }
                | Got::Drained { lane, .. }
                | Got::Done { lane } => *lane,
            };
            let at = exercises.iter().position(|e| e.name == got.exercise());
            // A lane takes the cases of one pipe in order: the exercises before this one in
            // its pipe get no more of its cases, and one that is done gets none at all.
            let passed: Vec<usize> = match (&plan, at, &got) {
                (_, _, Got::Done { .. }) => (0..exercises.len()).collect(),
                (Some(plan), _, Got::Drained { pipe, .. }) => plan.in_pipe(lane, *pipe),
                (Some(plan), Some(i), _) => plan.before(i).collect(),
                _ => Vec::new(),
            };
            for p in passed {
                if let Some(s) = shares[p].as_mut() {
                    s.passed_by(lane);
                }
            }
            let in_turn = at.is_some_and(|i| results.len() == i);
            match (got, at.and_then(|i| shares[i].as_mut())) {
                (Got::Case { index, status, .. }, Some(s)) => {
                    s.ran(lane, index, status);
                    if let (Some(report), Some(i)) = (s.first_failure().filter(|_| in_turn), at) {
                        event(Event::Shown(exercises[i], report));
                    }
                }
                (Got::Failing { report, .. }, Some(s)) => {
                    s.failing(lane, report);
                    if let (Some(report), Some(i)) = (s.first_failure().filter(|_| in_turn), at) {
                        event(Event::Shown(exercises[i], report));
                    }
                }
                (Got::Checked { result, .. }, Some(s)) => s.checked(lane, result),
                // Its first failure, shown while its other cases run, when the exercise's turn
                // has come.
                (Got::Failing { report, .. }, None) => {
                    if let (true, Some(i)) = (in_turn, at) {
                        event(Event::Shown(exercises[i], &report));
                    }
                }
                (Got::Checked { result, .. }, None) => {
                    if let Some(i) = at {
                        ready[i] = Some(result);
                    }
                }
                (Got::Case { .. } | Got::Drained { .. } | Got::Done { .. }, _) => {}
            }
            // Each exercise whose lanes have all been heard from has its result.
            for (i, share) in shares.iter_mut().enumerate() {
                if let Some(mut s) = share.take_if(|s| s.complete()) {
                    ready[i] = Some(s.result(interrupted())?);
                }
            }
            pass_on(&mut ready, &mut results, &mut event);
            let timed_done = plan.as_ref().is_some_and(|plan| {
                (0..exercises.len()).all(|i| !plan.is_timed(i) || shares[i].is_none())
            });
            if timed_done {
                // The timed lanes go on to the other cases, and the next check's timed runs
                // may start.
                others.release();
                timed_turn = None;
            }
        }
        structural_skipped = structural_skipped.or(others.structural_skipped.take());
    }
    drop(timed_turn);
    // The lanes have ended. A shared exercise not started keeps its first case's files only,
    // as a check in one lane does: another lane may have kept a case or two.
    for (i, result) in results.iter().enumerate() {
        let shared = plan.as_ref().is_some_and(|p| !p.lanes_of(i).is_empty());
        if !shared || !matches!(result.verdict, Verdict::NotStarted { .. }) {
            continue;
        }
        let Ok(kept) = std::fs::read_dir(wb.kept_dir(exercises[i])) else {
            continue;
        };
        for case in kept.flatten() {
            let name = case.file_name();
            if name == NOT_STARTED {
                let _ = std::fs::remove_file(case.path());
            } else if !name.to_string_lossy().starts_with("01-") {
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

/// A lane's work: each case from the pipes, each exercise's result as soon as it has taken
/// all it will of its cases; why runs could not be traced, if one was refused. An exercise's
/// cases are made when it first takes one, and those of the two exercises after it, which
/// the pipes may well hand out next, are made meanwhile on another thread.
fn take_cases(
    queues: &mut Queues,
    exercises: &[&Exercise],
    built: &[Built],
    checking: &mut Checking,
    event: &mut impl FnMut(Event),
) -> Result<Option<String>, String> {
    const AHEAD: usize = 2;
    let (wb, seed) = (checking.wb, checking.options.seed);
    let mut refused = None;
    std::thread::scope(|scope| {
        let make = |i: usize| scope.spawn(move || exercise_cases(wb, exercises[i], seed));
        let mut making: Vec<_> = exercises.iter().map(|_| None).collect();
        let mut left = vec![false; exercises.len()];
        let mut pipe = 0;
        loop {
            let Some((i, _)) = queues.peek() else {
                event(Event::Drained(pipe));
                match queues.next_pipe() {
                    true => pipe += 1,
                    false => break,
                }
                continue;
            };
            let program = match built.get(i) {
                Some(Built::Program(program)) if !left[i] && !interrupted() => program,
                // Cases of an exercise it left (the stub untouched): they tell nothing more.
                _ => {
                    queues.take();
                    continue;
                }
            };
            left[i] = true;
            // Its cases, and those of the next exercises it has not left.
            for next in i..exercises.len().min(i + AHEAD + 1) {
                if next == i || !left[next] {
                    making[next].get_or_insert_with(|| make(next));
                }
            }
            let ex = exercises[i];
            let cases = match making[i].take().map(|m| m.join()) {
                Some(Ok(cases)) => cases?,
                _ => return Err("the checker failed while making the cases".to_string()),
            };
            if checking.unheard.is_none() && cases.iter().any(|c| c.stages.is_some()) {
                checking.unheard = spy::heard(checking.jail, &checking.work.join("tmp")).err();
            }
            let mut told = |i: usize, status: CaseStatus, first: Option<&CaseFailure>| {
                event(Event::Case(ex, i, status));
                if let Some(f) = first {
                    event(Event::Failing(ex, f));
                }
            };
            let pick = Pick::Queued {
                queues,
                exercise: i,
            };
            let (result, why) = checking.check(ex, program, cases, pick, &mut told);
            refused = refused.take().or(why);
            event(Event::Checked(ex, &result));
        }
        Ok(refused)
    })
}

/// What every exercise of a check is run with.
struct Checking<'a> {
    wb: &'a Workbook,
    options: &'a Options,
    work: &'a Path,
    trace: bool,
    jail: &'a Arc<Jail>,
    /// Why the stage spies cannot be heard here, when they cannot.
    unheard: Option<String>,
}

impl Checking<'_> {
    /// Runs the cases `pick` takes of exercise `ex`; its result, and why runs could not be
    /// traced, if one was refused.
    fn check(
        &self,
        ex: &Exercise,
        program: &Path,
        cases: Vec<Case>,
        pick: Pick,
        told: &mut dyn FnMut(usize, CaseStatus, Option<&CaseFailure>),
    ) -> (ExerciseResult, Option<String>) {
        let options = self.options;
        let kept = self.wb.kept_dir(ex);
        let rerun = self.wb.rerun_prefix(&options.source, ex);
        let replay = replay_command(&options.source, ex, options.seed);
        let mut runner = CaseRunner {
            pick,
            told,
            exercise: ex,
            program,
            work: self.work,
            kept: &kept,
            repeat: options.repeat,
            fail_fast: options.fail_fast,
            rerun: &rerun,
            replay: &replay,
            trace: self.trace,
            jail: self.jail,
            refused: None,
            unheard: self.unheard.clone(),
            seed: options.seed ^ name_hash(&ex.name),
            takes_turns: !options.lane.as_ref().is_some_and(|l| l.turn_held),
        };
        let result = runner.check(cases);
        (result, runner.refused)
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

/// Refuses a check that asks for the full sandbox or the X-ray where this machine lacks it.
fn required(options: &Options, jail: &Jail, xray: &Xray) -> Result<(), String> {
    if options.require_sandbox && !jail.missing().is_empty() {
        return Err(format!(
            "the full sandbox is required (--require-sandbox), but this machine lacks: {}",
            jail.missing().join(", ")
        ));
    }
    if let (true, Some(why)) = (options.require_xray, xray.why_off()) {
        return Err(format!("the X-ray is required (--require-xray), but {why}"));
    }
    Ok(())
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
