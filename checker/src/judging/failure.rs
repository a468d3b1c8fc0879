//! Why a case failed: the one failure of a run a student should fix first.

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
    Timing {
        line: usize,
        text: String,
        at: Duration,
        bound: Duration,
        early: bool,
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
        cause: String,
    },
    /// Any other part of an exercise's contract, with what was expected and the likely cause.
    Contract {
        expected: String,
        happened: String,
        cause: String,
    },
}
