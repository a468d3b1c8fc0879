//! Checking one exercise: run each case, judge what happened, keep the evidence of a failure.

use crate::cases::{self, Case, Expected, Failure, Kind};
use crate::manifest::Exercise;
use crate::runner::{self, End, RunOutcome, RunSpec};
use crate::spy;
use crate::transcript;
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
        };
        let outcome = runner::run(&spec)
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        let records = spy::read_log(&log);
        let fifos = fifos_in(&spec.cwd);
        let failure = judge(case, &outcome, &records, &fifos);
        Ok((failure, outcome))
    }

    /// Keeps a failed run's inputs and outputs in `last-run/<exercise>/`, replacing the last.
    /// Where this check keeps each case's files: `last-run/<exercise>/`.
    pub fn kept_dir(&self) -> PathBuf {
        self.work.join("last-run").join(&self.exercise.name)
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

/// Judges one run, in the order a student should fix things.
/// The FIFOs in a directory (08 must leave none behind).
fn fifos_in(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_fifo()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

pub fn judge(
    case: &Case,
    outcome: &RunOutcome,
    records: &[spy::StageRecord],
    fifos: &[String],
) -> Option<Failure> {
    let stdout = outcome.stdout_text();
    let stderr = outcome.stderr_text();
    match &outcome.end {
        End::Interrupted => return Some(Failure::Interrupted),
        End::TimedOut if outcome.hang.as_ref().is_some_and(|s| s.is_busy()) => {
            return Some(Failure::Busy(outcome.elapsed));
        }
        End::TimedOut => return Some(Failure::Hang(outcome.elapsed)),
        End::OutputLimit => return Some(Failure::OutputLimit),
        End::ProcessLimit => return Some(Failure::ProcessLimit),
        _ if stdout.is_empty() && stderr.contains("not yet implemented") => {
            return Some(Failure::NotStarted);
        }
        End::Signaled(sig) => return Some(Failure::Signal(sig.as_str().to_string())),
        End::Exited(_) => {}
    }
    // Before the output: a parent that never waited usually also printed too little, and
    // the processes it left are the better clue.
    if !outcome.left_behind.is_empty() {
        return Some(Failure::LeftBehind(outcome.left_behind.clone()));
    }
    if let Some(queue) = &case.queue {
        // The consumers' lines come in any order: compared as a multiset.
        if let Err((expected, happened)) = cases::queue_check(queue, &stdout) {
            let cause = String::new();
            return Some(Failure::Contract {
                expected,
                happened,
                cause,
            });
        }
    }
    let matched = case.queue.is_some()
        || match &case.stdout {
            Expected::Pattern(p) => transcript::match_lines(p, &stdout).is_some(),
            Expected::Exact(e) => {
                *e == stdout
                    || (stdout.lines().eq(e.lines())
                        && !stdout.is_empty()
                        && !stdout.ends_with('\n'))
            }
        };
    if !matched {
        let expected = match &case.stdout {
            Expected::Pattern(p) => transcript::expected_for_diff(p, &stdout),
            Expected::Exact(e) => e.clone(),
        };
        return Some(Failure::Output {
            expected,
            actual: stdout,
        });
    }
    if !stdout.is_empty() && !stdout.ends_with('\n') {
        return Some(Failure::MissingFinalNewline);
    }
    if let End::Exited(code) = outcome.end
        && code != case.status
    {
        return Some(Failure::Status {
            expected: case.status,
            actual: code,
        });
    }
    if let Some(at_least) = &case.at_least {
        let reported = stdout
            .lines()
            .find_map(|l| l.strip_prefix(at_least.prefix.as_str()))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = reported
            && n < at_least.min
        {
            return Some(Failure::Contract {
                expected: format!(
                    "{}N with N at least {}: {}",
                    at_least.prefix, at_least.min, at_least.why
                ),
                happened: format!("{}{n}", at_least.prefix),
                cause: String::new(),
            });
        }
    }
    if case.no_fifo_left && !fifos.is_empty() {
        return Some(Failure::Contract {
            expected: "no FIFO left in the working directory when the program ends".into(),
            happened: format!("left behind: {}", fifos.join(", ")),
            cause: String::new(),
        });
    }
    if let Some(schedule) = &case.schedule {
        let lines: Vec<&str> = stdout.lines().collect();
        for (k, (due, at)) in schedule.times.iter().zip(&outcome.line_times).enumerate() {
            // Children start after the clock does, so a line can never be early by rights.
            let early = *at + Duration::from_millis(10) < *due;
            if early || *at > *due + schedule.slack {
                return Some(Failure::Timing {
                    line: k + 1,
                    text: lines.get(k).unwrap_or(&"").to_string(),
                    at: *at,
                    bound: if early { *due } else { *due + schedule.slack },
                    early,
                });
            }
        }
    }
    if let Some(timing) = &case.timing {
        let lines: Vec<&str> = stdout.lines().collect();
        for k in 1..=timing.lines.min(outcome.line_times.len()) {
            let at = outcome.line_times[k - 1];
            let earliest = timing.min * k as u32;
            let latest = timing.max * k as u32 + timing.slack;
            // A millisecond of grace for clock rounding; sleeps are never shorter than asked.
            if at + Duration::from_millis(1) < earliest || at > latest {
                let early = at < earliest;
                return Some(Failure::Timing {
                    line: k,
                    text: lines.get(k - 1).unwrap_or(&"").to_string(),
                    at,
                    bound: if early { earliest } else { latest },
                    early,
                });
            }
        }
    }
    if let Some(stages) = &case.stages
        && case.kind != Kind::Usage
        && let Err((problem, cause)) = cases::check_stages(stages, records)
    {
        return Some(Failure::Stages {
            problem,
            cause: cause.to_string(),
        });
    }
    None
}

/// `panicked at src/main.rs:3:5:\nmessage` from a Rust program's stderr, as one line.
pub fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at ")?;
    let rest = &stderr[start + "panicked at ".len()..];
    let mut lines = rest.lines();
    let location = lines.next()?.trim_end_matches(':');
    let message = lines.next().unwrap_or("").trim();
    Some(format!("{message} (at {location})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_and_location() {
        let stderr = "\nthread 'main' (12) panicked at exercises/src/bin/01_raw_pipe.rs:20:5:\nnot yet implemented\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr).unwrap(),
            "not yet implemented (at exercises/src/bin/01_raw_pipe.rs:20:5)"
        );
        assert_eq!(panic_message("all fine"), None);
    }
}
