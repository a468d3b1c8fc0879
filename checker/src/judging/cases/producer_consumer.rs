//! 03_producer_consumer: a producer and a consumer, with random delays, until END.

use super::super::cause::Cause;
use super::{Carried, Case, Failure, Kind, Timing, random_message};
use crate::judging::failure::Since;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Topic;
use rand::rngs::StdRng;
use std::time::Duration;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "03_producer_consumer",
    random_cases: cases,
    require: super::nothing_more,
    cause,
    evidence: super::no_evidence,
    inputs: INPUTS,
    refuses_before_forking: true,
};

/// The time scale: 0 is allowed (no pauses at all).
const INPUTS: &[super::Input] = &[super::Input {
    name: "PIPES_LAB_TIME_SCALE",
    place: super::Place::Variable,
    domain: super::Domain::Finite { zero_allowed: true },
    fine: "1",
}];

/// Scale of the timed case: delays of 0.1-0.2 s, so 5 messages and END take about 0.9 s.
const SCALE: f64 = 0.1;
/// Allowance for start-up and scheduling on a loaded machine, on top of the longest delays.
const SLACK: Duration = Duration::from_millis(250);

pub fn oracle(messages: &[String]) -> String {
    let with_end: Vec<String> = messages.iter().cloned().chain(["END".into()]).collect();
    cut_short(&with_end)
}

/// The status the producer dies with where the X-ray makes it die.
const PRODUCER_DIES_WITH: i32 = 3;

/// What the program prints for the lines that came, then `done`: the messages and END, or,
/// where the producer dies before END, the messages alone (and it exits with status 1).
fn cut_short(messages: &[String]) -> String {
    let mut out: String = messages
        .iter()
        .map(|m| format!("Message Received: {m}\n"))
        .collect();
    out.push_str("done\n");
    out
}

/// `Message Received: M` was carried by the line `M` the producer wrote into the pipe.
fn carried(line: &str) -> Carried {
    match line.strip_prefix("Message Received: ") {
        Some(message) => Carried::Line {
            text: message.to_string(),
            writer: "the producer".into(),
        },
        None => Carried::Nothing,
    }
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let messages: Vec<String> = (0..5)
        .map(|_| random_message(rng))
        .filter(|m| m != "END")
        .collect();
    let timing = Timing {
        lines: messages.len() + 1,
        min: Duration::from_secs_f64(SCALE),
        max: Duration::from_secs_f64(2.0 * SCALE),
        slack: SLACK,
        carried,
    };
    let expected = oracle(&messages);
    let name = format!("timed, delays scaled by {SCALE}");
    let mut case = Case::with_messages(&name, Kind::Timed, messages, expected);
    case.timing = Some(timing);
    case.env = vec![("PIPES_LAB_TIME_SCALE".into(), SCALE.to_string())];
    // The scale unset: pauses of 1-2 s, which the X-ray notes and shortens a hundredfold.
    let one = vec![random_message(rng)];
    let mut unscaled = Case::with_messages(
        "PIPES_LAB_TIME_SCALE unset: pauses of 1-2 s (the X-ray shortens them a hundredfold)",
        Kind::Timed,
        one.clone(),
        oracle(&one),
    );
    unscaled.mishap = Some(Mishap::PausesShortened { by: 100 });
    // No pauses, and the consumer's first read waits until every message is in the pipe: one
    // read brings them all, to be split at the newlines.
    let several: Vec<String> = (0..4)
        .map(|_| random_message(rng))
        .filter(|m| m != "END")
        .collect();
    let mut together = Case::with_messages(
        "one read brings every message (PIPES_LAB_TIME_SCALE=0; the X-ray holds the consumer's first read until all are in the pipe)",
        Kind::Timed,
        several.clone(),
        oracle(&several),
    );
    together.env = vec![("PIPES_LAB_TIME_SCALE".into(), "0".into())];
    together.mishap = Some(Mishap::FirstReadWaits {
        bytes: several.iter().map(|m| m.len() as u64 + 1).sum::<u64>() + 4,
    });
    // The producer dies after two messages (the X-ray makes its write of END an exit): the
    // consumer meets end-of-file before END, and must stop there rather than wait for ever.
    let two: Vec<String> = (0..2)
        .map(|_| random_message(rng))
        .filter(|m| m != "END")
        .collect();
    let mut dies = Case::with_messages(
        &format!(
            "the producer dies before END (the X-ray makes its write of END an exit with status {PRODUCER_DIES_WITH}; PIPES_LAB_TIME_SCALE=0)"
        ),
        Kind::Timed,
        two.clone(),
        cut_short(&two),
    );
    dies.env = vec![("PIPES_LAB_TIME_SCALE".into(), "0".into())];
    dies.status = 1;
    dies.mishap = Some(Mishap::ExitsInstead {
        after: two.iter().map(|m| m.len() as u64 + 1).sum(),
        status: PRODUCER_DIES_WITH,
    });
    vec![case, unscaled, together, dies]
}

pub fn cause(case: &Case, failure: &Failure, _run: &RunOutcome) -> Option<Cause> {
    let write_at_once = "write each message into the pipe as soon as its pause ends, not into a BufWriter (or a String) that holds it back until the end";
    let together = matches!(case.mishap, Some(Mishap::FirstReadWaits { .. }));
    let dies = matches!(case.mishap, Some(Mishap::ExitsInstead { .. }));
    Some(match failure {
        Failure::Status { expected: 1, .. } if dies => Cause::on(Topic::Processes, format!("when a child does not exit with status 0 (here the producer died with status {PRODUCER_DIES_WITH} before END, and the consumer met end-of-file), the parent still prints `done`, then exits with status 1: look at what waitpid returns for each child")),
        Failure::Hang(_) | Failure::Busy(_) if dies => Cause::on(Topic::Eof, "the producer died before END: the consumer meets end-of-file (a read returns 0) and must stop there, say so on stderr and exit with status 1, not wait for an END that will never come. It sees end-of-file only if no write end of the pipe is left open, its own included"),
        Failure::Output { expected, actual } if together && actual.lines().count() < expected.lines().count() => "one read brought every message at once here: keep what a read returns after the first newline for the lines that follow, with one BufReader made once for the whole pipe (a new BufReader, or a fresh buffer, for each line throws the rest away)".into(),
        Failure::Timing { early: true, .. } => Cause::on(Topic::Pauses, "a line arrived sooner than the producer's delays allow: the producer must sleep a random 1-2 s (times PIPES_LAB_TIME_SCALE) before every send, END included"),
        Failure::Timing { since: Since::Written { .. }, .. } => Cause::on(Topic::Streaming, "the consumer printed a message long after it reached the pipe: it seems to collect the messages and print them at the end. Print each one as soon as it is received"),
        Failure::Timing { since: Since::Paused { sleeps, .. }, .. } if *sleeps > 1 => Cause::on(Topic::Buffering, format!("the producer slept several times without writing anything into the pipe: {write_at_once}")),
        Failure::Timing { since: Since::Paused { .. }, .. } => Cause::on(Topic::Pauses, "the producer paused longer than the longest delay: each pause is a random 1-2 s times PIPES_LAB_TIME_SCALE (parse it as f64, default 1)"),
        Failure::Timing { since: Since::Woke { .. }, .. } => Cause::on(Topic::Buffering, format!("the producer's message reached the pipe long after its pause ended: {write_at_once}")),
        Failure::Timing { early: false, line, since: Since::Start, .. } if *line == 1 => Cause::on(Topic::Streaming, "the first message arrived much later than its delay: the consumer seems to collect the messages and print them at the end. Print each one as soon as it is received"),
        Failure::Timing { early: false, .. } => Cause::on(Topic::Streaming, "a line arrived later than the longest delays allow: print each message as soon as it is received, and sleep only 1-2 s times PIPES_LAB_TIME_SCALE per message"),
        Failure::Hang(_) => Cause::on(Topic::Streaming, "the consumer waits for a message that never comes: it must stop after END, and the producer must send END after the last message"),
        Failure::LeftBehind(_) => Cause::on(Topic::Processes, "the parent exited before its children finished: wait for both the producer and the consumer before printing `done`"),
        Failure::Output { expected, actual } if expected.lines().count() == actual.lines().count() && !actual.ends_with("done\n") => Cause::on(Topic::Processes, "`done` must be the last line: print it only after both children have exited"),
        _ => return None,
    })
}
