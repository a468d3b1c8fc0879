//! Failures in words. `diagnose` makes the one `Diagnosis` of a failed case from all its
//! evidence (the failure, the hang doctor's snapshot, the X-ray's trace, the diff, stderr):
//! what was expected and what happened, who waits for what, the likely cause, the hint on the
//! cause's topic and whether the X-ray's cuts matter. Every line of a report and of the grades
//! is rendered from it, so no two of them can disagree.

use super::cases::{BAD_INPUT_TIME, Case, behaviour};
use super::cause::Cause;
use super::diagnosis;
use super::failure::{Failure, Since};
use super::mismatch;
use crate::sandbox::jail::RUN_MEMORY;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::runner::{DISK_CAP, OUTPUT_CAP, PROCESS_CAP};
use crate::sandbox::trace::Trace;
use crate::wording::{cut, number};
use crate::workbook::manifest::{Exercise, Topic};
use std::time::Duration;

/// What happened, in one line (for the grades of every failed case).
pub fn one_line(ex: &Exercise, failure: &Failure) -> String {
    match failure {
        Failure::Output { actual, .. } if actual.is_empty() => {
            "it printed nothing on stdout".into()
        }
        Failure::Output { .. } => "its stdout differs from the expected output".into(),
        Failure::Hang(after) => {
            format!("it hangs: still running after {:.1} s", after.as_secs_f64())
        }
        Failure::Busy(after) => {
            format!("it loops: still running after {:.1} s", after.as_secs_f64())
        }
        Failure::Usage { .. } => format!(
            "bad input: {}; expected status 2 and the usage on stderr",
            expected_and_happened(ex, failure).1
        ),
        other => expected_and_happened(ex, other).1,
    }
}

pub fn expected_and_happened(ex: &Exercise, failure: &Failure) -> (String, String) {
    match failure {
        Failure::Hang(after) | Failure::Busy(after) => {
            // Past its limit by more than the time to stop it: the X-ray's stops had cost it
            // that much, and the run was given it.
            let more = after.as_secs_f64() - ex.timeout_secs as f64;
            let given = if more >= 1.0 {
                format!(" (its {} s, and {more:.1} s more for what the X-ray's stops cost it)", ex.timeout_secs)
            } else {
                String::new()
            };
            (
                format!("the program to finish within {} s", ex.timeout_secs),
                format!(
                    "it was still running after {:.1} s{given}, so it hangs; the checker stopped every process it had started",
                    after.as_secs_f64()
                ),
            )
        }
        Failure::MemoryLimit => (
            format!("at most {} GiB of memory for the whole run", RUN_MEMORY >> 30),
            "memory limit: its processes used all of it; the checker stopped them".into(),
        ),
        Failure::DiskLimit => (
            format!("at most {} MiB of files in its working folder", DISK_CAP >> 20),
            "disk limit: it wrote more (or more than ten thousand files) into its folder; the checker stopped it".into(),
        ),
        Failure::OutputLimit => (
            "a few lines of output".into(),
            format!(
                "output limit: it printed more than {} KiB on one stream; the checker stopped it",
                OUTPUT_CAP / 1024
            ),
        ),
        Failure::ProcessLimit => (
            format!("at most {} processes at once", PROCESS_CAP),
            "process limit: it started more; the checker stopped them all".into(),
        ),
        Failure::Interrupted => (
            "a finished run".into(),
            "the check was interrupted (Ctrl-C); every process of the run was stopped".into(),
        ),
        Failure::Signal(sig) if sig == "SIGPIPE" => (
            "exit status 0".into(),
            "it was killed by SIGPIPE (broken pipe): it wrote into a pipe nobody reads any more"
                .into(),
        ),
        Failure::Signal(sig) if sig == "SIGSYS" => (
            "exit status 0".into(),
            "it was killed by SIGSYS: the sandbox stopped it at a system call it refuses to let through".into(),
        ),
        Failure::Signal(sig) => (
            "exit status 0".into(),
            format!("it was killed by the signal {sig}"),
        ),
        Failure::Output { .. } => unreachable!("shown as a diff"),
        Failure::Usage {
            status,
            stdout,
            stderr_empty,
        } => {
            let mut happened = vec![match status {
                None => format!(
                    "it was still running after {} s, as if the input were fine",
                    BAD_INPUT_TIME.as_secs()
                ),
                Some(101) => "exit status 101: it panicked".to_string(),
                Some(s) => format!("exit status {s}"),
            }];
            if let Some(first) = stdout.lines().next() {
                happened.push(format!("it printed `{}` on stdout", cut(first)));
            }
            if *stderr_empty {
                happened.push("nothing on stderr".into());
            }
            (
                "exit status 2, nothing on stdout and the usage on stderr: the contract's answer to bad input".into(),
                happened.join("; "),
            )
        }
        Failure::MissingFinalNewline => (
            "every line to end with a newline".into(),
            "the last line has none".into(),
        ),
        Failure::Status { expected, actual } => (
            format!("exit status {expected}"),
            format!("exit status {actual}"),
        ),
        Failure::LeftBehind(procs) => {
            let list: Vec<String> = procs
                .iter()
                .map(|p| format!("pid {} `{}`", p.pid, cut(&p.command)))
                .collect();
            (
                "every process finished when the program exits".into(),
                format!("still running after it exited: {}", list.join(", ")),
            )
        }
        Failure::Timing {
            line,
            text,
            at,
            bound,
            early,
            since,
        } => timing_words(*line, text, *at, *bound, *early, since),
        Failure::Stages { problem, .. } => (
            "cat, grep and wc to run as `cat FILE | grep PATTERN | wc -l`, each with only fds 0, 1 and 2".into(),
            problem.clone(),
        ),
        Failure::Wiring { rule, problem, .. } => (
            format!("{rule} (seen by the X-ray at the system-call level)"),
            problem.clone(),
        ),
        Failure::NotStarted => ("a program that runs".into(), "it stops at `todo!()`".into()),
        Failure::Contract { expected, happened, .. } => (expected.clone(), happened.clone()),
    }
}

/// Everything a report says about one failed case, made once.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// What happened, in one line (the grades).
    pub summary: String,
    /// What was expected and what happened; None for a wrong stdout, which a diff shows.
    pub expected: Option<(String, String)>,
    /// The hang doctor's account of a hang: who waits for what, and what would end it.
    pub hang: Vec<String>,
    /// The panic's message and place, when the program panicked.
    pub panic: Option<String>,
    pub cause: Cause,
    /// The exercise's first hint on the cause's topic, with its number and the hint count.
    pub hint: Option<(usize, usize, String)>,
    /// The X-ray's cut reads and writes, where they may explain the failure.
    pub cuts: Option<String>,
}

/// The one diagnosis of a failed case. `replay` is the command that replays the X-ray's cuts.
pub fn diagnose(
    exercise: &Exercise,
    case: &Case,
    failure: &Failure,
    run: &RunOutcome,
    replay: &str,
) -> Diagnosis {
    let cause = likely_cause(exercise, case, failure, run);
    let hang = match (failure, &run.hang) {
        (Failure::Hang(_) | Failure::Busy(_), Some(snapshot)) => {
            snapshot.explain(&exercise.name, exercise.timeout_secs)
        }
        _ => Vec::new(),
    };
    let trace = run.trace.as_ref().and_then(|t| t.as_ref().ok());
    Diagnosis {
        summary: one_line(exercise, failure),
        expected: (!matches!(failure, Failure::Output { .. }))
            .then(|| expected_and_happened(exercise, failure)),
        hang,
        panic: super::judge::panic_message(&run.stderr_text()),
        hint: cause
            .topic
            .and_then(|t| exercise.hint_on(t))
            .map(|(n, text)| (n, exercise.hints.len(), text.to_string())),
        cuts: trace.and_then(|t| cuts(failure, t, replay)),
        cause,
    }
}

/// Whether the cuts may explain the failure: a wrong output, status or record count, where a
/// cut write, or a cut read of a channel that brought bytes, took part. Not a hang (the hang
/// section says what each process waits for), not the wiring, timing or limits, and not a
/// run whose cut reads all met channels that brought nothing (an unflushed writer).
fn cuts_may_matter(failure: &Failure, trace: &Trace) -> bool {
    let about_content = matches!(
        failure,
        Failure::Output { .. }
            | Failure::MissingFinalNewline
            | Failure::Status { .. }
            | Failure::Contract { .. }
            | Failure::Stages { .. }
            | Failure::Usage { .. }
    );
    let brought_bytes = trace.cut_reads_of.iter().any(|object| {
        trace
            .io
            .iter()
            .any(|io| !io.writes && io.object == *object && io.bytes > 0)
    });
    about_content && (trace.injected.writes_cut > 0 || brought_bytes)
}

/// What the X-ray cut short in the failed run, and how to get the same again, where it may
/// explain the failure.
fn cuts(failure: &Failure, trace: &Trace, replay: &str) -> Option<String> {
    let i = trace.injected;
    if i.reads_cut + i.writes_cut == 0 || !cuts_may_matter(failure, trace) {
        return None;
    }
    Some(format!(
        "the X-ray cut {} short, as the kernel may (a read may return fewer bytes than asked at any time, a write of over 4096 bytes fewer when a signal interrupts it); by hand they are rarely short, so the command above may pass: `{}` replays the same cuts",
        [(i.reads_cut, "read"), (i.writes_cut, "write")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!(
                "{} {what}{}",
                number(*n as f64),
                if *n == 1 { "" } else { "s" }
            ))
            .collect::<Vec<_>>()
            .join(" and "),
        replay
    ))
}

/// The likely cause of a failure: the precise fault the hang doctor found when it found one,
/// else the exercise's words for what the failure and the run's trace show, else a general
/// rule.
fn likely_cause(exercise: &Exercise, case: &Case, failure: &Failure, run: &RunOutcome) -> Cause {
    let trace = run.trace.as_ref().and_then(|t| t.as_ref().ok());
    // Only the sandbox's filter kills with SIGSYS: no exercise's own cause applies.
    if matches!(failure, Failure::Signal(sig) if sig == "SIGSYS") {
        return general_cause(failure);
    }
    // The call the case changes never came (a wiring rule that saw why explains itself): the
    // verdict says nothing about how the program handles the change. (Pauses shortened for a
    // case its schedule judges change nothing the verdict is about.)
    if let (Some(mishap), Some(trace)) = (case.mishap, trace)
        && case.needs_xray()
        && trace.injected.mishaps == 0
        && !matches!(failure, Failure::Wiring { .. })
    {
        return format!(
            "the X-ray never met the call this case changes, {mishap}: the program never made that call as the contract has it, so what this case is about did not happen; see the other cases first"
        )
        .into();
    }
    if let Some(proved) = behaviour(exercise).and_then(|b| (b.evidence)(case, failure, run)) {
        return proved;
    }
    if let (Failure::Hang(_), Some(snapshot)) = (failure, &run.hang)
        && let Some(cause) = diagnosis::hang_cause(snapshot, trace, contract(exercise))
    {
        return cause;
    }
    // A process left running is one the parent did not wait for: the same words as the run
    // where that process happened to finish first and the wait rule caught it. Where the
    // X-ray changed a call, the exercise's words for that change come first.
    if let (Failure::LeftBehind(_), Some(trace), None) = (failure, trace, case.mishap) {
        let waits: Vec<&str> = exercise
            .wiring
            .checks
            .iter()
            .map(String::as_str)
            .filter(|c| matches!(*c, "waits_for_stages" | "waits_for_children"))
            .collect();
        if let Some((problem, cause)) = super::wiring::first_miss(trace, &waits, &case.args) {
            return Cause {
                text: format!("{problem}: {cause}"),
                topic: cause.topic,
            };
        }
    }
    let missing_lines = matches!(failure, Failure::Output { expected, actual } if actual.lines().count() < expected.lines().count());
    if let Some(cause) = trace.and_then(|t| diagnosis::silent_writer(t, missing_lines)) {
        return cause;
    }
    // The diff's kind: the sure ones before the exercise's words, the others after them.
    let kind = mismatch_of(failure, run);
    if let Some(kind) = &kind
        && (kind.is_telling()
            || (matches!(kind, mismatch::Mismatch::Panicked { .. })
                && matches!(failure, Failure::Output { actual, .. } if actual.trim().is_empty())))
    {
        return kind.cause();
    }
    behaviour(exercise)
        .and_then(|b| (b.cause)(case, failure, run))
        .or_else(|| kind.map(|k| k.cause()))
        .unwrap_or_else(|| general_cause(failure))
}

/// What kind of difference a wrong stdout shows (or the panic behind status 101).
fn mismatch_of(failure: &Failure, run: &RunOutcome) -> Option<mismatch::Mismatch> {
    match failure {
        Failure::Output { expected, actual } => {
            mismatch::classify(expected, actual, &run.stderr_text())
        }
        Failure::Status { actual: 101, .. } => mismatch::classify("", "\n", &run.stderr_text())
            .filter(|k| matches!(k, mismatch::Mismatch::Panicked { .. })),
        _ => None,
    }
}

/// What the exercise's expected wiring says about the program itself (P1): whether it reads a
/// link, and whether it fills a pipe of its own (`P1 -> P1`).
fn contract(exercise: &Exercise) -> diagnosis::Contract {
    let arrows: Vec<&str> = exercise
        .wiring
        .links
        .iter()
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    diagnosis::Contract {
        parent_reads: arrows.iter().any(|a| a.ends_with("-> P1")),
        pipe_of_its_own: arrows.contains(&"P1 -> P1"),
        // A link from P1 to another, or P1 named a writer (07's round 1).
        parent_writes: arrows
            .iter()
            .any(|a| a.starts_with("P1 ->") && *a != "P1 -> P1")
            || exercise
                .wiring
                .processes
                .iter()
                .any(|p| p.starts_with("P1:") && p.contains("writer")),
        token_pipes: arrows.iter().any(|a| {
            a.split_once("->")
                .is_some_and(|(from, to)| from.trim() == to.trim() && from.trim() != "P1")
        }),
    }
}

fn general_cause(failure: &Failure) -> Cause {
    let topic = match failure {
        Failure::Hang(_) => Some(Topic::Eof),
        Failure::ProcessLimit | Failure::LeftBehind(_) => Some(Topic::Processes),
        Failure::Timing { .. } => Some(Topic::Streaming),
        Failure::Wiring { cause, .. } => cause.topic,
        _ => None,
    };
    let text: String = match failure {
        Failure::NotStarted => "the program still reaches `todo!()`: replace it with your code".into(),
        Failure::Hang(_) => "a process is blocked: a reader whose pipe still has a write end open somewhere never sees end-of-file, and a writer blocks on a full pipe nobody reads. Check that every process closes the pipe ends it does not use, and that nobody waits before reading".into(),
        Failure::Busy(_) => "a process never stops running: it is not blocked on a pipe or a child, so look for a loop that never ends (one that ignores read() returning 0 counts too)".into(),
        Failure::MemoryLimit => "the program keeps memory without end: none of the exercises needs more than a few megabytes, so look for data that grows in a loop (or a child that copies its parent's)".into(),
        Failure::DiskLimit => "the program writes files without end: none of the exercises needs more than a few small files, so look for a write loop that never stops".into(),
        Failure::OutputLimit => "the program prints without end: look for a loop that never stops, for example a read loop that does not stop at end-of-file (read returning 0)".into(),
        Failure::Interrupted => "the check was interrupted".into(),
        Failure::ProcessLimit => "the program starts processes without end: look for a fork() inside a loop, or a child that goes on running the parent's code because it does not exit".into(),
        Failure::Signal(sig) if sig == "SIGPIPE" => "a process wrote into a pipe whose read ends were all closed (broken pipe)".into(),
        Failure::Signal(sig) if sig == "SIGSYS" => "the program made a system call of another architecture (a 32-bit `int 0x80`, or an x32 call), which neither the X-ray nor the sandbox can read, so the run was stopped: use the ordinary calls, through std or nix".into(),
        Failure::Signal(sig) => format!("the program was killed by {sig}"),
        Failure::Output { .. } => "compare the lines above with the contract in labs.md: the checker compares stdout exactly; debugging output belongs on stderr (eprintln!)".into(),
        Failure::Usage { status: None, .. } => "the program went on with bad input (a fallback to a default, say): check every argument and variable before doing anything, and on a value that does not parse print the usage on stderr (eprintln!) and return ExitCode::from(2)".into(),
        Failure::Usage { status: Some(101), .. } => "a panic is not an answer to bad input: parse each argument and variable with match (or let-else) instead of unwrap() or expect(), and on a word, a negative number, NaN, an empty string or a wrong number of arguments print the usage on stderr (eprintln!) and return ExitCode::from(2)".into(),
        Failure::Usage { status: Some(s), .. } if *s != 2 => "bad input must end the program with exit status 2 before it does anything: check every argument and variable first, print the usage on stderr (eprintln!) and return ExitCode::from(2)".into(),
        Failure::Usage { stderr_empty: true, .. } => "print the usage line on stderr (eprintln!) before exiting with status 2".into(),
        Failure::Usage { .. } => "on bad input print nothing on stdout: the usage line goes to stderr (eprintln!)".into(),
        Failure::MissingFinalNewline => "the last line has no newline: use println!, not print!".into(),
        Failure::Status { .. } => "check the exit status your program returns: 0 on success (a panic exits with 101)".into(),
        Failure::LeftBehind(_) => "the program exited while its children still ran: wait for every child (waitpid) before the parent exits".into(),
        Failure::Timing { .. } => "the lines must arrive as the messages are produced, with the producer's delays between them".into(),
        Failure::Stages { cause, .. } | Failure::Contract { cause, .. } if !cause.is_empty() => cause.clone(),
        Failure::Wiring { cause, .. } if !cause.text.is_empty() => cause.text.clone(),
        Failure::Stages { .. } | Failure::Contract { .. } | Failure::Wiring { .. } => "compare with the exercise's contract in labs.md".into(),
    };
    Cause { text, topic }
}

/// A timing failure's expected and happened, in words: what the bound counts from, and the
/// time the machine made the processes wait for a CPU, which the bound adds.
fn timing_words(
    line: usize,
    text: &str,
    at: Duration,
    bound: Duration,
    early: bool,
    since: &Since,
) -> (String, String) {
    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let text = cut(text);
    let plus = |waited: &Duration| {
        if *waited >= Duration::from_millis(5) {
            format!(
                ", plus the {} the processes spent waiting for a CPU",
                s(*waited)
            )
        } else {
            String::new()
        }
    };
    match since {
        Since::Start => {
            let when = if early { "no earlier" } else { "no later" };
            (
                format!("line {line} {when} than {} after the start", s(bound)),
                format!("line {line} (`{text}`) arrived at {}", s(at)),
            )
        }
        Since::Written {
            written,
            writer,
            waited,
        } => (
            format!(
                "line {line} printed no later than {} after {writer} put it into the pipe (at {}){}: by {}",
                s(bound.saturating_sub(*written + *waited)),
                s(*written),
                plus(waited),
                s(bound)
            ),
            format!(
                "line {line} (`{text}`) was printed at {}, {} after",
                s(at),
                s(at.saturating_sub(*written))
            ),
        ),
        Since::Before { before, waited } => (
            format!(
                "line {line} no later than {} after line {} (printed at {}){}: by {}",
                s(bound.saturating_sub(*before + *waited)),
                line - 1,
                s(*before),
                plus(waited),
                s(bound)
            ),
            format!("line {line} (`{text}`) was printed at {}", s(at)),
        ),
        Since::WriterLate { writer, waited } => (
            format!(
                "{writer} to write line {line}'s message no later than {} after the start{}",
                s(bound.saturating_sub(*waited)),
                plus(waited)
            ),
            format!(
                "{writer} wrote it at {} (`{text}`), with no pause seen before it",
                s(at)
            ),
        ),
        Since::Woke {
            woke,
            writer,
            waited,
        } => (
            format!(
                "{writer} to write line {line}'s message as soon as its pause ended (at {}){}: by {}",
                s(*woke),
                plus(waited),
                s(bound)
            ),
            format!(
                "{writer} wrote it at {} (`{text}`), {} after its pause",
                s(at),
                s(at.saturating_sub(*woke))
            ),
        ),
        Since::Paused {
            began,
            writer,
            sleeps,
        } => (
            format!(
                "{writer} to pause at most {} before line {line}'s message",
                s(bound.saturating_sub(*began))
            ),
            format!(
                "{writer} paused from {} to {} ({}) before line {line}'s message (`{text}`){}",
                s(*began),
                s(at),
                s(at.saturating_sub(*began)),
                if *sleeps > 1 {
                    format!(", in {sleeps} sleeps with nothing written between them")
                } else {
                    String::new()
                }
            ),
        ),
        Since::Asked { writer } => (
            format!(
                "{writer} to wake up for line {line} by {} (its time, counted from its own start, plus the slack)",
                s(bound)
            ),
            format!(
                "{writer} asked to sleep until {} before writing `{text}`",
                s(at)
            ),
        ),
        Since::Counted { printed } => (
            format!(
                "line {line} no earlier than {} after the start, its pauses counted at the lengths they asked for (the X-ray let them last a fraction of it)",
                s(bound)
            ),
            format!(
                "line {line} (`{text}`) was printed at {}; with each pause at the length it asked for, at {}",
                s(*printed),
                s(at)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::cases::Kind;
    use crate::workbook::manifest::exercises;
    use std::time::Duration;

    fn exercise(name: &str) -> Exercise {
        exercises()
            .into_iter()
            .find(|e| e.name == name)
            .expect("in the manifest")
    }

    fn diagnosed(ex: &Exercise, kind: Kind, failure: Failure, stderr: &str) -> Diagnosis {
        let case = Case::with_messages("a case", kind, Vec::new(), String::new());
        let run = RunOutcome::empty(stderr.into());
        diagnose(ex, &case, &failure, &run, "cargo lab 1 --seed 1")
    }

    #[test]
    fn the_hint_shown_is_the_one_on_the_cause_s_topic() {
        let ex = exercise("01_raw_pipe");
        // A hang of the small cases: a write end still open, the hint on end-of-file.
        let d = diagnosed(&ex, Kind::Random, Failure::Hang(Duration::from_secs(5)), "");
        assert!(
            d.cause.text.contains("never sees end-of-file"),
            "{}",
            d.cause
        );
        assert_eq!(d.hint.as_ref().map(|h| h.0), Some(2));
        assert_eq!(
            d.hint.as_ref().map(|h| h.2.as_str()),
            ex.hints.get(1).map(String::as_str)
        );
        // A hang with over 64 KiB to send: read before waiting, the third hint.
        let d = diagnosed(&ex, Kind::Big, Failure::Hang(Duration::from_secs(5)), "");
        assert_eq!(d.hint.map(|h| h.0), Some(3));
        // A cause no hint is about shows none rather than another one.
        let d = diagnosed(&ex, Kind::Random, Failure::MissingFinalNewline, "");
        assert_eq!(d.hint, None);
    }

    #[test]
    fn every_part_comes_from_the_same_failure() {
        let ex = exercise("01_raw_pipe");
        let wrong = Failure::Output {
            expected: "received: a\nEOF after 1 messages\n".into(),
            actual: String::new(),
        };
        let stderr = "thread 'main' panicked at src/bin/01_raw_pipe.rs:9:5:\nboom\n";
        let d = diagnosed(&ex, Kind::Random, wrong, stderr);
        // A diff, not expected and happened; the panic said once, and as the cause.
        assert!(d.expected.is_none() && d.hang.is_empty() && d.cuts.is_none());
        assert_eq!(d.summary, "it printed nothing on stdout");
        assert!(d.panic.as_deref().is_some_and(|p| p.contains("boom")));
        assert!(
            d.cause.text.contains("at src/bin/01_raw_pipe.rs:9:5"),
            "{}",
            d.cause
        );
        let d = diagnosed(
            &ex,
            Kind::Random,
            Failure::Status {
                expected: 0,
                actual: 1,
            },
            "",
        );
        assert_eq!(
            d.expected,
            Some(("exit status 0".to_string(), "exit status 1".to_string()))
        );
    }
}
