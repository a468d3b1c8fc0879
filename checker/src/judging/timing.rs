//! Timed cases (03's lines, 09's schedule), judged against what the program itself did
//! wherever the X-ray's timeline shows it, so that a busy machine cannot fail a right program:
//! a line may be late only relative to the write that carried it, a write only relative to
//! the end of its writer's pause, and a pause only against the longest delay; 09's lines must
//! follow the order in which the children really wrote, but for lines one poll found ready
//! together. A line can be early only against the clock, which no load makes run fast.
//! Without a timeline that accounts for every timed line, the clock alone judges, with
//! cumulative bounds (line k no later than its due time plus the slack).

use super::cases::{Carried, Case};
use super::failure::{Failure, Since};
use crate::sandbox::procfs::Object;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::{Happened, Mishap, Moment, SAMPLE_BYTES, Trace};
use std::time::Duration;

/// Grace for the clock's rounding: sleeps are never shorter than asked.
const ROUNDING: Duration = Duration::from_millis(1);
/// Grace for 09's schedule: the children start a little after the clock does.
const START_GRACE: Duration = Duration::from_millis(10);
/// Grace for a pause asked on the writer's own clock, read a moment later by the X-ray.
const PAUSE_GRACE: Duration = Duration::from_millis(5);

/// When one expected line may come, and what carried it.
struct Due {
    text: String,
    earliest: Duration,
    latest: Duration,
    carried: Carried,
}

/// A case's timed lines: their dues, the slack, the grace before a line counts as early, and
/// the longest pause a writer may take (03).
struct Timed {
    dues: Vec<Due>,
    slack: Duration,
    grace: Duration,
    longest_pause: Option<Duration>,
    /// The X-ray shortened every pause (`Mishap::PausesShortened`): a line is early only
    /// against when it would have come had they lasted what they asked.
    shortened: bool,
}

fn timed(case: &Case) -> Option<Timed> {
    let shortened = matches!(case.mishap, Some(Mishap::PausesShortened { .. }));
    let expected: Vec<&str> = case.stdout.text().lines().collect();
    if let Some(t) = &case.timing {
        let dues = (1..=t.lines.min(expected.len()))
            .map(|k| Due {
                text: expected[k - 1].to_string(),
                earliest: t.min * k as u32,
                latest: t.max * k as u32,
                carried: (t.carried)(expected[k - 1]),
            })
            .collect();
        return Some(Timed {
            dues,
            slack: t.slack,
            grace: ROUNDING,
            longest_pause: Some(t.max),
            shortened,
        });
    }
    let s = case.schedule.as_ref()?;
    let dues = s
        .times
        .iter()
        .zip(&expected)
        .map(|(due, text)| Due {
            text: text.to_string(),
            earliest: *due,
            latest: *due,
            carried: (s.carried)(text),
        })
        .collect();
    Some(Timed {
        dues,
        slack: s.slack,
        grace: START_GRACE,
        longest_pause: None,
        shortened,
    })
}

/// What carried one printed line, as the timeline shows it.
#[derive(Debug, Clone)]
struct Cause {
    /// When the bytes went into the pipe, or its last write end closed.
    at: Duration,
    /// When the write that carried them began: the bytes went in somewhere between this and
    /// `at`, the moment the X-ray saw the write return (the same moment for a hang-up).
    began: Duration,
    /// What waiting for a CPU had cost the writer and the X-ray by then.
    waited: Duration,
    writer: String,
    /// The channel that carried it.
    object: Object,
    /// The writer's pause before the write: when it began, when it asked to wake up, and in
    /// how many sleeps.
    pause: Option<Pause>,
    /// When the writing process was created.
    born: Duration,
    /// The latest wake-up its sleeps before the write asked for. A pause lasts at least what
    /// it asks, so this is never after the write; where the X-ray shortened the pauses, it is
    /// when the write would have come had they lasted what they asked.
    ahead: Duration,
}

/// The sleeps a writer took between two writes.
#[derive(Debug, Clone, Copy)]
struct Pause {
    began: Duration,
    woke: Duration,
    sleeps: usize,
    /// What waiting for a CPU had cost the writer and the X-ray when the pause began.
    waited: Duration,
}

/// The timeline's account of one run's output: when each stdout line was printed (and where
/// in the timeline), and what carried it.
struct Evidence<'t> {
    trace: &'t Trace,
    printed: Vec<(Duration, usize)>,
    causes: Vec<Option<Cause>>,
}

impl<'t> Evidence<'t> {
    /// The evidence for `lines`, or none where the timeline does not account for every line:
    /// no trace, a full timeline, a printed line it did not see, a carried line whose write it
    /// did not see (one-byte writes go untraced).
    fn gather(trace: &'t Trace, lines: &[&str], timed: &Timed) -> Option<Evidence<'t>> {
        if trace.timeline_full {
            return None;
        }
        let printed: Vec<(Duration, usize, &str)> = trace
            .timeline
            .iter()
            .enumerate()
            .filter_map(|(i, m)| match &m.what {
                Happened::Printed { line } => Some((m.at, i, line.as_str())),
                _ => None,
            })
            .collect();
        if printed.len() != lines.len()
            || printed
                .iter()
                .zip(lines)
                .any(|((_, _, seen), line)| !line.starts_with(*seen))
        {
            return None;
        }
        let mut used = Vec::new();
        let mut causes = Vec::new();
        for line in lines {
            let carried = timed
                .dues
                .iter()
                .find(|d| d.text == *line)
                .map_or(Carried::Nothing, |d| d.carried.clone());
            let cause = match &carried {
                Carried::Nothing => None,
                Carried::Line { text, writer } => {
                    let nth = used.iter().filter(|u| *u == text).count();
                    used.push(text.clone());
                    Some(written(trace, text, nth, writer)?)
                }
                Carried::HangUp { prefix, writer } => Some(hung_up(trace, prefix, writer)?),
            };
            causes.push(cause);
        }
        Some(Evidence {
            trace,
            printed: printed.into_iter().map(|(at, i, _)| (at, i)).collect(),
            causes,
        })
    }
}

/// When the `nth` (from 0) copy of `text` went into a pipe, in a line of its own, and the
/// pause its writer took before.
fn written(trace: &Trace, text: &str, nth: usize, writer: &str) -> Option<Cause> {
    let wanted = format!("{text}\n");
    let mut seen = 0;
    for io in trace.io.iter().filter(|io| io.writes) {
        if trace.output.contains(&io.object) {
            continue;
        }
        let mut start = 0;
        for line in io.sample.split_inclusive(|b| *b == b'\n') {
            let end = start + line.len();
            if line == wanted.as_bytes() {
                if seen == nth {
                    return cause_of_write(trace, io.pid, &io.object, start as u64, end as u64)
                        .map(|w| Cause {
                            at: w.at,
                            began: w.began,
                            waited: w.waited,
                            writer: writer.to_string(),
                            object: io.object.clone(),
                            pause: w.pause,
                            born: born(trace, io.pid),
                            ahead: w.ahead,
                        });
                }
                seen += 1;
            }
            start = end;
        }
        if io.sample.len() >= SAMPLE_BYTES {
            // The rest of this writer's bytes were not kept: the line may be among them.
            return None;
        }
    }
    None
}

/// The write that completed some bytes, as the timeline saw it.
struct WriteSeen {
    /// When it returned.
    at: Duration,
    began: Duration,
    /// What waiting for a CPU had cost by then.
    waited: Duration,
    /// The pause the writer took since its write before (when it took one it asked for).
    pause: Option<Pause>,
    /// The latest wake-up the writer's sleeps had asked for by then.
    ahead: Duration,
}

/// The write that completed bytes `start..end` of what `pid` wrote into `object`.
fn cause_of_write(
    trace: &Trace,
    pid: i32,
    object: &Object,
    start: u64,
    end: u64,
) -> Option<WriteSeen> {
    let mut since = Duration::ZERO;
    let mut pause: Option<Pause> = None;
    let mut ahead = Duration::ZERO;
    for m in trace.events_of(pid) {
        if let Happened::Slept { until, .. } = &m.what {
            ahead = ahead.max(*until);
        }
        match &m.what {
            Happened::Wrote {
                object: o,
                total,
                began,
                ..
            } if o == object => {
                if *total >= end {
                    return Some(WriteSeen {
                        at: m.at,
                        began: *began,
                        waited: m.waited,
                        pause,
                        ahead,
                    });
                }
                if *total <= start {
                    since = m.at;
                    pause = None;
                }
            }
            Happened::Slept { until, .. } if m.at >= since => {
                pause = Some(match pause {
                    Some(p) => Pause {
                        woke: p.woke.max(*until),
                        sleeps: p.sleeps + 1,
                        ..p
                    },
                    None => Pause {
                        began: m.at,
                        woke: *until,
                        sleeps: 1,
                        waited: m.waited,
                    },
                });
            }
            _ => {}
        }
    }
    None
}

/// When the pipe that carried lines beginning with `prefix` should have hung up: when its
/// writer let go of its write end. (A write end another process still holds delays the
/// hang-up; that is the program's doing, and the line counts as late.)
fn hung_up(trace: &Trace, prefix: &str, writer: &str) -> Option<Cause> {
    let io = trace.io.iter().find(|io| {
        io.writes && !trace.output.contains(&io.object) && io.sample.starts_with(prefix.as_bytes())
    })?;
    let (at, waited) = trace
        .events_of(io.pid)
        .filter(|m| {
            matches!(&m.what, Happened::Dropped { object, writes: true } if *object == io.object)
        })
        .map(|m| (m.at, m.waited))
        .last()?;
    Some(Cause {
        at,
        began: at,
        waited,
        writer: writer.to_string(),
        object: io.object.clone(),
        pause: None,
        born: born(trace, io.pid),
        ahead: asked_by(trace, |m| m.pid == io.pid && m.at <= at),
    })
}

/// The latest wake-up asked for by the sleeps among the moments `which` takes.
fn asked_by(trace: &Trace, which: impl Fn(&Moment) -> bool) -> Duration {
    trace
        .timeline
        .iter()
        .filter(|m| which(m))
        .filter_map(|m| match m.what {
            Happened::Slept { until, .. } => Some(until),
            _ => None,
        })
        .max()
        .unwrap_or_default()
}

/// When a process was created (the program itself at the start).
fn born(trace: &Trace, pid: i32) -> Duration {
    trace
        .events_of(pid)
        .find_map(|m| matches!(m.what, Happened::Started { .. }).then_some(m.at))
        .unwrap_or_default()
}

/// For 09, whose lines may come in another order than the schedule's when the children
/// really wrote in another order: `None` when there is no timeline to say (the schedule's
/// order stands), `Some(Ok)` when the output follows the order of the children's writes (lines
/// found ready by the same poll may come in any order), `Some(Err(expected))` when it does
/// not, with the output the children's writes called for.
pub fn order(case: &Case, outcome: &RunOutcome, stdout: &str) -> Option<Result<(), String>> {
    let timed = timed(case)?;
    case.schedule.as_ref()?;
    let trace = outcome.trace.as_ref()?.as_ref().ok()?;
    let lines: Vec<&str> = stdout.lines().collect();
    let mut expected: Vec<&str> = timed.dues.iter().map(|d| d.text.as_str()).collect();
    let mut sorted_actual = lines.clone();
    sorted_actual.sort_unstable();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort_unstable();
    if sorted_actual != sorted_expected || !stdout.ends_with('\n') {
        return None;
    }
    let evidence = Evidence::gather(trace, &lines, &timed)?;
    // The order the children's writes call for: each line after the ones carried before it;
    // a line carried by nothing (`done`) stays after the line it follows.
    let mut when = Vec::new();
    let mut last = Duration::ZERO;
    for line in &expected {
        let at = lines
            .iter()
            .position(|l| l == line)
            .and_then(|i| evidence.causes[i].as_ref())
            .map_or(last, |c| c.at);
        last = last.max(at);
        when.push(at);
    }
    let mut order: Vec<usize> = (0..expected.len()).collect();
    order.sort_by_key(|&i| (when[i], i));
    expected = order.into_iter().map(|i| expected[i]).collect();
    let called_for = expected
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    for i in 0..lines.len() {
        let Some(later) = &evidence.causes[i] else {
            continue;
        };
        // A line printed after line i although what carried it came first (its write had
        // returned before line i's write began: writes the X-ray saw at the same time, on a
        // busy machine, may have gone in either order): only a poll that found both ready
        // before line i was printed excuses it.
        let overtaken = evidence.causes[i + 1..].iter().flatten().any(|earlier| {
            earlier.at < later.began
                && (earlier.object == later.object
                    || !found_together(&evidence, i, &earlier.object))
        });
        if overtaken {
            return Some(Err(called_for));
        }
    }
    Some(Ok(()))
}

/// Whether the last poll its printer made before printing line `i` reported `object` ready.
fn found_together(evidence: &Evidence, i: usize, object: &Object) -> bool {
    let (_, index) = evidence.printed[i];
    let printer = evidence.trace.timeline[index].pid;
    evidence.trace.timeline[..index]
        .iter()
        .rev()
        .filter(|m| m.pid == printer)
        .find_map(|m| match &m.what {
            Happened::PollReturned { ready } => Some(ready),
            _ => None,
        })
        .is_some_and(|ready| ready.as_ref().is_some_and(|r| r.contains(object)))
}

/// Judges when the lines of a timed case came; `None` when they came in time.
pub fn judge(case: &Case, outcome: &RunOutcome, stdout: &str) -> Option<Failure> {
    let timed = timed(case)?;
    let lines: Vec<&str> = stdout.lines().collect();
    let trace = outcome.trace.as_ref().and_then(|t| t.as_ref().ok());
    match trace.and_then(|t| Evidence::gather(t, &lines, &timed)) {
        Some(evidence) => against_causes(&timed, &lines, &evidence),
        None => {
            // Pauses the X-ray shortened: a line is early only against the latest wake-up any
            // process had asked for by then (no timeline says which process carried it).
            let ahead: Vec<Duration> = match trace {
                Some(trace) if timed.shortened => (outcome.line_times.iter())
                    .map(|t| asked_by(trace, |m| m.at <= *t))
                    .collect(),
                _ => Vec::new(),
            };
            against_the_clock(&timed, &lines, &outcome.line_times, &ahead)
        }
    }
}

/// When line `k` counts as come, to tell whether it was early: when it was printed, or, when
/// the X-ray shortened the pauses before it, when it would have come had they lasted what
/// they asked.
fn counted(printed: Duration, ahead: Duration) -> (Duration, Since) {
    if ahead > printed {
        (ahead, Since::Counted { printed })
    } else {
        (printed, Since::Start)
    }
}

/// The due of a printed line, by its text (the first of equal lines not taken yet).
fn dues_of<'d>(timed: &'d Timed, lines: &[&str]) -> Vec<Option<&'d Due>> {
    let mut taken = vec![false; timed.dues.len()];
    lines
        .iter()
        .map(|line| {
            let i = (0..timed.dues.len()).find(|&i| !taken[i] && timed.dues[i].text == *line)?;
            taken[i] = true;
            Some(&timed.dues[i])
        })
        .collect()
}

fn failure(k: usize, text: &str, at: Duration, bound: Duration, since: Since) -> Failure {
    Failure::Timing {
        line: k + 1,
        text: text.to_string(),
        at,
        early: at < bound,
        bound,
        since,
    }
}

/// The clock alone: each line no earlier than its earliest time (counted with `ahead`, the
/// wake-ups asked for by its time, where pauses were shortened), no later than its latest
/// time plus the slack.
fn against_the_clock(
    timed: &Timed,
    lines: &[&str],
    times: &[Duration],
    ahead: &[Duration],
) -> Option<Failure> {
    for (k, (due, at)) in dues_of(timed, lines).into_iter().zip(times).enumerate() {
        let Some(due) = due else { continue };
        let (come, since) = counted(*at, ahead.get(k).copied().unwrap_or_default());
        if come + timed.grace < due.earliest {
            return Some(failure(k, lines[k], come, due.earliest, since));
        }
        if *at > due.latest + timed.slack {
            return Some(failure(
                k,
                lines[k],
                *at,
                due.latest + timed.slack,
                Since::Start,
            ));
        }
    }
    None
}

/// The timeline: early against the clock, late against what carried each line, not counting
/// the time the processes and the X-ray spent waiting for a CPU in between (a busy machine's
/// doing, not the program's).
fn against_causes(timed: &Timed, lines: &[&str], evidence: &Evidence) -> Option<Failure> {
    let slack = timed.slack;
    let dues = dues_of(timed, lines);
    let waited_at = |k: usize| evidence.trace.timeline[evidence.printed[k].1].waited;
    // A line carried by nothing comes after the lines before it: it is as far ahead as they.
    let mut ahead = Duration::ZERO;
    for k in 0..lines.len() {
        if let Some(cause) = &evidence.causes[k] {
            ahead = ahead.max(cause.ahead);
        }
        let Some(due) = dues[k] else { continue };
        let (printed, _) = evidence.printed[k];
        let fail = |at, bound, since| Some(failure(k, lines[k], at, bound, since));
        let line_ahead = match &evidence.causes[k] {
            _ if !timed.shortened => Duration::ZERO,
            Some(cause) => cause.ahead,
            None => ahead,
        };
        let (come, since) = counted(printed, line_ahead);
        if come + timed.grace < due.earliest {
            return fail(come, due.earliest, since);
        }
        let Some(cause) = &evidence.causes[k] else {
            // Carried by nothing: it follows the line before it.
            if k > 0 {
                let before = evidence.printed[k - 1].0;
                let waited = waited_at(k).saturating_sub(waited_at(k - 1));
                if printed > before + slack + waited {
                    let since = Since::Before { before, waited };
                    return fail(printed, before + slack + waited, since);
                }
            }
            continue;
        };
        let writer = cause.writer.clone();
        let waited = waited_at(k).saturating_sub(cause.waited);
        if printed > cause.at + slack + waited {
            let since = Since::Written {
                written: cause.at,
                writer,
                waited,
            };
            return fail(printed, cause.at + slack + waited, since);
        }
        if !matches!(due.carried, Carried::Line { .. }) {
            continue;
        }
        match cause.pause {
            Some(pause) => {
                let (began, woke) = (pause.began, pause.woke);
                if let Some(longest) = timed.longest_pause
                    && woke > began + longest + PAUSE_GRACE
                {
                    let sleeps = pause.sleeps;
                    let since = Since::Paused {
                        began,
                        writer,
                        sleeps,
                    };
                    return fail(woke, began + longest, since);
                }
                // 09: a child's deadlines count from its own start.
                if timed.longest_pause.is_none() && woke > cause.born + due.latest + slack {
                    let since = Since::Asked { writer };
                    return fail(woke, cause.born + due.latest + slack, since);
                }
                // A writer is late by when its write began: the X-ray may see the write
                // return later than it did, when it is busy with another process's stops.
                let waited = cause.waited.saturating_sub(pause.waited);
                if cause.began > woke + slack + waited {
                    let since = Since::Woke {
                        woke,
                        writer,
                        waited,
                    };
                    return fail(cause.began, woke + slack + waited, since);
                }
            }
            None if cause.began > due.latest + slack + cause.waited => {
                let waited = cause.waited;
                let since = Since::WriterLate { writer, waited };
                return fail(cause.began, due.latest + slack + waited, since);
            }
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::cases::{Expected, Kind, Schedule, Timing};
    use crate::sandbox::trace::Io;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A timeline written by hand: what each process did, when.
    #[derive(Default)]
    struct Timeline(Trace);

    impl Timeline {
        fn at(&mut self, when: u64, pid: i32, what: Happened) -> &mut Self {
            self.0.timeline.push(Moment {
                at: ms(when),
                pid,
                what,
                waited: Duration::ZERO,
            });
            self
        }
        fn wrote(&mut self, when: u64, pid: i32, pipe: u64, text: &str) -> &mut Self {
            self.wrote_from(when, when, pid, pipe, text)
        }
        /// A write the X-ray saw begin at `began` and return at `when`.
        fn wrote_from(
            &mut self,
            began: u64,
            when: u64,
            pid: i32,
            pipe: u64,
            text: &str,
        ) -> &mut Self {
            let object = Object::Pipe(pipe);
            let io = match self
                .0
                .io
                .iter_mut()
                .find(|io| io.pid == pid && io.object == object && io.writes)
            {
                Some(io) => io,
                None => {
                    self.0.io.push(Io {
                        pid,
                        object: object.clone(),
                        writes: true,
                        ..Io::default()
                    });
                    self.0.io.last_mut().expect("just pushed")
                }
            };
            io.sample.extend_from_slice(text.as_bytes());
            io.bytes += text.len() as u64;
            let (bytes, total) = (text.len() as u64, io.bytes);
            self.at(
                when,
                pid,
                Happened::Wrote {
                    object,
                    bytes,
                    total,
                    began: ms(began),
                },
            )
        }
        /// What waiting for a CPU had cost by the last moment.
        fn waited(&mut self, waited: u64) -> &mut Self {
            if let Some(last) = self.0.timeline.last_mut() {
                last.waited = ms(waited);
            }
            self
        }
        fn slept(&mut self, when: u64, pid: i32, until: u64) -> &mut Self {
            self.at(
                when,
                pid,
                Happened::Slept {
                    until: ms(until),
                    asked: None,
                },
            )
        }
        fn printed(&mut self, when: u64, line: &str) -> &mut Self {
            let line = line.to_string();
            self.at(when, 1, Happened::Printed { line })
        }
        fn polled(&mut self, when: u64, ready: &[u64]) -> &mut Self {
            let ready = Some(ready.iter().map(|p| Object::Pipe(*p)).collect());
            self.at(when, 1, Happened::PollReturned { ready })
        }
        fn dropped(&mut self, when: u64, pid: i32, pipe: u64) -> &mut Self {
            let object = Object::Pipe(pipe);
            let writes = true;
            self.at(when, pid, Happened::Dropped { object, writes })
        }
        /// The outcome of a run that printed what the timeline printed, whose runner saw
        /// every line at `seen`.
        fn outcome(&self, seen: u64) -> (RunOutcome, String) {
            let stdout: String = self
                .0
                .timeline
                .iter()
                .filter_map(|m| match &m.what {
                    Happened::Printed { line } => Some(format!("{line}\n")),
                    _ => None,
                })
                .collect();
            let mut outcome = RunOutcome::empty(String::new());
            outcome.line_times = vec![ms(seen); stdout.lines().count()];
            outcome.stdout = stdout.clone().into_bytes();
            outcome.trace = Some(Ok(self.0.clone()));
            (outcome, stdout)
        }
    }

    fn message(line: &str) -> Carried {
        match line.strip_prefix("got ") {
            Some(text) => Carried::Line {
                text: text.into(),
                writer: "the producer".into(),
            },
            None => Carried::Nothing,
        }
    }

    /// 03's shape: two messages, each after a pause of 0.1 to 0.2 s.
    fn producer_case() -> Case {
        let mut case = Case::new(
            "timed",
            Kind::Timed,
            Vec::new(),
            Expected::Exact("got a\ngot b\n".into()),
        );
        case.timing = Some(Timing {
            lines: 2,
            min: ms(100),
            max: ms(200),
            slack: ms(250),
            carried: message,
        });
        case
    }

    fn since(failure: Option<Failure>) -> Option<Since> {
        match failure {
            Some(Failure::Timing { since, .. }) => Some(since),
            other => panic!("not a timing failure: {other:?}"),
        }
    }

    #[test]
    fn on_a_busy_machine_lines_are_judged_against_their_writes_not_the_clock() {
        // Everything started 0.6 s late, as under a heavy load; each step followed the one
        // before at once. The clock alone fails line 1 (due by 0.45 s); the writes pass it.
        let mut t = Timeline::default();
        t.slept(600, 2, 750)
            .wrote(752, 2, 7, "a\n")
            .printed(760, "got a")
            .slept(753, 2, 900)
            .wrote(901, 2, 7, "b\n")
            .printed(905, "got b");
        let (outcome, stdout) = t.outcome(905);
        assert!(judge(&producer_case(), &outcome, &stdout).is_none());
        let mut blind = outcome.clone();
        blind.trace = None;
        assert_eq!(
            since(judge(&producer_case(), &blind, &stdout)),
            Some(Since::Start)
        );
    }

    #[test]
    fn a_consumer_that_holds_the_lines_back_is_late() {
        let mut t = Timeline::default();
        t.slept(1, 2, 150)
            .wrote(151, 2, 7, "a\n")
            .slept(152, 2, 300)
            .wrote(301, 2, 7, "b\n")
            .printed(700, "got a")
            .printed(701, "got b");
        let (outcome, stdout) = t.outcome(701);
        let failure = judge(&producer_case(), &outcome, &stdout);
        assert!(matches!(
            failure,
            Some(Failure::Timing { line: 1, early: false, since: Since::Written { written, .. }, .. })
                if written == ms(151)
        ));
    }

    #[test]
    fn time_spent_waiting_for_a_cpu_is_not_the_program_s_lateness() {
        // Printed 0.4 s after the write; the consumer and the X-ray waited 0.3 s of it for a
        // CPU in between.
        let mut t = Timeline::default();
        t.slept(1, 2, 150)
            .wrote(151, 2, 7, "a\n")
            .waited(10)
            .printed(551, "got a")
            .waited(310);
        let (outcome, stdout) = t.outcome(551);
        let mut case = producer_case();
        case.stdout = Expected::Exact("got a\n".into());
        assert!(judge(&case, &outcome, &stdout).is_none());
        // Only 0.1 s of waiting: the rest is the program's.
        t.waited(110);
        let (outcome, stdout) = t.outcome(551);
        assert!(matches!(
            since(judge(&case, &outcome, &stdout)),
            Some(Since::Written { waited, .. }) if waited == ms(100)
        ));
    }

    #[test]
    fn a_producer_that_pauses_too_long_or_holds_its_writes_back_is_late() {
        let mut t = Timeline::default();
        t.slept(1, 2, 500)
            .wrote(501, 2, 7, "a\n")
            .printed(502, "got a");
        let (outcome, stdout) = t.outcome(502);
        assert!(matches!(
            since(judge(&producer_case(), &outcome, &stdout)),
            Some(Since::Paused { sleeps: 1, .. })
        ));
        // A BufWriter: two pauses, then both messages in one write.
        let mut t = Timeline::default();
        t.slept(1, 2, 150)
            .slept(151, 2, 300)
            .wrote(301, 2, 7, "a\nb\n")
            .printed(302, "got a")
            .printed(303, "got b");
        let (outcome, stdout) = t.outcome(303);
        assert!(matches!(
            since(judge(&producer_case(), &outcome, &stdout)),
            Some(Since::Paused { sleeps: 2, .. })
        ));
        // A line sooner than the delays allow is early, whatever the writes say.
        let mut t = Timeline::default();
        t.wrote(5, 2, 7, "a\n").printed(6, "got a");
        let (outcome, stdout) = t.outcome(6);
        assert!(matches!(
            judge(&producer_case(), &outcome, &stdout),
            Some(Failure::Timing {
                early: true,
                since: Since::Start,
                ..
            })
        ));
    }

    fn child_line(line: &str) -> Carried {
        let (tag, rest) = line.split_once(' ').unwrap_or(("", ""));
        let k = tag.trim_matches(['[', ']']);
        let writer = format!("child {k}");
        match rest {
            "" => Carried::Nothing,
            "hang-up" => Carried::HangUp {
                prefix: format!("c{k} "),
                writer,
            },
            text => Carried::Line {
                text: text.into(),
                writer,
            },
        }
    }

    /// 09's shape, cut down: child 0's line at 0.30 s, child 1's at 0.35 s.
    fn poll_case() -> Case {
        let mut case = Case::new(
            "poll",
            Kind::Random,
            Vec::new(),
            Expected::Exact("[0] c0 l1\n[1] c1 l1\ndone\n".into()),
        );
        case.schedule = Some(Schedule {
            times: vec![ms(300), ms(350), ms(350)],
            slack: ms(300),
            carried: child_line,
        });
        case
    }

    /// Child 1 woke up first on a busy machine: its line went into its pipe before child 0's.
    fn swapped_writes() -> Timeline {
        let mut t = Timeline::default();
        t.at(1, 10, Happened::Started { parent: 1 })
            .at(2, 11, Happened::Started { parent: 1 })
            .slept(3, 10, 300)
            .slept(4, 11, 350)
            .wrote(380, 11, 21, "c1 l1\n")
            .wrote(390, 10, 20, "c0 l1\n");
        t
    }

    #[test]
    fn lines_come_in_the_order_the_children_really_wrote() {
        let mut t = swapped_writes();
        t.polled(381, &[21])
            .printed(382, "[1] c1 l1")
            .polled(391, &[20])
            .printed(392, "[0] c0 l1")
            .printed(393, "done");
        let (outcome, stdout) = t.outcome(393);
        assert_eq!(order(&poll_case(), &outcome, &stdout), Some(Ok(())));
        assert!(judge(&poll_case(), &outcome, &stdout).is_none());
    }

    #[test]
    fn lines_one_poll_found_together_may_come_in_either_order() {
        let mut t = swapped_writes();
        t.polled(395, &[20, 21])
            .printed(396, "[0] c0 l1")
            .printed(397, "[1] c1 l1")
            .printed(398, "done");
        let (outcome, stdout) = t.outcome(398);
        assert_eq!(order(&poll_case(), &outcome, &stdout), Some(Ok(())));
    }

    #[test]
    fn a_line_held_back_while_another_was_waited_for_is_out_of_order() {
        // Child 1's line was there first, but the parent waited on child 0's pipe alone.
        let mut t = swapped_writes();
        t.polled(391, &[20])
            .printed(392, "[0] c0 l1")
            .polled(393, &[21])
            .printed(394, "[1] c1 l1")
            .printed(395, "done");
        let (outcome, stdout) = t.outcome(395);
        assert_eq!(
            order(&poll_case(), &outcome, &stdout),
            Some(Err("[1] c1 l1\n[0] c0 l1\ndone\n".into()))
        );
        // Without a timeline, the schedule's order stands.
        let mut blind = outcome.clone();
        blind.trace = None;
        assert_eq!(order(&poll_case(), &blind, &stdout), None);
    }

    /// Child 1's write seen from 378 ms to 382 ms, child 0's from `began` to 392 ms (a busy
    /// X-ray saw it return late); the parent printed child 0's line first.
    fn child_0_printed_first(began: u64) -> (RunOutcome, String) {
        let mut t = Timeline::default();
        t.at(1, 10, Happened::Started { parent: 1 })
            .at(2, 11, Happened::Started { parent: 1 })
            .slept(3, 10, 300)
            .slept(4, 11, 350)
            .wrote_from(378, 382, 11, 21, "c1 l1\n")
            .wrote_from(began, 392, 10, 20, "c0 l1\n")
            .polled(393, &[20])
            .printed(394, "[0] c0 l1")
            .polled(395, &[21])
            .printed(396, "[1] c1 l1")
            .printed(397, "done");
        t.outcome(397)
    }

    #[test]
    fn writes_the_x_ray_saw_at_the_same_time_may_have_gone_in_either_order() {
        // Child 0's write began before child 1's returned: its line may have gone in first.
        let (outcome, stdout) = child_0_printed_first(375);
        assert_eq!(order(&poll_case(), &outcome, &stdout), Some(Ok(())));
        // Had it begun after child 1's returned, its line came second.
        let (outcome, stdout) = child_0_printed_first(385);
        assert_eq!(
            order(&poll_case(), &outcome, &stdout),
            Some(Err("[1] c1 l1\n[0] c0 l1\ndone\n".into()))
        );
    }

    /// `poll_case` with the pauses shortened tenfold, run by children that asked to wake up
    /// at `asked` (child 0, then child 1) and wrote a tenth of that after their start.
    fn shortened(asked: [u64; 2]) -> (Case, RunOutcome, String, RunOutcome) {
        let mut case = poll_case();
        case.mishap = Some(Mishap::PausesShortened { by: 10 });
        let mut t = Timeline::default();
        let [first, second] = asked;
        t.at(1, 10, Happened::Started { parent: 1 })
            .at(2, 11, Happened::Started { parent: 1 })
            .slept(3, 10, first)
            .slept(4, 11, second)
            .wrote(first / 10 + 1, 10, 20, "c0 l1\n")
            .polled(first / 10 + 2, &[20])
            .printed(first / 10 + 3, "[0] c0 l1")
            .wrote(second / 10 + 1, 11, 21, "c1 l1\n")
            .polled(second / 10 + 2, &[21])
            .printed(second / 10 + 3, "[1] c1 l1")
            .printed(second / 10 + 4, "done");
        let (outcome, stdout) = t.outcome(second / 10 + 4);
        // The same run where the timeline missed the prints: the clock judges.
        let mut blind = outcome.clone();
        if let Some(Ok(trace)) = &mut blind.trace {
            trace
                .timeline
                .retain(|m| !matches!(m.what, Happened::Printed { .. }));
        }
        blind.line_times = vec![ms(first / 10 + 3), ms(second / 10 + 3), ms(second / 10 + 4)];
        (case, outcome, stdout, blind)
    }

    #[test]
    fn shortened_pauses_count_at_the_lengths_they_asked_for() {
        // Right: each child asked to wake up at its time, and slept a tenth of it.
        let (case, outcome, stdout, blind) = shortened([300, 350]);
        assert!(judge(&case, &outcome, &stdout).is_none());
        assert!(judge(&case, &blind, &stdout).is_none());
        // Unshortened, the same lines came far too early.
        let mut plain = case.clone();
        plain.mishap = None;
        assert!(matches!(
            judge(&plain, &outcome, &stdout),
            Some(Failure::Timing {
                early: true,
                since: Since::Start,
                ..
            })
        ));
        // Half the delays (a default scale of 0.5): early even counted at what they asked.
        let (case, outcome, stdout, blind) = shortened([150, 175]);
        // Without the prints in the timeline, the latest wake-up any child had asked for by
        // then (child 1's) counts.
        for (run, counted) in [(&outcome, 150), (&blind, 175)] {
            assert!(matches!(
                judge(&case, run, &stdout),
                Some(Failure::Timing { line: 1, early: true, at, since: Since::Counted { .. }, .. }) if at == ms(counted)
            ));
        }
        // Ten times the delays: late by what they asked, however short the X-ray made them.
        let (case, outcome, stdout, _) = shortened([3000, 3500]);
        assert!(matches!(
            judge(&case, &outcome, &stdout),
            Some(Failure::Timing {
                line: 1,
                early: false,
                since: Since::Asked { .. },
                ..
            })
        ));
    }

    #[test]
    fn a_hang_up_is_late_when_another_process_kept_the_pipe_open() {
        let mut case = poll_case();
        case.stdout = Expected::Exact("[0] c0 l1\n[0] hang-up\n".into());
        case.schedule = Some(Schedule {
            times: vec![ms(300), ms(300)],
            slack: ms(300),
            carried: child_line,
        });
        let mut t = Timeline::default();
        t.at(1, 10, Happened::Started { parent: 1 })
            .slept(3, 10, 300)
            .wrote(301, 10, 20, "c0 l1\n")
            .polled(302, &[20])
            .printed(303, "[0] c0 l1")
            .dropped(304, 10, 20)
            // Another child held a copy of the write end until it exited, 0.9 s later.
            .dropped(1200, 11, 20)
            .polled(1201, &[20])
            .printed(1202, "[0] hang-up");
        let (outcome, stdout) = t.outcome(1202);
        assert!(matches!(
            judge(&case, &outcome, &stdout),
            Some(Failure::Timing { line: 2, since: Since::Written { written, .. }, .. }) if written == ms(304)
        ));
    }
}
