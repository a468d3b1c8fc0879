//! 09_poll: one parent reading three children's pipes at once.

use super::super::cause::Cause;
use super::{Carried, Case, Expected, Failure, Kind, Schedule};
use crate::judging::failure::Since;
use crate::judging::mismatch;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;
use std::time::Duration;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "09_poll",
    random_cases: cases,
    require,
    cause,
    evidence: super::no_evidence,
    inputs: INPUTS,
    refuses_before_forking: false,
};

/// LINES, the only argument, and the time scale, which must be above 0 (the children's
/// deadlines would all fall at once).
const INPUTS: &[super::Input] = &[
    super::Input {
        name: "LINES",
        place: super::Place::Argument(0),
        domain: super::Domain::Whole { min: 1, max: 4 },
        fine: "3",
    },
    super::Input {
        name: "PIPES_LAB_TIME_SCALE",
        place: super::Place::Variable,
        domain: super::Domain::Finite {
            zero_allowed: false,
        },
        fine: "1",
    },
];

/// Scale of the delays (the lines come 0.3, 0.5 and 0.7 s apart at scale 1).
const SCALE: f64 = 0.5;
/// Allowance for start-up and scheduling on a loaded machine.
const SLACK: Duration = Duration::from_millis(300);

/// The lines in the order they must arrive, each with its time in tenths of a second (at
/// scale 1): child k's line j at j*(2k+3), its hang-up just after its last line.
fn events(lines: u32) -> Vec<(u32, String)> {
    let mut events: Vec<(u32, u32, String)> = Vec::new();
    for k in 0..3u32 {
        for j in 1..=lines {
            events.push((j * (2 * k + 3), 0, format!("[{k}] child {k} line {j}")));
        }
        events.push((lines * (2 * k + 3), 1, format!("[{k}] hang-up")));
    }
    events.sort();
    let end = events.last().map_or(0, |e| e.0);
    let mut out: Vec<(u32, String)> = events.into_iter().map(|(t, _, line)| (t, line)).collect();
    out.push((end, "done".into()));
    out
}

pub fn oracle(lines: u32) -> String {
    events(lines).into_iter().map(|(_, l)| l + "\n").collect()
}

fn schedule(lines: u32, scale: f64) -> Schedule {
    let times = events(lines)
        .into_iter()
        .map(|(t, _)| Duration::from_secs_f64(t as f64 / 10.0 * scale))
        .collect();
    Schedule {
        times,
        slack: SLACK,
        carried,
    }
}

/// `[k] child k line j` was carried by child k's line `child k line j`; `[k] hang-up` by its
/// pipe's hang-up; `done` follows the last of them.
fn carried(line: &str) -> Carried {
    let Some((tag, rest)) = line.split_once(' ') else {
        return Carried::Nothing;
    };
    let Some(k) = tag.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return Carried::Nothing;
    };
    let writer = format!("child {k}");
    if rest == "hang-up" {
        Carried::HangUp {
            prefix: format!("child {k} line "),
            writer,
        }
    } else {
        Carried::Line {
            text: rest.to_string(),
            writer,
        }
    }
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let lines = rng.random_range(1..=4u32);
    let mut case = Case::new(
        &format!("{lines} lines each, delays scaled by {SCALE}"),
        Kind::Random,
        vec![lines.to_string()],
        Expected::Exact(oracle(lines)),
    );
    case.env = vec![("PIPES_LAB_TIME_SCALE".into(), SCALE.to_string())];
    // Without the variable the delays are as written (scale 1): one line each, due by 0.7 s.
    // The X-ray notes each pause's length and lets it last a tenth of it; a line is early
    // only against when it would have come had they lasted what they asked.
    let mut unscaled = Case::new(
        "1 line each, PIPES_LAB_TIME_SCALE not set (the X-ray lets each pause last a tenth of what it asks)",
        Kind::Random,
        vec!["1".into()],
        Expected::Exact(oracle(1)),
    );
    unscaled.mishap = Some(Mishap::PausesShortened { by: 10 });
    // Each poll held until the children are asleep or gone: a child's last line and its
    // hang-up are in the pipe together, as a busy machine may have it on any run.
    let mut together = Case::new(
        "2 lines each, each poll held until the children sleep or have exited (the X-ray holds it), so a last line and its hang-up come together",
        Kind::Random,
        vec!["2".into()],
        Expected::Exact(oracle(2)),
    );
    together.env = vec![("PIPES_LAB_TIME_SCALE".into(), "0.2".into())];
    together.mishap = Some(Mishap::PollsWhenQuiet);
    vec![case, unscaled, together]
}

/// Every case, the transcript's included, is timed.
pub fn require(case: &mut Case) {
    let lines = case.args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let scale = case
        .env
        .iter()
        .find(|(k, _)| k == "PIPES_LAB_TIME_SCALE")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1.0);
    case.schedule = Some(schedule(lines, scale));
}

pub fn cause(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    // "Another order" only where the diff shows the right lines in another order: lines
    // missing or relabelled have words of their own (judging::mismatch).
    let reordered = match failure {
        Failure::Output { expected, actual } => matches!(
            mismatch::classify(expected, actual, ""),
            None | Some(mismatch::Mismatch::Reordered { .. })
        ),
        _ => true,
    };
    // What the X-ray saw decides between the usual suspects: no poll at all, children that
    // hold each other's pipes (the hang-ups come late), reads that split lines.
    let trace = run.trace.as_ref().and_then(|t| t.as_ref().ok());
    if let (Failure::Output { actual, .. } | Failure::Timing { text: actual, .. }, Some(trace)) =
        (failure, trace)
    {
        for check in ["children_polled", "own_pipe_only", "poll_blocks"] {
            if let Some((problem, cause)) =
                super::super::wiring::first_miss(trace, &[check], &case.args)
            {
                // A spinning poll's counts depend on the run: its fix alone, as its rule says.
                return Some(if check == "poll_blocks" {
                    cause
                } else {
                    Cause {
                        text: format!("the X-ray saw that {problem}: {cause}"),
                        topic: cause.topic,
                    }
                });
            }
        }
        let whole = |l: &str| {
            l.ends_with("hang-up") || l == "done" || l.contains(" line ") && l.starts_with('[')
        };
        let polled = trace.procs.first().is_some_and(|p| p.polls > 0);
        if trace.injected.reads_cut > 0 && actual.lines().any(|l| !whole(l)) {
            // No count: the cause must read the same on every seed (the report's cut line
            // has the numbers).
            return Some(Cause::on(
                Topic::Framing,
                "a line came out in pieces: the X-ray made some reads return fewer bytes than asked, as the kernel may at any time, and one read() was taken for one line. Keep a buffer per pipe, append what each read returns, and print only the complete lines in it",
            ));
        }
        if polled && reordered && matches!(failure, Failure::Output { .. }) {
            return Some(Cause::on(
                Topic::Poll,
                "the program polls, but the lines came in another order than the children wrote them: after each poll() print at once a line from every pipe it reported readable (POLLIN), print `[k] hang-up` when a read returns 0, and poll again; never wait for one pipe while another has a line",
            ));
        }
    }
    Some(match failure {
        Failure::Output { .. } if !reordered => return None,
        Failure::Output { .. } => Cause::on(Topic::Poll, "the lines came in another order than the children wrote them. Either the program reads one pipe after another instead of waiting on all three at once with poll, or a pipe hangs up late because another process still holds its write end; the X-ray tells which (cargo lab xray 9)"),
        Failure::Timing { early: true, .. } => "a line came before its child could have written it: each child sleeps until its next deadline (j*(2k+3)/10 s times PIPES_LAB_TIME_SCALE) before writing".into(),
        Failure::Timing { since: Since::Asked { .. } | Since::Woke { .. } | Since::WriterLate { .. }, .. } => "a child wrote its line later than its deadline: child k writes line j at j*(2k+3)/10 s times PIPES_LAB_TIME_SCALE after it starts; sleep until each deadline, then write at once".into(),
        Failure::Timing { text, since: Since::Written { .. }, .. } if text.ends_with("hang-up") => Cause::on(Topic::Eof, "a hang-up came late: a pipe hangs up only when every write end is closed, so the parent must close its copies after forking, and each child its copies of the other children's ends"),
        Failure::Timing { early: false, .. } => Cause::on(Topic::Poll, "a line came late: print each line the moment poll says its pipe is readable, not after the children end"),
        Failure::Hang(_) => Cause::on(Topic::Eof, "poll never reports hang-up while a write end of that pipe is still open: the parent must close all three write ends after forking, and each child its copies of the other children's ends"),
        Failure::Busy(_) => Cause::on(Topic::HangUp, "the parent spins: after a pipe's hang-up, stop polling it (drop it from the list, or set its fd negative), or poll returns at once forever"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parent that polls in a loop stops for the X-ray at every call, and its lines may
    /// come late because of it: what the X-ray saw is the verdict, not the clock.
    #[test]
    fn the_wiring_is_judged_before_the_times() {
        use crate::judging::judge::judge;
        use crate::sandbox::runner::{End, RunOutcome};
        let mut case = Case::new(
            "2 lines",
            Kind::Random,
            vec!["2".into()],
            Expected::Exact(oracle(2)),
        );
        case.env = vec![("PIPES_LAB_TIME_SCALE".into(), "0.5".into())];
        require(&mut case);
        let mut late = RunOutcome::empty(String::new());
        late.end = End::Exited(0);
        late.stdout = oracle(2).into_bytes();
        late.line_times = vec![Duration::from_secs(9); 10];
        let spins = Failure::Contract {
            expected: "poll() waits until a pipe is ready".into(),
            happened: "poll() reported pipe A hung up 14651 times".into(),
            cause: String::new(),
        };
        assert!(matches!(
            judge(&case, &late, None, &[], Some(&spins)),
            Some(Failure::Contract { .. })
        ));
        assert!(matches!(
            judge(&case, &late, None, &[], None),
            Some(Failure::Timing { .. })
        ));
    }

    #[test]
    fn the_order_of_two_lines_each() {
        assert_eq!(
            oracle(2),
            "[0] child 0 line 1\n[1] child 1 line 1\n[0] child 0 line 2\n[0] hang-up\n[2] child 2 line 1\n[1] child 1 line 2\n[1] hang-up\n[2] child 2 line 2\n[2] hang-up\ndone\n"
        );
        let s = schedule(2, 0.5);
        assert_eq!(s.times.len(), 10);
        assert_eq!(s.times[0], Duration::from_millis(150));
    }
}
