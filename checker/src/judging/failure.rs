//! Why a case failed: the one failure of a run a student should fix first.

use super::cause::Cause;
use crate::sandbox::proctree::Descendant;
use std::time::Duration;

/// Why a case failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The program reached a `todo!()` before printing anything.
    NotStarted,
    Hang(Duration),
    /// Timed out with every process on the CPU and none blocked: a loop without end.
    Busy(Duration),
    OutputLimit,
    /// It filled its working folder past the limit.
    DiskLimit,
    /// The run used all the memory it may.
    MemoryLimit,
    ProcessLimit,
    Interrupted,
    /// Killed by a signal, by name.
    Signal(String),
    Output {
        expected: String,
        actual: String,
    },
    MissingFinalNewline,
    /// Bad input (a usage case) answered otherwise than with status 2, an empty stdout and the
    /// usage on stderr.
    Usage {
        /// None: still running when its (short) time was up.
        status: Option<i32>,
        stdout: String,
        stderr_empty: bool,
    },
    Status {
        expected: i32,
        actual: i32,
    },
    LeftBehind(Vec<Descendant>),
    /// Line `line` (`text`) came too early or too late: what happened at `at`, against
    /// `bound`, both on the run's clock; `since` says what happened then and what the bound
    /// counts from.
    Timing {
        line: usize,
        text: String,
        at: Duration,
        bound: Duration,
        early: bool,
        since: Since,
    },
    /// What the stage spies saw, and the likely cause.
    Stages {
        problem: String,
        cause: String,
    },
    /// The X-ray found the processes and pipes wired otherwise than the exercise asks:
    /// the rule's plain words, what is missing, and the likely cause.
    Wiring {
        rule: String,
        problem: String,
        cause: Cause,
    },
    /// Any other part of an exercise's contract, with what was expected and the likely cause.
    Contract {
        expected: String,
        happened: String,
        cause: String,
    },
}

/// What a timing bound counts from, and what the time judged is.
#[derive(Debug, Clone, PartialEq)]
pub enum Since {
    /// The line was printed at `at`; the bound counts from the start of the run.
    Start,
    /// The line was printed at `at`; `writer` had put what it carries into the pipe at
    /// `written`, and the bound counts from then. `waited` is the time the processes and the
    /// X-ray spent waiting for a CPU in between, added to the bound (a busy machine's doing).
    Written {
        written: Duration,
        writer: String,
        waited: Duration,
    },
    /// The line was printed at `at`, after the line before it (printed at `before`).
    Before { before: Duration, waited: Duration },
    /// `writer` wrote the line's message at `at`, with no pause seen before it; the bound
    /// counts from the start.
    WriterLate { writer: String, waited: Duration },
    /// `writer` wrote the line's message at `at`; it had asked to wake up from its pause at
    /// `woke`, and the bound counts from then.
    Woke {
        woke: Duration,
        writer: String,
        waited: Duration,
    },
    /// `writer` paused from `began` and asked to wake up at `at`, in `sleeps` sleeps with no
    /// write between them: a pause longer than the longest delay (`bound` is `began` plus it).
    Paused {
        began: Duration,
        writer: String,
        sleeps: usize,
    },
    /// `writer` asked to wake up at `at` to write the line, later than the line is due.
    Asked { writer: String },
    /// The line was printed at `printed`, after pauses the X-ray shortened (a run with the
    /// scale unset): `at` is when it would have come had they lasted what they asked, and the
    /// bound counts from the start.
    Counted { printed: Duration },
}
