//! Checking exercises side by side: each lane is a checker process of its own (`--lane K`),
//! given some of the exercises, already built, and sending back each exercise's result and
//! report as one JSON line. Separate processes, because what a run leaves behind, hangs on
//! and reaps is found among the checker's descendants: two runs in one process would see
//! each other's processes.
//!
//! The lanes take the cases from pipes, each the next case when it is free (`--queues`), and
//! tell how each went. The timed cases have lanes of their own on one CPU: their runs mostly
//! sleep, so they run side by side, and nothing else runs on that CPU until they are all done
//! (a third pipe, empty, that the check holds open until then). The other cases go to the
//! other CPUs, and to the first timed lane once they are through (`plan`). A check that stops
//! each exercise at its first failure deals whole exercises out instead (`assign`).

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
/// The first descriptor a lane takes cases from; the next ones follow.
pub const QUEUE_FD: i32 = 4;

/// What makes a process one lane of a check.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Where the programs were built and linked, by the check that started the lane.
    pub built: PathBuf,
    /// Which CPU its traced runs use, by place among those this process may use.
    pub cpu: usize,
    /// How many pipes it takes cases from, one after the other, from descriptor `QUEUE_FD`
    /// on (0: it checks its exercises whole).
    pub queues: usize,
    /// The check that started it holds the turn of timed runs for it (`grade` checks two
    /// submissions at once, and their timed runs take turns).
    pub turn_held: bool,
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
    /// The report's block of a lane's first failure of an exercise, the moment it is known.
    Failing {
        exercise: String,
        report: String,
    },
    Checked(Checked),
    /// The lane's pipe number `pipe` has ended: it takes no more cases from it.
    Drained {
        pipe: usize,
    },
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

    pub fn drained(&mut self, pipe: usize) {
        self.send(&Line::Drained { pipe });
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
    /// What each lane's reader sends its lines with.
    tx: std::sync::mpsc::Sender<(usize, Option<Line>)>,
    /// The write end of a pipe that holds lanes back until it closes (`release`).
    held: Option<std::io::PipeWriter>,
    /// Lanes still to say they are done.
    open: usize,
    /// The lanes that said so.
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
    /// The lane's pipe number `pipe` has ended.
    Drained { lane: usize, pipe: usize },
    /// The lane is done: it takes no more cases.
    Done { lane: usize },
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
}

/// One lane's work: its exercises, and how it takes their cases.
pub struct Work<'a> {
    pub exercises: Vec<&'a Exercise>,
    /// The pipes it takes cases from, in turn; none: it checks its exercises whole.
    pub queues: Vec<&'a std::io::PipeReader>,
    /// Which CPU its traced runs use, by place.
    pub cpu: usize,
    /// The check holds the turn of timed runs for it.
    pub turn_held: bool,
}

impl Got {
    /// The exercise it is about (none for `Done`).
    pub fn exercise(&self) -> &str {
        match self {
            Got::Case { exercise, .. }
            | Got::Failing { exercise, .. }
            | Got::Checked { exercise, .. } => exercise,
            Got::Drained { .. } | Got::Done { .. } => "",
        }
    }
}

/// The pipe that hands out `cases`, each `(exercise, case)`, the exercise by its place among
/// those the lanes were given: all are in it (4 bytes each, far less than a pipe holds) and
/// its write end closed before any lane starts.
pub fn queue(cases: &[(usize, usize)]) -> std::io::Result<std::io::PipeReader> {
    let (rx, mut tx) = std::io::pipe()?;
    let items: Vec<u8> = cases
        .iter()
        .flat_map(|&(exercise, case)| (((exercise as u32) << 16) | case as u32).to_le_bytes())
        .collect();
    tx.write_all(&items)?;
    Ok(rx)
}

/// A lane's side of the pipes that hand out the cases: the next case, `(exercise, case)`,
/// read from the first pipe until its end, then from the next.
pub struct Queues {
    pipes: std::collections::VecDeque<std::fs::File>,
    /// The case read and not yet taken.
    next: Option<(usize, usize)>,
}

impl Queues {
    /// The lane's `count` pipes, inherited from the check that started it.
    pub fn inherited(count: usize) -> Result<Queues, String> {
        let pipes = (0..count)
            .map(|i| inherited(QUEUE_FD + i as i32, "--queues"))
            .collect::<Result<_, _>>()?;
        Ok(Queues { pipes, next: None })
    }

    /// The next case of the current pipe, left for `take`; none at the pipe's end. A pipe
    /// still open with nothing in it is waited on.
    pub fn peek(&mut self) -> Option<(usize, usize)> {
        if self.next.is_none()
            && let Some(pipe) = self.pipes.front_mut()
        {
            // Each read of 4 bytes takes one whole case (all were written before any lane
            // started, or none ever).
            let mut item = [0u8; 4];
            if std::io::Read::read_exact(pipe, &mut item).is_ok() {
                let item = u32::from_le_bytes(item);
                self.next = Some(((item >> 16) as usize, (item & 0xffff) as usize));
            }
        }
        self.next
    }

    /// Goes on to the next pipe, once the current one has ended; false after the last.
    pub fn next_pipe(&mut self) -> bool {
        self.pipes.pop_front();
        !self.pipes.is_empty()
    }

    /// Takes the case `peek` gave.
    pub fn take(&mut self) {
        self.next = None;
    }
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
    /// No lane yet.
    pub fn none() -> Lanes {
        let (tx, results) = channel();
        Lanes {
            children: Vec::new(),
            results,
            tx,
            held: None,
            open: 0,
            done: Vec::new(),
            structural_skipped: None,
        }
    }

    /// Starts lane `number`, a checker process of its own, with its work.
    pub fn add(&mut self, request: &Request, number: usize, work: &Work) -> Result<(), String> {
        if work.exercises.is_empty() {
            return Ok(());
        }
        let me = std::env::current_exe()
            .map_err(|e| format!("cannot find the checker's own program: {e}"))?;
        let (rx, child) = start_lane(&me, request, number, work)
            .map_err(|e| format!("cannot start a second checker process: {e}"))?;
        self.children.push((number, child));
        self.open += 1;
        let tx = self.tx.clone();
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
        Ok(())
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
                Some(Line::Drained { pipe }) => return Ok(Some(Got::Drained { lane, pipe })),
                Some(Line::Done { structural_skipped }) => {
                    self.open -= 1;
                    self.done.push(lane);
                    self.structural_skipped = self.structural_skipped.take().or(structural_skipped);
                    return Ok(Some(Got::Done { lane }));
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

    /// Holds back the lanes that read the other end of this pipe until `release`.
    pub fn hold(&mut self, pipe: std::io::PipeWriter) {
        self.held = Some(pipe);
    }

    /// Lets the lanes held back go on.
    pub fn release(&mut self) {
        self.held = None;
    }

    /// Asks every lane to stop, as Ctrl-C does (each stops its runs first, and a lane held
    /// back goes on to stop).
    fn stop(&mut self) {
        self.held = None;
        for (_, child) in &self.children {
            terminate(child);
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
    work: &Work,
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
        .args(["--cpu", &work.cpu.to_string()])
        .arg(built)
        .arg(target)
        .args(request.lane_args)
        .args(work.exercises.iter().map(|e| e.name.as_str()))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if request.require_sandbox {
        command.arg("--require-sandbox");
    }
    if request.require_xray {
        command.arg("--require-xray");
    }
    if work.turn_held {
        command.arg("--turn-held");
    }
    let queues: Vec<i32> = work.queues.iter().map(|q| q.as_raw_fd()).collect();
    if !queues.is_empty() {
        command.args(["--queues", &queues.len().to_string()]);
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
            let results = moved(fd)?;
            let mut pipes = [0; 8];
            for (slot, queue) in pipes.iter_mut().zip(&queues) {
                *slot = moved(*queue)?;
            }
            if libc::dup2(results, LANE_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            for (i, pipe) in pipes.iter().take(queues.len()).enumerate() {
                if libc::dup2(*pipe, QUEUE_FD + i as i32) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
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
