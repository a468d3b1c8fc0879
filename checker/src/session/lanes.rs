//! Checking exercises side by side: each lane is a checker process of its own (`--lane K`),
//! given some of the exercises, already built, and sending back each exercise's result and
//! report as one JSON line. Separate processes, because what a run leaves behind, hangs on
//! and reaps is found among the checker's descendants: two runs in one process would see
//! each other's processes.
//!
//! The exercises whose cases are timed all go to the first lane, so that the others' work
//! does not share a CPU with their sleeps more than it must. A check of one exercise whose
//! cases are not timed gives it to every lane, and hands its cases out through a pipe: each
//! lane takes the next case when it is free (`--shares`), and tells how each went.

use crate::judging::cases::Case;
use crate::judging::verdict::{CaseOutcome, CaseStatus, ExerciseResult, Verdict};
use crate::workbook::build::Source;
use crate::workbook::manifest::Exercise;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// The descriptor a lane writes its results to.
pub const LANE_FD: i32 = 3;
/// The descriptor a lane that shares an exercise's cases takes their numbers from.
pub const QUEUE_FD: i32 = 4;

/// What makes a process one lane of a check.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Its place among the lanes: which CPU its traced runs use.
    pub number: usize,
    /// Where the programs were built and linked, by the check that started the lane.
    pub built: PathBuf,
    /// It shares the cases of its one exercise with the other lanes, taking each case's
    /// number from the pipe on descriptor `QUEUE_FD`.
    pub shares: bool,
}

/// One line a lane sends: how a case went, an exercise's first failure, an exercise checked,
/// or its end.
#[derive(Serialize, Deserialize)]
enum Line {
    /// How a case went, as soon as it has run.
    Case {
        exercise: String,
        index: usize,
        status: CaseStatus,
    },
    /// The report's block of an exercise's first failure, the moment it is known.
    Failing {
        exercise: String,
        report: String,
    },
    Checked(Checked),
    /// The line a report prints when the lane's runs could not be traced.
    Done {
        structural_skipped: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct Checked {
    exercise: String,
    verdict: String,
    location: Option<String>,
    cases: Vec<CaseOutcome>,
    elapsed: Duration,
    report: String,
    /// The first failure's block of the report, for a check that ran only some of the cases
    /// and puts the exercise's report together itself.
    failure: Option<String>,
}

/// Which lane checks each exercise (0 for the first): the timed ones in the first, the rest
/// dealt out among the others, or among all when none is timed.
pub fn assign(timed: &[bool], lanes: usize) -> Vec<usize> {
    let others = if timed.iter().any(|t| *t) && lanes > 1 {
        1..lanes
    } else {
        0..lanes
    };
    let mut next = others.clone().cycle();
    timed
        .iter()
        .map(|&t| {
            if t && lanes > 1 {
                0
            } else {
                next.next().unwrap_or(0)
            }
        })
        .collect()
}

/// Whether any case of an exercise is timed.
pub fn timed(cases: &[Case]) -> bool {
    cases.iter().any(Case::is_timed)
}

/// A lane's side: sends each result as it is ready.
pub struct Sender {
    out: std::fs::File,
}

impl Sender {
    /// The lane's descriptor, inherited from the check that started it.
    pub fn open() -> Result<Sender, String> {
        Ok(Sender {
            out: inherited(LANE_FD, "--lane")?,
        })
    }

    pub fn checked(
        &mut self,
        exercise: &Exercise,
        result: &ExerciseResult,
        report: &str,
        failure: Option<String>,
    ) {
        let location = match &result.verdict {
            Verdict::NotStarted { location } => location.clone(),
            _ => None,
        };
        self.send(&Line::Checked(Checked {
            exercise: exercise.name.clone(),
            verdict: result.verdict.word().into(),
            location,
            cases: result.cases.clone(),
            elapsed: result.elapsed,
            report: report.into(),
            failure,
        }));
    }

    pub fn case(&mut self, exercise: &Exercise, index: usize, status: CaseStatus) {
        self.send(&Line::Case {
            exercise: exercise.name.clone(),
            index,
            status,
        });
    }

    pub fn failing(&mut self, exercise: &Exercise, report: String) {
        self.send(&Line::Failing {
            exercise: exercise.name.clone(),
            report,
        });
    }

    pub fn done(&mut self, structural_skipped: Option<String>) {
        self.send(&Line::Done { structural_skipped });
    }

    fn send(&mut self, line: &Line) {
        // A check that went away cannot be told anything more.
        if let Ok(json) = serde_json::to_string(line) {
            let _ = writeln!(self.out, "{json}");
        }
    }
}

/// The lanes a check started, as the check sees them.
pub struct Lanes {
    /// Each lane's number and process.
    children: Vec<(usize, Child)>,
    results: Receiver<(usize, Option<Line>)>,
    /// Lanes still to say they are done.
    open: usize,
    /// The lanes that said so, or that were stopped (`abandon`).
    done: Vec<usize>,
    pub structural_skipped: Option<String>,
}

/// What a lane sent, with its number.
pub enum Got {
    /// How a case went, as soon as it has run.
    Case {
        lane: usize,
        exercise: String,
        index: usize,
        status: CaseStatus,
    },
    /// An exercise's first failure, as the report shows it, while its other cases run.
    Failing {
        lane: usize,
        exercise: String,
        report: String,
    },
    Checked {
        lane: usize,
        exercise: String,
        result: ExerciseResult,
    },
}

/// What a lane is asked to check, and how.
pub struct Request<'a> {
    pub source: &'a Source,
    pub seed: u64,
    pub repeat: u32,
    pub require_sandbox: bool,
    pub require_xray: bool,
    /// Arguments the lane takes as they are (`--verbose`, `--keep-runs`).
    pub lane_args: &'a [std::ffi::OsString],
    pub built: &'a Path,
    pub target_dir: &'a Path,
    /// The pipe that hands out the cases of the one exercise every lane shares.
    pub queue: Option<&'a std::io::PipeReader>,
}

impl Got {
    /// The exercise it is about.
    pub fn exercise(&self) -> &str {
        match self {
            Got::Case { exercise, .. }
            | Got::Failing { exercise, .. }
            | Got::Checked { exercise, .. } => exercise,
        }
    }
}

/// The pipe that hands out the numbers of `cases` cases to the lanes that share them: every
/// number is in it (a few bytes each, far less than a pipe holds) and its write end closed
/// before any lane starts.
pub fn queue(cases: usize) -> std::io::Result<std::io::PipeReader> {
    let (rx, mut tx) = std::io::pipe()?;
    let numbers: Vec<u8> = (0..cases as u32).flat_map(u32::to_le_bytes).collect();
    tx.write_all(&numbers)?;
    Ok(rx)
}

/// A sharing lane's end of the pipe that hands out the cases, inherited from the check that
/// started it.
pub fn shared_queue() -> Result<std::fs::File, String> {
    inherited(QUEUE_FD, "--shares")
}

/// Descriptor `fd`, inherited from the check that started this lane (as `option` says), made
/// close-on-exec so that nothing this process starts inherits it in turn.
fn inherited(fd: i32, option: &str) -> Result<std::fs::File, String> {
    // SAFETY: fcntl on a number only looks the descriptor up.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return Err(format!("{option} needs descriptor {fd} open"));
    }
    // SAFETY: the descriptor is open, and this process owns it from here on.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

impl Lanes {
    /// Starts one checker process per lane with its exercises.
    pub fn start(request: &Request, lanes: &[Vec<&Exercise>]) -> Result<Lanes, String> {
        let me = std::env::current_exe()
            .map_err(|e| format!("cannot find the checker's own program: {e}"))?;
        let (tx, results) = channel();
        let mut started = Lanes {
            children: Vec::new(),
            results,
            open: 0,
            done: Vec::new(),
            structural_skipped: None,
        };
        for (number, exercises) in lanes.iter().enumerate() {
            if exercises.is_empty() {
                continue;
            }
            let (rx, child) = start_lane(&me, request, number, exercises)
                .map_err(|e| format!("cannot start a second checker process: {e}"))?;
            started.children.push((number, child));
            started.open += 1;
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(rx).lines() {
                    let Ok(line) = line else { break };
                    let Ok(line) = serde_json::from_str::<Line>(&line) else {
                        break;
                    };
                    if tx.send((number, Some(line))).is_err() {
                        return;
                    }
                }
                let _ = tx.send((number, None));
            });
        }
        Ok(started)
    }

    /// The next failure or result any lane sent; none once every lane is done. `Err` when a
    /// lane stopped before it was done.
    pub fn next(&mut self, interrupted: impl Fn() -> bool) -> Result<Option<Got>, String> {
        while self.open > 0 {
            if interrupted() {
                self.stop();
            }
            let (lane, line) = match self.results.recv_timeout(Duration::from_millis(100)) {
                Ok(got) => got,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            };
            if self.done.contains(&lane) && !matches!(line, Some(Line::Done { .. })) {
                // Stopped on purpose: what it still sends is not wanted.
                continue;
            }
            match line {
                Some(Line::Case {
                    exercise,
                    index,
                    status,
                }) => {
                    return Ok(Some(Got::Case {
                        lane,
                        exercise,
                        index,
                        status,
                    }));
                }
                Some(Line::Failing { exercise, report }) => {
                    return Ok(Some(Got::Failing {
                        lane,
                        exercise,
                        report,
                    }));
                }
                Some(Line::Checked(c)) => {
                    return Ok(Some(Got::Checked {
                        lane,
                        exercise: c.exercise.clone(),
                        result: result(c),
                    }));
                }
                Some(Line::Done { .. }) if self.done.contains(&lane) => {}
                Some(Line::Done { structural_skipped }) => {
                    self.open -= 1;
                    self.done.push(lane);
                    self.structural_skipped = self.structural_skipped.take().or(structural_skipped);
                }
                // Its descriptor closes after its last line.
                None if self.done.contains(&lane) => {}
                None if interrupted() => self.open -= 1,
                None => {
                    self.stop();
                    return Err(format!(
                        "the checker process of lane {lane} stopped before it had checked all its exercises"
                    ));
                }
            }
        }
        Ok(None)
    }

    /// Asks every lane to stop, as Ctrl-C does (each stops its runs first).
    fn stop(&mut self) {
        for (_, child) in &self.children {
            terminate(child);
        }
    }

    /// Stops lane `number`, whose results are no longer wanted: its end is not an error.
    pub fn abandon(&mut self, number: usize) {
        if self.done.contains(&number) {
            return;
        }
        if let Some((_, child)) = self.children.iter().find(|(n, _)| *n == number) {
            terminate(child);
            self.open -= 1;
            self.done.push(number);
        }
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        if self.open > 0 {
            self.stop();
        }
        for (_, child) in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// Asks a lane to stop, as Ctrl-C does (it stops its runs first).
fn terminate(child: &Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
}

/// The result a lane sent, with its report.
fn result(c: Checked) -> ExerciseResult {
    let verdict = match c.verdict.as_str() {
        "passed" => Verdict::Passed,
        "not started" => Verdict::NotStarted {
            location: c.location,
        },
        // A lane is only given programs that built.
        _ => Verdict::Failed(None),
    };
    ExerciseResult {
        verdict,
        cases: c.cases,
        elapsed: c.elapsed,
        rendered: Some(c.report),
        failure_text: c.failure,
    }
}

fn start_lane(
    me: &Path,
    request: &Request,
    number: usize,
    exercises: &[&Exercise],
) -> std::io::Result<(std::io::PipeReader, Child)> {
    let (rx, tx) = std::io::pipe()?;
    let mut command = Command::new(me);
    match request.source {
        Source::Exercises => {}
        Source::Solutions => {
            command.arg("--solutions");
        }
        Source::Copy(dir) => {
            let mut arg = std::ffi::OsString::from("--exercises=");
            arg.push(dir);
            command.arg(arg);
        }
    }
    let mut built = std::ffi::OsString::from("--built=");
    built.push(request.built);
    let mut target = std::ffi::OsString::from("--target-dir=");
    target.push(request.target_dir);
    command
        .args(["--seed", &request.seed.to_string()])
        .args(["--repeat", &request.repeat.to_string()])
        .args(["--lane", &number.to_string()])
        .arg(built)
        .arg(target)
        .args(request.lane_args)
        .args(exercises.iter().map(|e| e.name.as_str()))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if request.require_sandbox {
        command.arg("--require-sandbox");
    }
    if request.require_xray {
        command.arg("--require-xray");
    }
    let queue = request.queue.map(|q| q.as_raw_fd());
    if queue.is_some() {
        command.arg("--shares");
    }
    let fd = tx.as_raw_fd();
    // SAFETY: fcntl, dup2 and prctl only, between fork and exec; the pipes' own descriptors
    // are close-on-exec.
    unsafe {
        command.pre_exec(move || {
            // A check killed outright still ends its lanes (which then end their runs).
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            // Each end first moves above the descriptors it goes to, which one of them may
            // hold (the copies are close-on-exec).
            let moved = |fd: i32| match libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) {
                -1 => Err(std::io::Error::last_os_error()),
                moved => Ok(moved),
            };
            let (results, queue) = (moved(fd)?, queue.map(moved).transpose()?);
            if libc::dup2(results, LANE_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(queue) = queue
                && libc::dup2(queue, QUEUE_FD) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    drop(tx);
    Ok((rx, child))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_exercises_share_the_first_lane() {
        let timed = [false, false, true, false, false, false, false, false, true];
        assert_eq!(assign(&timed, 2), vec![1, 1, 0, 1, 1, 1, 1, 1, 0]);
        assert_eq!(assign(&timed, 3), vec![1, 2, 0, 1, 2, 1, 2, 1, 0]);
    }

    #[test]
    fn without_timed_exercises_every_lane_takes_some() {
        assert_eq!(assign(&[false; 4], 2), vec![0, 1, 0, 1]);
        assert_eq!(assign(&[true, false], 1), vec![0, 0]);
    }
}
