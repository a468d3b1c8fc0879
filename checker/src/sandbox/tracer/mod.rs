//! Follows every process of one run with ptrace and records the calls that wire it: who
//! created which pipe, who inherited, duplicated, closed, read and wrote which end, who
//! exec'd what, who waited and who polled.
//!
//! A seccomp filter stops the program only at the calls `syscalls` marks as traced (a few
//! dozen numbers), not at every call, so that timing checks keep their meaning. Where seccomp
//! is refused, every call stops and the same code picks the interesting ones. The descriptor
//! tables come from /proc while the process is stopped: the kernel's word, not an emulation
//! of dup2 and close-on-exec. This file starts the program; `follow` handles its stops and
//! `memory` reads the arrays a stopped call points to.

mod follow;
mod memory;

use super::syscalls;
use super::trace::{Exit, Trace};
use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// A traced program that is running: its output streams and how to learn that it ended.
pub struct TracedRun {
    pub pid: i32,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    /// Receives how the program itself ended (the tracer reaps it, so nobody else may).
    pub ended: Receiver<Exit>,
    tracer: JoinHandle<Result<Trace, String>>,
}

impl TracedRun {
    /// Waits for the tracer, once every process of the run is gone.
    pub fn finish(self) -> Result<Trace, String> {
        self.tracer
            .join()
            .unwrap_or_else(|_| Err("the tracer stopped unexpectedly".into()))
    }
}

/// How the stops come: from the seccomp filter (only the calls that matter), or at the entry
/// and exit of every call when seccomp was refused.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Filtered,
    EveryCall,
}

/// Starts `command` under ptrace. The process that forks is the one ptrace lets trace, so a
/// dedicated thread spawns it and then follows it until every process of the run is gone.
pub fn spawn(mut command: Command) -> std::io::Result<TracedRun> {
    let (started_tx, started_rx) = channel();
    let (ended_tx, ended) = channel();
    let tracer = std::thread::Builder::new()
        .name("x-ray".into())
        .spawn(move || {
            // Built before the fork: the child may not allocate.
            let filter = seccomp_filter();
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
            match status.as_slice() {
                b"T" => follow::follow(pid, Mode::Filtered, ended_tx),
                b"TF" => follow::follow(pid, Mode::EveryCall, ended_tx),
                _ => {
                    let errno = status
                        .get(1)
                        .map_or(Errno::UnknownErrno, |e| Errno::from_raw(i32::from(*e)));
                    wait_untraced(pid, &ended_tx);
                    Err(format!("ptrace is not permitted here ({errno})"))
                }
            }
        })?;
    let (pid, (stdout, stderr)) = started_rx
        .recv()
        .map_err(|_| std::io::Error::other("the tracer stopped before the program started"))??;
    Ok(TracedRun {
        pid,
        stdout,
        stderr,
        ended,
        tracer,
    })
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

/// A classic BPF program: for the calls `syscalls` marks as traced, stop for the tracer; let
/// everything else through untouched.
fn seccomp_filter() -> Vec<libc::sock_filter> {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let numbers: Vec<u64> = syscalls::traced_numbers().collect();
    let n = numbers.len();
    // seccomp_data: nr at offset 0, arch at offset 4.
    let mut filter = vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 4),
        jeq(syscalls::AUDIT_ARCH, 0, (n + 1) as u8),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
    ];
    for (i, nr) in numbers.iter().enumerate() {
        filter.push(jeq(*nr as u32, (n - i) as u8, 0));
    }
    filter.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    filter.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_TRACE));
    filter
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
