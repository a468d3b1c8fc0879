//! What the tracer recorded about one run: the raw facts the wiring model is built from.

use super::procfs::{Fd, Object};
use nix::sys::signal::Signal;
use std::collections::BTreeMap;
use std::time::Duration;

/// How many of the bytes each process writes into each channel the X-ray keeps.
pub const SAMPLE_BYTES: usize = 64 << 10;

#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Every process of the run, in the order they were created (threads are not processes).
    pub procs: Vec<TracedProcess>,
    /// One entry per process, object and direction: how that process used that end.
    pub io: Vec<Io>,
    /// The two sockets of each socketpair, by inode.
    pub socket_pairs: Vec<(u64, u64)>,
    /// The signals the run's processes sent each other or themselves (kill, tgkill...).
    pub signals: Vec<SentSignal>,
    /// F_SETPIPE_SZ calls, in order.
    pub pipe_resizes: Vec<Resize>,
    /// The FIFOs the run's processes made (mkfifo): who, the path as given, and the mode asked
    /// for (its permission bits).
    pub fifos_made: Vec<(i32, String, u32)>,
    /// F_GETPIPE_SZ calls, in order: the process and what the kernel answered (a negative
    /// errno on failure).
    pub pipe_size_answers: Vec<(i32, i64)>,
    /// The checker's own stdout and stderr pipes, as the program started with them.
    pub output: Vec<Object>,
    /// Whether only the wiring calls stopped the program (a seccomp filter).
    pub filtered: bool,
    /// The short reads and writes the X-ray injected.
    pub injected: Injected,
    /// The channels some read of which the X-ray cut short.
    pub cut_reads_of: Vec<Object>,
    /// The call the X-ray changed in this run, if it was asked to (`injected.mishaps` says
    /// how many times it did).
    pub mishap: Option<Mishap>,
    /// How many times the X-ray stopped the program (each stop costs it some microseconds).
    pub stops: u64,
    /// What happened when, in the order the X-ray saw it: the first `TIMELINE_CAP` events.
    pub timeline: Vec<Moment>,
    /// Events came after the timeline was full, and were not kept.
    pub timeline_full: bool,
}

/// How many events a timeline keeps: a timed run makes a few dozen.
pub const TIMELINE_CAP: usize = 4096;

/// One moment of a run, counted from its start (when the program was started), as the X-ray
/// saw it: at the stop of the call, which is no later than the call took effect for a write
/// to stdout, a read or a sleep, and no earlier for the bytes of a write into a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub at: Duration,
    pub pid: i32,
    pub what: Happened,
    /// How long, by then, the process and the X-ray had waited for a CPU while they could
    /// have run: what a busy machine had cost them (counted for writes, prints, sleeps and
    /// dropped ends, the moments timing is judged on; zero for the others).
    pub waited: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    /// The process was created by `parent`.
    Started {
        parent: i32,
    },
    /// Bytes went into a pipe, FIFO or socket: `total` counts all the bytes this process had
    /// written into it by then. They went in between `began`, when the X-ray saw the write
    /// begin, and the moment it saw the write return (a busy X-ray sees a return late).
    Wrote {
        object: Object,
        bytes: u64,
        total: u64,
        began: Duration,
    },
    /// A read of a pipe, FIFO or socket began; `cut` where the X-ray asked for fewer bytes
    /// than the program did (an injected short read).
    ReadBegan {
        object: Object,
        cut: bool,
    },
    /// A poll (or select, or epoll wait) returned: the ends it reported ready; none when its
    /// answer was not seen (an interrupted call, which the kernel may finish unseen).
    PollReturned {
        ready: Option<Vec<Object>>,
    },
    /// A call that may wait began: a poll (or select, or epoll wait) of a process's own ends,
    /// or a wait for a child without WNOHANG. Its end is the process's next moment.
    WaitBegan {
        on: WaitOn,
    },
    /// A line began on the checker's stdout (its first 80 characters).
    Printed {
        line: String,
    },
    /// A sleep began, asking to wake up at `until` (counted from the run's start too); `asked`
    /// is the length it asked for, when it asked for a length rather than a time.
    Slept {
        until: Duration,
        asked: Option<Duration>,
    },
    /// The process got an end of a pipe, FIFO or socket as `fd`: it made the channel, opened
    /// it, or duplicated a descriptor (the ends a process starts with are its `inherited`).
    Gained {
        object: Object,
        writes: bool,
        fd: i32,
    },
    /// The process let go of an end: closed it, had it replaced, or exited holding it.
    Dropped {
        object: Object,
        writes: bool,
    },
    Exited,
}

/// What a `WaitBegan` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOn {
    /// Any of the ends it polls.
    Poll,
    /// A child to change state (exit, most often).
    Child,
}

impl std::fmt::Display for Moment {
    /// One line of a timeline as a person reads it: `  0.3012 s  pid 4242  wrote 15 B ...`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:9.4} s  pid {:<7} ", self.at.as_secs_f64(), self.pid)?;
        if !self.waited.is_zero() {
            write!(f, "(CPU waits so far {:.4} s) ", self.waited.as_secs_f64())?;
        }
        match &self.what {
            Happened::Started { parent } => write!(f, "started by pid {parent}"),
            Happened::Wrote {
                object,
                bytes,
                total,
                ..
            } => write!(f, "wrote {bytes} B into {object} ({total} B in all)"),
            Happened::ReadBegan { object, cut } => {
                write!(f, "began a read of {object}")?;
                match cut {
                    true => write!(f, " (cut short by the X-ray)"),
                    false => Ok(()),
                }
            }
            Happened::PollReturned { ready: Some(ready) } => {
                let names: Vec<String> = ready.iter().map(ToString::to_string).collect();
                match names.is_empty() {
                    true => write!(f, "poll returned: nothing ready"),
                    false => write!(f, "poll returned: ready {}", names.join(", ")),
                }
            }
            Happened::PollReturned { ready: None } => {
                write!(f, "poll returned (which ends were ready is not known)")
            }
            Happened::WaitBegan { on: WaitOn::Poll } => write!(f, "began to wait in poll"),
            Happened::WaitBegan { on: WaitOn::Child } => write!(f, "began to wait for a child"),
            Happened::Printed { line } => write!(f, "printed {line:?}"),
            Happened::Slept { until, .. } => {
                write!(f, "began a sleep until {:.4} s", until.as_secs_f64())
            }
            Happened::Gained { object, writes, fd } => {
                let end = if *writes { "write" } else { "read" };
                write!(f, "got the {end} end of {object} as fd {fd}")
            }
            Happened::Dropped { object, writes } => {
                let end = if *writes { "write" } else { "read" };
                write!(f, "let go of the {end} end of {object}")
            }
            Happened::Exited => write!(f, "exited"),
        }
    }
}

impl Trace {
    /// The events of one process, in order.
    pub fn events_of(&self, pid: i32) -> impl Iterator<Item = &Moment> {
        self.timeline.iter().filter(move |e| e.pid == pid)
    }
}

impl Trace {
    /// Bytes read from `object` beyond what the traced writes put in: one-byte writes, where
    /// the X-ray lets them through (a pipe filled a byte at a time).
    pub fn untraced_bytes(&self, object: &Object) -> u64 {
        self.unseen_bytes(object, object)
    }

    /// Bytes read from `read_end` beyond what the traced writes put into `write_end`: the same
    /// object for a pipe or FIFO, the two sockets of a socket pair.
    pub fn unseen_bytes(&self, write_end: &Object, read_end: &Object) -> u64 {
        let bytes = |object: &Object, writes: bool| -> u64 {
            self.io
                .iter()
                .filter(|io| io.object == *object && io.writes == writes)
                .map(|io| io.bytes)
                .sum()
        };
        bytes(read_end, false).saturating_sub(bytes(write_end, true))
    }
}

/// A signal that a process of the run sent, by a call that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct SentSignal {
    pub from: i32,
    pub signal: i32,
    /// The processes of the run it went to: one, or for a process group or every process
    /// (kill with 0 or below) all those alive then; none when it went outside the run.
    pub to: Vec<i32>,
}

impl Trace {
    /// The processes of the run that sent `signal` to `pid`.
    pub fn senders_of(&self, signal: Signal, pid: i32) -> Vec<i32> {
        self.signals
            .iter()
            .filter(|s| s.signal == signal as i32 && s.to.contains(&pid))
            .map(|s| s.from)
            .collect()
    }
}

/// The faults the X-ray injected into one run (see tracer/faults.rs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Injected {
    /// The seed the cuts were drawn from; none when nothing was injected.
    pub seed: Option<u64>,
    pub reads_cut: u64,
    pub writes_cut: u64,
    /// How many calls the case's mishap changed (see `Mishap`).
    pub mishaps: u64,
}

/// A failure the X-ray makes happen in a case of its own, where the contract says what a
/// program does when something goes wrong that a correct run never meets (tracer/mishap.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mishap {
    /// Every fork fails with EAGAIN (a clone that makes a process, not a thread): nothing the
    /// program starts can start.
    ForkFails,
    /// Every open for writing of a file with this name fails with EACCES.
    OpenForWritingFails(&'static str),
    /// A child process that has written `after` bytes into a pipe exits with `status` at its
    /// next write there, instead of making it.
    ExitsInstead { after: u64, status: i32 },
    /// The first write of more than 4 bytes into a pipe by a child process carries its last
    /// byte changed (the program's memory is put back as the write returns): a record that
    /// arrives corrupt.
    CorruptsFirstRecord,
    /// Not a failure: a child's first read of a pipe waits (the X-ray holds it) until `bytes`
    /// wait in the pipe or a process has exited, and is not cut short: one read then brings
    /// several messages, as the kernel may at any time.
    FirstReadWaits { bytes: u64 },
    /// Not a failure: every sleep for a length sleeps `1/by` of it, so that pauses of seconds
    /// are judged by the lengths asked for (the timeline keeps those) in a fraction of the time.
    PausesShortened { by: u32 },
    /// Not a failure: each poll of the program waits (the X-ray holds it) until every other
    /// process is asleep, blocked or gone and something is ready, so a child's last line and
    /// its hang-up are there together, as on a busy machine.
    PollsWhenQuiet,
}

impl std::fmt::Display for Mishap {
    /// The call a mishap makes fail, as a report names it.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Mishap::ForkFails => write!(f, "a fork (it fails with EAGAIN)"),
            Mishap::OpenForWritingFails(name) => {
                write!(f, "an open of {name} for writing (it fails with EACCES)")
            }
            Mishap::ExitsInstead { after, status } => write!(
                f,
                "a child's write into a pipe after its first {after} bytes (it becomes an exit with status {status})"
            ),
            Mishap::CorruptsFirstRecord => write!(
                f,
                "the first record a child writes into a pipe (its last byte arrives changed)"
            ),
            Mishap::FirstReadWaits { bytes } => write!(
                f,
                "a child's first read of a pipe (it waits until {bytes} bytes are there, so one read brings several messages)"
            ),
            Mishap::PausesShortened { by } => {
                write!(f, "every pause (it lasts 1/{by} of what it asks for)")
            }
            Mishap::PollsWhenQuiet => write!(
                f,
                "each poll of the program (it waits until the children are asleep or gone, so a child's last line and its hang-up come together)"
            ),
        }
    }
}

/// One F_SETPIPE_SZ call, with how full the pipe was around it (the kernel's count, taken
/// while the program was stopped; none where it could not be asked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resize {
    pub pid: i32,
    pub object: Option<Object>,
    /// The size the kernel chose, or a negative errno on refusal.
    pub result: i64,
    /// How much the pipe held and how many bytes were in it when the resize was asked for.
    pub before: Option<(u64, u64)>,
    /// The most bytes seen in it at the process's later stops, and its size then.
    pub after: Option<(u64, u64)>,
    /// A write end of the pipe that the process held was non-blocking (O_NONBLOCK) then.
    pub nonblocking: bool,
}

impl Resize {
    /// The pipe was full when it was resized.
    pub fn full_before(&self) -> Option<bool> {
        self.before.map(|(size, bytes)| bytes >= size)
    }

    /// The pipe was full again, at its new size, at a later stop.
    pub fn full_after(&self) -> Option<bool> {
        self.after.map(|(size, bytes)| bytes >= size)
    }
}

#[derive(Debug, Clone, Default)]
pub struct TracedProcess {
    pub pid: i32,
    /// The process that created it; none for the program itself.
    pub parent: Option<i32>,
    /// It was made by vfork (a clone with CLONE_VFORK), as posix_spawn, and so std's
    /// Command, makes a child: its parent waits until it execs or exits.
    pub vforked: bool,
    /// The programs it exec'd, in order (the checker's own start of the program counts).
    pub execs: Vec<Exec>,
    /// The inodes of the pipes it created.
    pub made: Vec<u64>,
    /// The descriptors it was created with (a copy of its parent's at the fork).
    pub inherited: Vec<Fd>,
    /// The descriptors it got from pipe, socketpair, open and dup.
    pub gained: Vec<Fd>,
    /// The descriptors it closed, or that dup2 replaced.
    pub closed: Vec<Fd>,
    /// What it still held when it exited (closed by the exit, not by the program).
    pub held_at_exit: Vec<Fd>,
    pub waits: u32,
    /// The pipes and sockets it asked poll (or select, or epoll) to watch.
    pub watched: Vec<Object>,
    /// The children its waits returned, by pid.
    pub waited_for: Vec<i32>,
    /// For each of them, the pipe, FIFO and socket ends it held when that wait returned.
    pub waited_holding: Vec<Vec<Fd>>,
    /// Descriptors it marked close-on-exec with fcntl(F_SETFD).
    pub cloexec: Vec<i32>,
    pub polls: u32,
    /// Reads of a pipe or socket that no poll of this process had reported ready: one per end,
    /// before its first poll and after one.
    pub unpolled_reads: Vec<UnpolledRead>,
    /// Polls (or selects, or epoll waits) that returned with nothing ready: a timeout, or a
    /// zero timeout.
    pub empty_polls: u32,
    /// Per end, how many polls reported it hung up with nothing left to read.
    pub hangups: Vec<(Object, u32)>,
    /// The lines it began on the checker's stdout (at most a thousand, 80 characters each).
    pub printed: Vec<Printed>,
    pub exit: Option<Exit>,
}

/// A line a process printed on stdout.
#[derive(Debug, Clone, PartialEq)]
pub struct Printed {
    pub line: String,
    /// The process had read bytes from a pipe, FIFO or socket before it printed the line.
    pub had_read: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnpolledRead {
    pub object: Object,
    /// The descriptor of the first such read.
    pub fd: i32,
    /// The process had not polled yet (otherwise its last poll left this end out).
    pub before_first_poll: bool,
    /// The descriptor was non-blocking, so the read could not wait.
    pub nonblocking: bool,
}

impl TracedProcess {
    /// The program it runs now: the last part of the path of its last exec, whatever argv[0]
    /// says (`execvp("grep", ["Yost"])` runs grep); argv[0]'s where that path was not read.
    pub fn program(&self) -> Option<&str> {
        let exec = self.execs.last()?;
        let name = exec.path.as_ref().or(exec.argv.first())?;
        Some(name.rsplit('/').next().unwrap_or(name))
    }
}

#[derive(Debug, Clone)]
pub struct Exec {
    /// The path given to execve (`/tmp/.../spies/grep`), when it could be read.
    pub path: Option<String>,
    /// The arguments as given, argv[0] (any name the caller chose) first.
    pub argv: Vec<String>,
    /// The descriptors it started the program with.
    pub fds: Vec<Fd>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exit {
    Code(i32),
    Signal(Signal),
}

/// How one process used one end of a pipe, FIFO or socket.
#[derive(Debug, Clone)]
pub struct Io {
    pub pid: i32,
    pub object: Object,
    pub writes: bool,
    /// The descriptor of its first use.
    pub fd: i32,
    pub calls: u64,
    pub bytes: u64,
    /// Failed calls by errno name (EPIPE, EAGAIN...).
    pub errors: BTreeMap<String, u64>,
    /// Every descriptor it held at its first use.
    pub held: Vec<Fd>,
    /// The first bytes it wrote (at most `SAMPLE_BYTES`), when it writes.
    pub sample: Vec<u8>,
    /// Its reads that returned end-of-file (0 bytes). Every such read where the X-ray waits
    /// for each read's result (`tracer::Limits::await_reads`); elsewhere, only those before
    /// its first bytes.
    pub ends_of_file: u64,
}

impl Default for Io {
    fn default() -> Io {
        Io {
            pid: 0,
            object: Object::Other(String::new()),
            writes: false,
            fd: -1,
            calls: 0,
            bytes: 0,
            errors: BTreeMap::new(),
            held: Vec::new(),
            sample: Vec::new(),
            ends_of_file: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_runs_the_program_of_the_path_it_was_exec_d_by() {
        let exec = |path: Option<&str>, argv: &[&str]| Exec {
            path: path.map(str::to_string),
            argv: argv.iter().map(|a| a.to_string()).collect(),
            fds: Vec::new(),
        };
        let mut p = TracedProcess::default();
        assert_eq!(p.program(), None);
        p.execs.push(exec(Some("/tmp/run/spies/grep"), &["Yost"]));
        assert_eq!(p.program(), Some("grep"));
        p.execs.push(exec(None, &["/usr/bin/wc", "-l"]));
        assert_eq!(p.program(), Some("wc"));
    }
}
