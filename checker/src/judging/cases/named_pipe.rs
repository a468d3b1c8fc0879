//! 08_named_pipe: a FIFO between two instances of the program.

use super::super::cause::Cause;
use super::{Case, Expected, Failure, Kind, random_message};
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "08_named_pipe",
    random_cases: cases,
    require,
    cause,
    evidence: super::no_evidence,
    inputs: &[],
    refuses_before_forking: false,
};

/// The FIFO's name, which the writer passes to the reader.
const FIFO: &str = "pipes-lab.fifo";

pub fn oracle(messages: &[String]) -> String {
    let mut out = reader_lines(messages);
    out.push_str("writer: reader exited with status 0\nwriter: removed pipes-lab.fifo\n");
    out
}

/// What the reader prints for `messages`, end-of-file included.
fn reader_lines(messages: &[String]) -> String {
    let mut out: String = messages.iter().map(|m| format!("reader: {m}\n")).collect();
    out.push_str("reader: end of file\n");
    out
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let messages: Vec<String> = (0..rng.random_range(3..=8))
        .map(|_| random_message(rng))
        .collect();
    let expected = oracle(&messages);
    let failed = "writer: reader exited with status 3\nwriter: removed pipes-lab.fifo\n";
    let mut failing = Case::with_messages(
        "the reader fails (PIPES_LAB_FAIL_READER=1)",
        Kind::Error,
        vec!["hello".into()],
        failed.into(),
    );
    failing.env = vec![("PIPES_LAB_FAIL_READER".into(), "1".into())];
    failing.status = 1;
    // More than a pipe holds: the reader must keep reading to end-of-file.
    let many: Vec<String> = (0..3000)
        .map(|i| format!("message {i:04} {}", super::random_word(rng, 20)))
        .collect();
    let many_expected = oracle(&many);
    // The reader fails while more than a pipe holds is on its way: a write meets EPIPE for
    // certain, and the writer must still clean up.
    let mut broken = Case::with_messages(
        "the reader fails while 100 KiB are on their way (a write meets EPIPE)",
        Kind::Error,
        many.clone(),
        failed.into(),
    );
    broken.env = failing.env.clone();
    broken.status = 1;
    // The name is taken already: the writer refuses, says why, and leaves the file alone.
    let mut taken = Case::with_messages(
        "pipes-lab.fifo already exists",
        Kind::Error,
        vec!["hello".into()],
        String::new(),
    );
    taken.files = vec![("pipes-lab.fifo".into(), b"not yours to remove\n".to_vec())];
    taken.status = 1;
    taken.refused = true;
    // Failures a correct run never meets, made by the X-ray: the writer still removes the
    // FIFO, says why on stderr and exits with status 1.
    let made_to_fail = |name: &str, mishap: Mishap| {
        let mut case = Case::with_messages(
            name,
            Kind::Error,
            vec!["hello".into()],
            "writer: removed pipes-lab.fifo\n".into(),
        );
        case.status = 1;
        case.refused = true;
        case.mishap = Some(mishap);
        case
    };
    let no_reader = made_to_fail(
        "the reader cannot start (the X-ray makes the fork fail with EAGAIN)",
        Mishap::ForkFails,
    );
    let no_open = made_to_fail(
        "opening pipes-lab.fifo for writing fails (the X-ray makes it fail with EACCES)",
        Mishap::OpenForWritingFails(FIFO),
    );
    // The reader alone, on a PATH of the checker's choosing: a plain file of lines, which it
    // reads to end-of-file as it would a FIFO.
    let lines: Vec<String> = (0..rng.random_range(2..=5))
        .map(|_| random_message(rng))
        .collect();
    let mut alone = Case::new(
        "the reader alone on another PATH (--reader messages.txt, a plain file)",
        Kind::Random,
        vec!["--reader".into(), "messages.txt".into()],
        Expected::Exact(reader_lines(&lines)),
    );
    alone.files = vec![(
        "messages.txt".into(),
        lines
            .iter()
            .map(|m| format!("{m}\n"))
            .collect::<String>()
            .into_bytes(),
    )];
    alone.one_role = true;
    vec![
        Case::with_messages("random messages", Kind::Random, messages, expected),
        Case::with_messages(
            "3000 messages (about 100 KiB)",
            Kind::Big,
            many,
            many_expected,
        ),
        failing,
        broken,
        taken,
        no_reader,
        no_open,
        alone,
    ]
}

/// Every run must leave its working directory without a FIFO.
fn require(case: &mut Case) {
    case.no_fifo_left = true;
}

pub fn cause(case: &Case, failure: &Failure, _run: &RunOutcome) -> Option<Cause> {
    Some(match failure {
        // The name was taken before the run: mkfifo fails with EEXIST.
        _ if case.mishap == Some(Mishap::ForkFails) => Cause::on(Topic::Cleanup, "when the reader cannot start, spawn() returns an error: the writer must still remove the FIFO (and print that it did), say why on stderr and exit with status 1, never unwrap() or expect() it"),
        _ if case.mishap.is_some() => Cause::on(Topic::Cleanup, "when opening the FIFO fails, the reader is still blocked in its own open, waiting for a writer that never comes: the writer kills it (Child::kill) and waits for it, removes the FIFO (and prints that it did), says why on stderr and exits with status 1"),
        _ if case.one_role => "the reader must open the PATH it is given after --reader, not a name of its own: the writer's FIFO is one such PATH, but the reader works on any file of lines".into(),
        _ if case.refused => "mkfifo fails with EEXIST when pipes-lab.fifo exists already: say so on stderr and exit with status 1, before starting the reader, and leave the file where it is".into(),
        Failure::Contract { .. } => Cause::on(Topic::Cleanup, "the FIFO is a file: remove it (std::fs::remove_file) on every way out of the writer, the error paths included"),
        Failure::Hang(_) => Cause::on(Topic::Fifo, "one side waits for the other forever: opening a FIFO blocks until the other side opens it too, so the writer must start the reader before it opens the FIFO, and close its end after the last message so the reader sees end-of-file"),
        Failure::Output { .. } | Failure::Status { .. } if case.kind == Kind::Error => "when the reader fails, the writer stops writing (a write may fail with EPIPE), waits for it, reports its status, removes the FIFO, and exits with status 1".into(),
        Failure::Output { expected, actual } if case.kind == Kind::Big || actual.lines().count() < expected.lines().count() => "not all messages arrived: one read() returns only what is in the FIFO at that moment; the reader must keep reading until end-of-file (read returns 0), for example with BufReader::lines".into(),
        _ => return None,
    })
}
