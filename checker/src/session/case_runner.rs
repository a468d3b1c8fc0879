//! Checking one exercise: run each case, judge what happened, keep the evidence of a failure.

use crate::judging::cases::{Case, Kind};
use crate::judging::explain::diagnose;
use crate::judging::failure::Failure;
use crate::judging::judge::{fifos_in, judge};
use crate::judging::reproduce::reproduce;
use crate::judging::verdict::{CaseFailure, CaseStatus, ExerciseResult, Verdict, outcomes_unrun};
use crate::judging::wiring;
use crate::sandbox::jail::{Jail, Walls};
use crate::sandbox::runner::{self, RunOutcome, RunSpec};
use crate::sandbox::spy;
use crate::workbook::manifest::Exercise;
use nix::fcntl::{Flock, FlockArg};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::lanes::Queues;

/// The file a lane leaves in an exercise's folder when its first case reached `todo!()`:
/// the other lanes run none of its other cases.
pub const NOT_STARTED: &str = "not-started";

/// Runs the cases of one exercise and judges each run.
pub struct CaseRunner<'a> {
    pub exercise: &'a Exercise,
    pub program: &'a Path,
    /// The checker's directory under the target directory.
    pub work: &'a Path,
    /// Where each case's files are kept for the student.
    pub kept: &'a Path,
    /// Runs per case; a case passes only when every run passes (races show up this way).
    pub repeat: u32,
    /// Stop at the first failing case (the cases after it are left unrun).
    pub fail_fast: bool,
    /// The cargo command that runs the program by hand, before its arguments.
    pub rerun: &'a str,
    /// The check that replays this exercise's cases with the same seed.
    pub replay: &'a str,
    /// Follow each run with the X-ray and judge its wiring.
    pub trace: bool,
    /// The wall every run is put behind.
    pub jail: &'a Arc<Jail>,
    /// Why runs could not be traced, once one was refused: the structural checks are skipped.
    pub refused: Option<String>,
    /// Why the stage spies cannot be heard here, found before any run (`spy::heard`): no run
    /// gets them, and the stage checks are skipped.
    pub unheard: Option<String>,
    /// The exercise's seed: each case's short reads and writes are drawn from it and the
    /// case's place, so that `--seed` replays them.
    pub seed: u64,
    /// Told how each case went as soon as it has run, with the first failing case the
    /// moment it is known, before the others run.
    pub told: &'a mut dyn FnMut(usize, CaseStatus, Option<&CaseFailure>),
    /// Which cases it runs.
    pub pick: Pick<'a>,
    /// Timed runs wait for their turn among the checks sharing the folder (unless the
    /// check that started this lane holds it).
    pub takes_turns: bool,
}

/// Which cases of an exercise a runner takes.
pub enum Pick<'a> {
    /// All of them, in order.
    All,
    /// Those of exercise `exercise` that come next from the pipes another process of the
    /// check filled: the lanes that share them take the next case each time they are free.
    Queued {
        queues: &'a mut Queues,
        exercise: usize,
    },
}

impl Pick<'_> {
    /// The next case to run; `order` holds the cases not yet taken (its end is how many
    /// there are).
    fn next(&mut self, order: &mut std::ops::Range<usize>) -> Option<usize> {
        match self {
            Pick::All => order.next(),
            Pick::Queued { queues, exercise } => {
                let (of, case) = queues.peek()?;
                if of != *exercise {
                    return None;
                }
                queues.take();
                Some(case).filter(|i| *i < order.end)
            }
        }
    }
}

impl CaseRunner<'_> {
    /// Runs every case in order, each with its own time limit: a case that hangs costs only
    /// its own points, so the same program gets the same score whatever the seed. Stops early
    /// only when the stub is untouched (its first case reaches `todo!()`), on Ctrl-C, or at
    /// the first failure when asked to (`--fail-fast`).
    pub fn check(&mut self, cases: Vec<Case>) -> ExerciseResult {
        let started = std::time::Instant::now();
        let mut outcomes = outcomes_unrun(self.exercise, &cases);
        // The cases of the last check go (where runners share the cases, the check that
        // started them cleared them first).
        if matches!(self.pick, Pick::All) {
            let _ = std::fs::remove_dir_all(self.kept);
        }
        let mut order = 0..cases.len();
        let mut cases: Vec<Option<Case>> = cases.into_iter().map(Some).collect();
        let mut first: Option<CaseFailure> = None;
        let queued = matches!(self.pick, Pick::Queued { .. });
        while let Some(i) = self.pick.next(&mut order) {
            let Some(case) = cases[i].take() else {
                continue;
            };
            if queued && self.kept.join(NOT_STARTED).exists() {
                // Another lane found the stub untouched: the exercise's result is its.
                continue;
            }
            let case_started = std::time::Instant::now();
            if case.needs_xray() && !self.trace {
                // Only the X-ray makes its failure happen: skipped with the structural checks,
                // which the report says.
                outcomes[i].status = CaseStatus::Passed;
                outcomes[i].points = outcomes[i].max_points;
                (self.told)(i, CaseStatus::Passed, None);
                continue;
            }
            let (failure, outcome) = self.run_case(&case, self.seed.wrapping_add(i as u64));
            let (kept, command) = self.keep(i, &case, &outcome);
            let slot = &mut outcomes[i];
            slot.elapsed = case_started.elapsed();
            let Some(failure) = failure else {
                slot.status = CaseStatus::Passed;
                slot.points = slot.max_points;
                (self.told)(i, CaseStatus::Passed, None);
                continue;
            };
            slot.status = CaseStatus::Failed;
            let diagnosis = diagnose(self.exercise, &case, &failure, &outcome, self.replay);
            slot.happened = Some(diagnosis.summary.clone());
            slot.likely_cause = Some(diagnosis.cause.text.clone());
            if i == 0 && matches!(failure, Failure::NotStarted) {
                if queued {
                    let _ = std::fs::create_dir_all(self.kept);
                    let _ = std::fs::write(self.kept.join(NOT_STARTED), "");
                }
                (self.told)(i, CaseStatus::Failed, None);
                return ExerciseResult {
                    verdict: Verdict::NotStarted {
                        location: diagnosis.panic,
                    },
                    cases: outcomes,
                    elapsed: started.elapsed(),
                    rendered: None,
                    failure_text: None,
                };
            }
            let interrupted = matches!(failure, Failure::Interrupted);
            if first.is_none() {
                let found = CaseFailure {
                    case,
                    failure,
                    outcome,
                    kept,
                    command,
                    diagnosis,
                };
                (self.told)(i, CaseStatus::Failed, Some(&found));
                first = Some(found);
            } else {
                (self.told)(i, CaseStatus::Failed, None);
            }
            if interrupted || self.fail_fast {
                break;
            }
        }
        let verdict = match first {
            None => Verdict::Passed,
            Some(f) => Verdict::Failed(Some(Box::new(f))),
        };
        ExerciseResult {
            verdict,
            cases: outcomes,
            elapsed: started.elapsed(),
            rendered: None,
            failure_text: None,
        }
    }

    /// Runs a case `repeat` times, stopping at the first failing run.
    fn run_case(&mut self, case: &Case, faults: u64) -> (Option<Failure>, RunOutcome) {
        // Timed runs of checks side by side (`grade` checks two submissions at once) take
        // turns: the clock of one must not run while the other's processes fill the CPU.
        let _turn = (case.is_timed() && self.takes_turns)
            .then(|| timed_turn(self.work))
            .flatten();
        let mut last = None;
        for _ in 0..self.repeat.max(1) {
            let (failure, outcome) = match self.run_once(case, faults) {
                Ok(result) => result,
                Err(e) => {
                    let failure = Failure::Output {
                        expected: case.stdout.text().to_string(),
                        actual: format!("(the checker could not run it: {e})"),
                    };
                    (Some(failure), RunOutcome::empty(e))
                }
            };
            if failure.is_some() {
                return (failure, outcome);
            }
            last = Some(outcome);
        }
        (
            None,
            last.unwrap_or_else(|| RunOutcome::empty(String::new())),
        )
    }

    /// Runs `case` once. A verdict stands only on what the X-ray saw: a traced run that the
    /// X-ray slows gets more time (`TracedRun::x_ray_cost`), never a run unwatched, where a
    /// program may well behave otherwise.
    fn run_once(
        &mut self,
        case: &Case,
        faults: u64,
    ) -> Result<(Option<Failure>, RunOutcome), String> {
        let trace = self.trace;
        let tmp = self.work.join("tmp");
        std::fs::create_dir_all(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}.", self.exercise.name))
            .tempdir_in(&tmp)
            .map_err(|e| format!("cannot create a working directory: {e}"))?;
        let cwd = dir.path().join("run");
        std::fs::create_dir(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
        for (name, bytes) in &case.files {
            std::fs::write(cwd.join(name), bytes)
                .map_err(|e| format!("cannot write {name}: {e}"))?;
        }
        let mut env = case.env.clone();
        let mut walls = Walls {
            writable: vec![cwd.clone()],
            executable: vec![self.program.to_path_buf()],
            ..Walls::default()
        };
        let spies = dir.path().join("spies");
        let mut path_first = None;
        if case.stages.is_some() && self.unheard.is_none() {
            let checker = std::env::current_exe()
                .map_err(|e| format!("cannot find the checker itself: {e}"))?;
            env.extend(
                spy::prepare(&spies).map_err(|e| format!("cannot set up the stage spies: {e}"))?,
            );
            walls.readable.push(spies.clone());
            walls.executable.push(checker);
            path_first = Some(spies);
        }
        if let Some(missing) = case.missing_stage {
            // A PATH of one folder, holding every stage but the missing one.
            let stages = dir.path().join("stages");
            std::fs::create_dir(&stages)
                .map_err(|e| format!("cannot create {}: {e}", stages.display()))?;
            let system = self.jail.path();
            for stage in spy::STAGES.iter().filter(|s| **s != missing) {
                if let Some(real) = system.iter().map(|d| d.join(stage)).find(|p| p.is_file()) {
                    std::os::unix::fs::symlink(&real, stages.join(stage))
                        .map_err(|e| format!("cannot link {}: {e}", real.display()))?;
                }
            }
            walls.readable.push(stages.clone());
            env.push(("PATH".into(), stages.to_string_lossy().into_owned()));
        }
        let spec = RunSpec {
            program: self.program.to_path_buf(),
            args: case.args.clone(),
            env,
            cwd,
            timeout: case
                .timeout
                .map_or(self.exercise.timeout(), |t| t.min(self.exercise.timeout())),
            trace,
            faults: trace.then_some(faults),
            untraced_byte_writes: self.exercise.wiring.fill_loop,
            mishap: case.mishap.filter(|_| trace),
            await_reads: self.exercise.wiring.awaits_reads(),
            count_waits: case.is_timed(),
            jail: Some((self.jail.clone(), walls)),
            path_first,
        };
        let outcome = runner::run(&spec)
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        // The spies were proven heard here: a run whose channel failed all the same is the
        // checker's failure, never a pass.
        let records = match &outcome.spies {
            Some(Ok(heard)) => Some(heard.records.as_slice()),
            Some(Err(why)) => {
                return Err(format!("the checker could not hear the stage spies: {why}"));
            }
            None => None,
        };
        let fifos = fifos_in(&spec.cwd);
        let wiring = self.wiring(case, &outcome);
        let failure = judge(case, &outcome, records, &fifos, wiring.as_ref());
        Ok((failure, outcome))
    }

    /// The structural checks on a traced run (not on usage errors and refusals, which build
    /// nothing).
    fn wiring(&mut self, case: &Case, outcome: &RunOutcome) -> Option<Failure> {
        if case.kind == Kind::Usage || case.refused || case.one_role {
            return None;
        }
        match outcome.trace.as_ref()? {
            Ok(trace) => wiring::check(trace, &self.exercise.wiring, &case.args),
            Err(why) => {
                self.refused.get_or_insert_with(|| why.clone());
                None
            }
        }
    }

    /// Keeps a run's inputs, outputs and command in `last-run/<exercise>/<NN>-<kind>/`, where
    /// a student can open them; returns the folder and the command.
    fn keep(&self, index: usize, case: &Case, outcome: &RunOutcome) -> (Option<PathBuf>, String) {
        let dir = self
            .kept
            .join(format!("{:02}-{}", index + 1, case.kind.name()));
        let mut command = reproduce(case, Some(&dir), self.rerun);
        if let Some(mishap) = case.mishap {
            // Only the X-ray makes the call fail: the check replays it, a shell cannot.
            command = format!(
                "{} (the X-ray changes {mishap}; without it: {command})",
                self.replay
            );
        }
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            for (name, bytes) in &case.files {
                std::fs::write(dir.join(name), bytes)?;
            }
            std::fs::write(dir.join("stdout"), &outcome.stdout)?;
            std::fs::write(dir.join("stderr"), &outcome.stderr)?;
            std::fs::write(dir.join("expected-stdout"), case.stdout.text())?;
            let mut args = Vec::new();
            for arg in &case.args {
                args.extend_from_slice(arg.as_bytes());
                args.push(0);
            }
            std::fs::write(dir.join("args"), args)?;
            if let Some(Ok(trace)) = &outcome.trace {
                // What the X-ray saw when, the evidence behind a timing verdict.
                let mut timeline: String =
                    trace.timeline.iter().map(|m| format!("{m}\n")).collect();
                if trace.timeline_full {
                    timeline.push_str("(the X-ray kept no more)\n");
                }
                std::fs::write(dir.join("timeline"), timeline)?;
            }
            std::fs::write(dir.join("command"), format!("{command}\n"))
        })();
        (written.ok().map(|_| dir), command)
    }
}

/// Waits for the turn of timed runs among the checks sharing the `work` folder: one check's
/// timed runs do not run while another's processes fill the CPU.
pub fn timed_turn(work: &Path) -> Option<Flock<std::fs::File>> {
    let file = std::fs::File::create(work.join("timed.lock")).ok()?;
    Flock::lock(file, FlockArg::LockExclusive).ok()
}
