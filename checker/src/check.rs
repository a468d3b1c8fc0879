//! Checking one exercise: run each case, judge what happened, keep the evidence of a failure.

use crate::cases::{self, Case, Failure, Kind};
use crate::judge::{fifos_in, judge, panic_message};
use crate::manifest::Exercise;
use crate::runner::{self, RunOutcome, RunSpec};
use crate::spy;
use crate::xray;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The verdict on one exercise.
pub enum Verdict {
    Passed,
    Failed(Box<CaseFailure>),
    NotStarted { location: Option<String> },
    DoesNotCompile(String),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed(_) => "failed",
            Verdict::NotStarted { .. } => "not started",
            Verdict::DoesNotCompile(_) => "does not compile",
        }
    }
}

/// The first failing case of an exercise, with all it takes to explain it.
pub struct CaseFailure {
    pub case: Case,
    pub failure: Failure,
    pub outcome: RunOutcome,
    /// The working directory of the failed run, kept with its inputs and outputs.
    pub kept: Option<PathBuf>,
    /// The shell command that reruns it by hand.
    pub command: String,
    /// The panic message and location, when the program panicked.
    pub panic: Option<String>,
}

/// How one case went, for the grades.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub name: String,
    pub kind: Kind,
    pub status: CaseStatus,
    pub points: f64,
    pub max_points: f64,
    pub elapsed: Duration,
    /// For a failed case: what happened, in one line.
    pub happened: Option<String>,
    pub likely_cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    Failed,
    /// Not run: the exercise does not compile or is not started, or an earlier case hung.
    NotRun,
}

pub struct ExerciseResult {
    pub verdict: Verdict,
    pub cases: Vec<CaseOutcome>,
    /// Wall time of all its runs.
    pub elapsed: Duration,
}

impl ExerciseResult {
    /// A result for an exercise whose cases could not run at all.
    pub fn unrun(verdict: Verdict, exercise: &Exercise, cases: &[Case]) -> ExerciseResult {
        let cases = outcomes_unrun(exercise, cases);
        ExerciseResult {
            verdict,
            cases,
            elapsed: Duration::ZERO,
        }
    }

    pub fn passed_count(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.status == CaseStatus::Passed)
            .count()
    }

    pub fn score(&self) -> f64 {
        self.cases.iter().map(|c| c.points).sum()
    }
}

/// Each case's share of the exercise's points: its kind's points, split evenly among the
/// cases of that kind.
pub fn max_points(exercise: &Exercise, cases: &[Case]) -> Vec<f64> {
    cases
        .iter()
        .map(|c| {
            let of_kind = cases.iter().filter(|o| o.kind == c.kind).count() as f64;
            exercise
                .case_points
                .get(c.kind.name())
                .copied()
                .unwrap_or(0.0)
                / of_kind
        })
        .collect()
}

fn outcomes_unrun(exercise: &Exercise, cases: &[Case]) -> Vec<CaseOutcome> {
    cases
        .iter()
        .zip(max_points(exercise, cases))
        .map(|(c, max)| CaseOutcome {
            name: c.name.clone(),
            kind: c.kind,
            status: CaseStatus::NotRun,
            points: 0.0,
            max_points: max,
            elapsed: Duration::ZERO,
            happened: None,
            likely_cause: None,
        })
        .collect()
}

/// Where a check keeps each case's files for an exercise: `last-run/<exercise>/` under the
/// checker's directory `work`.
pub fn kept_dir(work: &Path, exercise: &Exercise) -> PathBuf {
    work.join("last-run").join(&exercise.name)
}

/// Where and how the cases of one exercise run.
pub struct Bench<'a> {
    pub exercise: &'a Exercise,
    pub program: &'a Path,
    /// The checker's directory under the target directory.
    pub work: &'a Path,
    /// Runs per case; a case passes only when every run passes (races show up this way).
    pub repeat: u32,
    /// The cargo command that runs the program by hand, before its arguments.
    pub rerun: &'a str,
}

impl Bench<'_> {
    /// Runs every case in order; stops early when the stub is untouched, when a case hangs
    /// (the rest would most likely hang too, each costing a full timeout), or on Ctrl-C.
    pub fn check(&self, cases: Vec<Case>) -> ExerciseResult {
        let started = std::time::Instant::now();
        let mut outcomes = outcomes_unrun(self.exercise, &cases);
        let _ = std::fs::remove_dir_all(self.kept_dir());
        let mut first: Option<CaseFailure> = None;
        for (i, case) in cases.into_iter().enumerate() {
            let case_started = std::time::Instant::now();
            let (failure, outcome) = self.run_case(&case);
            let (kept, command) = self.keep(i, &case, &outcome);
            let slot = &mut outcomes[i];
            slot.elapsed = case_started.elapsed();
            let Some(failure) = failure else {
                slot.status = CaseStatus::Passed;
                slot.points = slot.max_points;
                continue;
            };
            slot.status = CaseStatus::Failed;
            slot.happened = Some(crate::report::one_line(self.exercise, &failure));
            slot.likely_cause = Some(cases::likely_cause(self.exercise, &case, &failure));
            let panic = panic_message(&outcome.stderr_text());
            if i == 0 && matches!(failure, Failure::NotStarted) {
                return ExerciseResult {
                    verdict: Verdict::NotStarted { location: panic },
                    cases: outcomes,
                    elapsed: started.elapsed(),
                };
            }
            let stop = matches!(
                failure,
                Failure::Hang(_) | Failure::Busy(_) | Failure::Interrupted
            );
            if first.is_none() {
                first = Some(CaseFailure {
                    case,
                    failure,
                    outcome,
                    kept,
                    command,
                    panic,
                });
            }
            if stop {
                break;
            }
        }
        let verdict = match first {
            None => Verdict::Passed,
            Some(f) => Verdict::Failed(Box::new(f)),
        };
        ExerciseResult {
            verdict,
            cases: outcomes,
            elapsed: started.elapsed(),
        }
    }

    /// Runs a case `repeat` times, stopping at the first failing run.
    fn run_case(&self, case: &Case) -> (Option<Failure>, RunOutcome) {
        let mut last = None;
        for _ in 0..self.repeat.max(1) {
            let (failure, outcome) = match self.run_judged(case) {
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

    fn run_judged(&self, case: &Case) -> Result<(Option<Failure>, RunOutcome), String> {
        let first = self.run_once(case)?;
        // Only lateness can come from a busy machine (earliness cannot): judge a timed case
        // again when it failed in any other way than a line arriving too soon.
        // A hang is not judged again: it would cost a second timeout.
        let definitive = matches!(
            first.0,
            Some(
                Failure::Timing { early: true, .. }
                    | Failure::Wiring { .. }
                    | Failure::Hang(_)
                    | Failure::Busy(_)
                    | Failure::Interrupted
            )
        );
        if case.is_timed() && first.0.is_some() && !definitive {
            return self.run_once(case);
        }
        Ok(first)
    }

    fn run_once(&self, case: &Case) -> Result<(Option<Failure>, RunOutcome), String> {
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
        let log = dir.path().join("spy.log");
        if case.stages.is_some() {
            env.extend(
                spy::prepare(&dir.path().join("spies"), &log)
                    .map_err(|e| format!("cannot set up the stage spies: {e}"))?,
            );
        }
        let spec = RunSpec {
            program: self.program.to_path_buf(),
            args: case.args.clone(),
            env,
            cwd,
            timeout: self.exercise.timeout(),
            trace: crate::xray::enabled(),
        };
        let outcome = runner::run(&spec)
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        let records = spy::read_log(&log);
        let fifos = fifos_in(&spec.cwd);
        let wiring = self.wiring(case, &outcome);
        let failure = judge(case, &outcome, &records, &fifos, wiring.as_ref());
        Ok((failure, outcome))
    }

    /// The structural checks on a traced run (not on usage errors, which build nothing).
    fn wiring(&self, case: &Case, outcome: &RunOutcome) -> Option<Failure> {
        if case.kind == Kind::Usage {
            return None;
        }
        match outcome.trace.as_ref()? {
            Ok(trace) => {
                let wiring = xray::model::Wiring::build(trace.clone());
                let checks = &self.exercise.wiring.checks;
                xray::rules::check(&wiring, checks, &case.args)
                    .err()
                    .map(|(rule, miss)| Failure::Wiring {
                        rule: rule.to_string(),
                        problem: miss.problem,
                        cause: miss.cause,
                    })
            }
            Err(why) => {
                xray::skip(why);
                None
            }
        }
    }

    fn kept_dir(&self) -> PathBuf {
        kept_dir(self.work, self.exercise)
    }

    /// Keeps a run's inputs, outputs and command in `last-run/<exercise>/<NN>-<kind>/`, where
    /// a student can open them; returns the folder and the command.
    fn keep(&self, index: usize, case: &Case, outcome: &RunOutcome) -> (Option<PathBuf>, String) {
        let dir = self
            .kept_dir()
            .join(format!("{:02}-{}", index + 1, case.kind.name()));
        let command = crate::report::reproduce(case, Some(&dir), self.rerun);
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            for (name, bytes) in &case.files {
                std::fs::write(dir.join(name), bytes)?;
            }
            std::fs::write(dir.join("stdout"), &outcome.stdout)?;
            std::fs::write(dir.join("stderr"), &outcome.stderr)?;
            std::fs::write(dir.join("expected-stdout"), case.stdout.text())?;
            let args: Vec<u8> = case
                .args
                .iter()
                .flat_map(|a| a.bytes().chain([0]))
                .collect();
            std::fs::write(dir.join("args"), args)?;
            std::fs::write(dir.join("command"), format!("{command}\n"))
        })();
        (written.ok().map(|_| dir), command)
    }
}
