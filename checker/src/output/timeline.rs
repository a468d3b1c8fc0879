//! The X-ray's timeline of a run as a page a student opens: one lane per process, from its
//! start to its exit, with each write into a pipe, FIFO or socket (and its byte count), each
//! read begun, each line printed, each sleep and each end let go, and where the checker judged
//! a hang. One self-contained HTML file (an SVG inside, no script, font or network), readable
//! without colour: every mark has a shape, a label and a title a keyboard reaches.

use crate::judging::failure::Failure;
use crate::judging::verdict::CaseFailure;
use crate::judging::wiring::model::Wiring;
use crate::sandbox::hang::Snapshot;
use crate::sandbox::procfs::Object;
use crate::sandbox::trace::{Happened, Trace, WaitOn};
use std::fmt::Write as _;
use std::time::Duration;

/// The most marks a page draws: a run that writes a byte at a time would make a page too big
/// to open; the page says how many it left out.
const MOST_MARKS: usize = 4000;
/// A read shorter than this did not wait: it is not shaded.
const SHORTEST_WAIT: f64 = 0.001;

/// One process's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// `P2 02_duplex_pipe`: as the report names the process, with the program it ran last.
    pub label: String,
    /// When it started and ended, in seconds from the run's start (its end: the run's, for a
    /// process still running then).
    pub from: f64,
    pub to: f64,
    /// Whether its exit was seen.
    pub exited: bool,
    /// How it ended, as the X-ray's picture says it (`exit 0`, `killed by SIGPIPE`).
    pub ending: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    Wrote,
    ReadBegan,
    Printed,
    Dropped,
    PollReturned,
}

impl MarkKind {
    /// The mark's shape (a path around 0,0) and its word in the legend.
    fn shape(self) -> (&'static str, &'static str) {
        match self {
            MarkKind::Wrote => (
                "M0,-6 L5,4 L-5,4 Z",
                "wrote into a channel (▲, with its byte count)",
            ),
            MarkKind::ReadBegan => ("M0,6 L5,-4 L-5,-4 Z", "began a read (▼)"),
            MarkKind::Printed => ("M-4,-4 H4 V4 H-4 Z", "printed a line on stdout (■)"),
            MarkKind::Dropped => ("M-4,-4 L4,4 M4,-4 L-4,4", "let go of a pipe end (×)"),
            MarkKind::PollReturned => ("M-5,0 A5,5 0 1,0 5,0 A5,5 0 1,0 -5,0", "poll returned (○)"),
        }
    }
}

/// One moment on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub lane: usize,
    pub at: f64,
    pub kind: MarkKind,
    /// What the title (and a screen reader) says.
    pub text: String,
    /// A short label drawn beside it (a byte count), if any.
    pub label: Option<String>,
}

/// A stretch of a lane: a sleep, or a read from its start to the process's next moment (a
/// read that waited is shaded as long as it waited).
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub lane: usize,
    pub from: f64,
    pub to: f64,
    pub kind: Waiting,
    pub text: String,
    /// A wait still going when the run ended (a hang's, most often): drawn on its own, never
    /// folded into the waits before it.
    pub to_the_end: bool,
}

/// What a process waited for over a span, each drawn with a pattern of its own, so that they
/// are told apart without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Waiting {
    /// Bytes to read (plain grey).
    Read,
    /// A timer: a sleep it asked for, not a block (diagonal lines).
    Sleep,
    /// Room in a full pipe to write into (vertical lines).
    Write,
    /// A child to exit (dots).
    Child,
    /// Any of the ends it polls (horizontal lines).
    Poll,
    /// The other end of a FIFO to be opened (crossed lines).
    Open,
}

impl Waiting {
    const ALL: [Waiting; 6] = [
        Waiting::Read,
        Waiting::Sleep,
        Waiting::Write,
        Waiting::Child,
        Waiting::Poll,
        Waiting::Open,
    ];

    /// Its pattern's id and drawing (none: plain grey), and its words in the legend.
    fn pattern(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Waiting::Read => (
                "",
                "",
                "a grey bar: a read waiting for bytes, from its start to the process's next step",
            ),
            Waiting::Sleep => ("sleep", "M0,6 L6,0", "diagonal lines: a sleep"),
            Waiting::Write => (
                "write",
                "M3,0 V6",
                "vertical lines: a write waiting for room in a full pipe",
            ),
            Waiting::Child => ("child", "M3,3 h0.1", "dots: a wait for a child to exit"),
            Waiting::Poll => (
                "poll",
                "M0,3 H6",
                "horizontal lines: a poll waiting for any of its ends",
            ),
            Waiting::Open => (
                "open",
                "M0,6 L6,0 M0,0 L6,6",
                "crossed lines: opening a FIFO, waiting for its other end to be opened",
            ),
        }
    }
}

/// Everything a page draws, in seconds from the run's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub lanes: Vec<Lane>,
    pub marks: Vec<Mark>,
    pub spans: Vec<Span>,
    /// The end of the run as the checker saw it.
    pub end: f64,
    /// Where the checker judged a hang, if it did.
    pub hang_at: Option<f64>,
    /// Marks left out past `MOST_MARKS`.
    pub left_out: usize,
    /// Where the X-ray's timeline ran full (`TIMELINE_CAP` moments): nothing after it is
    /// drawn, though the run went on.
    pub full_at: Option<f64>,
    /// What the X-ray marks with `!` in its picture (an end leaked into an exec'd program, a
    /// reader holding its own pipe's write end), said under the timeline.
    pub marked: Vec<String>,
    /// Each write joined to the read of the other end that took its bytes.
    pub links: Vec<Passage>,
    /// The ends each process held, from when it got them to when it let go.
    pub held: Vec<Held>,
    /// At a hang, the processes that waited for each other in a circle, as the hang section
    /// of the report names them: (lane, the lane it waits for, what for).
    pub circle: Vec<(usize, usize, String)>,
    /// The first line of stdout that differs from the expected output: the printed mark that
    /// began it, if the X-ray saw it, and what the page says about it.
    pub first_wrong: Option<(Option<usize>, String)>,
}

/// An end of a pipe, FIFO or socket that a process held for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub lane: usize,
    pub fd: i32,
    pub object: Object,
    pub writes: bool,
    pub from: f64,
    pub to: f64,
    /// It came with the process (inherited at the fork), rather than made, opened or dup'ed.
    pub inherited: bool,
    /// The X-ray marks it `!`: leaked into a program the process exec'd.
    pub leaked: bool,
}

impl Held {
    fn text(&self, who: &str) -> String {
        format!(
            "{who} held fd {}, the {} end of {}{}, {} from {:.3} s to {:.3} s",
            self.fd,
            if self.writes { "write" } else { "read" },
            self.object,
            if self.leaked {
                " (! leaked into the program it started)"
            } else {
                ""
            },
            if self.inherited { "inherited" } else { "got" },
            self.from,
            self.to,
        )
    }
}

/// Bytes on their way: from a write on one lane to the read on another that took them (the
/// moment that reader's read returned, or began, if the bytes were waiting in the channel).
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub from: (usize, f64),
    pub to: (usize, f64),
    /// Its title: who to whom, how many bytes, and the bytes themselves as the X-ray kept them.
    pub text: String,
}

/// The layout of a traced run that lasted `ended` (and hung, if `hung`), its processes named
/// as the report names them (`names`, in the trace's order).
pub fn layout(trace: &Trace, names: &[String], ended: Duration, hung: bool) -> Layout {
    let end = ended.as_secs_f64();
    let lane_of = |pid: i32| trace.procs.iter().position(|p| p.pid == pid);
    let mut lanes: Vec<Lane> = (0..trace.procs.len())
        .map(|i| Lane {
            label: names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("P{}", i + 1)),
            from: 0.0,
            to: end,
            exited: false,
            ending: trace.procs[i].exit.map(|e| match e {
                crate::sandbox::trace::Exit::Code(c) => format!("exit {c}"),
                crate::sandbox::trace::Exit::Signal(s) => format!("killed by {}", s.as_str()),
            }),
        })
        .collect();
    let mut marks = Vec::new();
    let mut spans = Vec::new();
    let mut left_out = 0;
    // The moment each process last began a read, until its next moment.
    // The moment each process last began a call that may wait (a read, a poll, a wait for a
    // child), what it waited on, and which kind of wait: until its next moment.
    let mut reading: Vec<Option<(f64, String, Waiting)>> = vec![None; lanes.len()];
    let mut passages = Passages::new(trace, lanes.len());
    // Per lane, the ends it holds now (their `to` is set when it lets go).
    let mut holding: Vec<Vec<Held>> = vec![Vec::new(); lanes.len()];
    let mut held = Vec::new();
    let channel = |o: &Object| !matches!(o, Object::Other(_)) && !trace.output.contains(o);
    for (lane, p) in trace.procs.iter().enumerate() {
        holding[lane] = p
            .inherited
            .iter()
            .filter(|f| channel(&f.object))
            .map(|f| Held {
                lane,
                fd: f.fd,
                object: f.object.clone(),
                writes: f.writes,
                from: 0.0,
                to: 0.0,
                inherited: true,
                leaked: false,
            })
            .collect();
    }
    for m in &trace.timeline {
        let Some(lane) = lane_of(m.pid) else { continue };
        let at = m.at.as_secs_f64();
        // After a hang's verdict the checker stops every process: what follows is its doing.
        if hung && at > end {
            continue;
        }
        passages.moment(lane, at, &m.what, &lanes);
        // A call that came back at once waited for nothing: only a wait is shaded.
        if let Some((from, what, kind)) = reading[lane].take()
            && at - from >= SHORTEST_WAIT
        {
            spans.push(Span {
                lane,
                from,
                to: at,
                kind,
                text: format!("{} {what} from {from:.3} s to {at:.3} s", lanes[lane].label),
                to_the_end: false,
            });
        }
        let who = lanes[lane].label.clone();
        let (kind, text, label) = match &m.what {
            Happened::Started { .. } => {
                lanes[lane].from = at;
                for h in &mut holding[lane] {
                    h.from = at;
                }
                continue;
            }
            Happened::WaitBegan { on } => {
                reading[lane] = Some(match on {
                    WaitOn::Poll => (at, "waited in poll".into(), Waiting::Poll),
                    WaitOn::Child => (at, "waited for a child".into(), Waiting::Child),
                });
                continue;
            }
            Happened::Gained { object, writes, fd } => {
                holding[lane].push(Held {
                    lane,
                    fd: *fd,
                    object: object.clone(),
                    writes: *writes,
                    from: at,
                    to: at,
                    inherited: false,
                    leaked: false,
                });
                continue;
            }
            Happened::Exited => {
                lanes[lane].to = at;
                lanes[lane].exited = true;
                continue;
            }
            Happened::Slept { until, .. } => {
                let to = until.as_secs_f64().min(end);
                spans.push(Span {
                    lane,
                    from: at,
                    to: to.max(at),
                    kind: Waiting::Sleep,
                    text: format!("{who} slept from {at:.3} s until {to:.3} s"),
                    to_the_end: false,
                });
                continue;
            }
            Happened::ReadBegan { object, cut } => {
                reading[lane] = Some((at, format!("read {object}"), Waiting::Read));
                let (how, label) = match cut {
                    true => (
                        ", cut short by the X-ray (it asked for fewer bytes, as the kernel may)",
                        Some("cut".to_string()),
                    ),
                    false => ("", None),
                };
                (
                    MarkKind::ReadBegan,
                    format!("{who} began a read of {object} at {at:.3} s{how}"),
                    label,
                )
            }
            Happened::Wrote { object, bytes, .. } => (
                MarkKind::Wrote,
                format!("{who} wrote {bytes} B into {object} at {at:.3} s"),
                Some(format!("{bytes} B")),
            ),
            Happened::Printed { line } => (
                MarkKind::Printed,
                format!("{who} printed `{line}` at {at:.3} s"),
                None,
            ),
            Happened::Dropped { object, writes } => {
                if let Some(i) = holding[lane]
                    .iter()
                    .position(|h| h.object == *object && h.writes == *writes)
                {
                    let mut h = holding[lane].remove(i);
                    h.to = at;
                    held.push(h);
                }
                (
                    MarkKind::Dropped,
                    format!(
                        "{who} let go of the {} end of {object} at {at:.3} s",
                        if *writes { "write" } else { "read" }
                    ),
                    None,
                )
            }
            Happened::PollReturned { ready } => (
                MarkKind::PollReturned,
                match ready {
                    Some(r) if !r.is_empty() => format!(
                        "{who}'s poll returned at {at:.3} s: ready {}",
                        r.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => format!("{who}'s poll returned at {at:.3} s"),
                },
                None,
            ),
        };
        if marks.len() < MOST_MARKS {
            marks.push(Mark {
                lane,
                at,
                kind,
                text,
                label,
            });
        } else {
            left_out += 1;
        }
    }
    // Ends still held at the end: held until the process's end (or the run's).
    for (lane, ends) in holding.into_iter().enumerate() {
        for mut h in ends {
            h.to = lanes[lane].to.max(h.from);
            held.push(h);
        }
    }
    // A wait still going at the end waited until then (a hang, most often).
    for (lane, read) in reading.into_iter().enumerate() {
        if let Some((from, what, kind)) = read {
            let to = lanes[lane].to.max(from);
            spans.push(Span {
                lane,
                from,
                to,
                kind,
                text: format!(
                    "{} {what} from {from:.3} s until the end",
                    lanes[lane].label
                ),
                to_the_end: true,
            });
        }
    }
    Layout {
        lanes,
        marks,
        spans,
        end,
        hang_at: hung.then_some(end),
        left_out,
        full_at: trace
            .timeline_full
            .then(|| trace.timeline.last().map_or(0.0, |m| m.at.as_secs_f64())),
        marked: Vec::new(),
        links: passages.done,
        held,
        circle: Vec::new(),
        first_wrong: None,
    }
}

/// Joins writes to the reads that took their bytes, moment by moment: a write goes to a
/// reader already waiting on the other end (the read returns at that reader's next moment),
/// or else waits in the channel for the next read begun there.
struct Passages<'t> {
    trace: &'t Trace,
    /// Per lane, the end its read waits on, from its last moment.
    waiting: Vec<Option<Object>>,
    /// Per lane, the writes that woke its waiting read.
    woken: Vec<Vec<(usize, f64, String)>>,
    /// Writes no read has taken yet, by the end they are to be read from.
    in_channel: Vec<(Object, usize, f64, String)>,
    done: Vec<Passage>,
}

impl<'t> Passages<'t> {
    fn new(trace: &'t Trace, lanes: usize) -> Passages<'t> {
        Passages {
            trace,
            waiting: vec![None; lanes],
            woken: vec![Vec::new(); lanes],
            in_channel: Vec::new(),
            done: Vec::new(),
        }
    }

    /// The end a write into `object` is read from: the other socket of a pair, else itself.
    fn read_end(&self, object: &Object) -> Object {
        if let Object::Socket(inode) = object {
            for (a, b) in &self.trace.socket_pairs {
                if a == inode {
                    return Object::Socket(*b);
                }
                if b == inode {
                    return Object::Socket(*a);
                }
            }
        }
        object.clone()
    }

    /// A write's title: the bytes as the X-ray kept them (the first `SAMPLE_BYTES` a process
    /// wrote into an end), escaped and cut at 80 characters.
    fn what(&self, pid: i32, object: &Object, bytes: u64, total: u64) -> String {
        let sample = self
            .trace
            .io
            .iter()
            .find(|io| io.pid == pid && io.writes && io.object == *object)
            .map(|io| io.sample.as_slice())
            .unwrap_or_default();
        let from = total.saturating_sub(bytes) as usize;
        match sample.get(from..total as usize) {
            Some(b) => {
                let shown = format!("{:?}", String::from_utf8_lossy(b));
                match shown.char_indices().nth(80) {
                    Some((i, _)) => format!("{bytes} B: {}...", &shown[..i]),
                    None => format!("{bytes} B: {shown}"),
                }
            }
            None => format!("{bytes} B (past the bytes the X-ray keeps)"),
        }
    }

    fn moment(&mut self, lane: usize, at: f64, what: &Happened, lanes: &[Lane]) {
        if self.done.len() >= MOST_MARKS {
            return;
        }
        // Its read returned: the writes that woke it arrived now.
        for (from, when, text) in std::mem::take(&mut self.woken[lane]) {
            self.done.push(Passage {
                from: (from, when),
                to: (lane, at),
                text: format!("{} to {}: {text}", lanes[from].label, lanes[lane].label),
            });
        }
        self.waiting[lane] = None;
        match what {
            Happened::Wrote {
                object,
                bytes,
                total,
                ..
            } => {
                let Some(pid) = self.trace.procs.get(lane).map(|p| p.pid) else {
                    return;
                };
                let end = self.read_end(object);
                let text = self.what(pid, object, *bytes, *total);
                let reader = (0..self.waiting.len())
                    .find(|&l| l != lane && self.waiting[l].as_ref() == Some(&end));
                match reader {
                    Some(l) => self.woken[l].push((lane, at, text)),
                    None => self.in_channel.push((end, lane, at, text)),
                }
            }
            Happened::ReadBegan { object, .. } => {
                let (taken, left): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_channel)
                    .into_iter()
                    .partition(|(end, from, ..)| end == object && *from != lane);
                self.in_channel = left;
                for (_, from, when, text) in taken {
                    self.done.push(Passage {
                        from: (from, when),
                        to: (lane, at),
                        text: format!("{} to {}: {text}", lanes[from].label, lanes[lane].label),
                    });
                }
                self.waiting[lane] = Some(object.clone());
            }
            _ => {}
        }
    }
}

/// Keeps a reported failure's timeline beside its other files (`timeline.html`), where the
/// X-ray traced the run.
pub fn keep(f: &CaseFailure) {
    let (Some(dir), Some(Ok(trace))) = (&f.kept, &f.outcome.trace) else {
        return;
    };
    let seen = Seen {
        ended: f.outcome.elapsed,
        hung: matches!(f.failure, Failure::Hang(_) | Failure::Busy(_)),
        snapshot: f.outcome.hang.as_ref(),
        failure: Some(&f.failure),
    };
    let page = html(&of_run(trace, &seen), &f.command);
    let _ = std::fs::write(dir.join("timeline.html"), page);
}

/// What the checker saw of a run besides its trace.
pub struct Seen<'a> {
    pub ended: Duration,
    /// The checker judged a hang at the end.
    pub hung: bool,
    /// Every process as it was at that moment.
    pub snapshot: Option<&'a Snapshot>,
    /// The case's failure, if it failed.
    pub failure: Option<&'a Failure>,
}

/// The layout of a traced run, its processes named and its ends marked as the X-ray's
/// picture names and marks them, with the circle of waits of a hang and the first wrong line.
pub fn of_run(trace: &Trace, seen: &Seen) -> Layout {
    let wiring = Wiring::build(trace.clone());
    // The X-ray's name and the pid, by which the report's hang section names a process.
    let names: Vec<String> = (0..wiring.nodes.len())
        .map(|i| format!("{}, pid {}", wiring.who(i), wiring.nodes[i].pid))
        .collect();
    let mut l = layout(trace, &names, seen.ended, seen.hung);
    l.marked = super::drawing::marks(&wiring);
    // The leaked copy is the last one held under that number (a number may be used again).
    for leak in &wiring.leaks {
        let last = l
            .held
            .iter_mut()
            .filter(|h| h.lane == leak.node && h.fd == leak.fd)
            .max_by(|a, b| a.from.total_cmp(&b.from));
        if let Some(h) = last {
            h.leaked = true;
        }
    }
    let lane_of = |pid: i32| trace.procs.iter().position(|p| p.pid == pid);
    if let (true, Some(snapshot)) = (seen.hung, seen.snapshot) {
        blocked_at_hang(&mut l, snapshot, &lane_of);
        l.circle = snapshot
            .circle()
            .into_iter()
            .filter_map(|(from, to, why)| Some((lane_of(from)?, lane_of(to)?, why)))
            .collect();
    }
    if let Some(Failure::Output { expected, actual }) = seen.failure {
        l.first_wrong = first_wrong(&l, expected, actual);
    }
    l
}

/// What each process was blocked in when the checker judged the hang, shaded from its last
/// moment to the hang (a read the X-ray saw begin is shaded already).
fn blocked_at_hang(l: &mut Layout, snapshot: &Snapshot, lane_of: &dyn Fn(i32) -> Option<usize>) {
    use crate::sandbox::hang::Doing;
    use crate::sandbox::syscalls::Call;
    for p in &snapshot.procs {
        let (Some(lane), Doing::Blocked(call)) = (lane_of(p.pid), &p.doing) else {
            continue;
        };
        let (kind, what) = match call {
            Call::Read(_) => (Waiting::Read, "was blocked reading"),
            Call::Write(_) => (Waiting::Write, "was blocked writing into a full pipe"),
            Call::Wait(_) => (Waiting::Child, "was waiting for a child to exit"),
            Call::Poll => (Waiting::Poll, "was blocked in poll"),
            Call::Open => (Waiting::Open, "was blocked opening a FIFO"),
            Call::Sleep => (Waiting::Sleep, "was sleeping"),
            _ => continue,
        };
        let drawn = l
            .spans
            .iter()
            .any(|s| s.lane == lane && s.kind == kind && s.to >= l.end - 1e-9);
        if drawn {
            continue;
        }
        let from = l
            .marks
            .iter()
            .filter(|m| m.lane == lane)
            .map(|m| m.at)
            .chain(
                l.spans
                    .iter()
                    .filter(|s| s.lane == lane && s.to < l.end)
                    .map(|s| s.to),
            )
            .fold(l.lanes[lane].from, f64::max)
            .min(l.end);
        l.spans.push(Span {
            lane,
            from,
            to: l.end,
            kind,
            text: format!(
                "{} {what} from {from:.3} s until the hang",
                l.lanes[lane].label
            ),
            to_the_end: true,
        });
    }
}

/// The first line of `actual` that differs from `expected`, found among the printed marks
/// (the k-th line printed, if the X-ray saw it begin with the same text), and the words for
/// it; a missing line has no mark.
fn first_wrong(l: &Layout, expected: &str, actual: &str) -> Option<(Option<usize>, String)> {
    let (exp, act): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let k = (0..exp.len().max(act.len())).find(|&k| exp.get(k) != act.get(k))?;
    let Some(line) = act.get(k) else {
        return Some((
            None,
            format!(
                "stdout ended after {k} lines; line {} should have been `{}`",
                k + 1,
                exp.get(k).unwrap_or(&"")
            ),
        ));
    };
    let mut printed: Vec<usize> = (0..l.marks.len())
        .filter(|&i| l.marks[i].kind == MarkKind::Printed)
        .collect();
    printed.sort_by(|&a, &b| l.marks[a].at.total_cmp(&l.marks[b].at));
    // The mark's text quotes the line's first 80 characters, as the X-ray keeps it.
    let begun: String = line.chars().take(80).collect();
    let mark = printed
        .get(k)
        .copied()
        .filter(|&i| l.marks[i].text.contains(&format!("`{begun}")));
    let expected = match exp.get(k) {
        Some(e) => format!("`{e}` was expected"),
        None => "no more lines were expected".into(),
    };
    let place = match mark {
        Some(i) => format!(
            ", printed by {} at {:.3} s",
            l.lanes[l.marks[i].lane].label, l.marks[i].at
        ),
        None => String::new(),
    };
    Some((
        mark,
        format!(
            "line {} of stdout, `{line}`{place}, is the first wrong one: {expected}",
            k + 1
        ),
    ))
}

/// Where a moment goes across the page, from 0 to 1: half of the width follows the clock, so
/// that pauses keep their lengths, and half is shared out equally between the moments, so that
/// a burst of writes within a millisecond spreads out instead of piling up. Monotonic: the
/// order of moments is always their order in time.
struct Axis {
    end: f64,
    /// The moments drawn, in order.
    times: Vec<f64>,
}

/// The share of the width that follows the clock.
const CLOCK_SHARE: f64 = 0.5;

impl Axis {
    fn of(layout: &Layout) -> Axis {
        let mut times: Vec<f64> = layout
            .marks
            .iter()
            .map(|m| m.at)
            .chain(layout.spans.iter().flat_map(|s| [s.from, s.to]))
            .chain(layout.lanes.iter().flat_map(|l| [l.from, l.to]))
            .chain(layout.held.iter().flat_map(|h| [h.from, h.to]))
            .filter(|t| t.is_finite() && *t >= 0.0 && *t <= layout.end)
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        Axis {
            end: layout.end,
            times,
        }
    }

    fn at(&self, t: f64) -> f64 {
        if self.end <= 0.0 {
            return 0.0;
        }
        let t = t.clamp(0.0, self.end);
        let clock = t / self.end;
        let n = self.times.len();
        if n < 2 {
            return clock;
        }
        // The moments before t, and how far t is into the gap to the next one.
        let i = self.times.partition_point(|&m| m <= t);
        let rank = match i {
            0 => 0.0,
            i if i >= n => (n - 1) as f64,
            i => {
                let (a, b) = (self.times[i - 1], self.times[i]);
                (i - 1) as f64 + (t - a) / (b - a)
            }
        };
        CLOCK_SHARE * clock + (1.0 - CLOCK_SHARE) * rank / (n - 1) as f64
    }

    /// The time drawn at `share` of the width (the inverse of `at`, by bisection).
    fn time_at(&self, share: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, self.end);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if self.at(mid) < share {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo + hi) / 2.0
    }
}

/// Text safe inside HTML and SVG, attributes included.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

const LANE: f64 = 48.0;
/// Marks of one kind on a lane closer than this, in pixels, are drawn as one.
const FOLD_PX: f64 = 3.0;
/// The rows of held ends under a lane; more ends at once are told in a line under the page.
const HELD_ROWS: usize = 4;
const LEFT: f64 = 180.0;
const WIDTH: f64 = 1000.0;
const TOP: f64 = 30.0;

/// The page for `layout`, titled `title` (the command that ran).
pub fn html(layout: &Layout, title: &str) -> String {
    html_beside(layout, None, title)
}

/// The page for `layout`, with `reference` (the reference solution's run of the same command
/// and seed) drawn under it where there is one.
pub fn html_beside(layout: &Layout, reference: Option<&Layout>, title: &str) -> String {
    let (svg, unseen) = drawing(layout, title, "");
    let beside = match reference {
        Some(r) => {
            let (drawn, _) = drawing(r, title, "-reference");
            format!(
                "<h2>The reference solution, same command, same seed</h2>\n<p>How the workbook's own solution ran the same command, the X-ray cutting the same reads short: compare the lanes, the ends held and where each waits.</p>\n{drawn}"
            )
        }
        None => String::new(),
    };
    page(layout, title, &svg, unseen, &beside)
}

/// The drawing alone, as an image a document embeds: a picture of what such a run does, so
/// without the run's pids.
pub fn svg(layout: &Layout, title: &str) -> String {
    let (drawn, _) = drawing(layout, title, "");
    let mut out = String::with_capacity(drawn.len());
    let mut rest = drawn.as_str();
    while let Some(i) = rest.find(", pid ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + ", pid ".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(", pid ");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The SVG of one run, its ids ending in `key` (two drawings share a page), and how many held
/// ends it left out.
fn drawing(layout: &Layout, title: &str, key: &str) -> (String, usize) {
    let plot = WIDTH - LEFT - 20.0;
    let axis = Axis::of(layout);
    let x = |t: f64| LEFT + axis.at(t) * plot;
    let y = |lane: usize| TOP + LANE * lane as f64 + LANE / 2.0;
    let height = TOP + LANE * layout.lanes.len() as f64 + 40.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="caption{key}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<title id="caption{key}">Timeline of {}: one lane per process, time from left to right</title>"#,
        escape(title)
    );
    // A pattern for each kind of wait, told apart without colour; arrowheads for the bytes'
    // way and the circle of waits.
    svg.push_str("<defs>");
    for kind in Waiting::ALL {
        let (id, path, _) = kind.pattern();
        if !id.is_empty() {
            let _ = write!(
                svg,
                r##"<pattern id="{id}{key}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/><path d="{path}" stroke="#333" stroke-width="1.2" stroke-linecap="round"/></pattern>"##
            );
        }
    }
    let _ = writeln!(
        svg,
        r##"<marker id="head{key}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 Z" fill="#000"/></marker></defs>"##
    );
    // The time axis: ten ticks, evenly spaced on the page, each at the real time it marks,
    // with as many decimals as it takes to tell the closest two apart.
    let ticks: Vec<f64> = (0..=10).map(|k| axis.time_at(k as f64 / 10.0)).collect();
    let closest = ticks
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let decimals = if closest > 0.0 && closest.is_finite() {
        (-closest.log10()).ceil().clamp(2.0, 6.0) as usize
    } else {
        3
    };
    for t in ticks {
        let _ = writeln!(
            svg,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{0:.1}" y="{2:.1}" font-size="10" text-anchor="middle">{t:.decimals$} s</text>"##,
            x(t),
            height - 30.0,
            height - 16.0
        );
    }
    for (i, lane) in layout.lanes.iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<g tabindex="0"><title>{label} from {from:.3} s to {to:.3} s{ending}</title><text x="8" y="{text_y:.1}" font-size="12">{label}</text><line x1="{x1:.1}" y1="{line_y:.1}" x2="{x2:.1}" y2="{line_y:.1}" stroke="#000" stroke-width="2"/><text x="{x2:.1}" y="{end_y:.1}" font-size="9" text-anchor="end">{short}</text></g>"##,
            label = escape(&lane.label),
            from = lane.from,
            to = lane.to,
            // A process still running at the verdict was ended by the checker, not by itself.
            ending = match (&lane.ending, lane.exited) {
                (Some(how), true) => format!(", {how}"),
                (None, true) => ", exited".to_string(),
                (_, false) => {
                    ", still running when the run ended (the checker stopped it)".to_string()
                }
            },
            short = match lane.exited {
                true => escape(lane.ending.as_deref().unwrap_or("")),
                false => String::new(),
            },
            end_y = y(i) + 12.0,
            text_y = y(i) + 4.0,
            x1 = x(lane.from),
            x2 = x(lane.to),
            line_y = y(i),
        );
    }
    // The ends each process held, in thin rows under its lane: a solid line for a write end,
    // a dashed one for a read end, a thick one with `!` for a leaked end.
    let mut rows: Vec<Vec<f64>> = vec![Vec::new(); layout.lanes.len()];
    let mut held: Vec<&Held> = layout.held.iter().collect();
    held.sort_by(|a, b| a.from.total_cmp(&b.from));
    let mut unseen = 0;
    for h in held {
        let lane_rows = &mut rows[h.lane];
        let row = match lane_rows.iter().position(|&free| free <= h.from) {
            Some(r) => r,
            None if lane_rows.len() < HELD_ROWS => {
                lane_rows.push(0.0);
                lane_rows.len() - 1
            }
            None => {
                unseen += 1;
                continue;
            }
        };
        lane_rows[row] = h.to;
        let py = y(h.lane) + 9.0 + 3.0 * row as f64;
        let dash = if h.writes {
            ""
        } else {
            r#" stroke-dasharray="3,2""#
        };
        let width = if h.leaked { 2.5 } else { 1.0 };
        let _ = write!(
            svg,
            r##"<g tabindex="0" class="held"><title>{}</title><line x1="{:.1}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#000" stroke-width="{width}"{dash}/>"##,
            escape(&h.text(&layout.lanes[h.lane].label)),
            x(h.from),
            x(h.to).max(x(h.from) + 1.0),
        );
        if h.leaked {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" font-weight="bold">!</text>"#,
                x(h.from) - 6.0,
                py + 3.0
            );
        }
        svg.push_str("</g>\n");
    }
    // Spans of one kind on a lane that touch, or nearly (FOLD_PX), are drawn as one bar.
    let mut bars: Vec<(usize, f64, f64, usize, f64)> = Vec::new();
    let mut last_bar: std::collections::HashMap<(usize, Waiting), usize> = Default::default();
    let mut order: Vec<usize> = (0..layout.spans.len()).collect();
    order.sort_by(|&a, &b| layout.spans[a].from.total_cmp(&layout.spans[b].from));
    for i in order {
        let s = &layout.spans[i];
        let (x1, x2) = (x(s.from), x(s.to));
        if let Some(&b) = last_bar.get(&(s.lane, s.kind))
            && x1 - bars[b].2 < FOLD_PX
            && !s.to_the_end
        {
            bars[b].2 = bars[b].2.max(x2);
            bars[b].3 += 1;
            bars[b].4 = s.to;
            continue;
        }
        bars.push((i, x1, x2, 0, s.to));
        last_bar.insert((s.lane, s.kind), bars.len() - 1);
    }
    for (i, x1, x2, more, until) in bars {
        let s = &layout.spans[i];
        let fill = match s.kind.pattern() {
            ("", ..) => "#bbb".to_string(),
            (id, ..) => format!("url(#{id}{key})"),
        };
        let folded = match more {
            0 => String::new(),
            n => format!(" (and {n} more like it until {until:.3} s, drawn as one)"),
        };
        let _ = writeln!(
            svg,
            r##"<rect tabindex="0" x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" fill="{fill}" stroke="#555"><title>{}{folded}</title></rect>"##,
            y(s.lane) - 6.0,
            (x2 - x1).max(1.0),
            escape(&s.text)
        );
    }
    // Marks of one kind closer than FOLD_PX on a lane are drawn as one, whose title counts
    // the others (a run of thousands of writes stays a line of triangles, not a smudge); a
    // byte count is written only where the last one leaves room.
    let mut groups: Vec<(usize, f64, usize, f64)> = Vec::new();
    let mut last: std::collections::HashMap<(usize, MarkKind), usize> = Default::default();
    for (i, m) in layout.marks.iter().enumerate() {
        let px = x(m.at);
        if let Some(&g) = last.get(&(m.lane, m.kind))
            && px - groups[g].1 < FOLD_PX
        {
            groups[g].2 += 1;
            groups[g].3 = m.at;
            continue;
        }
        groups.push((i, px, 0, m.at));
        last.insert((m.lane, m.kind), groups.len() - 1);
    }
    let mut labelled = vec![f64::NEG_INFINITY; layout.lanes.len()];
    for (i, px, more, until) in groups {
        let m = &layout.marks[i];
        let (path, _) = m.kind.shape();
        let py = y(m.lane) - 14.0;
        let folded = match more {
            0 => String::new(),
            n => format!(" (and {n} more like it until {until:.3} s, drawn as one)"),
        };
        let _ = write!(
            svg,
            r##"<g tabindex="0" transform="translate({px:.1},{py:.1})"><title>{}{folded}</title><path d="{path}" fill="#fff" stroke="#000"/>"##,
            escape(&m.text)
        );
        let label = m.label.as_ref().map(|label| match more {
            0 => label.clone(),
            n => format!("{label} +{n}"),
        });
        // About 5 pixels a character at this size.
        let half = label
            .as_ref()
            .map_or(0.0, |l| l.chars().count() as f64 * 2.5);
        if let Some(label) = label
            && px - half >= labelled[m.lane] + 2.0
        {
            labelled[m.lane] = px + half;
            let _ = write!(
                svg,
                r#"<text y="-8" font-size="9" text-anchor="middle">{}</text>"#,
                escape(&label)
            );
        }
        svg.push_str("</g>\n");
    }
    // Bytes on their way: a dotted arrow from each write to the read that took them; arrows
    // between the same lanes whose ends both fall within FOLD_PX are drawn as one.
    let mut arrows: Vec<(usize, f64, f64, usize)> = Vec::new();
    let mut last_arrow: std::collections::HashMap<(usize, usize), usize> = Default::default();
    for (i, p) in layout.links.iter().enumerate() {
        let (x1, x2) = (x(p.from.1), x(p.to.1));
        if let Some(&a) = last_arrow.get(&(p.from.0, p.to.0))
            && (x1 - arrows[a].1).abs() < FOLD_PX
            && (x2 - arrows[a].2).abs() < FOLD_PX
        {
            arrows[a].3 += 1;
            continue;
        }
        arrows.push((i, x1, x2, 0));
        last_arrow.insert((p.from.0, p.to.0), arrows.len() - 1);
    }
    for (i, x1, x2, more) in arrows {
        let p = &layout.links[i];
        let folded = match more {
            0 => String::new(),
            n => format!(" (and {n} more passages like it, drawn as one)"),
        };
        let _ = writeln!(
            svg,
            r##"<g tabindex="0" class="passage"><title>{}{folded}</title><line x1="{x1:.1}" y1="{:.1}" x2="{x2:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="2,2" marker-end="url(#head{key})"/></g>"##,
            escape(&p.text),
            y(p.from.0) - 14.0,
            y(p.to.0) - 14.0,
        );
    }
    if let Some((Some(i), text)) = &layout.first_wrong
        && let Some(m) = layout.marks.get(*i)
    {
        let _ = writeln!(
            svg,
            r##"<g tabindex="0" id="first-wrong{key}"><title>{}</title><rect x="{:.1}" y="{:.1}" width="16" height="16" fill="none" stroke="#000" stroke-width="3"/><text x="{:.1}" y="{:.1}" font-size="10">first wrong line</text></g>"##,
            escape(text),
            x(m.at) - 8.0,
            y(m.lane) - 22.0,
            x(m.at) + 10.0,
            y(m.lane) - 24.0,
        );
    }
    if let Some(at) = layout.full_at {
        let _ = writeln!(
            svg,
            r##"<g tabindex="0"><title>the X-ray kept no more moments after {at:.3} s: what the run did after it is not drawn</title><line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1:.1}" stroke="#000" stroke-width="1" stroke-dasharray="1,3"/><text x="{0:.1}" y="{2:.1}" font-size="10" text-anchor="middle">the X-ray kept no more</text></g>"##,
            x(at),
            height - 30.0,
            TOP - 8.0
        );
    }
    if let Some(at) = layout.hang_at {
        // The circle of waits, drawn just before the hang's line: each arrow from a process
        // to the one it waits for.
        for (k, (from, to, why)) in layout.circle.iter().enumerate() {
            let bend = x(at) - 24.0 - 10.0 * k as f64;
            if from == to {
                // Waiting for itself: a loop on its own lane.
                let (px, py) = (x(at) - 4.0, y(*from));
                let _ = writeln!(
                    svg,
                    r##"<g tabindex="0" class="wait"><title>{0} waits for itself: {1}</title><path d="M{px:.1},{2:.1} C{3:.1},{4:.1} {3:.1},{5:.1} {px:.1},{6:.1}" fill="none" stroke="#000" stroke-width="2" marker-end="url(#head{key})"/></g>"##,
                    escape(&layout.lanes[*from].label),
                    escape(why),
                    py - 4.0,
                    px - 40.0,
                    py - 22.0,
                    py + 18.0,
                    py + 4.0,
                );
                continue;
            }
            let _ = writeln!(
                svg,
                r##"<g tabindex="0" class="wait"><title>{} waits for {}: {}</title><path d="M{:.1},{:.1} Q{bend:.1},{:.1} {:.1},{:.1}" fill="none" stroke="#000" stroke-width="2" marker-end="url(#head{key})"/></g>"##,
                escape(&layout.lanes[*from].label),
                escape(&layout.lanes[*to].label),
                escape(why),
                x(at) - 4.0,
                y(*from),
                (y(*from) + y(*to)) / 2.0,
                x(at) - 4.0,
                y(*to),
            );
        }
        let _ = writeln!(
            svg,
            r##"<g tabindex="0"><title>the checker judged a hang here, at {at:.3} s</title><line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1:.1}" stroke="#000" stroke-width="3" stroke-dasharray="6,3"/><text x="{2:.1}" y="{3:.1}" font-size="11" text-anchor="end">hang judged here</text></g>"##,
            x(at),
            height - 30.0,
            x(at) - 4.0,
            TOP - 8.0
        );
    }
    svg.push_str("</svg>\n");
    (svg, unseen)
}

/// The page around a drawing: the notes on the run, the reference beside it, the legend.
fn page(layout: &Layout, title: &str, svg: &str, unseen: usize, beside: &str) -> String {
    let mut legend = String::new();
    for kind in [
        MarkKind::Wrote,
        MarkKind::ReadBegan,
        MarkKind::Printed,
        MarkKind::Dropped,
        MarkKind::PollReturned,
    ] {
        let _ = writeln!(legend, "<li>{}</li>", escape(kind.shape().1));
    }
    legend.push_str("<li>time runs from left to right, stretched where much happens at once and squeezed where nothing does: the ticks give the real times, and each mark's title its own</li>\n");
    for kind in Waiting::ALL {
        let _ = writeln!(legend, "<li>{}</li>", escape(kind.pattern().2));
    }
    legend.push_str("<li>a dashed line: where the checker judged a hang; solid arrows before it: who waits for whom there</li>\n");
    legend.push_str("<li>thin lines under a lane: the ends the process held, from when it got them to when it let go (solid: a write end; dashed: a read end; thick with !: leaked into a program it started)</li>\n");
    legend.push_str("<li>a dotted arrow: bytes from a write to the read that took them (its title shows the bytes)</li>\n");
    legend.push_str(
        "<li>a thick square: the first line of stdout that differs from the expected output</li>\n",
    );
    let mut note = if layout.left_out > 0 {
        format!(
            "<p>{} more moments were left out: the page draws at most {MOST_MARKS}.</p>\n",
            layout.left_out
        )
    } else {
        String::new()
    };
    if let Some(at) = layout.full_at {
        let _ = writeln!(
            note,
            "<p>The X-ray keeps the first {} moments of a run: it kept no more after {at:.3} s, so what the run did after that is not drawn (lanes, and ends still held, simply run on to the end).</p>",
            crate::sandbox::trace::TIMELINE_CAP
        );
    }
    if unseen > 0 {
        let _ = writeln!(
            note,
            "<p>{unseen} held ends were left out: a lane shows at most {HELD_ROWS} at once.</p>"
        );
    }
    if !layout.circle.is_empty() {
        note.push_str("<h2>The circle of waits</h2>\n<p>At the hang, these processes waited for each other, so none could go on:</p>\n<ol>\n");
        for (from, to, why) in &layout.circle {
            let whom = if from == to {
                "itself".to_string()
            } else {
                escape(&layout.lanes[*to].label)
            };
            let _ = writeln!(
                note,
                "<li>{} waits for {whom}: {}</li>",
                escape(&layout.lanes[*from].label),
                escape(why)
            );
        }
        note.push_str("</ol>\n");
    }
    if let Some((_, text)) = &layout.first_wrong {
        let _ = writeln!(
            note,
            "<h2>The first wrong line</h2>\n<p>{}</p>",
            escape(text)
        );
    }
    if !layout.marked.is_empty() {
        note.push_str("<h2>Marked by the X-ray</h2>\n<ul>\n");
        for m in &layout.marked {
            let _ = writeln!(note, "<li>! {}</li>", escape(m));
        }
        note.push_str("</ul>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>X-ray timeline: {t}</title>\n<style>body{{font-family:sans-serif;margin:1em}} g:focus,rect:focus{{outline:2px solid #000}}</style>\n</head>\n<body>\n<h1>X-ray timeline</h1>\n<p><code>{t}</code></p>\n{svg}{note}{beside}<h2>Legend</h2>\n<ul>\n{legend}</ul>\n<p>Tab moves from mark to mark; each one's title says what happened, when, and in which process.</p>\n</body>\n</html>\n",
        t = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::trace::{Io, Moment, TracedProcess};

    fn moment(ms: u64, pid: i32, what: Happened) -> Moment {
        Moment {
            at: Duration::from_millis(ms),
            pid,
            what,
            waited: Duration::ZERO,
        }
    }

    fn names() -> Vec<String> {
        vec!["P1 (the program)".into(), "P2 (child of P1)".into()]
    }

    /// A parent (10) that forks a child (11) and reads a pipe the child writes into, then
    /// hangs in a second read.
    fn trace() -> Trace {
        let procs = [10, 11]
            .map(|pid| TracedProcess {
                pid,
                ..TracedProcess::default()
            })
            .to_vec();
        let pipe = Object::Pipe(7);
        let timeline = vec![
            moment(10, 11, Happened::Started { parent: 10 }),
            moment(
                20,
                10,
                Happened::ReadBegan {
                    object: pipe.clone(),
                    cut: true,
                },
            ),
            moment(
                30,
                11,
                Happened::Slept {
                    until: Duration::from_millis(80),
                    asked: None,
                },
            ),
            moment(
                80,
                11,
                Happened::Wrote {
                    object: pipe.clone(),
                    bytes: 6,
                    total: 6,
                    began: Duration::ZERO,
                },
            ),
            moment(
                81,
                10,
                Happened::Printed {
                    line: "received: <hi>".into(),
                },
            ),
            moment(90, 11, Happened::Exited),
            moment(
                95,
                10,
                Happened::ReadBegan {
                    object: pipe,
                    cut: false,
                },
            ),
        ];
        Trace {
            procs,
            timeline,
            ..Trace::default()
        }
    }

    #[test]
    fn lanes_follow_the_processes_from_start_to_exit() {
        let l = layout(&trace(), &names(), Duration::from_millis(200), true);
        assert_eq!(l.lanes.len(), 2);
        assert_eq!(
            (l.lanes[0].from, l.lanes[0].to, l.lanes[0].exited),
            (0.0, 0.2, false)
        );
        assert_eq!(
            (l.lanes[1].from, l.lanes[1].to, l.lanes[1].exited),
            (0.01, 0.09, true)
        );
        assert_eq!(l.hang_at, Some(0.2));
    }

    #[test]
    fn a_poll_or_a_wait_is_shaded_until_the_process_s_next_moment() {
        let mut t = trace();
        t.timeline.retain(|m| m.at < Duration::from_millis(95));
        t.timeline
            .push(moment(96, 10, Happened::WaitBegan { on: WaitOn::Child }));
        t.timeline.push(moment(150, 10, Happened::Exited));
        t.timeline
            .push(moment(82, 11, Happened::WaitBegan { on: WaitOn::Poll }));
        t.timeline.sort_by_key(|m| m.at);
        let l = layout(&t, &names(), Duration::from_millis(200), false);
        let waits: Vec<(usize, Waiting, f64, f64)> = l
            .spans
            .iter()
            .filter(|s| matches!(s.kind, Waiting::Child | Waiting::Poll))
            .map(|s| (s.lane, s.kind, s.from, s.to))
            .collect();
        // The child's poll from 82 ms to its exit at 90 ms, and the parent's wait from
        // 96 ms to its exit at 150 ms.
        assert_eq!(
            waits,
            [
                (1, Waiting::Poll, 0.082, 0.09),
                (0, Waiting::Child, 0.096, 0.15)
            ]
        );
        assert!(
            l.spans
                .iter()
                .any(|s| s.text.contains("waited for a child from 0.096 s"))
        );
    }

    #[test]
    fn a_lane_ends_with_how_its_process_ended_unless_the_checker_ended_it() {
        use crate::sandbox::trace::Exit;
        let mut t = trace();
        t.procs[1].exit = Some(Exit::Code(3));
        // The parent, still running at the hang, was killed by the checker afterwards.
        t.procs[0].exit = Some(Exit::Signal(nix::sys::signal::Signal::SIGKILL));
        let page = html(
            &layout(&t, &names(), Duration::from_millis(200), true),
            "01",
        );
        assert!(page.contains(">exit 3</text>"), "{page}");
        assert!(page.contains("from 0.010 s to 0.090 s, exit 3</title>"));
        assert!(!page.contains("SIGKILL"), "{page}");
        assert!(page.contains("still running when the run ended (the checker stopped it)"));
    }

    #[test]
    fn a_read_is_shaded_until_the_next_step_and_a_hung_one_until_the_end() {
        let l = layout(&trace(), &names(), Duration::from_millis(200), true);
        let reads: Vec<(f64, f64)> = l
            .spans
            .iter()
            .filter(|s| s.kind == Waiting::Read && s.lane == 0)
            .map(|s| (s.from, s.to))
            .collect();
        assert_eq!(reads, [(0.02, 0.081), (0.095, 0.2)]);
        let sleeps: Vec<(f64, f64)> = l
            .spans
            .iter()
            .filter(|s| s.kind == Waiting::Sleep)
            .map(|s| (s.from, s.to))
            .collect();
        assert_eq!(sleeps, [(0.03, 0.08)]);
        // Every mark lies on its process's lane, within the run.
        for m in &l.marks {
            assert!(m.at >= l.lanes[m.lane].from && m.at <= l.end, "{m:?}");
        }
        // The parent's first read was cut short by the X-ray: its mark says so.
        let read = l
            .marks
            .iter()
            .find(|m| m.kind == MarkKind::ReadBegan)
            .expect("a read");
        assert_eq!(read.label.as_deref(), Some("cut"));
        assert!(
            read.text
                .ends_with("cut short by the X-ray (it asked for fewer bytes, as the kernel may)")
        );
        let wrote = l
            .marks
            .iter()
            .find(|m| m.kind == MarkKind::Wrote)
            .expect("a write");
        assert_eq!((wrote.lane, wrote.label.as_deref()), (1, Some("6 B")));
    }

    #[test]
    fn a_wait_until_the_end_is_drawn_on_its_own_beside_the_wait_just_before_it() {
        let mut l = layout(&trace(), &names(), Duration::from_millis(200), true);
        // The read before the hung one ends the moment it begins: the two bars touch.
        for s in l.spans.iter_mut().filter(|s| s.to < 0.09 && s.lane == 0) {
            s.to = 0.095;
        }
        let page = html(&l, "01");
        assert!(
            page.contains("until the end</title>") && !page.contains("drawn as one"),
            "{page}"
        );
    }

    #[test]
    fn the_page_escapes_what_the_program_printed_and_stands_alone() {
        let page = html(
            &layout(&trace(), &names(), Duration::from_millis(200), true),
            "01 <x>",
        );
        assert!(page.contains("received: &lt;hi&gt;") && !page.contains("<hi>"));
        assert!(page.contains("hang judged here"));
        // Nothing fetched: no script, no link, no source but the page itself.
        assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
        // Each lane, bar, mark and passage, and the hang, is reached with the keyboard.
        assert_eq!(page.matches("tabindex=\"0\"").count(), 2 + 3 + 4 + 1 + 1);
    }

    #[test]
    fn held_ends_run_from_the_pipe_or_the_fork_to_the_close() {
        use crate::sandbox::procfs::Fd;
        let pipe = Object::Pipe(7);
        let end = |fd: i32, writes: bool| Fd {
            fd,
            object: Object::Pipe(7),
            reads: !writes,
            writes,
        };
        let mut t = trace();
        t.procs[1].inherited = vec![end(3, false), end(4, true)];
        let gained = |ms, fd, writes| {
            moment(
                ms,
                10,
                Happened::Gained {
                    object: pipe.clone(),
                    writes,
                    fd,
                },
            )
        };
        let dropped = |ms, pid, writes| {
            moment(
                ms,
                pid,
                Happened::Dropped {
                    object: pipe.clone(),
                    writes,
                },
            )
        };
        t.timeline.splice(
            0..0,
            [
                gained(5, 3, false),
                gained(5, 4, true),
                dropped(18, 10, true),
            ],
        );
        t.timeline.push(dropped(15, 11, false));
        t.timeline.sort_by_key(|m| m.at);
        let l = layout(&t, &names(), Duration::from_millis(200), true);
        let mut held: Vec<(usize, i32, bool, f64, f64, bool)> = l
            .held
            .iter()
            .map(|h| (h.lane, h.fd, h.writes, h.from, h.to, h.inherited))
            .collect();
        held.sort_by_key(|h| (h.0, h.1));
        assert_eq!(
            held,
            [
                // The parent: its read end until the end of the hung run, its write end
                // until it closed it.
                (0, 3, false, 0.005, 0.2, false),
                (0, 4, true, 0.005, 0.018, false),
                // The child: both from its fork; the write end until it exited.
                (1, 3, false, 0.01, 0.015, true),
                (1, 4, true, 0.01, 0.09, true),
            ]
        );
        let page = html(&l, "01");
        assert_eq!(page.matches("class=\"held\"").count(), 4);
        assert!(
            page.contains(
                "held fd 4, the write end of pipe:[7], inherited from 0.010 s to 0.090 s"
            )
        );
    }

    #[test]
    fn each_lane_s_line_is_drawn_on_its_lane() {
        let page = html(
            &layout(&trace(), &names(), Duration::from_millis(200), true),
            "01",
        );
        for lane in 0..2 {
            let y = TOP + LANE * lane as f64 + LANE / 2.0;
            let line = format!(r#"y1="{y:.1}" x2="#);
            assert!(page.contains(&line), "no line at y = {y} in:\n{page}");
        }
    }

    #[test]
    fn a_write_is_joined_to_the_read_it_woke_and_shows_its_bytes() {
        let mut t = trace();
        t.io = vec![Io {
            pid: 11,
            object: Object::Pipe(7),
            writes: true,
            sample: b"hi<b>\n".to_vec(),
            ..Io::default()
        }];
        let l = layout(&t, &names(), Duration::from_millis(200), true);
        // The parent waited in its read from 20 ms; the child's write at 80 ms woke it, and
        // its next moment (the line it printed) came at 81 ms.
        assert_eq!(l.links.len(), 1, "{:?}", l.links);
        assert_eq!((l.links[0].from, l.links[0].to), ((1, 0.08), (0, 0.081)));
        assert!(
            l.links[0].text.contains(r#"6 B: "hi<b>\n""#),
            "{}",
            l.links[0].text
        );
        let page = html(&l, "01");
        assert!(page.contains("hi&lt;b&gt;"), "the bytes are escaped");
    }

    #[test]
    fn bytes_left_in_a_channel_go_to_the_next_read_of_it() {
        let mut t = trace();
        // Nobody reads until 150 ms, well after the write.
        t.timeline
            .retain(|m| !matches!(m.what, Happened::ReadBegan { .. }));
        t.timeline.push(moment(
            150,
            10,
            Happened::ReadBegan {
                object: Object::Pipe(7),
                cut: false,
            },
        ));
        let l = layout(&t, &names(), Duration::from_millis(200), false);
        assert_eq!(l.links.len(), 1);
        assert_eq!((l.links[0].from, l.links[0].to), ((1, 0.08), (0, 0.15)));
    }

    #[test]
    fn a_deadlock_draws_its_circle_and_a_wrong_line_its_mark() {
        use crate::sandbox::hang::{Doing, ProcessAtHang};
        use crate::sandbox::procfs::Fd;
        use crate::sandbox::syscalls::Call;
        let end = |fd: i32, writes: bool| Fd {
            fd,
            object: Object::Pipe(7),
            reads: !writes,
            writes,
        };
        let at_hang = |pid, ppid, doing, fds| ProcessAtHang {
            pid,
            ppid,
            name: "01_raw_pipe".into(),
            doing,
            fds,
        };
        // The parent waits for the child, which cannot write into the full pipe that only
        // the parent could read.
        let snapshot = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                at_hang(10, 1, Doing::Blocked(Call::Wait(11)), vec![end(3, false)]),
                at_hang(11, 10, Doing::Blocked(Call::Write(4)), vec![end(4, true)]),
            ],
        };
        let seen = Seen {
            ended: Duration::from_millis(200),
            hung: true,
            snapshot: Some(&snapshot),
            failure: None,
        };
        let l = of_run(&trace(), &seen);
        // Each wait the hang doctor found is shaded from the process's last mark to the hang:
        // the parent's wait for the child from 95 ms, the child's write from 80 ms.
        let mut waits: Vec<(usize, Waiting, f64, f64)> = l
            .spans
            .iter()
            .filter(|s| matches!(s.kind, Waiting::Child | Waiting::Write))
            .map(|s| (s.lane, s.kind, s.from, s.to))
            .collect();
        waits.sort_by_key(|w| w.0);
        assert_eq!(
            waits,
            [
                (0, Waiting::Child, 0.095, 0.2),
                (1, Waiting::Write, 0.08, 0.2)
            ]
        );
        let mut circle: Vec<(usize, usize)> = l.circle.iter().map(|(f, t, _)| (*f, *t)).collect();
        circle.sort();
        assert_eq!(circle, [(0, 1), (1, 0)]);
        let page = html(&l, "01");
        assert!(
            page.contains("The circle of waits") && page.matches("class=\"wait\"").count() == 2
        );
        // The parent printed `received: <hi>`; the expected line was another.
        let failure = Failure::Output {
            expected: "received: hi\n".into(),
            actual: "received: <hi>\n".into(),
        };
        let seen = Seen {
            failure: Some(&failure),
            hung: false,
            snapshot: None,
            ..seen
        };
        let l = of_run(&trace(), &seen);
        let (mark, text) = l.first_wrong.clone().expect("a first wrong line");
        let mark = mark.expect("its mark");
        assert_eq!(l.marks[mark].kind, MarkKind::Printed);
        assert!(
            text.starts_with("line 1 of stdout, `received: <hi>`"),
            "{text}"
        );
        assert!(html(&l, "01").contains("id=\"first-wrong\""));
        // A line missing at the end has words, and no mark.
        let missing = Failure::Output {
            expected: "received: <hi>\nbye\n".into(),
            actual: "received: <hi>\n".into(),
        };
        let l = of_run(
            &trace(),
            &Seen {
                failure: Some(&missing),
                ..seen
            },
        );
        assert_eq!(
            l.first_wrong,
            Some((
                None,
                "stdout ended after 1 lines; line 2 should have been `bye`".into()
            ))
        );
    }

    #[test]
    fn the_axis_keeps_the_order_spreads_bursts_and_reads_back_its_ticks() {
        let l = layout(&trace(), &names(), Duration::from_millis(200), true);
        let axis = Axis::of(&l);
        let (start, end) = (axis.at(0.0), axis.at(0.2));
        assert_eq!((start, end), (0.0, 1.0));
        // Monotonic, and each tick reads back to the time it is drawn at.
        let mut last = -1.0;
        for k in 0..=200 {
            let t = k as f64 / 1000.0;
            let a = axis.at(t);
            assert!(a >= last, "{t}: {a} < {last}");
            last = a;
            assert!((axis.time_at(a) - t).abs() < 1e-6, "{t}");
        }
        // The write at 80 ms and the line printed at 81 ms are a millisecond apart, yet far
        // more than a thousandth of the page apart.
        assert!(axis.at(0.081) - axis.at(0.08) > 0.05);
    }

    #[test]
    fn the_picture_alone_leaves_out_the_pids() {
        let names = vec![
            "P1 (the program), pid 10".into(),
            "P2 (child of P1), pid 11".into(),
        ];
        let l = layout(&trace(), &names, Duration::from_millis(200), true);
        let picture = svg(&l, "01");
        assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
        assert!(picture.contains("P2 (child of P1)</text>"), "{picture}");
        assert!(!picture.contains(", pid "), "{picture}");
    }

    #[test]
    fn a_run_of_many_moments_stays_a_page_that_opens() {
        let mut t = trace();
        let pipe = Object::Pipe(7);
        t.timeline = (0..100_000)
            .map(|k| {
                moment(
                    k,
                    11,
                    Happened::Wrote {
                        object: pipe.clone(),
                        bytes: 1,
                        total: k + 1,
                        began: Duration::ZERO,
                    },
                )
            })
            .collect();
        let l = layout(&t, &names(), Duration::from_secs(100), false);
        assert_eq!(l.marks.len() + l.left_out, 100_000);
        assert!(html(&l, "06").len() < 1 << 20);
        // As many moments as the X-ray keeps, each a read that waits for a write: marks, bars
        // and arrows all, still under 1 MB.
        t.timeline = (0..4096u64)
            .map(|k| match k % 2 {
                0 => moment(
                    2 * k,
                    10,
                    Happened::ReadBegan {
                        object: pipe.clone(),
                        cut: false,
                    },
                ),
                _ => moment(
                    2 * k,
                    11,
                    Happened::Wrote {
                        object: pipe.clone(),
                        bytes: 7,
                        total: 7 * k,
                        began: Duration::ZERO,
                    },
                ),
            })
            .collect();
        let l = layout(&t, &names(), Duration::from_secs(9), false);
        assert!(l.spans.len() > 1000 && l.links.len() > 1000);
        let page = html(&l, "02");
        assert!(page.len() < 1 << 20, "{} B", page.len());
    }
}
