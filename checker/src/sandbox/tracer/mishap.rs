//! The case's mishap (`trace::Mishap`), made at the stop of the call it changes: the kernel
//! never runs the call, so the failure is certain and the same on every run.

use super::memory::{read_bytes, read_c_string, write_bytes};
use super::regs;
use crate::sandbox::trace::Mishap;

/// What a mishap does to a stopped call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The call fails with this errno (set again when it returns).
    Fails(i32),
    /// The call became exit_group.
    Exits,
    /// The call waits until the mishap's condition holds (tracer's `held`), uncut.
    Held,
    /// The byte at this address of the program's memory was changed from this value: put it
    /// back when the call returns.
    Corrupted(u64, u8),
}

/// A stopped call, as a mishap needs to see it.
pub struct Stopped<'a> {
    pub tid: i32,
    /// Whether its process is the program itself rather than one it started.
    pub root: bool,
    pub nr: u64,
    pub args: &'a [u64; 6],
    /// For a write into a pipe: the bytes its process had written into that pipe before.
    pub written_before: Option<u64>,
    /// For a read of a pipe: whether it is its process's first read of that pipe.
    pub first_read: bool,
    /// Whether it is a poll or ppoll.
    pub polls: bool,
}

/// Makes `mishap` happen to the stopped call, when the call is the one it changes.
pub fn make(mishap: Mishap, call: &Stopped) -> Option<Change> {
    let nr = call.nr as i64;
    match mishap {
        Mishap::ForkFails
            if nr == libc::SYS_clone && call.args[0] & libc::CLONE_THREAD as u64 == 0 =>
        {
            regs::fail(call.tid, libc::EAGAIN).then_some(Change::Fails(libc::EAGAIN))
        }
        Mishap::OpenForWritingFails(name) => {
            let (path, flags) = open_of(call)?;
            let writes = matches!(flags & libc::O_ACCMODE as u64, f if f == libc::O_WRONLY as u64 || f == libc::O_RDWR as u64);
            let named = path.rsplit('/').next() == Some(name);
            (writes && named && regs::fail(call.tid, libc::EACCES))
                .then_some(Change::Fails(libc::EACCES))
        }
        Mishap::FirstReadWaits { .. } if !call.root && call.first_read => Some(Change::Held),
        Mishap::PollsWhenQuiet if call.root && call.polls => Some(Change::Held),
        Mishap::CorruptsFirstRecord if !call.root && call.written_before == Some(0) => {
            let at = last_byte(call)?;
            let original = *read_bytes(call.tid, at, 1).first()?;
            write_bytes(call.tid, at, &[!original]).then_some(Change::Corrupted(at, original))
        }
        Mishap::ExitsInstead { after, status } if !call.root => {
            let before = call.written_before?;
            (before >= after && regs::replace(call.tid, libc::SYS_exit_group, status as u64))
                .then_some(Change::Exits)
        }
        _ => None,
    }
}

/// Makes the relative sleep the stopped task asks for (nanosleep, clock_nanosleep without
/// TIMER_ABSTIME) last `length` instead; whether it did.
pub fn shorten(tid: i32, nr: u64, args: &[u64; 6], length: std::time::Duration) -> bool {
    let req = if nr as i64 == libc::SYS_clock_nanosleep {
        if args[1] as i32 & libc::TIMER_ABSTIME != 0 {
            return false;
        }
        args[2]
    } else {
        args[0]
    };
    // struct timespec: seconds, then nanoseconds, both 64-bit here.
    let mut timespec = (length.as_secs() as i64).to_ne_bytes().to_vec();
    timespec.extend_from_slice(&i64::from(length.subsec_nanos()).to_ne_bytes());
    write_bytes(tid, req, &timespec)
}

/// Where the last byte of a write of more than 4 bytes is: write's buffer, or writev's last
/// slice.
fn last_byte(call: &Stopped) -> Option<u64> {
    let (nr, a) = (call.nr as i64, call.args);
    let (base, len) = if nr == libc::SYS_write {
        (a[1], a[2])
    } else if nr == libc::SYS_writev && a[2] > 0 {
        // struct iovec: base, then length.
        let slice = read_bytes(call.tid, a[1] + 16 * (a[2] - 1), 16);
        let base = u64::from_ne_bytes(slice.get(..8)?.try_into().ok()?);
        let len = u64::from_ne_bytes(slice.get(8..16)?.try_into().ok()?);
        (base, len)
    } else {
        return None;
    };
    (len > 4 || nr == libc::SYS_writev && len > 0).then(|| base + len - 1)
}

/// The path and flags of an open call.
fn open_of(call: &Stopped) -> Option<(String, u64)> {
    let nr = call.nr as i64;
    let a = call.args;
    let (path, flags) = if nr == libc::SYS_openat {
        (a[1], a[2])
    } else if nr == libc::SYS_openat2 {
        // struct open_how begins with its flags.
        let how = read_bytes(call.tid, a[2], 8);
        (a[1], u64::from_ne_bytes(how.try_into().ok()?))
    } else {
        older_open(nr, a)?
    };
    Some((read_c_string(call.tid, path)?, flags))
}

/// open and creat, where the architecture has them.
#[cfg(target_arch = "x86_64")]
fn older_open(nr: i64, a: &[u64; 6]) -> Option<(u64, u64)> {
    if nr == libc::SYS_open {
        Some((a[0], a[1]))
    } else if nr == libc::SYS_creat {
        Some((a[0], libc::O_WRONLY as u64))
    } else {
        None
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn older_open(_: i64, _: &[u64; 6]) -> Option<(u64, u64)> {
    None
}
