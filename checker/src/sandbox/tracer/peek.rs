//! Asking the kernel about a stopped program's pipe: how many bytes wait in it (FIONREAD), how
//! much it holds (F_GETPIPE_SZ) and what its first waiting bytes are (tee(2) into a pipe of the
//! checker's for a pipe, MSG_PEEK for a socket: neither takes them from the program). The
//! question goes to a copy of the program's descriptor, taken with pidfd_getfd while the
//! program is stopped and closed before it runs on, so the copy never holds an end open that
//! the program has closed.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Each traced process's pidfd, opened at its first question.
#[derive(Default)]
pub struct Peek {
    pidfds: HashMap<i32, OwnedFd>,
}

impl Peek {
    /// How many bytes wait in the pipe or socket behind `fd` of `process`.
    pub fn waiting(&mut self, process: i32, fd: i32) -> Option<u64> {
        let copy = self.copy(process, fd)?;
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int into `n`.
        let ok = unsafe { libc::ioctl(copy.as_raw_fd(), libc::FIONREAD, &mut n) } == 0;
        (ok && n >= 0).then_some(n as u64)
    }

    /// How many bytes the pipe behind `fd` of `process` holds, and how many wait in it.
    pub fn pipe_fill(&mut self, process: i32, fd: i32) -> Option<(u64, u64)> {
        let copy = self.copy(process, fd)?;
        // SAFETY: F_GETPIPE_SZ takes no argument and returns the size or -1.
        let size = unsafe { libc::fcntl(copy.as_raw_fd(), libc::F_GETPIPE_SZ) };
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int into `n`.
        let ok = unsafe { libc::ioctl(copy.as_raw_fd(), libc::FIONREAD, &mut n) } == 0;
        (ok && size > 0 && n >= 0).then_some((size as u64, n as u64))
    }

    /// The first bytes (at most `most`) waiting in the pipe, FIFO or socket behind `fd` of
    /// `process`, left where they are.
    pub fn head(&mut self, process: i32, fd: i32, most: usize) -> Option<Vec<u8>> {
        let copy = self.copy(process, fd)?;
        let mut bytes = vec![0u8; most];
        // A socket: peek at it.
        // SAFETY: recv writes at most `most` bytes into `bytes`.
        let n = unsafe {
            libc::recv(
                copy.as_raw_fd(),
                bytes.as_mut_ptr().cast(),
                most,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n >= 0 {
            bytes.truncate(n as usize);
            return Some(bytes);
        }
        // A pipe: duplicate its head into a pipe of ours and read that.
        let (theirs, ours) = std::io::pipe().ok()?;
        // SAFETY: tee between two pipe descriptors, copying at most `most` bytes.
        let copied = unsafe {
            libc::tee(
                copy.as_raw_fd(),
                ours.as_raw_fd(),
                most,
                libc::SPLICE_F_NONBLOCK,
            )
        };
        drop(ours);
        if copied < 0 {
            return None;
        }
        let mut head = Vec::with_capacity(copied as usize);
        std::io::Read::read_to_end(&mut &theirs, &mut head).ok()?;
        Some(head)
    }

    /// A process is gone: its pidfd is closed.
    pub fn forget(&mut self, process: i32) {
        self.pidfds.remove(&process);
    }

    /// A copy of `fd` of `process`, closed when dropped.
    fn copy(&mut self, process: i32, fd: i32) -> Option<OwnedFd> {
        let pidfd = match self.pidfds.get(&process) {
            Some(p) => p.as_raw_fd(),
            None => {
                // SAFETY: pidfd_open makes a new descriptor (close-on-exec) or fails.
                let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, process, 0) };
                if raw < 0 {
                    return None;
                }
                // SAFETY: a descriptor the call just made, owned by nobody else.
                let owned = unsafe { OwnedFd::from_raw_fd(raw as i32) };
                let raw = owned.as_raw_fd();
                self.pidfds.insert(process, owned);
                raw
            }
        };
        // SAFETY: pidfd_getfd makes a new descriptor (always close-on-exec) or fails.
        let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) };
        // SAFETY: as above, owned by nobody else.
        (copy >= 0).then(|| unsafe { OwnedFd::from_raw_fd(copy as i32) })
    }
}
