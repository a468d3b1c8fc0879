//! The system calls the checker knows, in one table by `libc::SYS_*` number: what each does
//! for the hang doctor (a process blocked in it waits for a pipe, a child or a timer) and
//! whether the X-ray stops at it. Registers need no per-architecture code: the X-ray asks the
//! kernel for a stopped call's number, arguments and result (PTRACE_GET_SYSCALL_INFO).

/// What a call does, as far as the hang doctor and the X-ray care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads from the descriptor in argument `fd`; `size` is the argument that holds how much,
    /// when one does (a read of nothing reads nothing).
    Read {
        fd: usize,
        size: Option<usize>,
    },
    /// Writes into the descriptor in argument `fd`.
    Write {
        fd: usize,
    },
    /// Moves bytes from the descriptor in argument `from` to the one in argument `to`
    /// (splice, tee, sendfile, copy_file_range), never through the program's memory.
    Move {
        from: usize,
        to: usize,
    },
    /// wait4(pid, ...).
    Wait4,
    /// waitid(idtype, id, ...).
    Waitid,
    /// poll, ppoll, select, pselect6, epoll_wait, epoll_pwait(2): where the watched
    /// descriptors are.
    Poll(Watched),
    /// epoll_ctl: argument 1 is the operation, argument 2 the descriptor.
    EpollCtl,
    /// pipe, pipe2: the new descriptors go into the array of argument 0.
    Pipe,
    /// socketpair: the new descriptors go into the array of argument 3.
    SocketPair,
    /// dup, dup2, dup3: the result is the new descriptor.
    Dup,
    /// fcntl: argument 1 is the command (F_DUPFD, F_SETPIPE_SZ...).
    Fcntl,
    /// close, close_range.
    Close,
    /// kill and its kin: argument `sig` is the signal, argument 0 whom it goes to: a pid (or
    /// for kill, 0 or below, a process group or every process), a thread (tkill), or a pidfd.
    Signal {
        sig: usize,
        to: Addressee,
    },
    /// A signal the kernel sends later, arranged now: prctl(PR_SET_PDEATHSIG, sig) and
    /// timer_create or mq_notify with a `struct sigevent` (fcntl's F_SETSIG is under Fcntl).
    Arranges(Arrangement),
    /// open, openat: how a FIFO is opened by its name.
    Open,
    /// mknod, mknodat (what mkfifo calls): the path is in argument `path`, the mode in
    /// argument `mode`.
    MakeNode {
        path: usize,
        mode: usize,
    },
    Sleep,
    Futex,
    /// restart_syscall: a call resumed after a stop, which one not said.
    Restart,
}

/// What the first argument of a call that sends a signal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee {
    /// A process by its pid; for kill, 0 or below names a process group or every process.
    Process,
    Thread,
    Pidfd,
}

/// Where a call that arranges a later signal says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    /// prctl: argument 0 is the option (PR_SET_PDEATHSIG), argument 1 the signal.
    DeathSignal,
    /// A `struct sigevent` at argument `at` (none: the call's default, SIGALRM).
    Sigevent { at: usize },
}

/// Where a waiting call keeps the descriptors it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    /// An array of `struct pollfd` at argument 0, its length in argument 1.
    PollFds,
    /// The number of descriptors in argument 0, the read set (`fd_set`) at argument 1.
    ReadSet,
    /// An epoll instance: the descriptors were given to epoll_ctl.
    Epoll,
}

/// One known call: its number, its role, and whether the X-ray stops at it.
struct Known {
    nr: libc::c_long,
    role: Role,
    traced: bool,
}

#[cfg(target_os = "linux")]
const fn call(nr: libc::c_long, role: Role, traced: bool) -> Known {
    Known { nr, role, traced }
}

/// Calls every Linux architecture has.
#[cfg(target_os = "linux")]
const CALLS: &[Known] = {
    use Addressee::*;
    use Role::*;
    use Watched::*;
    const IN: Role = Read {
        fd: 0,
        size: Some(2),
    };
    const OUT: Role = Write { fd: 0 };
    // Every call that moves data or opens a file is traced: none of them can hide a pipe's
    // use from the X-ray.
    &[
        call(libc::SYS_read, IN, true),
        call(libc::SYS_readv, IN, true),
        call(libc::SYS_recvfrom, IN, true),
        call(libc::SYS_recvmsg, Read { fd: 0, size: None }, true),
        call(libc::SYS_recvmmsg, Read { fd: 0, size: None }, true),
        call(libc::SYS_pread64, IN, true),
        call(libc::SYS_preadv, IN, true),
        call(libc::SYS_preadv2, IN, true),
        call(libc::SYS_write, OUT, true),
        call(libc::SYS_writev, OUT, true),
        call(libc::SYS_sendto, OUT, true),
        call(libc::SYS_sendmsg, OUT, true),
        call(libc::SYS_sendmmsg, OUT, true),
        call(libc::SYS_pwrite64, OUT, true),
        call(libc::SYS_pwritev, OUT, true),
        call(libc::SYS_pwritev2, OUT, true),
        call(libc::SYS_vmsplice, OUT, true),
        // sendfile(out, in, ...); splice and copy_file_range(in, off, out, ...); tee(in, out, ...).
        call(libc::SYS_sendfile, Move { from: 1, to: 0 }, true),
        call(libc::SYS_splice, Move { from: 0, to: 2 }, true),
        call(libc::SYS_copy_file_range, Move { from: 0, to: 2 }, true),
        call(libc::SYS_tee, Move { from: 0, to: 1 }, true),
        call(libc::SYS_openat, Open, true),
        call(libc::SYS_openat2, Open, true),
        call(libc::SYS_mknodat, MakeNode { path: 1, mode: 2 }, true),
        call(libc::SYS_close, Close, true),
        call(libc::SYS_close_range, Close, true),
        call(libc::SYS_ppoll, Poll(PollFds), true),
        call(libc::SYS_pselect6, Poll(ReadSet), true),
        call(libc::SYS_epoll_pwait, Poll(Epoll), true),
        call(libc::SYS_epoll_pwait2, Poll(Epoll), true),
        call(libc::SYS_epoll_ctl, EpollCtl, true),
        call(libc::SYS_pipe2, Pipe, true),
        call(libc::SYS_dup, Dup, true),
        call(libc::SYS_dup3, Dup, true),
        call(libc::SYS_socketpair, SocketPair, true),
        call(libc::SYS_wait4, Wait4, true),
        call(libc::SYS_waitid, Waitid, true),
        call(libc::SYS_fcntl, Fcntl, true),
        // Signals sent by a process of the run (rare, so cheap to stop at): a SIGPIPE that
        // the program sent itself did not come from a broken pipe.
        call(
            libc::SYS_kill,
            Signal {
                sig: 1,
                to: Process,
            },
            true,
        ),
        call(libc::SYS_tkill, Signal { sig: 1, to: Thread }, true),
        call(
            libc::SYS_tgkill,
            Signal {
                sig: 2,
                to: Process,
            },
            true,
        ),
        call(
            libc::SYS_rt_sigqueueinfo,
            Signal {
                sig: 1,
                to: Process,
            },
            true,
        ),
        call(
            libc::SYS_rt_tgsigqueueinfo,
            Signal {
                sig: 2,
                to: Process,
            },
            true,
        ),
        call(
            libc::SYS_pidfd_send_signal,
            Signal { sig: 1, to: Pidfd },
            true,
        ),
        // Signals arranged for later, as rare: a SIGPIPE from a timer is no broken pipe either.
        call(libc::SYS_prctl, Arranges(Arrangement::DeathSignal), true),
        call(
            libc::SYS_timer_create,
            Arranges(Arrangement::Sigevent { at: 1 }),
            true,
        ),
        call(
            libc::SYS_mq_notify,
            Arranges(Arrangement::Sigevent { at: 1 }),
            true,
        ),
        // Sleeps are traced for the timeline: a late line is judged against when its writer
        // asked to wake up, not only against the clock of a busy machine.
        call(libc::SYS_nanosleep, Sleep, true),
        call(libc::SYS_clock_nanosleep, Sleep, true),
        call(libc::SYS_futex, Futex, false),
        call(libc::SYS_restart_syscall, Restart, false),
    ]
};

/// The older calls that x86_64 keeps beside their newer forms.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const OLDER_CALLS: &[Known] = {
    use Role::*;
    use Watched::*;
    &[
        call(libc::SYS_open, Open, true),
        call(libc::SYS_creat, Open, true),
        call(libc::SYS_mknod, MakeNode { path: 0, mode: 1 }, true),
        call(libc::SYS_poll, Poll(PollFds), true),
        call(libc::SYS_select, Poll(ReadSet), true),
        call(libc::SYS_epoll_wait, Poll(Epoll), true),
        call(libc::SYS_pipe, Pipe, true),
        call(libc::SYS_dup2, Dup, true),
        call(libc::SYS_pause, Sleep, false),
    ]
};
#[cfg(all(target_os = "linux", not(target_arch = "x86_64")))]
const OLDER_CALLS: &[Known] = &[];
#[cfg(not(target_os = "linux"))]
const CALLS: &[Known] = &[];
#[cfg(not(target_os = "linux"))]
const OLDER_CALLS: &[Known] = &[];

fn known() -> impl Iterator<Item = &'static Known> {
    CALLS.iter().chain(OLDER_CALLS)
}

/// What call number `nr` does, if the checker knows it.
pub fn role(nr: u64) -> Option<Role> {
    known().find(|k| k.nr as u64 == nr).map(|k| k.role)
}

/// What the X-ray makes of call number `nr`, if it stops at it.
pub fn traced(nr: u64) -> Option<Role> {
    known()
        .find(|k| k.traced && k.nr as u64 == nr)
        .map(|k| k.role)
}

/// Whether argument 2 of call `nr` is a plain byte count (read, write, recvfrom, sendto,
/// pread64, pwrite64): the calls whose count the X-ray may cut short.
pub fn counts_bytes(nr: u64) -> bool {
    [
        libc::SYS_read,
        libc::SYS_write,
        libc::SYS_recvfrom,
        libc::SYS_sendto,
        libc::SYS_pread64,
        libc::SYS_pwrite64,
    ]
    .iter()
    .any(|n| *n as u64 == nr)
}

/// Every call number the X-ray stops at (its seccomp filter lets the others through).
pub fn traced_numbers() -> impl Iterator<Item = u64> {
    known().filter(|k| k.traced).map(|k| k.nr as u64)
}

/// The audit architecture the kernel reports for this architecture's system calls (what a
/// seccomp filter checks before it trusts a call number).
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH: u32 = 0xC000_00B7;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const AUDIT_ARCH: u32 = 0;

/// What a blocked system call is waiting for, with the descriptor or pid it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Read(i32),
    Write(i32),
    /// wait4/waitid: the pid waited for, or -1 for any child.
    Wait(i32),
    Poll,
    Sleep,
    Futex,
    /// open, openat: a FIFO's open waits until its other end is opened too.
    Open,
    Other(u64),
}

/// The name of a system call, for the student's eyes (never a bare number where the name is
/// known).
pub fn name(nr: u64) -> String {
    const NAMES: &[(libc::c_long, &str)] = &[
        (libc::SYS_read, "read"),
        (libc::SYS_write, "write"),
        (libc::SYS_openat, "openat"),
        (libc::SYS_close, "close"),
        (libc::SYS_ppoll, "ppoll"),
        (libc::SYS_pselect6, "pselect6"),
        (libc::SYS_epoll_pwait, "epoll_pwait"),
        (libc::SYS_wait4, "wait4"),
        (libc::SYS_waitid, "waitid"),
        (libc::SYS_flock, "flock"),
        (libc::SYS_fcntl, "fcntl"),
        (libc::SYS_accept4, "accept4"),
        (libc::SYS_connect, "connect"),
        (libc::SYS_recvfrom, "recvfrom"),
        (libc::SYS_sendto, "sendto"),
        (libc::SYS_recvmsg, "recvmsg"),
        (libc::SYS_sendmsg, "sendmsg"),
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_futex, "futex"),
        (libc::SYS_rt_sigsuspend, "rt_sigsuspend"),
        (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
        (libc::SYS_splice, "splice"),
        (libc::SYS_sendfile, "sendfile"),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_open, "open"),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_pause, "pause"),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_poll, "poll"),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_select, "select"),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_accept, "accept"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n as u64 == nr)
        .map_or_else(|| format!("number {nr}"), |(_, name)| (*name).to_string())
}

/// Whether a call resumed after a stop (restart_syscall) that sleeps in poll is a poll with
/// no timeout. Only poll() is resumed that way among the polls, and the registers it resumes
/// with are its own: its third argument is its timeout (-1, none).
pub fn restarted_poll_waits_for_another(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let nr = words.next().and_then(|w| w.parse::<u64>().ok());
    let timeout = words
        .nth(2)
        .and_then(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok());
    nr.is_some_and(|nr| role(nr) == Some(Role::Restart)) && timeout.is_some_and(|t| (t as i32) < 0)
}

/// Whether the call a process sleeps in (the first line of /proc/PID/syscall) can only end
/// when another process acts: a pipe or socket read or write, a FIFO open, a wait for a child,
/// or a poll (select, epoll) without a timeout. Timers, locks and unknown calls can end alone.
pub fn waits_for_another(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(nr) = words.next().and_then(|w| w.parse::<u64>().ok()) else {
        return false;
    };
    let args: Vec<u64> = words
        .take(6)
        .filter_map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok())
        .collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or(1);
    let is = |n: libc::c_long| nr == n as u64;
    #[cfg(target_arch = "x86_64")]
    if is(libc::SYS_poll) {
        return (arg(2) as i32) < 0;
    }
    #[cfg(target_arch = "x86_64")]
    if is(libc::SYS_select) || is(libc::SYS_epoll_wait) {
        return if is(libc::SYS_select) {
            arg(4) == 0
        } else {
            (arg(3) as i32) < 0
        };
    }
    if is(libc::SYS_ppoll) {
        return arg(2) == 0;
    }
    if is(libc::SYS_pselect6) {
        return arg(4) == 0;
    }
    if is(libc::SYS_epoll_pwait) {
        return (arg(3) as i32) < 0;
    }
    if is(libc::SYS_epoll_pwait2) {
        return arg(3) == 0;
    }
    matches!(
        role(nr),
        Some(Role::Read { .. } | Role::Write { .. } | Role::Move { .. } | Role::Open)
            | Some(Role::Wait4 | Role::Waitid)
    )
}

/// Decodes the first line of /proc/PID/syscall: the number, then the arguments in hex.
pub fn decode(line: &str) -> Option<Call> {
    let mut words = line.split_whitespace();
    let nr: u64 = words.next()?.parse().ok()?;
    let args: Vec<u64> = words
        .take(6)
        .filter_map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok())
        .collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or(0) as i64 as i32;
    Some(match role(nr) {
        // A call resumed after a stop (a traced process stops for every signal): which one
        // is not said here, so the kernel function it sleeps in (wchan) has to tell.
        Some(Role::Restart) => return None,
        Some(Role::Read { fd, .. }) => Call::Read(arg(fd)),
        Some(Role::Write { fd }) => Call::Write(arg(fd)),
        // Blocked on either side; the side written into is the likelier wait (a full pipe).
        Some(Role::Move { to, .. }) => Call::Write(arg(to)),
        Some(Role::Wait4) => Call::Wait(arg(0)),
        // waitid(idtype, id, ...): idtype 1 is P_PID.
        Some(Role::Waitid) if arg(0) == 1 => Call::Wait(arg(1)),
        Some(Role::Waitid) => Call::Wait(-1),
        Some(Role::Poll(_)) => Call::Poll,
        Some(Role::Sleep) => Call::Sleep,
        Some(Role::Futex) => Call::Futex,
        Some(Role::Open) => Call::Open,
        _ => Call::Other(nr),
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A poll that a stop interrupted goes on as restart_syscall, its arguments as they were:
    /// with no timeout it waits for another process; with one, or another call, it does not.
    #[test]
    fn a_restarted_poll_with_no_timeout_waits_for_another() {
        let restart = libc::SYS_restart_syscall;
        assert!(restarted_poll_waits_for_another(&format!(
            "{restart} 0x55ebd6f21e00 0x3 0xffffffff 0x0 0x8 0x0 0x7ffc 0x7fd4"
        )));
        assert!(!restarted_poll_waits_for_another(&format!(
            "{restart} 0x55ebd6f21e00 0x3 0x3e8 0x0 0x8 0x0 0x7ffc 0x7fd4"
        )));
        assert!(!restarted_poll_waits_for_another(&format!(
            "{} 0x55ebd6f21e00 0x3 0xffffffff 0x0 0x8 0x0 0x7ffc 0x7fd4",
            libc::SYS_read
        )));
    }

    #[test]
    fn each_call_number_is_known_once() {
        let mut numbers: Vec<libc::c_long> = known().map(|k| k.nr).collect();
        let all = numbers.len();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), all, "a call number is listed twice");
    }

    #[test]
    fn a_poll_the_x_ray_follows_is_a_poll_for_the_hang_doctor() {
        let nr = libc::SYS_epoll_pwait2;
        assert_eq!(traced(nr as u64), Some(Role::Poll(Watched::Epoll)));
        assert_eq!(
            decode(&format!("{nr} 0x3 0x0 0x0 0x0 0x0 0x0 0x1 0x2")),
            Some(Call::Poll)
        );
    }

    #[test]
    fn only_calls_that_another_process_must_end_count_as_waiting_for_it() {
        let line = |nr: libc::c_long, args: &str| format!("{nr} {args} 0x7ffd 0x7f01");
        // ppoll(fds, 3, NULL, ...) waits for ever; with a timeout it ends by itself.
        assert!(waits_for_another(&line(
            libc::SYS_ppoll,
            "0x5000 0x3 0x0 0x0 0x8 0x0"
        )));
        assert!(!waits_for_another(&line(
            libc::SYS_ppoll,
            "0x5000 0x3 0x7ff0 0x0 0x8 0x0"
        )));
        assert!(waits_for_another(&line(
            libc::SYS_read,
            "0x3 0x5000 0x2000 0x0 0x0 0x0"
        )));
        assert!(waits_for_another(&line(
            libc::SYS_wait4,
            "0x1234 0x0 0x0 0x0 0x0 0x0"
        )));
        assert!(!waits_for_another(&line(
            libc::SYS_clock_nanosleep,
            "0x1 0x0 0x7ff0 0x0 0x0 0x0"
        )));
        assert!(!waits_for_another(&line(
            libc::SYS_futex,
            "0x5000 0x80 0x2 0x0 0x0 0x0"
        )));
        assert!(!waits_for_another("running"));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn decodes_reads_writes_and_waits() {
        assert_eq!(
            decode("0 0x3 0x7ffd 0x2000 0x0 0x0 0x0 0x7ffd 0x7f01"),
            Some(Call::Read(3))
        );
        assert_eq!(
            decode("1 0x4 0x7ffd 0x10 0x0 0x0 0x0 0x7ffd 0x7f01"),
            Some(Call::Write(4))
        );
        assert_eq!(
            decode("61 0x1234 0x0 0x0 0x0 0x0 0x0 0x1 0x2"),
            Some(Call::Wait(0x1234))
        );
        assert_eq!(
            decode("61 0xffffffffffffffff 0x0 0x0 0x0 0x0 0x0 0x1 0x2"),
            Some(Call::Wait(-1))
        );
        assert_eq!(
            decode("230 0x0 0x0 0x7ffd 0x7ffd 0x0 0x0 0x1 0x2"),
            Some(Call::Sleep)
        );
        assert_eq!(decode("running"), None);
        assert_eq!(decode("219 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2"), None);
    }
}
