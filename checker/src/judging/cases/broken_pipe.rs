//! 07_broken_pipe: a writer whose reader goes away, first with SIGPIPE ignored, then default.

use super::super::cause::Cause;
use super::{AtLeast, Case, Expected, Failure, Kind};
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "07_broken_pipe",
    random_cases: cases,
    require,
    cause,
    evidence: super::no_evidence,
    inputs: INPUTS,
    refuses_before_forking: false,
};

/// LINES, the only argument.
const INPUTS: &[super::Input] = &[super::Input {
    name: "LINES",
    place: super::Place::Argument(0),
    domain: super::Domain::Whole { min: 1, max: 1000 },
    fine: "3",
}];

/// The output for `lines`, with the writer's count left open (it depends on timing).
pub fn oracle(lines: u64) -> String {
    ended(lines, "writer killed by SIGPIPE")
}

/// The output for `lines` when round 2's writer ended as `last` says.
fn ended(lines: u64, last: &str) -> String {
    let reader: String = (1..=lines).map(|k| format!("reader: line {k}\n")).collect();
    format!(
        "{reader}writer: EPIPE after [..] lines\nreader exited with status 0\n{reader}reader exited with status 0\n{last}\n"
    )
}

/// The status round 2's writer exits with when the X-ray makes it exit.
const EXITS_WITH: i32 = 7;

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let lines: u64 = rng.random_range(1..=200);
    // And the largest LINES the contract allows: an off-by-one in the range refuses it.
    let most = 1000;
    // Round 2's writer exits on its own once the reader has its lines, instead of meeting
    // SIGPIPE: the parent must look at how it ended.
    let few: u64 = rng.random_range(1..=20);
    let mut exits = Case::new(
        &format!(
            "{few} lines, round 2's writer exits with status {EXITS_WITH} (the X-ray makes its write after line {few} an exit)"
        ),
        Kind::Random,
        vec![few.to_string()],
        Expected::Pattern(ended(
            few,
            &format!("writer exited with status {EXITS_WITH}"),
        )),
    );
    exits.mishap = Some(Mishap::ExitsInstead {
        after: (1..=few).map(|k| format!("line {k}\n").len() as u64).sum(),
        status: EXITS_WITH,
    });
    vec![
        Case::new(
            &format!("{lines} lines"),
            Kind::Random,
            vec![lines.to_string()],
            Expected::Pattern(oracle(lines)),
        ),
        Case::new(
            &format!("{most} lines, the most LINES may be"),
            Kind::Random,
            vec![most.to_string()],
            Expected::Pattern(oracle(most)),
        ),
        exits,
    ]
}

/// The writer wrote at least the lines the reader read.
pub fn require(case: &mut Case) {
    let lines = case.args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    case.at_least = Some(AtLeast {
        prefix: "writer: EPIPE after ".into(),
        min: lines,
        why: format!("the reader read {lines} lines, so at least {lines} writes succeeded"),
    });
}

/// At a hang, a reader child still there after reading more than its LINES lines: it went on
/// after them, so the pipe never lost its reader. (Reading ahead alone is no fault: a
/// BufReader reads a whole buffer, and exits all the same.) The X-ray counts the bytes of a
/// reader's first reads only, and its later reads as calls: each that did not fail brought at
/// least a byte, so more such calls than the lines' bytes (one may still be under way) also
/// prove it, however the bytes happened to arrive.
fn reader_read_on(case: &Case, run: &RunOutcome) -> bool {
    let lines: u64 = case.args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let needed: u64 = (1..=lines)
        .map(|i| format!("line {i}\n").len() as u64)
        .sum();
    let (Some(Ok(trace)), Some(hang)) = (&run.trace, &run.hang) else {
        return false;
    };
    let root = trace.procs.first().map(|p| p.pid);
    trace.io.iter().any(|io| {
        !io.writes
            && Some(io.pid) != root
            && matches!(io.object, crate::sandbox::procfs::Object::Pipe(_))
            && (io.bytes > needed || {
                let failed: u64 = io.errors.values().sum::<u64>() + io.ends_of_file;
                io.calls.saturating_sub(failed) > needed + 1
            })
            && hang
                .procs
                .iter()
                .any(|p| p.pid == io.pid && p.doing != crate::sandbox::hang::Doing::Exited)
    })
}

pub fn cause(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    let epipe = |text: &str| Cause::on(Topic::Epipe, text);
    Some(match failure {
        Failure::Hang(_) | Failure::Busy(_) if reader_read_on(case, run) => epipe("the reader went on reading after its LINES lines (the X-ray saw it read more than they take): it must exit right after printing them. Its exit closes the pipe's last read end, and that is what makes the writer's next write fail with EPIPE; while it reads, the writer has a reader and never stops"),
        Failure::Output { actual, .. } if case.mishap.is_some() && actual.contains("writer killed by SIGPIPE") => format!("round 2's writer exited with status {EXITS_WITH} here, yet the program printed that SIGPIPE killed it: look at the status waitpid returns (WaitStatus::Exited or Signaled) and print what really happened").into(),
        Failure::Signal(sig) if sig == "SIGPIPE" => Cause::on(Topic::Sigpipe, "the program itself was killed by SIGPIPE: in round 1 the writer (the parent) must keep Rust's setting (SIGPIPE ignored), so that the write returns EPIPE; restore the default only in round 2's writer child"),
        Failure::Status { actual: 101, .. } => epipe("the writer panicked when the write failed: match the error (std::io::ErrorKind::BrokenPipe, or Errno::EPIPE), report it and stop writing"),
        Failure::Hang(_) | Failure::Busy(_) => epipe("the writer never stops: a failed write (EPIPE) means the reader is gone for good, so stop writing at the first one; and the reader must exit after its lines, closing its read end"),
        Failure::Output { actual, .. } if actual.contains("writer exited with status") => Cause::on(Topic::Sigpipe, "round 2's writer was not killed by SIGPIPE: restore the default action (signal(SIGPIPE, SigDfl)) in that child before it writes"),
        Failure::Output { actual, .. } if !actual.contains("writer: EPIPE after") => epipe("the writer stopped without reporting EPIPE: match the write's error (ErrorKind::BrokenPipe) and report it, instead of unwrap() or expect(), which panic (see the panic above, if any)"),
        Failure::Contract { .. } => epipe("count only the writes that succeeded, and stop at the first EPIPE"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::hang::{Doing, ProcessAtHang, Snapshot};
    use crate::sandbox::procfs::Object;
    use crate::sandbox::runner::End;
    use crate::sandbox::trace::{Io, Trace, TracedProcess};

    /// A hung round 1: the parent (1) writes, the reader child (2) read `bytes` first, then
    /// made `calls` reads in all, and is still there.
    fn hung(bytes: u64, calls: u64) -> RunOutcome {
        let process = |pid, parent| TracedProcess {
            pid,
            parent,
            ..TracedProcess::default()
        };
        let trace = Trace {
            procs: vec![process(1, None), process(2, Some(1))],
            io: vec![Io {
                pid: 2,
                object: Object::Pipe(7),
                calls,
                bytes,
                ..Io::default()
            }],
            ..Trace::default()
        };
        let at_hang = |pid| ProcessAtHang {
            pid,
            ppid: 0,
            name: "07_broken_pipe".into(),
            doing: Doing::Running,
            fds: Vec::new(),
        };
        let mut run = RunOutcome::empty(String::new());
        run.end = End::TimedOut;
        run.trace = Some(Ok(trace));
        run.hang = Some(Snapshot {
            main: 1,
            procs: vec![at_hang(1), at_hang(2)],
            deadlock: None,
        });
        run
    }

    fn three_lines() -> Case {
        Case::new(
            "3 lines",
            Kind::Random,
            vec!["3".into()],
            Expected::Exact(String::new()),
        )
    }

    #[test]
    fn a_reader_that_reads_on_is_seen_however_its_bytes_arrived() {
        let case = three_lines();
        // Its first read took a whole buffer.
        assert!(reader_read_on(&case, &hung(4096, 2)));
        // A busy machine: each read took one line (7 bytes), hundreds of them.
        assert!(reader_read_on(&case, &hung(7, 500)));
        // Three lines in three reads and a fourth under way: nothing proves reading on.
        assert!(!reader_read_on(&case, &hung(7, 4)));
    }
}
