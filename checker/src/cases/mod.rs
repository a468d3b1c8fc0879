//! The cases of each exercise: the stored transcript, and randomized cases whose expected
//! output an oracle computes from the inputs (never from a solution at grading time).

mod broken_pipe;
mod duplex_pipe;
mod named_pipe;
mod pipe_capacity;
mod poll;
mod producer_consumer;
mod queue;
mod raw_pipe;
mod three_stage_chain;

use crate::manifest::Exercise;
use crate::proctree::ProcInfo;
use crate::transcript::Transcript;
use rand::RngExt;
use rand::rngs::StdRng;
use std::path::Path;
use std::time::Duration;

pub use queue::check as queue_check;
pub use three_stage_chain::check_stages;

/// One run of an exercise and what it must produce.
#[derive(Debug, Clone)]
pub struct Case {
    /// A few words for the report: "default messages", "over 64 KiB of messages"...
    pub name: String,
    /// A stable tag the likely-cause rules look at.
    pub kind: Kind,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Files written into the run's working directory first.
    pub files: Vec<(String, Vec<u8>)>,
    pub stdout: Expected,
    pub status: i32,
    /// 03: when the lines must arrive.
    pub timing: Option<Timing>,
    /// 04: the stages the spies must see, wired cat -> grep -> wc.
    pub stages: Option<Stages>,
    /// 05: the output is a multiset of consumer lines, every record exactly once.
    pub queue: Option<queue::Queue>,
    /// 07: a number the output reports must be at least this (`writer: EPIPE after N lines`).
    pub at_least: Option<AtLeast>,
    /// 08: no FIFO may be left in the working directory afterwards.
    pub no_fifo_left: bool,
    /// 09: when each stdout line is due, counted from the start.
    pub schedule: Option<Schedule>,
}

/// A number following `prefix` in a line of the output, with its smallest correct value.
#[derive(Debug, Clone)]
pub struct AtLeast {
    pub prefix: String,
    pub min: u64,
    pub why: String,
}

/// When each line must arrive: no earlier than its time (minus a little clock rounding), no
/// later than its time plus `slack`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub times: Vec<Duration>,
    pub slack: Duration,
}

impl Case {
    /// A case that runs with `args` and expects `stdout` and status 0.
    pub fn new(name: &str, kind: Kind, args: Vec<String>, stdout: Expected) -> Case {
        Case {
            name: name.into(),
            kind,
            args,
            env: Vec::new(),
            files: Vec::new(),
            stdout,
            status: 0,
            timing: None,
            stages: None,
            queue: None,
            at_least: None,
            no_fifo_left: false,
            schedule: None,
        }
    }

    /// A case that passes `messages` as the arguments and expects exactly `stdout`.
    pub fn with_messages(name: &str, kind: Kind, messages: Vec<String>, stdout: String) -> Case {
        Case::new(name, kind, messages, Expected::Exact(stdout))
    }

    /// Timing matters: a late line may come from a busy machine, so a failure is judged again.
    pub fn is_timed(&self) -> bool {
        self.timing.is_some() || self.schedule.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Transcript,
    Random,
    Big,
    Newlines,
    NonAscii,
    Timed,
    NoMatch,
    Usage,
    /// 05: many producers and consumers.
    Many,
    /// An error path the program must handle (06: a refused size; 08: a failing reader).
    Error,
}

impl Kind {
    /// The name the manifest's `case_points` use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Transcript => "transcript",
            Kind::Random => "random",
            Kind::Big => "big",
            Kind::Newlines => "newlines",
            Kind::NonAscii => "non_ascii",
            Kind::Timed => "timed",
            Kind::NoMatch => "no_match",
            Kind::Usage => "usage",
            Kind::Many => "many",
            Kind::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Expected {
    /// From a transcript file: may hold `[..]` and `...` placeholders.
    Pattern(String),
    /// From an oracle: compared as it is.
    Exact(String),
}

impl Expected {
    pub fn text(&self) -> &str {
        match self {
            Expected::Pattern(t) | Expected::Exact(t) => t,
        }
    }
}

/// Line k of the timed lines must arrive no earlier than k x `min` and no later than
/// k x `max` + `slack`: cumulative bounds, which hold when one line is late and the next
/// catches up.
#[derive(Debug, Clone)]
pub struct Timing {
    pub lines: usize,
    pub min: Duration,
    pub max: Duration,
    pub slack: Duration,
}

#[derive(Debug, Clone)]
pub struct Stages {
    pub file: String,
    pub pattern: String,
}

/// Why a case failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The program reached a `todo!()` before printing anything.
    NotStarted,
    Hang(Duration),
    /// Timed out with every process on the CPU and none blocked: a loop without end.
    Busy(Duration),
    OutputLimit,
    ProcessLimit,
    Interrupted,
    /// Killed by a signal, by name.
    Signal(String),
    Output {
        expected: String,
        actual: String,
    },
    MissingFinalNewline,
    Status {
        expected: i32,
        actual: i32,
    },
    LeftBehind(Vec<ProcInfo>),
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

/// Every case of an exercise: its transcript's, then the random ones.
pub fn cases(exercise: &Exercise, transcript: &Transcript, rng: &mut StdRng) -> Vec<Case> {
    let mut all: Vec<Case> = transcript
        .cases
        .iter()
        .map(|t| from_transcript(exercise, t))
        .collect();
    all.extend(match exercise.name.as_str() {
        "01_raw_pipe" => raw_pipe::cases(rng),
        "02_duplex_pipe" => duplex_pipe::cases(rng),
        "03_producer_consumer" => producer_consumer::cases(rng),
        "04_three_stage_chain" => three_stage_chain::cases(rng),
        "05_queue" => queue::cases(rng),
        "06_pipe_capacity" => pipe_capacity::cases(rng),
        "07_broken_pipe" => broken_pipe::cases(rng),
        "08_named_pipe" => named_pipe::cases(rng),
        "09_poll" => poll::cases(rng),
        _ => Vec::new(),
    });
    // What a transcript cannot say: the checks of every case of these exercises.
    for case in all.iter_mut().filter(|c| c.kind != Kind::Usage) {
        match exercise.name.as_str() {
            "05_queue" => queue::require(case),
            "06_pipe_capacity" => pipe_capacity::require(case),
            "07_broken_pipe" => broken_pipe::require(case),
            "08_named_pipe" => case.no_fifo_left = true,
            "09_poll" => poll::require(case),
            _ => {}
        }
    }
    all
}

pub fn from_transcript(exercise: &Exercise, t: &crate::transcript::TranscriptCase) -> Case {
    let name = format!(
        "`{}` from checker/transcripts/{}.txt",
        t.command, exercise.name
    );
    let kind = if t.status == 2 {
        Kind::Usage
    } else {
        Kind::Transcript
    };
    let mut case = Case::new(
        &name,
        kind,
        t.args.clone(),
        Expected::Pattern(t.stdout.clone()),
    );
    case.env = t.env.clone();
    case.status = t.status;
    if exercise.name == "04_three_stage_chain" && t.args.len() == 2 {
        case.stages = Some(Stages {
            file: t.args[0].clone(),
            pattern: t.args[1].clone(),
        });
    }
    case
}

/// The files a transcript's commands use: `checker/transcripts/<exercise>/`, copied into the
/// working directory of each of its runs.
pub fn transcript_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            Some((
                e.file_name().to_str()?.to_string(),
                std::fs::read(e.path()).ok()?,
            ))
        })
        .collect();
    files.sort();
    files
}

/// The likely cause of a failure, in the exercise's terms where a rule knows it.
pub fn likely_cause(exercise: &Exercise, case: &Case, failure: &Failure) -> String {
    let specific = match exercise.name.as_str() {
        "01_raw_pipe" => raw_pipe::cause(case, failure),
        "02_duplex_pipe" => duplex_pipe::cause(case, failure),
        "03_producer_consumer" => producer_consumer::cause(case, failure),
        "04_three_stage_chain" => three_stage_chain::cause(case, failure),
        "05_queue" => queue::cause(case, failure),
        "06_pipe_capacity" => pipe_capacity::cause(case, failure),
        "07_broken_pipe" => broken_pipe::cause(case, failure),
        "08_named_pipe" => named_pipe::cause(case, failure),
        "09_poll" => poll::cause(case, failure),
        _ => None,
    };
    specific.unwrap_or_else(|| general_cause(failure))
}

fn general_cause(failure: &Failure) -> String {
    match failure {
        Failure::NotStarted => "the program still reaches `todo!()`: replace it with your code".into(),
        Failure::Hang(_) => "a process is blocked: a reader whose pipe still has a write end open somewhere never sees end-of-file, and a writer blocks on a full pipe nobody reads. Check that every process closes the pipe ends it does not use, and that nobody waits before reading".into(),
        Failure::Busy(_) => "a process never stops running: it is not blocked on a pipe or a child, so look for a loop that never ends (one that ignores read() returning 0 counts too)".into(),
        Failure::OutputLimit => "the program prints without end: look for a loop that never stops, for example a read loop that does not stop at end-of-file (read returning 0)".into(),
        Failure::Interrupted => "the check was interrupted".into(),
        Failure::ProcessLimit => "the program starts processes without end: look for a fork() inside a loop, or a child that goes on running the parent's code because it does not exit".into(),
        Failure::Signal(sig) if sig == "SIGPIPE" => "a process wrote into a pipe whose read ends were all closed (broken pipe)".into(),
        Failure::Signal(sig) => format!("the program was killed by {sig}"),
        Failure::Output { .. } => "compare the lines above with the contract in labs.md: the checker compares stdout exactly; debugging output belongs on stderr (eprintln!)".into(),
        Failure::MissingFinalNewline => "the last line has no newline: use println!, not print!".into(),
        Failure::Status { .. } => "check the exit status your program returns: 0 on success (a panic exits with 101)".into(),
        Failure::LeftBehind(_) => "the program exited while its children still ran: wait for every child (waitpid) before the parent exits".into(),
        Failure::Timing { .. } => "the lines must arrive as the messages are produced, with the producer's delays between them".into(),
        Failure::Stages { cause, .. } | Failure::Contract { cause, .. } | Failure::Wiring { cause, .. } if !cause.is_empty() => cause.clone(),
        Failure::Stages { .. } | Failure::Contract { .. } | Failure::Wiring { .. } => "compare with the exercise's contract in labs.md".into(),
    }
}

/// A message of 1-5 words mixing letters, punctuation, shell characters and non-ASCII text.
pub fn random_message(rng: &mut StdRng) -> String {
    const WORDS: [&str; 24] = [
        "hello",
        "pipe",
        "fork",
        "read",
        "write",
        "end",
        "straße",
        "naïve",
        "café",
        "日本語",
        "🦀",
        "it's",
        "x,y",
        "(ok)",
        "100%",
        "a|b",
        "$HOME",
        "*",
        "\"quoted\"",
        "tab\there",
        "semi;colon",
        "back\\slash",
        "Ünïcödé",
        "?!",
    ];
    let n = rng.random_range(1..=5);
    (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A lowercase word of `len` letters.
pub fn random_word(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| rng.random_range(b'a'..=b'z') as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn arguments(seed: u64) -> Vec<Vec<String>> {
        let empty = Transcript {
            header: String::new(),
            cases: Vec::new(),
        };
        crate::manifest::exercises()
            .iter()
            .flat_map(|e| cases(e, &empty, &mut StdRng::seed_from_u64(seed)))
            .map(|c| c.args)
            .collect()
    }

    #[test]
    fn every_kind_of_case_has_points_and_every_point_a_case() {
        for e in crate::manifest::exercises() {
            let transcript = crate::transcript::Transcript::parse(
                &std::fs::read_to_string(format!(
                    "{}/transcripts/{}.txt",
                    env!("CARGO_MANIFEST_DIR"),
                    e.name
                ))
                .unwrap_or_default(),
            )
            .expect("a valid transcript");
            let all = cases(&e, &transcript, &mut StdRng::seed_from_u64(1));
            let kinds: std::collections::BTreeSet<&str> =
                all.iter().map(|c| c.kind.name()).collect();
            let keys: std::collections::BTreeSet<&str> =
                e.case_points.keys().map(String::as_str).collect();
            assert_eq!(
                kinds, keys,
                "{}: the kinds of its cases and its case_points differ",
                e.name
            );
            let total: f64 = crate::check::max_points(&e, &all).iter().sum();
            assert!(
                (total - e.points as f64).abs() < 1e-9,
                "{}: cases share {total} points",
                e.name
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_cases_and_another_seed_others() {
        assert_eq!(arguments(42), arguments(42));
        assert_ne!(arguments(42), arguments(43));
    }

    #[test]
    fn random_messages_never_hold_a_newline_where_the_contract_forbids_it() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..500 {
            let m = random_message(&mut rng);
            assert!(
                !m.contains('\n') && !m.is_empty() && !m.starts_with('-'),
                "{m:?}"
            );
        }
    }
}
