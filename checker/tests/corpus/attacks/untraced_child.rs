//! attack: starts a child the tracer cannot follow (clone with CLONE_UNTRACED, then clone3)
//! and leaves it running in a session of its own

fn main() {
    let flags = (nix::libc::CLONE_UNTRACED | nix::libc::SIGCHLD) as u64;
    // SAFETY: a fork-like clone: no new stack, the child only sleeps and exits.
    let pid = unsafe { nix::libc::syscall(nix::libc::SYS_clone, flags, 0, 0, 0, 0) };
    if pid == 0 {
        let _ = nix::unistd::setsid();
        std::thread::sleep(std::time::Duration::from_secs(20));
        let _ = std::fs::write("/tmp/pipes-lab-attack", "untraced\n");
        // SAFETY: leaves the child at once.
        unsafe { nix::libc::_exit(0) };
    }
    eprintln!("clone with CLONE_UNTRACED: {pid}");
    #[repr(C)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
    }
    let args = CloneArgs {
        flags: nix::libc::CLONE_UNTRACED as u64,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: nix::libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
    };
    // SAFETY: clone3 with a fork-like set of arguments.
    let pid = unsafe {
        nix::libc::syscall(nix::libc::SYS_clone3, &args as *const CloneArgs, std::mem::size_of::<CloneArgs>())
    };
    if pid == 0 {
        let _ = nix::unistd::setsid();
        std::thread::sleep(std::time::Duration::from_secs(20));
        // SAFETY: leaves the child at once.
        unsafe { nix::libc::_exit(0) };
    }
    eprintln!("clone3 with CLONE_UNTRACED: {pid}");
}
