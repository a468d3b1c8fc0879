//! 01_raw_pipe: one pipe, one fork; the parent reads until end-of-file.

use super::super::cause::Cause;
use super::{Case, Failure, Kind, random_message, random_word};
use crate::sandbox::runner::RunOutcome;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "01_raw_pipe",
    random_cases: cases,
    require: super::nothing_more,
    cause,
    evidence: super::no_evidence,
    inputs: &[],
    refuses_before_forking: false,
};

/// The lecture's messages, used when none are given.
pub const DEFAULTS: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// What a correct program prints for these messages.
pub fn oracle(messages: &[String]) -> String {
    let mut out: String = messages
        .iter()
        .map(|m| format!("received: {m}\n"))
        .collect();
    out.push_str(&format!("EOF after {} messages\n", messages.len()));
    out.push_str("child exited with status 0\n");
    out
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let random: Vec<String> = (0..rng.random_range(3..=10))
        .map(|_| random_message(rng))
        .collect();
    // About 98 KiB: more than a pipe holds (64 KiB), so the child blocks until the parent reads.
    // In 25 long messages (each under PIPE_BUF, so written at once): the X-ray stops the
    // program at each write and read, and a message costs the same stops whatever its length.
    let big: Vec<String> = (0..25)
        .map(|i| format!("message {i:02} {}", random_word(rng, 3_900)))
        .collect();
    vec![
        case("random messages", Kind::Random, random),
        case("over 64 KiB of messages", Kind::Big, big),
    ]
}

fn case(name: &str, kind: Kind, messages: Vec<String>) -> Case {
    let expected = oracle(&messages);
    Case::with_messages(name, kind, messages, expected)
}

pub fn cause(case: &Case, failure: &Failure, _run: &RunOutcome) -> Option<Cause> {
    Some(match failure {
        Failure::Hang(_) if case.kind == Kind::Big => Cause::on(
            Topic::Order,
            "with more than 64 KiB to send, the child blocks on the full pipe until someone reads. If the parent calls waitpid before it reads, each waits for the other forever: read until end-of-file first, then wait. (If the small cases hang too, a write end is still open: see the hint for end-of-file.)",
        ),
        Failure::Hang(_) => Cause::on(
            Topic::Eof,
            "the parent never sees end-of-file: read() returns 0 only when every write end of the pipe is closed, and a copy of the write end is still open (most often the parent's own: drop or close it right after fork, before the read loop)",
        ),
        Failure::Output { expected, actual } => {
            let received = |t: &str| t.lines().filter(|l| l.starts_with("received: ")).count();
            let (want, got) = (received(expected), received(actual));
            if got < want && got > 0 && expected.starts_with(actual.lines().next().unwrap_or("")) {
                format!("only {got} of the {want} messages arrived: one read() returns only what is in the pipe at that moment, not everything the child will write. Keep reading until read returns 0 (end-of-file), and split what you read into lines").into()
            } else if case.kind != Kind::Transcript
                && *actual == oracle(&DEFAULTS.map(String::from))
            {
                "this is the output for the lecture's default messages, not for the messages given: read them from the arguments (std::env::args().skip(1)) and use the defaults only when there are none".into()
            } else if actual.contains('\u{FFFD}') && !expected.contains('\u{FFFD}') {
                "a character came out as \u{FFFD} (the replacement character): its bytes came in two reads, and each read was decoded on its own. Keep the bytes until a whole line is in (BufReader::lines, or read_until(b'\\n')), then decode the line".into()
            } else if got > want {
                "more lines than messages were received: split what you read on `\\n` only, and do not print a line for an empty chunk".into()
            } else {
                return None;
            }
        }
        Failure::LeftBehind(_) => Cause::on(
            Topic::Order,
            "the parent exited without waiting for the child: call waitpid on the child's pid after the read loop",
        ),
        _ => return None,
    })
}
