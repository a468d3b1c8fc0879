//! The run's side of the spies' channel. Between fork and exec, the run's first process
//! installs a seccomp filter that turns one agreed call into a notification for the checker
//! (`SECCOMP_RET_USER_NOTIF`) and lets every other call through; everything the run starts
//! inherits it. The filter's listener goes to the checker over a socket made before the fork,
//! and no process of the run keeps it. A spy makes the agreed call and waits for the answer.

/// The agreed call: `ioctl` on a descriptor no process can hold, with this request ("pipe").
pub const SPY_FD: i32 = -1;
pub const SPY_REQUEST: u32 = 0x7069_7065;

/// Makes the agreed call: a spy waits here while the checker records it. Without the filter
/// (outside a run, or off Linux) it fails at once, as an ioctl on a bad descriptor does.
#[cfg(target_os = "linux")]
pub fn call() {
    // SAFETY: an ioctl on a descriptor that cannot exist, with no argument to point to.
    unsafe { libc::ioctl(SPY_FD, SPY_REQUEST as _) };
}

#[cfg(not(target_os = "linux"))]
pub fn call() {}

/// What the run's first process needs between fork and exec, all made before the fork: it
/// may not allocate.
#[cfg(target_os = "linux")]
pub struct Hook {
    /// The run's end of the socket to the checker (the checker's end is close-on-exec).
    socket: i32,
    filter: [libc::sock_filter; 10],
}

#[cfg(target_os = "linux")]
impl Hook {
    pub fn new(socket: i32) -> Hook {
        Hook {
            socket,
            filter: filter(),
        }
    }

    /// In the child: installs the filter, sends its listener to the checker (or the errno
    /// that refused it), and closes the listener and its end of the socket: no process of the
    /// run may answer, or take, the spies' calls. Never fails the start: whether the spies
    /// were heard is for the checker to say.
    pub fn apply(&self) -> std::io::Result<()> {
        let listener = install_with_listener(&self.filter);
        let errno = match listener {
            fd if fd >= 0 => 0,
            // An OS error is a number: nothing is allocated.
            _ => std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        };
        send(self.socket, errno, listener);
        // SAFETY: closing descriptors this process owns; none of them may reach the program.
        unsafe {
            if listener >= 0 {
                libc::close(listener);
            }
            libc::close(self.socket);
        }
        Ok(())
    }
}

/// Installs `filter` on this thread, and what it starts, with a listener for its
/// notifications: the listener, or -1 with errno set. Allocates nothing.
#[cfg(target_os = "linux")]
pub(super) fn install_with_listener(filter: &[libc::sock_filter]) -> i32 {
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // Landlock has already set no_new_privs in a run; without the jail nothing has, and an
    // unprivileged process may only install a filter with it.
    // SAFETY: prctl and seccomp on a filter that outlives the call (until exec, or the
    // thread's end); the listener is a new descriptor of this process.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &program as *const libc::sock_fprog,
        ) as i32
    }
}

/// Sends `errno` (0: the listener is attached) and, when there is one, the listener, on the
/// stack only.
#[cfg(target_os = "linux")]
fn send(socket: i32, errno: i32, listener: i32) {
    /// Room for one descriptor's control message, aligned as a cmsghdr must be.
    #[repr(C, align(8))]
    struct Control([u8; 64]);
    let mut control = Control([0; 64]);
    let mut word = errno.to_ne_bytes();
    let mut iov = libc::iovec {
        iov_base: word.as_mut_ptr().cast(),
        iov_len: word.len(),
    };
    // SAFETY: a msghdr on the stack pointing to buffers on the stack; CMSG_FIRSTHDR finds
    // the header inside `control`, which is larger than CMSG_SPACE of one int.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        if listener >= 0 {
            let space = libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) as usize;
            message.msg_control = control.0.as_mut_ptr().cast();
            message.msg_controllen = space as _;
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<i32>(), listener);
        }
        libc::sendmsg(socket, &message, libc::MSG_NOSIGNAL);
    }
}

/// A classic BPF program: the agreed ioctl (its descriptor and request compared on their low
/// 32 bits, as the kernel reads them) becomes a notification; every other call, and every
/// call of another architecture, goes through.
#[cfg(target_os = "linux")]
fn filter() -> [libc::sock_filter; 10] {
    // seccomp_data: nr at offset 0, arch at 4, the arguments 8 bytes each from 16 (the low
    // half first on the little-endian machines the checker runs on).
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const ARG0: u32 = 16;
    const ARG1: u32 = 24;
    let load = |offset: u32| libc::sock_filter {
        code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        jt: 0,
        jf: 0,
        k: offset,
    };
    // On a match go on; otherwise jump `to_allow` instructions on, to the ALLOW.
    let equal = |k: u32, to_allow: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: 0,
        jf: to_allow,
        k,
    };
    let ret = |k: u32| libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k,
    };
    [
        load(ARCH),
        equal(super::super::syscalls::AUDIT_ARCH, 7),
        load(NR),
        equal(libc::SYS_ioctl as u32, 5),
        load(ARG0),
        equal(SPY_FD as u32, 3),
        load(ARG1),
        equal(SPY_REQUEST, 1),
        ret(libc::SECCOMP_RET_USER_NOTIF),
        ret(libc::SECCOMP_RET_ALLOW),
    ]
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn every_jump_of_the_filter_lands_on_its_allow() {
        let filter = filter();
        let allow = filter.len() - 1;
        for (i, op) in filter.iter().enumerate() {
            if op.code == (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16 {
                assert_eq!(i + 1 + op.jf as usize, allow, "instruction {i}");
                assert_eq!(op.jt, 0);
            }
        }
        assert_eq!(filter[allow].k, libc::SECCOMP_RET_ALLOW);
        assert_eq!(filter[allow - 1].k, libc::SECCOMP_RET_USER_NOTIF);
    }
}
