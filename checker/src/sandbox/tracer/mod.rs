//! Follows every process of one run with ptrace and records the calls that wire it: who
//! created which pipe, who inherited, duplicated, closed, read and wrote which end, who
//! exec'd what, who waited and who polled.
//!
//! A seccomp filter stops the program only at the calls `syscalls` marks as traced (a few
//! dozen numbers), not at every call, so that timing checks keep their meaning. Where seccomp
//! is refused, every call stops and the same code picks the interesting ones. The descriptor
//! tables come from /proc while the process is stopped: the kernel's word, not an emulation
//! of dup2 and close-on-exec. This file starts the program; `follow` handles its stops,
//! `memory` reads the arrays a stopped call points to and `epoll` what an epoll wait answered.

mod epoll;
mod faults;
mod follow;
mod memory;
mod mishap;
mod peek;
mod regs;

use super::syscalls;
use super::trace::{Exit, Mishap, Trace};
use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// How long the tracer may take to see the last process of a run go once the run is over;
/// past it, the trace is given up rather than the check held.
const FINISH_DEADLINE: Duration = Duration::from_secs(3);

/// How many processes, and tasks (threads included), a traced run may have at once: the
/// tracer sees every fork before the new process runs, and stops the run at the one too many.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub processes: usize,
    pub tasks: usize,
    /// The seed of the short reads and writes to inject (tracer/faults.rs); none for none.
    pub faults: Option<u64>,
    /// Let writes of one byte through without a stop (a pipe filled a byte at a time).
    pub untraced_byte_writes: bool,
    /// The failure to make happen in this run, if any.
    pub mishap: Option<Mishap>,
    /// Wait for the result of every read, not only of an end's first reads: each end-of-file
    /// is then seen (03's consumer must stop at END, not read on to end-of-file).
    pub await_reads: bool,
    /// Read how long the run's processes waited for a CPU at each write, print, pause and end
    /// let go (two files of /proc, the program stopped meanwhile): what excuses a late line in
    /// a case whose line times are judged. Elsewhere nothing reads them.
    pub count_waits: bool,
    /// The run's clock: the timeline counts from here.
    pub start: std::time::Instant,
}

/// A traced program that is running: its output streams and how to learn that it ended.
pub struct TracedRun {
    pub pid: i32,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    /// Receives how the program itself ended (the tracer reaps it, so nobody else may).
    pub ended: Receiver<Exit>,
    over_limit: Arc<AtomicBool>,
    cost: Arc<Cost>,
    done: Receiver<Result<Trace, String>>,
}

/// What the X-ray has cost the run so far, counted as it goes: its stops, and the bytes the
/// stopped calls moved: those written, those read where the X-ray saw a read's result, and a
/// byte for each read of an end that had given bytes where it did not.
#[derive(Debug, Default)]
pub struct Cost {
    pub stops: AtomicU64,
    pub moved: AtomicU64,
}

/// Stops beyond which the X-ray's cost weighs on a time limit.
const COSTLY_STOPS: u64 = 20_000;
/// What one stop costs a traced program (some 50 microseconds on a quiet machine, twice that
/// on a busy one).
const STOP_COST: Duration = Duration::from_micros(100);

impl TracedRun {
    /// The run forked past its limits; the tracer has killed every process of it.
    pub fn over_limit(&self) -> bool {
        self.over_limit.load(Ordering::SeqCst)
    }

    /// The time the X-ray's stops have cost a run that works through many of them, each
    /// moving data (at least a byte per stop): the runner adds it to the time limit,
    /// so that the X-ray never fails a right program for being slow under it. A loop of
    /// failing writes, of reads at end-of-file or of empty polls moves nothing, and gets no
    /// more time.
    pub fn x_ray_cost(&self) -> Duration {
        let stops = self.cost.stops.load(Ordering::Relaxed);
        let moved = self.cost.moved.load(Ordering::Relaxed);
        if stops <= COSTLY_STOPS || moved < stops {
            return Duration::ZERO;
        }
        STOP_COST.saturating_mul(u32::try_from(stops).unwrap_or(u32::MAX))
    }

    /// The trace, once every process of the run is gone (or the deadline has passed).
    pub fn finish(self) -> Result<Trace, String> {
        match self.done.recv_timeout(FINISH_DEADLINE) {
            Ok(trace) => trace,
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "the tracer did not see every process of the run end within {} s",
                FINISH_DEADLINE.as_secs()
            )),
            Err(RecvTimeoutError::Disconnected) => Err("the tracer stopped unexpectedly".into()),
        }
    }
}

/// How the stops come: from the seccomp filter (only the calls that matter), or at the entry
/// and exit of every call when seccomp was refused.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Filtered,
    EveryCall,
}

/// The CPU each traced run is kept on: set by `use_cpu`, else the one its tracer starts on.
static CPU: AtomicI32 = AtomicI32::new(-1);

/// Keeps this process's traced runs on the `lane`-th CPU it may use (counting round), so that
/// two checks running side by side trace on CPUs of their own.
pub fn use_cpu(lane: usize) {
    // SAFETY: the set is a plain bitmask on the stack, filled by the kernel.
    let allowed: Vec<usize> = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return;
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    };
    if !allowed.is_empty() {
        CPU.store(allowed[lane % allowed.len()] as i32, Ordering::SeqCst);
    }
}

/// Keeps this thread, and the program it starts (which inherits the mask), on one CPU. Each
/// stop hands the CPU from the program to the tracer and back: on one CPU that is a plain
/// switch, across two it is a wake-up of the other CPU, and the X-ray of 01 and 08 took twice
/// as long. A refusal (a restricted cpuset) only costs that time.
fn share_one_cpu() {
    // SAFETY: sched_getcpu reads this thread's CPU; the set is a plain bitmask on the stack.
    unsafe {
        let cpu = match CPU.load(Ordering::SeqCst) {
            -1 => libc::sched_getcpu(),
            chosen => chosen,
        };
        if cpu < 0 {
            return;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// How much sooner than an ordinary process the tracer gets the CPU back when it wakes up.
const TRACER_NICE: i32 = -10;

/// Puts this thread, the tracer, ahead of ordinary processes: every stop of the program waits
/// for it, so on a busy machine a tracer that waits its turn makes a right program late. Only
/// root may; elsewhere it stays as it is. The program goes back to an ordinary place before
/// it runs (`become_tracee`).
fn put_first() {
    // SAFETY: setpriority on the calling thread (Linux keeps a nice value per thread).
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, TRACER_NICE) };
}

/// Starts `command` under ptrace. The process that forks is the one ptrace lets trace, so a
/// dedicated thread spawns it and then follows it until every process of the run is gone.
pub fn spawn(mut command: Command, limits: Limits) -> std::io::Result<TracedRun> {
    let (started_tx, started_rx) = channel();
    let (ended_tx, ended) = channel();
    let (done_tx, done) = channel();
    let over_limit = Arc::new(AtomicBool::new(false));
    let over = over_limit.clone();
    let cost = Arc::new(Cost::default());
    let counted = cost.clone();
    let follow = move || -> Result<Trace, String> {
        share_one_cpu();
        put_first();
        // Built before the fork: the child may not allocate.
        let filter = seccomp_filter(limits.untraced_byte_writes, limits.mishap);
        let (mut status_rx, status_tx) = match std::io::pipe() {
            Ok(p) => p,
            Err(e) => {
                let _ = started_tx.send(Err(e));
                return Err("no pipe for the tracer".into());
            }
        };
        let status_fd = status_tx.as_raw_fd();
        // SAFETY: only system calls on memory prepared before the fork.
        unsafe { command.pre_exec(move || become_tracee(&filter, status_fd)) };
        // A failed exec reports its error with a write, which the filter would stop while
        // this thread still waits in spawn: a program that is not there is refused first.
        if !std::path::Path::new(command.get_program()).is_file() {
            let _ = started_tx.send(Err(std::io::ErrorKind::NotFound.into()));
            return Err("the program is not there".into());
        }
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = started_tx.send(Err(e));
                return Err("the program did not start".into());
            }
        };
        drop(status_tx);
        let mut status = Vec::new();
        let _ = status_rx.read_to_end(&mut status);
        let pid = child.id() as i32;
        let streams = (
            child.stdout.take().map(OwnedFd::from),
            child.stderr.take().map(OwnedFd::from),
        );
        let _ = started_tx.send(Ok((pid, streams)));
        drop(child);
        let mode = match status.as_slice() {
            b"T" => Mode::Filtered,
            b"TF" => Mode::EveryCall,
            _ => {
                let errno = status
                    .get(1)
                    .map_or(Errno::UnknownErrno, |e| Errno::from_raw(i32::from(*e)));
                wait_untraced(pid, &ended_tx);
                return Err(format!("ptrace is not permitted here ({errno})"));
            }
        };
        follow::follow(pid, mode, ended_tx, limits, &over, &counted)
    };
    std::thread::Builder::new()
        .name("x-ray".into())
        .spawn(move || {
            let _ = done_tx.send(follow());
        })?;
    let (pid, (stdout, stderr)) = started_rx
        .recv()
        .map_err(|_| std::io::Error::other("the tracer stopped before the program started"))??;
    Ok(TracedRun {
        pid,
        stdout,
        stderr,
        ended,
        over_limit,
        cost,
        done,
    })
}

/// Whether a call would start a task the tracer cannot follow: clone with CLONE_UNTRACED, or
/// clone3 asking for it (its flags are the first word of the structure it points to). The
/// filter refuses both; this is for the runs where every call stops instead.
fn escapes_tracing(tid: i32, nr: u64, args: &[u64; 6]) -> bool {
    let untraced = libc::CLONE_UNTRACED as u64;
    if nr == libc::SYS_clone as u64 {
        args[0] & untraced != 0
    } else if nr == libc::SYS_clone3 as u64 {
        ptrace::read(Pid::from_raw(tid), args[0] as ptrace::AddressType)
            .map_or(true, |flags| flags as u64 & untraced != 0)
    } else {
        false
    }
}

/// In the child, between fork and exec: ask to be traced, then install the filter. Reports
/// through `status_fd`: `N` and an errno (not traced), `T` (traced), then `F` when the filter
/// was refused (every call stops). Nothing the filter stops may run after it is installed:
/// until the tracer sets its options, those calls would fail with ENOSYS.
fn become_tracee(filter: &[libc::sock_filter], status_fd: i32) -> std::io::Result<()> {
    let say = |bytes: &[u8]| {
        // SAFETY: a write of a local buffer to a descriptor this process owns.
        unsafe { libc::write(status_fd, bytes.as_ptr().cast(), bytes.len()) };
    };
    // The program does not keep the tracer's place ahead of others (`put_first`).
    // SAFETY: setpriority on the calling process; raising a nice value is always allowed.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 0) };
    if let Err(e) = ptrace::traceme() {
        say(&[b'N', e as i32 as u8]);
        return Ok(());
    }
    say(b"T");
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl and seccomp on a filter that lives until exec.
    let filtered = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &program as *const libc::sock_fprog,
            ) == 0
    };
    if !filtered {
        say(b"F");
    }
    Ok(())
}

/// The call numbers with this bit are x32 calls on x86_64 (`__X32_SYSCALL_BIT`).
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Where a filter instruction jumps or what it returns.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Next,
    /// Two instructions on.
    SkipTwo,
    List,
    Allow,
    Trace,
    /// Fails the call with EPERM: a clone that asks not to be traced.
    Refuse,
    /// Fails the call with ENOSYS: clone3, whose flags a filter cannot read, so that the C
    /// library falls back to clone.
    NoSuchCall,
    /// Kills the run: a call of another architecture, which the X-ray cannot read.
    Kill,
}

/// A classic BPF program: for the calls `syscalls` marks as traced, stop for the tracer;
/// refuse the ways out of tracing (clone with CLONE_UNTRACED, clone3, io_uring's rings, which
/// move data outside system calls) and kill a call of another architecture (`int 0x80`, x32),
/// which nothing here can read; let everything else through untouched (and, when asked, a
/// write of one byte). The jail's own filter refuses these too; this one holds where the
/// sandbox is off.
fn seccomp_filter(untraced_byte_writes: bool, mishap: Option<Mishap>) -> Vec<libc::sock_filter> {
    use Target::*;
    // seccomp_data: nr at offset 0, arch at 4, then the arguments, 8 bytes each from 16 (the
    // low half first on the little-endian machines the X-ray runs on).
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const ARG0: u32 = 16;
    const ARG2: u32 = 32;
    enum Op {
        Load(u32),
        JumpIfEqual(u32, Target, Target),
        JumpIfAnyBit(u32, Target, Target),
        Return(u32),
    }
    let mut ops = vec![
        Op::Load(ARCH),
        Op::JumpIfEqual(syscalls::AUDIT_ARCH, Next, Kill),
        Op::Load(NR),
    ];
    #[cfg(target_arch = "x86_64")]
    ops.push(Op::JumpIfAnyBit(X32_SYSCALL_BIT, Kill, Next));
    ops.push(Op::JumpIfEqual(
        libc::SYS_io_uring_setup as u32,
        Refuse,
        Next,
    ));
    ops.push(Op::JumpIfEqual(libc::SYS_clone3 as u32, NoSuchCall, Next));
    // Where a pipe may be filled a byte at a time, a write of one byte goes untraced: it would
    // stop the program some 65,536 times per fill. What such writes do is measured instead
    // (how full a resized pipe is; bytes read that nobody was seen writing).
    if untraced_byte_writes {
        ops.extend([
            Op::JumpIfEqual(libc::SYS_write as u32, Next, SkipTwo),
            Op::Load(ARG2),
            Op::JumpIfEqual(1, Allow, Trace),
        ]);
    }
    ops.extend([
        Op::JumpIfEqual(libc::SYS_clone as u32, Next, List),
        Op::Load(ARG0),
        // A clone stops only where a mishap makes the fork fail.
        Op::JumpIfAnyBit(
            libc::CLONE_UNTRACED as u32,
            Refuse,
            if mishap == Some(Mishap::ForkFails) {
                Trace
            } else {
                Allow
            },
        ),
    ]);
    let list = ops.len();
    ops.extend(syscalls::traced_numbers().map(|nr| Op::JumpIfEqual(nr as u32, Trace, Next)));
    let ends = [
        (Allow, libc::SECCOMP_RET_ALLOW),
        (Trace, libc::SECCOMP_RET_TRACE),
        (Refuse, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        (NoSuchCall, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        (Kill, libc::SECCOMP_RET_KILL_PROCESS),
    ];
    let first_end = ops.len();
    ops.extend(ends.iter().map(|(_, ret)| Op::Return(*ret)));
    let at = |target: Target, here: usize| -> u8 {
        let to = match target {
            Next => here + 1,
            SkipTwo => here + 3,
            List => list,
            end => first_end + ends.iter().position(|(t, _)| *t == end).unwrap_or(0),
        };
        // Every jump goes forward by less than 256: the program is about fifty instructions.
        (to - here - 1) as u8
    };
    let filter = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    ops.iter()
        .enumerate()
        .map(|(i, op)| match *op {
            Op::Load(offset) => filter(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, offset),
            Op::JumpIfEqual(k, yes, no) => filter(
                libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
                at(yes, i),
                at(no, i),
                k,
            ),
            Op::JumpIfAnyBit(k, yes, no) => filter(
                libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K,
                at(yes, i),
                at(no, i),
                k,
            ),
            Op::Return(value) => filter(libc::BPF_RET | libc::BPF_K, 0, 0, value),
        })
        .collect()
}

/// Without ptrace, still reap the program so that the run loop learns how it ended.
fn wait_untraced(pid: i32, ended: &Sender<Exit>) {
    loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => {
                let _ = ended.send(Exit::Code(code));
                return;
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                let _ = ended.send(Exit::Signal(sig));
                return;
            }
            Ok(WaitStatus::Stopped(_, _)) => {
                let _ = ptrace::detach(Pid::from_raw(pid), None);
            }
            Err(Errno::EINTR) | Ok(_) => {}
            Err(_) => return,
        }
    }
}
