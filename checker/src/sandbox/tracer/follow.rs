//! Following a traced run stop by stop: forks, execs and exits, and at each traced call what it
//! did to the wiring (the descriptor tables are read again from /proc after a change).

use super::epoll;
use super::faults::Faults;
use super::memory::{poll_fds, read_bytes, read_c_string, read_fd_pair, read_set, sigevent_signal};
use super::mishap::{self, Change};
use super::peek::Peek;
use super::{Cost, Limits, Mode, escapes_tracing};
use crate::sandbox::procfs::{self, Fd, Object};
use crate::sandbox::syscalls::{self, Addressee, Arrangement, Role, Watched};
use crate::sandbox::trace::Mishap;
use crate::sandbox::trace::{
    Exec, Exit, Happened, Io, Moment, Printed, Resize, SAMPLE_BYTES, SentSignal, TIMELINE_CAP,
    Trace, TracedProcess, UnpolledRead, WaitOn,
};
use nix::errno::Errno;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

/// fcntl's command that makes a descriptor's I/O send a chosen signal (fcntl.h; not in libc).
const F_SETSIG: i32 = 10;

/// A read the mishap holds: its task, process and descriptor, and whether its result is
/// wanted (it resumes to stop again at its exit).
struct Held {
    tid: i32,
    process: i32,
    /// A held read's descriptor; a held poll's are in `polled`.
    fd: i32,
    polled: Vec<i32>,
    /// How many processes had exited when the hold began.
    exits: u64,
    wanted: bool,
}

/// What a process other than the program was doing at its last traced stop, for a poll the
/// mishap holds (`Mishap::PollsWhenQuiet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quiet {
    /// Sleeping: it will write again, so a poll that finds nothing waits for it.
    Asleep,
    /// Reading, waiting, polling: it waits for others.
    Blocked,
    /// Writing, or anything else: not quiet.
    Busy,
}

/// A call stopped at its entry, kept until its exit says how it went.
struct Pending {
    call: Role,
    args: [u64; 6],
    /// The descriptor's object, for reads and writes (for a move, the end written into).
    object: Option<Object>,
    /// For a move (splice, sendfile...), the end read from.
    source: Option<Object>,
    /// For F_SETPIPE_SZ, the pipe's size and the bytes in it as the call began.
    fill: Option<(u64, u64)>,
    /// Argument 1 is the buffer and argument 2 its length (read, write, sendto...).
    plain: bool,
    /// When the X-ray saw the call begin.
    began: std::time::Duration,
}

struct Tracer<'a> {
    root: i32,
    mode: Mode,
    limits: Limits,
    /// Set once the run forked past its limits and was killed.
    over_limit: &'a AtomicBool,
    /// What the run's stops cost, for the runner's clock.
    cost: &'a Cost,
    started: bool,
    ended: Sender<Exit>,
    root_ended: bool,
    /// Thread id to process id (thread group).
    group: HashMap<i32, i32>,
    /// Each process's descriptors, as /proc showed them after its last change.
    tables: HashMap<i32, Vec<Fd>>,
    pending: HashMap<i32, Pending>,
    /// Tasks whose first stop came before their parent's fork event: held until it comes.
    early: HashSet<i32>,
    /// Tasks announced by a fork event whose first stop is still to come.
    fresh: HashSet<i32>,
    live: HashSet<i32>,
    trace: Trace,
    /// (process, object, writes) to its entry in `trace.io`.
    io_index: HashMap<(i32, Object, bool), usize>,
    /// Why the trace cannot be trusted, when it cannot.
    unusable: Option<String>,
    /// Per process that polled: what its last poll (or select, or epoll wait) reported ready;
    /// `None` when its answer was not seen.
    ready: HashMap<i32, Option<Vec<Object>>>,
    /// The short reads and writes to inject, when asked for.
    faults: Option<Faults>,
    /// Tasks stopped in a call the mishap makes fail, with the errno it returns.
    failing: HashMap<i32, i32>,
    /// Tasks stopped in a write the mishap corrupted: the byte to put back, and where.
    restore: HashMap<i32, (u64, u8)>,
    /// The read the mishap holds now, once its entry is handled: not resumed yet.
    holding: Option<Held>,
    /// Reads the mishap holds (`Mishap::FirstReadWaits`) until their pipe has the bytes.
    held: Vec<Held>,
    /// A process exited since the holds began: nothing is held any longer.
    exited: bool,
    /// How many processes have exited.
    exits: u64,
    /// Each process's state at its last traced call, where a poll is held for quiet.
    quiet: HashMap<i32, Quiet>,
    peek: Peek,
    /// Processes whose last write to stdout did not end its line.
    mid_line: HashSet<i32>,
}

/// Why a trace is worth nothing where /proc hides the traced processes' descriptors.
pub const BLIND: &str = "the X-ray may not read which pipes the program's processes hold (/proc/PID/fd: permission denied; root needs CAP_SYS_PTRACE to look into a process of another user)";

/// The moments of a timeline for which the CPU waits are read from /proc.
const WAITS_COUNTED: usize = 1024;

/// Descriptor changes kept per process.
const HISTORY: usize = 4096;

const OPTIONS: Options = Options::PTRACE_O_TRACESYSGOOD
    .union(Options::PTRACE_O_TRACEFORK)
    .union(Options::PTRACE_O_TRACEVFORK)
    .union(Options::PTRACE_O_TRACECLONE)
    .union(Options::PTRACE_O_TRACEEXEC)
    .union(Options::PTRACE_O_TRACESECCOMP)
    .union(Options::PTRACE_O_EXITKILL);

/// A call of another architecture than the native one (`int 0x80`), or an x32 call.
fn foreign(arch: u32, nr: u64) -> bool {
    const X32_SYSCALL_BIT: u64 = 0x4000_0000;
    arch != syscalls::AUDIT_ARCH || (cfg!(target_arch = "x86_64") && nr & X32_SYSCALL_BIT != 0)
}

pub fn follow(
    root: i32,
    mode: Mode,
    ended: Sender<Exit>,
    limits: Limits,
    over_limit: &AtomicBool,
    cost: &Cost,
) -> Result<Trace, String> {
    let faults = limits.faults.map(Faults::new);
    let mut t = Tracer {
        root,
        mode,
        limits,
        over_limit,
        cost,
        started: false,
        ended,
        root_ended: false,
        group: HashMap::from([(root, root)]),
        tables: HashMap::new(),
        pending: HashMap::new(),
        early: HashSet::new(),
        fresh: HashSet::new(),
        live: HashSet::from([root]),
        trace: Trace {
            filtered: mode == Mode::Filtered,
            mishap: limits.mishap,
            ..Trace::default()
        },
        io_index: HashMap::new(),
        unusable: None,
        ready: HashMap::new(),
        faults,
        failing: HashMap::new(),
        restore: HashMap::new(),
        holding: None,
        held: Vec::new(),
        exits: 0,
        quiet: HashMap::new(),
        exited: false,
        peek: Peek::default(),
        mid_line: HashSet::new(),
    };
    loop {
        let status = match waitpid(None, Some(WaitPidFlag::__WALL)) {
            Ok(s) => s,
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        };
        match status {
            WaitStatus::Stopped(pid, sig) => t.on_signal(pid.as_raw(), sig),
            WaitStatus::PtraceEvent(pid, _, event) => t.on_event(pid.as_raw(), event),
            WaitStatus::PtraceSyscall(pid) => t.on_syscall(pid.as_raw()),
            WaitStatus::Exited(pid, code) => t.on_exit(pid.as_raw(), Exit::Code(code)),
            WaitStatus::Signaled(pid, sig, _) => t.on_exit(pid.as_raw(), Exit::Signal(sig)),
            _ => {}
        }
        if !t.held.is_empty() {
            t.release_held();
        }
        if t.root_ended && t.live.is_empty() {
            break;
        }
    }
    if !t.root_ended {
        // Reaped by someone else (the run's clean-up): the run was stopped.
        let _ = t.ended.send(Exit::Signal(Signal::SIGKILL));
    }
    if let Some(faults) = &t.faults {
        let mishaps = t.trace.injected.mishaps;
        t.trace.injected = faults.injected;
        t.trace.injected.mishaps = mishaps;
        t.trace.cut_reads_of = faults.cut_reads_of();
    }
    match t.unusable {
        Some(why) => Err(why),
        None => Ok(t.trace),
    }
}

impl Tracer<'_> {
    /// Notes what a process did now, while the timeline has room.
    fn event(&mut self, pid: i32, what: Happened) {
        if self.trace.timeline.len() >= TIMELINE_CAP {
            self.trace.timeline_full = true;
            return;
        }
        let at = self.limits.start.elapsed();
        let timed = matches!(
            what,
            Happened::Wrote { .. }
                | Happened::Printed { .. }
                | Happened::Slept { .. }
                | Happened::Dropped { .. }
        );
        // Timed runs make a few hundred moments; a run that moves megabytes is not timed, and
        // reading /proc at each of its thousands of writes would only slow it down.
        let waited =
            if timed && self.limits.count_waits && self.trace.timeline.len() < WAITS_COUNTED {
                procfs::cpu_wait(pid).unwrap_or_default()
                    + procfs::own_cpu_wait().unwrap_or_default()
            } else {
                std::time::Duration::ZERO
            };
        self.trace.timeline.push(Moment {
            at,
            pid,
            what,
            waited,
        });
    }

    fn resume(&self, pid: i32, sig: Option<Signal>) {
        let pid = Pid::from_raw(pid);
        let _ = match self.mode {
            Mode::Filtered => ptrace::cont(pid, sig),
            Mode::EveryCall => ptrace::syscall(pid, sig),
        };
    }

    /// The stopped call's number, arguments or result. A kernel without
    /// PTRACE_GET_SYSCALL_INFO (before Linux 5.3) makes the whole trace unusable.
    fn syscall_info(&mut self, pid: i32) -> Option<libc::ptrace_syscall_info> {
        match ptrace::syscall_info(Pid::from_raw(pid)) {
            Ok(info) => Some(info),
            Err(Errno::ESRCH) => None,
            Err(e) => {
                self.unusable.get_or_insert_with(|| {
                    format!("the kernel does not describe stopped system calls (PTRACE_GET_SYSCALL_INFO: {e}); Linux 5.3 or later is needed")
                });
                None
            }
        }
    }

    fn process(&self, tid: i32) -> i32 {
        self.group.get(&tid).copied().unwrap_or(tid)
    }

    fn on_signal(&mut self, pid: i32, sig: Signal) {
        if pid == self.root && !self.started {
            // The stop after the exec that PTRACE_TRACEME asked for.
            self.started = true;
            let _ = ptrace::setoptions(Pid::from_raw(pid), OPTIONS);
            self.trace.procs.push(TracedProcess {
                pid,
                ..TracedProcess::default()
            });
            self.record_exec(pid);
            self.trace.output = self
                .tables
                .get(&pid)
                .into_iter()
                .flatten()
                .filter(|f| f.fd == 1 || f.fd == 2)
                .map(|f| f.object.clone())
                .collect();
            self.resume(pid, None);
            return;
        }
        if sig == Signal::SIGSTOP {
            if self.fresh.remove(&pid) {
                self.resume(pid, None);
                return;
            }
            if !self.group.contains_key(&pid) {
                // Its parent's fork event is still to come: hold it until then.
                self.early.insert(pid);
                self.live.insert(pid);
                return;
            }
        }
        // A group stop (SIGSTOP and friends) has no siginfo: let it go on. Any other signal
        // is delivered as it would have been without the tracer.
        let group_stop = matches!(
            sig,
            Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU
        ) && ptrace::getsiginfo(Pid::from_raw(pid)) == Err(Errno::EINVAL);
        self.resume(pid, if group_stop { None } else { Some(sig) });
    }

    fn on_event(&mut self, pid: i32, event: i32) {
        let vforked = event == Event::PTRACE_EVENT_VFORK as i32;
        let forked = vforked || event == Event::PTRACE_EVENT_FORK as i32;
        if forked || event == Event::PTRACE_EVENT_CLONE as i32 {
            if let Ok(new) = ptrace::getevent(Pid::from_raw(pid)) {
                self.spawned(pid, new as i32, !forked, vforked);
            }
        } else if event == Event::PTRACE_EVENT_EXEC as i32 {
            // A thread that execs takes over the process's id; its old id is gone.
            if let Ok(former) = ptrace::getevent(Pid::from_raw(pid)) {
                self.live.remove(&(former as i32));
                self.group.remove(&(former as i32));
            }
            self.live.insert(pid);
            self.group.insert(pid, pid);
            self.record_exec(pid);
        } else if event == Event::PTRACE_EVENT_SECCOMP as i32
            && let Some(info) = self.syscall_info(pid)
        {
            // SAFETY: the kernel filled the seccomp member for a seccomp stop.
            let (nr, args) = unsafe { (info.u.seccomp.nr, info.u.seccomp.args) };
            let wanted = self.on_entry(pid, nr, args);
            if self.hold(wanted) {
                return;
            }
            if wanted {
                // Stop again when the call returns: its result is wanted.
                let _ = ptrace::syscall(Pid::from_raw(pid), None);
                return;
            }
        }
        self.resume(pid, None);
    }

    fn spawned(&mut self, parent: i32, new: i32, clone: bool, vforked: bool) {
        let process = self.process(parent);
        let thread = clone && procfs::thread_group(new).is_some_and(|g| g != new);
        self.live.insert(new);
        if thread {
            self.group.insert(new, process);
        } else {
            self.group.insert(new, new);
            // fork copies the descriptor table as it is at this moment.
            let table = self.tables.get(&process).cloned().unwrap_or_default();
            self.tables.insert(new, table.clone());
            self.trace.procs.push(TracedProcess {
                pid: new,
                parent: Some(process),
                vforked,
                inherited: table,
                ..TracedProcess::default()
            });
            self.event(new, Happened::Started { parent: process });
        }
        if self.early.remove(&new) {
            self.resume(new, None);
        } else {
            self.fresh.insert(new);
        }
        let processes = self
            .live
            .iter()
            .filter(|t| self.group.get(t) == Some(t))
            .count();
        if processes > self.limits.processes || self.live.len() > self.limits.tasks {
            self.over_limit.store(true, Ordering::SeqCst);
            self.kill_everything();
        }
    }

    /// SIGKILL to every task of the run the tracer knows, which is every task of the run.
    fn kill_everything(&self) {
        for task in &self.live {
            let _ = nix::sys::signal::kill(Pid::from_raw(*task), Signal::SIGKILL);
        }
    }

    fn on_syscall(&mut self, pid: i32) {
        let Some(info) = self.syscall_info(pid) else {
            self.resume(pid, None);
            return;
        };
        match info.op {
            libc::PTRACE_SYSCALL_INFO_ENTRY => {
                // SAFETY: the kernel filled the entry member for an entry stop.
                let (nr, args) = unsafe { (info.u.entry.nr, info.u.entry.args) };
                if foreign(info.arch, nr) {
                    // Where no filter kills it (seccomp refused): a call of another
                    // architecture means nothing to this tracer, so the run stops here.
                    self.kill_everything();
                } else {
                    let wanted = self.on_entry(pid, nr, args);
                    if self.hold(wanted) {
                        return;
                    }
                }
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => {
                if let Some((at, original)) = self.restore.remove(&pid) {
                    super::memory::write_bytes(pid, at, &[original]);
                }
                if let Some(errno) = self.failing.remove(&pid) {
                    // A call the kernel skipped: it returns what the mishap says.
                    super::regs::set_return(pid, -i64::from(errno));
                }
                // SAFETY: the kernel filled the exit member for an exit stop.
                let (value, failed) = unsafe { (info.u.exit.sval, info.u.exit.is_error != 0) };
                if let Some(entry) = self.pending.remove(&pid) {
                    self.on_return(pid, entry, value, failed);
                }
                if self.mode == Mode::Filtered {
                    let _ = ptrace::cont(Pid::from_raw(pid), None);
                    return;
                }
            }
            _ => {}
        }
        self.resume(pid, None);
    }

    /// A traced call begins; returns whether its result is needed.
    fn on_entry(&mut self, tid: i32, nr: u64, args: [u64; 6]) -> bool {
        self.trace.stops += 1;
        self.cost.stops.fetch_add(1, Ordering::Relaxed);
        if self.mode == Mode::EveryCall && escapes_tracing(tid, nr, &args) {
            // Without the filter to refuse it, a task the tracer could not follow is stopped
            // before it exists, with the whole run.
            self.kill_everything();
            return false;
        }
        if self.limits.mishap == Some(Mishap::PollsWhenQuiet) {
            let process = self.process(tid);
            let state = match syscalls::traced(nr) {
                Some(Role::Sleep) => Quiet::Asleep,
                Some(
                    Role::Read { .. }
                    | Role::Wait4
                    | Role::Waitid
                    | Role::Poll(_)
                    | Role::Open
                    | Role::Futex,
                ) => Quiet::Blocked,
                _ => Quiet::Busy,
            };
            self.quiet.insert(process, state);
        }
        if let Some(change) = self.mishap(tid, nr, &args) {
            self.trace.injected.mishaps += 1;
            if let Change::Corrupted(at, original) = change {
                // The call goes on as any other, and stops at its exit to put the byte back.
                self.restore.insert(tid, (at, original));
            }
            if change == Change::Held
                && let Some(Role::Read { fd, .. }) = syscalls::traced(nr)
            {
                // Handled as any read, but uncut and not resumed until its pipe has the bytes.
                self.holding = Some(Held {
                    tid,
                    process: self.process(tid),
                    fd: args[fd] as i32,
                    polled: Vec::new(),
                    exits: self.exits,
                    wanted: false,
                });
                let faults = self.faults.take();
                let wanted = self.on_entry_as_usual(tid, nr, args);
                self.faults = faults;
                return wanted;
            }
            if change == Change::Held {
                // A poll: handled as any, and not resumed until the others are quiet.
                self.holding = Some(Held {
                    tid,
                    process: self.process(tid),
                    fd: -1,
                    polled: poll_fds(tid, args[0], args[1])
                        .into_iter()
                        .map(|(fd, _)| fd)
                        .collect(),
                    exits: self.exits,
                    wanted: false,
                });
                return self.on_entry_as_usual(tid, nr, args);
            }
            return match change {
                Change::Fails(errno) => {
                    // Stop at its exit too, to set its result again.
                    self.failing.insert(tid, errno);
                    true
                }
                Change::Exits | Change::Held => false,
                Change::Corrupted(..) => {
                    self.on_entry_as_usual(tid, nr, args);
                    true
                }
            };
        }
        self.on_entry_as_usual(tid, nr, args)
    }

    /// What a traced call's entry means for the trace; returns whether its result is needed.
    fn on_entry_as_usual(&mut self, tid: i32, nr: u64, args: [u64; 6]) -> bool {
        let Some(call) = syscalls::traced(nr) else {
            return false;
        };
        let process = self.process(tid);
        self.measure_resized(process);
        let mut entry = Pending {
            call,
            args,
            object: None,
            source: None,
            fill: None,
            plain: syscalls::counts_bytes(nr),
            began: self.limits.start.elapsed(),
        };
        let wanted = match call {
            Role::Poll(watched) => {
                // Rust's runtime polls fds 0-2 once before main: only a poll by a process
                // that holds a pipe or socket of its own counts.
                let own = self.tables.get(&process).is_some_and(|t| {
                    t.iter().any(|f| {
                        !matches!(f.object, Object::Other(_))
                            && !self.trace.output.contains(&f.object)
                    })
                });
                let fds = match watched {
                    Watched::PollFds => poll_fds(tid, args[0], args[1])
                        .into_iter()
                        .map(|(fd, _)| fd)
                        .collect(),
                    Watched::ReadSet => read_set(tid, args[0], args[1]),
                    // Its descriptors were watched as epoll_ctl added them.
                    Watched::Epoll => Vec::new(),
                };
                self.watch(process, &fds);
                if let Some(p) = self.proc_mut(process).filter(|_| own) {
                    p.polls += 1;
                }
                if own {
                    self.event(process, Happened::WaitBegan { on: WaitOn::Poll });
                }
                // Its answer is wanted: which descriptors it reported ready.
                own
            }
            Role::EpollCtl => {
                if args[1] as i32 == libc::EPOLL_CTL_ADD {
                    self.watch(process, &[args[2] as i32]);
                }
                false
            }
            Role::Sleep => {
                if let Some((until, asked)) = self.wake_up(tid, nr, &args) {
                    self.event(process, Happened::Slept { until, asked });
                    // The length asked for is noted; the program sleeps a fraction of it.
                    if let (Some(Mishap::PausesShortened { by }), Some(asked)) =
                        (self.limits.mishap, asked)
                        && mishap::shorten(tid, nr, &args, asked / by)
                    {
                        self.trace.injected.mishaps += 1;
                    }
                }
                false
            }
            Role::Read { size, .. } if size.is_some_and(|i| args[i] == 0) => false,
            Role::Move { from, to } => {
                let (source, object) = (
                    self.end_of(process, args[from] as i32),
                    self.end_of(process, args[to] as i32),
                );
                if let Some(source) = &source {
                    self.note_unpolled_read(process, tid, args[from] as i32, source);
                }
                let wanted = source.is_some() || object.is_some();
                (entry.source, entry.object) = (source, object);
                wanted
            }
            Role::Read { fd, .. } | Role::Write { fd } => {
                let fd = args[fd] as i32;
                let writes = matches!(call, Role::Write { .. });
                let Some(object) = self.end_of(process, fd) else {
                    return false;
                };
                let cut = !self.trace.output.contains(&object)
                    && syscalls::counts_bytes(nr)
                    && self.inject(tid, process, (fd, &object), writes, args[2]);
                if !writes {
                    self.note_unpolled_read(process, tid, fd, &object);
                    if !self.trace.output.contains(&object) {
                        let object = object.clone();
                        self.event(process, Happened::ReadBegan { object, cut });
                    }
                }
                // Once a process has read bytes from an end, its further reads are only
                // counted as they begin; so are writes to the checker's own stdout and stderr.
                // Other calls wait for their result: the bytes that went through, EPIPE, EAGAIN.
                let key = (process, object.clone(), writes);
                let got_bytes = !writes
                    && self
                        .io_index
                        .get(&key)
                        .is_some_and(|i| self.trace.io[*i].bytes > 0);
                if writes
                    && self.trace.output.first() == Some(&object)
                    && syscalls::counts_bytes(nr)
                {
                    self.note_printed(process, tid, args[1], args[2]);
                }
                let got_bytes = got_bytes && !self.limits.await_reads;
                if got_bytes || self.trace.output.contains(&object) {
                    // A read of an end that has given bytes most likely moves some: a reader
                    // taking a byte at a time stops as often as its writer.
                    if got_bytes {
                        self.cost.moved.fetch_add(1, Ordering::Relaxed);
                    }
                    self.record_io(process, object, writes, fd, 0, false);
                    return false;
                }
                entry.object = Some(object);
                true
            }
            // A wait that may block (no WNOHANG among its options) begins: wait4's are its
            // third argument, waitid's its fourth.
            Role::Wait4 | Role::Waitid => {
                let options = match call {
                    Role::Wait4 => args[2],
                    _ => args[3],
                };
                if options & libc::WNOHANG as u64 == 0 {
                    self.event(process, Happened::WaitBegan { on: WaitOn::Child });
                }
                true
            }
            Role::Fcntl if args[1] as i32 == libc::F_SETPIPE_SZ => {
                entry.fill = self.peek.pipe_fill(process, args[0] as i32);
                entry.object = self.end_of(process, args[0] as i32);
                true
            }
            // Only the commands that make a descriptor or resize a pipe.
            Role::Fcntl => matches!(
                args[1] as i32,
                libc::F_DUPFD
                    | libc::F_DUPFD_CLOEXEC
                    | libc::F_SETFD
                    | F_SETSIG
                    | libc::F_GETPIPE_SZ
            ),
            _ => true,
        };
        if wanted {
            self.pending.insert(tid, entry);
        }
        wanted
    }

    /// Keeps the read the mishap holds stopped; whether there was one.
    fn hold(&mut self, wanted: bool) -> bool {
        let Some(mut held) = self.holding.take() else {
            return false;
        };
        held.wanted = wanted;
        self.held.push(held);
        true
    }

    /// Resumes the held reads whose pipe has the bytes, or all of them once a process exited
    /// (a writer gone, or one that waits for something else, never brings more).
    fn release_held(&mut self) {
        if self.limits.mishap == Some(Mishap::PollsWhenQuiet) {
            return self.release_polls();
        }
        let Some(Mishap::FirstReadWaits { bytes }) = self.limits.mishap else {
            return;
        };
        let held = std::mem::take(&mut self.held);
        for h in held {
            let ready = self.exited
                || !self.live.contains(&h.tid)
                || self
                    .peek
                    .waiting(h.process, h.fd)
                    .is_some_and(|w| w >= bytes);
            if !ready {
                self.held.push(h);
            } else if h.wanted {
                let _ = ptrace::syscall(Pid::from_raw(h.tid), None);
            } else {
                self.resume(h.tid, None);
            }
        }
    }

    /// Resumes the held polls once every other process is quiet (asleep, blocked or gone)
    /// and the poll will find something: bytes in a polled pipe, a process gone since the
    /// hold began, or nobody asleep who could still write.
    fn release_polls(&mut self) {
        let others: Vec<i32> = self
            .live
            .iter()
            .map(|t| self.process(*t))
            .filter(|p| *p != self.root)
            .collect();
        let states: Vec<Quiet> = others
            .iter()
            .map(|p| self.quiet.get(p).copied().unwrap_or(Quiet::Busy))
            .collect();
        if states.contains(&Quiet::Busy) {
            return;
        }
        let held = std::mem::take(&mut self.held);
        for h in held {
            let ready = !states.contains(&Quiet::Asleep)
                || self.exits > h.exits
                || h.polled
                    .iter()
                    .any(|fd| self.peek.waiting(h.process, *fd).is_some_and(|n| n > 0));
            if !ready && self.live.contains(&h.tid) {
                self.held.push(h);
            } else if h.wanted {
                let _ = ptrace::syscall(Pid::from_raw(h.tid), None);
            } else {
                self.resume(h.tid, None);
            }
        }
    }

    /// Makes the run's mishap happen to this call, if it is the call the mishap changes.
    fn mishap(&mut self, tid: i32, nr: u64, args: &[u64; 6]) -> Option<Change> {
        let made = self.limits.mishap?;
        let process = self.process(tid);
        // For a write into a pipe: what its process had written into it before.
        let written_before = match syscalls::traced(nr) {
            Some(Role::Write { fd }) => self
                .end_of(process, args[fd] as i32)
                .filter(|o| matches!(o, Object::Pipe(_)) && !self.trace.output.contains(o))
                .map(|object| {
                    self.io_index
                        .get(&(process, object, true))
                        .map_or(0, |i| self.trace.io[*i].bytes)
                }),
            _ => None,
        };
        // For a read of a pipe: whether its process reads that pipe for the first time.
        let first_read = match syscalls::traced(nr) {
            Some(Role::Read { fd, .. }) => self
                .end_of(process, args[fd] as i32)
                .filter(|o| matches!(o, Object::Pipe(_)) && !self.trace.output.contains(o))
                .is_some_and(|object| !self.io_index.contains_key(&(process, object, false))),
            _ => false,
        };
        let call = mishap::Stopped {
            tid,
            root: process == self.root,
            nr,
            args,
            written_before,
            first_read,
            polls: matches!(syscalls::traced(nr), Some(Role::Poll(Watched::PollFds))),
        };
        mishap::make(made, &call)
    }

    /// Cuts a read or write of a data channel short, as `faults` draws it.
    fn inject(
        &mut self,
        tid: i32,
        process: i32,
        (fd, object): (i32, &Object),
        writes: bool,
        asked: u64,
    ) -> bool {
        let Some(faults) = self.faults.as_mut() else {
            return false;
        };
        let before = faults.injected.reads_cut + faults.injected.writes_cut;
        let index = self
            .trace
            .procs
            .iter()
            .rposition(|p| p.pid == process)
            .unwrap_or(0);
        if writes {
            faults.write((tid, process, index), object, asked);
        } else {
            faults.read(&mut self.peek, (tid, process, index), (fd, object), asked);
        }
        faults.injected.reads_cut + faults.injected.writes_cut > before
    }

    /// After a process resized a pipe, how full the pipe gets at each of its later stops:
    /// filling it again after the resize is half of exercise 06.
    fn measure_resized(&mut self, process: i32) {
        for k in 0..self.trace.pipe_resizes.len() {
            let r = &self.trace.pipe_resizes[k];
            let Some(object) = r.object.clone().filter(|_| r.pid == process) else {
                continue;
            };
            let fd = self
                .tables
                .get(&process)
                .and_then(|t| t.iter().find(|f| f.object == object).map(|f| f.fd));
            let Some((size, bytes)) = fd.and_then(|fd| self.peek.pipe_fill(process, fd)) else {
                continue;
            };
            let r = &mut self.trace.pipe_resizes[k];
            if r.after.is_none_or(|(_, most)| bytes >= most) {
                r.after = Some((size, bytes));
            }
        }
    }

    /// The pipe, FIFO or socket behind a descriptor of a process, if it is one.
    fn end_of(&self, process: i32, fd: i32) -> Option<Object> {
        self.tables
            .get(&process)?
            .iter()
            .find(|f| f.fd == fd)
            .map(|f| f.object.clone())
            .filter(|o| !matches!(o, Object::Other(_)))
    }

    /// A traced call returned `value` (a negative errno when `failed`).
    fn on_return(&mut self, tid: i32, entry: Pending, value: i64, failed: bool) {
        let process = self.process(tid);
        match entry.call {
            Role::Read { fd, .. } | Role::Write { fd } => {
                let Some(object) = entry.object else { return };
                let writes = matches!(entry.call, Role::Write { .. });
                let index = self.record_io(
                    process,
                    object.clone(),
                    writes,
                    entry.args[fd] as i32,
                    value,
                    failed,
                );
                if writes && !failed {
                    self.wrote(process, object, index, value, entry.began);
                }
                if !writes && !failed && value == 0 {
                    self.trace.io[index].ends_of_file += 1;
                }
                // A reader that takes a byte per read moves as much as a writer that gives a
                // byte per write: where each read is waited for, each brings its bytes.
                if !writes && !failed && value > 0 {
                    self.cost.moved.fetch_add(value as u64, Ordering::Relaxed);
                }
                // The first bytes each process writes into a channel, as they went in.
                let io = &mut self.trace.io[index];
                let room = SAMPLE_BYTES.saturating_sub(io.sample.len());
                if writes && entry.plain && !failed && value > 0 && room > 0 {
                    let bytes = read_bytes(tid, entry.args[1], (value as usize).min(room));
                    self.trace.io[index].sample.extend(bytes);
                }
            }
            Role::Move { from, to } => {
                if let Some(source) = entry.source {
                    let fd = entry.args[from] as i32;
                    self.record_io(process, source, false, fd, value, failed);
                }
                if let Some(object) = entry.object {
                    let fd = entry.args[to] as i32;
                    let index = self.record_io(process, object.clone(), true, fd, value, failed);
                    if !failed {
                        self.wrote(process, object, index, value, entry.began);
                    }
                }
            }
            Role::Wait4 | Role::Waitid => {
                // wait4 returns the pid it reaped; waitid returns 0 and names it in the
                // siginfo it fills (si_pid, 0 when WNOHANG found nothing).
                let reaped = match entry.call {
                    _ if failed => 0,
                    Role::Waitid if entry.args[2] != 0 => {
                        const SI_PID: u64 = 16;
                        let bytes = read_bytes(tid, entry.args[2] + SI_PID, 4);
                        bytes.try_into().map(i32::from_ne_bytes).unwrap_or_default()
                    }
                    Role::Waitid => 0,
                    _ => value as i32,
                };
                let holding: Vec<Fd> = self
                    .tables
                    .get(&process)
                    .into_iter()
                    .flatten()
                    .filter(|f| {
                        matches!(
                            f.object,
                            Object::Pipe(_) | Object::Fifo(..) | Object::Socket(_)
                        )
                    })
                    .cloned()
                    .collect();
                if let Some(p) = self.proc_mut(process) {
                    p.waits += 1;
                    if reaped > 0 {
                        p.waited_for.push(reaped);
                        p.waited_holding.push(holding);
                    }
                }
            }
            Role::Fcntl if entry.args[1] as i32 == libc::F_SETPIPE_SZ => {
                let nonblocking = entry.object.as_ref().is_some_and(|object| {
                    self.tables.get(&process).into_iter().flatten().any(|f| {
                        f.object == *object
                            && f.writes
                            && procfs::fd_flags(tid, f.fd)
                                .is_some_and(|flags| flags & libc::O_NONBLOCK != 0)
                    })
                });
                self.trace.pipe_resizes.push(Resize {
                    nonblocking,
                    pid: process,
                    object: entry.object,
                    result: value,
                    before: entry.fill,
                    after: None,
                });
            }
            Role::Fcntl if entry.args[1] as i32 == libc::F_GETPIPE_SZ => {
                self.trace.pipe_size_answers.push((process, value));
            }
            Role::Fcntl if entry.args[1] as i32 == libc::F_SETFD => {
                let flag = entry.args[2] as i32 & libc::FD_CLOEXEC != 0;
                if let Some(p) = self.proc_mut(process).filter(|_| !failed && flag) {
                    p.cloexec.push(entry.args[0] as i32);
                }
            }
            Role::SocketPair => {
                self.refresh_diff(process, tid, false);
                let fds = if failed {
                    None
                } else {
                    read_fd_pair(tid, entry.args[3])
                };
                let inode = |fd: i32| {
                    self.tables
                        .get(&process)?
                        .iter()
                        .find_map(|f| match f.object {
                            Object::Socket(i) if f.fd == fd => Some(i),
                            _ => None,
                        })
                };
                if let Some((a, b)) = fds.and_then(|(a, b)| Some((inode(a)?, inode(b)?))) {
                    self.trace.socket_pairs.push((a, b));
                }
            }
            Role::MakeNode { path, mode } if !failed => {
                let asked = entry.args[mode] as u32;
                if asked & libc::S_IFMT == libc::S_IFIFO
                    && let Some(name) = read_c_string(tid, entry.args[path])
                {
                    self.trace.fifos_made.push((process, name, asked & 0o7777));
                }
            }
            Role::Fcntl if !failed && entry.args[1] as i32 == F_SETSIG => {
                self.note_arranged(process, entry.args[2] as i32);
            }
            Role::Arranges(how) if !failed => {
                let signal = match how {
                    Arrangement::DeathSignal if entry.args[0] == libc::PR_SET_PDEATHSIG as u64 => {
                        Some(entry.args[1] as i32)
                    }
                    Arrangement::DeathSignal => None,
                    Arrangement::Sigevent { at } => sigevent_signal(tid, entry.args[at]),
                };
                if let Some(signal) = signal {
                    self.note_arranged(process, signal);
                }
            }
            Role::Signal { sig, to } if !failed && entry.args[sig] != 0 => {
                let to = self.addressees(tid, to, entry.args[0]);
                self.trace.signals.push(SentSignal {
                    from: process,
                    signal: entry.args[sig] as i32,
                    to,
                });
            }
            Role::Pipe => self.refresh_diff(process, tid, !failed),
            Role::Dup | Role::Fcntl | Role::Close | Role::Open => {
                self.refresh_diff(process, tid, false)
            }
            Role::Poll(_) if !failed && value == 0 => {
                // Nothing was ready: the poll timed out (a zero timeout returns at once).
                if let Some(p) = self.proc_mut(process) {
                    p.empty_polls += 1;
                }
                self.ready.insert(process, Some(Vec::new()));
                let ready = Some(Vec::new());
                self.event(process, Happened::PollReturned { ready });
            }
            Role::Poll(watched) if !failed => {
                let fds = match watched {
                    Watched::PollFds => {
                        let answer = poll_fds(tid, entry.args[0], entry.args[1]);
                        self.note_hangups(process, &answer);
                        answer
                            .into_iter()
                            .filter(|(_, revents)| *revents != 0)
                            .map(|(fd, _)| fd)
                            .collect()
                    }
                    // select rewrites the set in place: what is left is ready.
                    Watched::ReadSet => read_set(tid, entry.args[0], entry.args[1]),
                    // epoll_wait(epfd, events, maxevents, ...) returns how many events it wrote.
                    Watched::Epoll => {
                        let (epfd, events) = (entry.args[0] as i32, entry.args[1]);
                        let answer = epoll::ready(tid, epfd, events, value as u64);
                        self.note_hangups(process, &answer);
                        answer.into_iter().map(|(fd, _)| fd).collect()
                    }
                };
                let ready = self.objects(process, &fds);
                self.ready.insert(process, Some(ready.clone()));
                let ready = Some(ready);
                self.event(process, Happened::PollReturned { ready });
            }
            // Interrupted (a child's SIGCHLD, say): the kernel may finish the call through
            // restart_syscall, whose answer is not seen; until the next poll, any read goes.
            Role::Poll(_) => {
                self.ready.insert(process, None);
                self.event(process, Happened::PollReturned { ready: None });
            }
            // Never stopped at, or nothing to learn from the result.
            Role::Signal { .. }
            | Role::Arranges(_)
            | Role::MakeNode { .. }
            | Role::EpollCtl
            | Role::Sleep
            | Role::Futex
            | Role::Restart => {}
        }
    }

    /// The processes of the run a signal sent by `tid` went to, from the first argument of the
    /// call that sent it.
    /// A signal the kernel will send later on `process`'s behalf (a timer's, a parent's
    /// death's, a descriptor's): its addressee is not known now, so it counts as sent to every
    /// process of the run.
    fn note_arranged(&mut self, process: i32, signal: i32) {
        if signal <= 0 {
            return;
        }
        let mut to: Vec<i32> = self.live.iter().map(|t| self.process(*t)).collect();
        to.sort_unstable();
        to.dedup();
        self.trace.signals.push(SentSignal {
            from: process,
            signal,
            to,
        });
    }

    fn addressees(&self, tid: i32, to: Addressee, arg: u64) -> Vec<i32> {
        let target = match to {
            Addressee::Pidfd => procfs::pidfd_target(tid, arg as i32),
            Addressee::Thread => Some(self.process(arg as i32)),
            Addressee::Process => Some(arg as i32),
        };
        match target {
            // kill(0), kill(-1), kill(-pgid): a group, maybe all of the run.
            Some(pid) if pid <= 0 && to == Addressee::Process => {
                let mut all: Vec<i32> = self.live.iter().map(|t| self.process(*t)).collect();
                all.sort_unstable();
                all.dedup();
                all
            }
            Some(pid) if self.group.contains_key(&pid) => vec![self.process(pid)],
            _ => Vec::new(),
        }
    }

    /// Notes a read of `object` that no poll of this process had reported ready: the first one
    /// per end, before the first poll and after one, and whether its descriptor was
    /// non-blocking (such a read cannot wait).
    fn note_unpolled_read(&mut self, process: i32, tid: i32, fd: i32, object: &Object) {
        let before_first_poll = match self.ready.get(&process) {
            None => true,
            Some(None) => return,
            Some(Some(ready)) if ready.contains(object) => return,
            Some(Some(_)) => false,
        };
        let Some(p) = self.proc_mut(process) else {
            return;
        };
        let known = p
            .unpolled_reads
            .iter()
            .any(|r| r.object == *object && r.before_first_poll == before_first_poll);
        if !known {
            p.unpolled_reads.push(UnpolledRead {
                object: object.clone(),
                fd,
                before_first_poll,
                nonblocking: procfs::fd_flags(tid, fd).is_some_and(|f| f & libc::O_NONBLOCK != 0),
            });
        }
    }

    /// Counts, per end, the polls that reported it hung up with nothing left to read
    /// (POLLHUP without POLLIN): a loop that keeps such an end in its set spins on it.
    fn note_hangups(&mut self, process: i32, answer: &[(i32, i16)]) {
        let hung: Vec<i32> = answer
            .iter()
            .filter(|(_, r)| r & libc::POLLHUP != 0 && r & libc::POLLIN == 0)
            .map(|(fd, _)| *fd)
            .collect();
        let objects = self.objects(process, &hung);
        if let Some(p) = self.proc_mut(process) {
            for o in objects {
                match p.hangups.iter_mut().find(|(h, _)| *h == o) {
                    Some((_, n)) => *n += 1,
                    None => p.hangups.push((o, 1)),
                }
            }
        }
    }

    /// Notes the lines a process begins on the checker's stdout, and whether it had read
    /// anything from a pipe, FIFO or socket by then.
    fn note_printed(&mut self, process: i32, tid: i32, addr: u64, count: u64) {
        const KEPT: usize = 1000;
        if self
            .proc_mut(process)
            .is_none_or(|p| p.printed.len() >= KEPT)
        {
            return;
        }
        let bytes = read_bytes(tid, addr, count.min(4096) as usize);
        let had_read = self.trace.io.iter().any(|io| {
            io.pid == process
                && !io.writes
                && io.bytes > 0
                && !self.trace.output.contains(&io.object)
        });
        let mid_line = self.mid_line.contains(&process);
        let Some(p) = self.proc_mut(process) else {
            return;
        };
        let mut at_start = !mid_line;
        let mut begun = Vec::new();
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            if at_start {
                let text = String::from_utf8_lossy(piece);
                let line: String = text.trim_end_matches('\n').chars().take(80).collect();
                if p.printed.len() < KEPT {
                    p.printed.push(Printed {
                        line: line.clone(),
                        had_read,
                    });
                }
                begun.push(line);
            }
            at_start = piece.ends_with(b"\n");
        }
        for line in begun {
            self.event(process, Happened::Printed { line });
        }
        if at_start || bytes.is_empty() {
            self.mid_line.remove(&process);
        } else {
            self.mid_line.insert(process);
        }
    }

    /// The pipes and sockets behind `fds` in the process's table.
    fn objects(&self, process: i32, fds: &[i32]) -> Vec<Object> {
        self.tables
            .get(&process)
            .into_iter()
            .flatten()
            .filter(|f| fds.contains(&f.fd) && !matches!(f.object, Object::Other(_)))
            .map(|f| f.object.clone())
            .collect()
    }

    /// Notes the pipes and sockets behind `fds` as watched by a poll (or select, or epoll).
    fn watch(&mut self, process: i32, fds: &[i32]) {
        let objects = self.objects(process, fds);
        if let Some(p) = self.proc_mut(process) {
            for o in objects {
                if !p.watched.contains(&o) {
                    p.watched.push(o);
                }
            }
        }
    }

    fn record_io(
        &mut self,
        process: i32,
        object: Object,
        writes: bool,
        fd: i32,
        value: i64,
        failed: bool,
    ) -> usize {
        let key = (process, object.clone(), writes);
        let index = match self.io_index.get(&key) {
            Some(i) => *i,
            None => {
                // What the process held when it first used this end: a reader that still holds
                // a write end of its own pipe never sees end-of-file.
                let held = self.tables.get(&process).cloned().unwrap_or_default();
                self.trace.io.push(Io {
                    pid: process,
                    object,
                    writes,
                    fd,
                    held,
                    ..Io::default()
                });
                self.io_index.insert(key, self.trace.io.len() - 1);
                self.trace.io.len() - 1
            }
        };
        let io = &mut self.trace.io[index];
        io.calls += 1;
        if failed {
            let name = format!("{:?}", Errno::from_raw((-value) as i32));
            *io.errors.entry(name).or_default() += 1;
        } else {
            io.bytes += value.max(0) as u64;
        }
        index
    }

    /// Reads the process's descriptors again after a call changed them, and notes what it
    /// gained and lost (and, after pipe(), the pipes it made).
    fn refresh_diff(&mut self, process: i32, tid: i32, made_pipe: bool) {
        let before = self.tables.get(&process).cloned().unwrap_or_default();
        let after = self.table_of(tid);
        self.tables.insert(process, after.clone());
        for gone in before.iter().filter(|f| !after.contains(f)) {
            self.dropped(process, gone);
        }
        for new in after.iter().filter(|f| !before.contains(f)) {
            self.gained(process, new);
        }
        // A bound on one process's history: a loop of pipe() and close() must not fill the
        // checker's memory before the timeout stops it.
        let Some(p) = self
            .proc_mut(process)
            .filter(|p| p.closed.len() + p.gained.len() < HISTORY)
        else {
            return;
        };
        for gone in before.iter().filter(|f| !after.contains(f)) {
            p.closed.push(gone.clone());
        }
        for new in after.iter().filter(|f| !before.contains(f)) {
            p.gained.push(new.clone());
            if let Object::Pipe(i) = new.object
                && made_pipe
                && !p.made.contains(&i)
            {
                p.made.push(i);
            }
        }
    }

    /// A stopped process's descriptors, as /proc shows them. A table the tracer may not read
    /// makes the whole trace unusable: without it every pipe would look unmade and unused.
    fn table_of(&mut self, tid: i32) -> Vec<Fd> {
        match procfs::fd_table(tid) {
            Ok(fds) => fds,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                self.unusable.get_or_insert_with(|| BLIND.to_string());
                Vec::new()
            }
            Err(_) => Vec::new(),
        }
    }

    fn record_exec(&mut self, pid: i32) {
        let path = procfs::exec_fn_address(pid).and_then(|at| read_c_string(pid, at));
        let argv = procfs::cmdline(pid);
        let fds = self.table_of(pid);
        self.tables.insert(pid, fds.clone());
        if let Some(p) = self.proc_mut(pid) {
            p.execs.push(Exec { path, argv, fds });
        }
    }

    fn on_exit(&mut self, tid: i32, how: Exit) {
        self.exited = true;
        self.live.remove(&tid);
        self.pending.remove(&tid);
        self.early.remove(&tid);
        self.fresh.remove(&tid);
        let process = self.process(tid);
        self.group.remove(&tid);
        if process != tid {
            return;
        }
        self.peek.forget(tid);
        self.exits += 1;
        self.quiet.remove(&tid);
        if let Some(table) = self.tables.remove(&tid) {
            for fd in &table {
                self.dropped(tid, fd);
            }
            if let Some(p) = self.proc_mut(tid) {
                p.held_at_exit = table;
            }
        }
        self.event(tid, Happened::Exited);
        if tid == self.root && !self.root_ended {
            self.root_ended = true;
            let _ = self.ended.send(how);
        }
        if let Some(p) = self.proc_mut(tid) {
            p.exit = Some(how);
        }
    }

    /// Notes on the timeline that `value` bytes went into `object` (its entry `index` of the
    /// trace's io, which counts them all), by a write the X-ray saw begin at `began`.
    fn wrote(
        &mut self,
        process: i32,
        object: Object,
        index: usize,
        value: i64,
        began: std::time::Duration,
    ) {
        if value > 0 {
            self.cost.moved.fetch_add(value as u64, Ordering::Relaxed);
            let total = self.trace.io[index].bytes;
            let bytes = value as u64;
            self.event(
                process,
                Happened::Wrote {
                    object,
                    bytes,
                    total,
                    began,
                },
            );
        }
    }

    /// Notes that a process let go of one of its ends of a pipe, FIFO or socket.
    fn gained(&mut self, process: i32, fd: &Fd) {
        if matches!(fd.object, Object::Other(_)) || self.trace.output.contains(&fd.object) {
            return;
        }
        let (object, writes) = (fd.object.clone(), fd.writes);
        self.event(
            process,
            Happened::Gained {
                object,
                writes,
                fd: fd.fd,
            },
        );
    }

    fn dropped(&mut self, process: i32, fd: &Fd) {
        if matches!(fd.object, Object::Other(_)) || self.trace.output.contains(&fd.object) {
            return;
        }
        let (object, writes) = (fd.object.clone(), fd.writes);
        self.event(process, Happened::Dropped { object, writes });
    }

    /// When a sleep that begins now asks to wake up, on the run's clock: nanosleep(req, rem),
    /// clock_nanosleep(clock, flags, req, rem), the latter maybe with an absolute time.
    fn wake_up(
        &self,
        tid: i32,
        nr: u64,
        args: &[u64; 6],
    ) -> Option<(std::time::Duration, Option<std::time::Duration>)> {
        let (clock, flags, req) = if nr == libc::SYS_clock_nanosleep as u64 {
            (args[0] as libc::clockid_t, args[1] as i32, args[2])
        } else {
            (libc::CLOCK_MONOTONIC, 0, args[0])
        };
        let bytes = read_bytes(tid, req, 16);
        let secs = i64::from_ne_bytes(bytes.get(..8)?.try_into().ok()?);
        let nanos = i64::from_ne_bytes(bytes.get(8..16)?.try_into().ok()?);
        if secs < 0 || !(0..1_000_000_000).contains(&nanos) {
            return None;
        }
        let asked = std::time::Duration::new(secs as u64, nanos as u32);
        let now = self.limits.start.elapsed();
        if flags & libc::TIMER_ABSTIME == 0 {
            return Some((now + asked, Some(asked)));
        }
        let mut clock_now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime fills a local struct.
        if unsafe { libc::clock_gettime(clock, &mut clock_now) } != 0 {
            return None;
        }
        let clock_now =
            std::time::Duration::new(clock_now.tv_sec.max(0) as u64, clock_now.tv_nsec as u32);
        Some((now + asked.saturating_sub(clock_now), None))
    }

    fn proc_mut(&mut self, pid: i32) -> Option<&mut TracedProcess> {
        self.trace.procs.iter_mut().rev().find(|p| p.pid == pid)
    }
}
