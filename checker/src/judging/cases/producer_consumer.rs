//! 03_producer_consumer: a producer and a consumer, with random delays, until END.

use super::{Case, Failure, Kind, Timing, random_message};
use crate::sandbox::runner::RunOutcome;
use rand::rngs::StdRng;
use std::time::Duration;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "03_producer_consumer",
    random_cases: cases,
    require: super::nothing_more,
    cause,
};

/// Scale of the timed case: delays of 0.1-0.2 s, so 5 messages and END take about 0.9 s.
const SCALE: f64 = 0.1;
/// Allowance for start-up and scheduling on a loaded machine, on top of the longest delays.
const SLACK: Duration = Duration::from_millis(250);

pub fn oracle(messages: &[String]) -> String {
    let mut out: String = messages
        .iter()
        .map(|m| format!("Message Received: {m}\n"))
        .collect();
    out.push_str("Message Received: END\ndone\n");
    out
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
    };
    let expected = oracle(&messages);
    let name = format!("timed, delays scaled by {SCALE}");
    let mut case = Case::with_messages(&name, Kind::Timed, messages, expected);
    case.timing = Some(timing);
    case.env = vec![("PIPES_LAB_TIME_SCALE".into(), SCALE.to_string())];
    let mut cases = vec![case];
    cases.extend(super::bad_time_scale(rng, Vec::new()));
    cases
}

pub fn cause(_case: &Case, failure: &Failure, _run: &RunOutcome) -> Option<String> {
    Some(match failure {
        Failure::Timing { early: true, .. } => "a line arrived sooner than the producer's delays allow: the producer must sleep a random 1-2 s (times PIPES_LAB_TIME_SCALE) before every send, END included".into(),
        Failure::Timing { early: false, line, .. } if *line == 1 => "the first message arrived much later than its delay: the consumer seems to collect the messages and print them at the end. Print each one as soon as it is received".into(),
        Failure::Timing { early: false, .. } => "a line arrived later than the longest delays allow: print each message as soon as it is received, and sleep only 1-2 s times PIPES_LAB_TIME_SCALE per message".into(),
        Failure::Hang(_) => "the consumer waits for a message that never comes: it must stop after END, and the producer must send END after the last message".into(),
        Failure::LeftBehind(_) => "the parent exited before its children finished: wait for both the producer and the consumer before printing `done`".into(),
        Failure::Output { expected, actual } if expected.lines().count() == actual.lines().count() && !actual.ends_with("done\n") => "`done` must be the last line: print it only after both children have exited".into(),
        _ => return None,
    })
}
