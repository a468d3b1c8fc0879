//! Everything that differs between architectures, in one place: the system calls the hang
//! doctor recognises (a process blocked in one is waiting for a pipe, a child or a timer) and
//! those the X-ray follows, by number. Registers need no per-architecture code: the X-ray asks
//! the kernel for a stopped call's number, arguments and result (PTRACE_GET_SYSCALL_INFO).

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
    Other(u64),
}

/// Decodes the first line of /proc/PID/syscall: the number, then the arguments in hex.
pub fn decode(line: &str) -> Option<Call> {
    let mut words = line.split_whitespace();
    let nr: u64 = words.next()?.parse().ok()?;
    if nr == numbers::RESTART {
        // A call resumed after a stop (a traced process stops for every signal): which one
        // is not said here, so the kernel function it sleeps in (wchan) has to tell.
        return None;
    }
    let args: Vec<u64> = words
        .take(6)
        .filter_map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok())
        .collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or(0) as i64 as i32;
    let (read, write) = numbers::io(nr);
    Some(if let Some(fd_arg) = read {
        Call::Read(arg(fd_arg))
    } else if let Some(fd_arg) = write {
        Call::Write(arg(fd_arg))
    } else if numbers::WAIT.contains(&nr) {
        // wait4(pid, ...) and waitid(idtype, id, ...): idtype 1 is P_PID.
        if nr == numbers::WAITID {
            if arg(0) == 1 {
                Call::Wait(arg(1))
            } else {
                Call::Wait(-1)
            }
        } else {
            Call::Wait(arg(0))
        }
    } else if numbers::POLL.contains(&nr) {
        Call::Poll
    } else if numbers::SLEEP.contains(&nr) {
        Call::Sleep
    } else if nr == numbers::FUTEX {
        Call::Futex
    } else {
        Call::Other(nr)
    })
}

/// A call the X-ray follows, by what it does to the wiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traced {
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
    /// open, openat: how a FIFO is opened by its name.
    Open,
    /// mknod, mknodat (mkfifo): which argument holds the path.
    Mknod {
        path: usize,
    },
    /// Reading or writing calls, with the descriptor in argument 0; for a read, which
    /// argument holds its size when one does (a read of nothing reads nothing).
    Read {
        size: Option<usize>,
    },
    Write,
    /// wait4, waitid.
    Wait,
    /// poll, ppoll, select, pselect6, epoll_wait, epoll_pwait(2): where the watched
    /// descriptors are.
    Poll(Watched),
    /// epoll_ctl: argument 1 is the operation, argument 2 the descriptor.
    EpollCtl,
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

/// The audit architecture the kernel reports for this architecture's system calls (what a
/// seccomp filter checks before it trusts a call number).
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH: u32 = 0xC000_00B7;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const AUDIT_ARCH: u32 = 0;

/// What the X-ray makes of call number `nr`, if it follows it.
pub fn traced(nr: u64) -> Option<Traced> {
    numbers::TRACED
        .iter()
        .find(|(n, _)| *n == nr)
        .map(|(_, call)| *call)
}

/// Every call number the X-ray follows (the seccomp filter stops at these only).
pub fn traced_numbers() -> impl Iterator<Item = u64> {
    numbers::TRACED.iter().map(|(n, _)| *n)
}

#[cfg(target_arch = "x86_64")]
mod numbers {
    use super::Traced::{self, *};
    use super::Watched::*;

    pub const TRACED: [(u64, Traced); 31] = [
        (0, Read { size: Some(2) }),
        (19, Read { size: Some(2) }),
        (45, Read { size: Some(2) }),
        (47, Read { size: None }),
        (1, Write),
        (20, Write),
        (44, Write),
        (46, Write),
        (2, Open),
        (257, Open),
        (3, Close),
        (436, Close),
        (7, Poll(PollFds)),
        (23, Poll(ReadSet)),
        (232, Poll(Epoll)),
        (270, Poll(ReadSet)),
        (271, Poll(PollFds)),
        (281, Poll(Epoll)),
        (441, Poll(Epoll)),
        (233, EpollCtl),
        (22, Pipe),
        (293, Pipe),
        (32, Dup),
        (33, Dup),
        (292, Dup),
        (53, SocketPair),
        (61, Wait),
        (247, Wait),
        (72, Fcntl),
        (133, Mknod { path: 0 }),
        (259, Mknod { path: 1 }),
    ];

    /// For a reading or writing call: which argument holds the descriptor.
    pub fn io(nr: u64) -> (Option<usize>, Option<usize>) {
        match nr {
            0 | 17 | 19 | 45 | 47 => (Some(0), None), // read pread64 readv recvfrom recvmsg
            1 | 18 | 20 | 44 | 46 => (None, Some(0)), // write pwrite64 writev sendto sendmsg
            40 => (None, Some(0)),                    // sendfile(out, in, ...)
            275 | 326 => (None, Some(2)),             // splice, copy_file_range(in, off, out, ...)
            _ => (None, None),
        }
    }
    pub const RESTART: u64 = 219;
    pub const WAITID: u64 = 247;
    pub const WAIT: [u64; 2] = [61, WAITID];
    pub const POLL: [u64; 6] = [7, 23, 271, 270, 232, 281];
    pub const SLEEP: [u64; 3] = [35, 230, 34];
    pub const FUTEX: u64 = 202;
}

#[cfg(target_arch = "aarch64")]
mod numbers {
    use super::Traced::{self, *};
    use super::Watched::*;

    pub const TRACED: [(u64, Traced); 24] = [
        (63, Read { size: Some(2) }),
        (65, Read { size: Some(2) }),
        (207, Read { size: Some(2) }),
        (212, Read { size: None }),
        (64, Write),
        (66, Write),
        (206, Write),
        (211, Write),
        (56, Open),
        (57, Close),
        (436, Close),
        (73, Poll(PollFds)),
        (72, Poll(ReadSet)),
        (22, Poll(Epoll)),
        (441, Poll(Epoll)),
        (21, EpollCtl),
        (59, Pipe),
        (23, Dup),
        (24, Dup),
        (199, SocketPair),
        (260, Wait),
        (95, Wait),
        (25, Fcntl),
        (33, Mknod { path: 1 }),
    ];

    pub fn io(nr: u64) -> (Option<usize>, Option<usize>) {
        match nr {
            63 | 67 | 65 | 207 | 212 => (Some(0), None),
            64 | 68 | 66 | 206 | 211 => (None, Some(0)),
            71 => (None, Some(0)),
            76 | 285 => (None, Some(2)),
            _ => (None, None),
        }
    }
    pub const RESTART: u64 = 128;
    pub const WAITID: u64 = 95;
    pub const WAIT: [u64; 2] = [260, WAITID];
    pub const POLL: [u64; 3] = [73, 72, 22];
    pub const SLEEP: [u64; 2] = [101, 115];
    pub const FUTEX: u64 = 98;
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod numbers {
    pub const TRACED: [(u64, super::Traced); 0] = [];
    pub fn io(_nr: u64) -> (Option<usize>, Option<usize>) {
        (None, None)
    }
    pub const RESTART: u64 = u64::MAX;
    pub const WAITID: u64 = u64::MAX;
    pub const WAIT: [u64; 0] = [];
    pub const POLL: [u64; 0] = [];
    pub const SLEEP: [u64; 0] = [];
    pub const FUTEX: u64 = u64::MAX;
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

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
