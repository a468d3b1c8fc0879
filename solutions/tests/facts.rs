//! What the handout states as measured on Linux, measured again wherever the tests run: a
//! pipe's pages, F_SETPIPE_SZ on a full pipe, SIGPIPE across exec, rand's generator across
//! fork. A kernel or a crate that behaves otherwise fails here, not in a student's program.

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, execvp, fork, pipe, read, write};
use std::ffi::CString;
use std::os::fd::OwnedFd;

/// A fresh pipe filled with writes of `chunk` bytes until the next one would block: its ends
/// and the bytes it took.
fn filled(chunk: usize) -> (OwnedFd, OwnedFd, usize) {
    let (read_end, write_end) = pipe().expect("a pipe");
    fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).expect("O_NONBLOCK");
    let bytes = vec![0u8; chunk];
    let mut total = 0;
    while let Ok(n) = write(&write_end, &bytes) {
        total += n;
    }
    (read_end, write_end, total)
}

#[test]
fn a_pipe_keeps_whole_pages_so_chunks_that_do_not_divide_4096_fill_it_less() {
    // 16 pages of 4096 bytes; a write that does not fit in what is left of the last page
    // starts a new one.
    assert_eq!(filled(4096).2, 65536);
    assert_eq!(filled(1024).2, 65536);
    assert_eq!(filled(1000).2, 16 * 4000);
    assert_eq!(filled(3000).2, 16 * 3000);
}

#[test]
fn a_full_pipe_refuses_up_to_32_kib_keeps_64_kib_and_grows_above() {
    for (size, expected) in [
        (4096, Err(Errno::EBUSY)),
        (20000, Err(Errno::EBUSY)),
        (32768, Err(Errno::EBUSY)),
        (32769, Ok(65536)),
        (65536, Ok(65536)),
        (65537, Ok(131072)),
        (100000, Ok(131072)),
    ] {
        let (_read_end, write_end, held) = filled(4096);
        assert_eq!(held, 65536);
        assert_eq!(
            fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)),
            expected,
            "F_SETPIPE_SZ {size} on a full pipe"
        );
    }
}

/// Everything a pipe brings until end-of-file (or an error).
fn read_to_end(read_end: &OwnedFd) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = read(read_end, &mut buf) {
        bytes.extend_from_slice(&buf[..n]);
    }
    bytes
}

/// Whether SIGPIPE is ignored in a program, from the SigIgn mask it prints.
fn ignores_sigpipe(status: &str) -> bool {
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .expect("a SigIgn line");
    // Signal 13 is bit 12.
    mask & (1 << 12) != 0
}

#[test]
fn command_restores_sigpipe_and_a_bare_fork_and_execvp_keeps_it_ignored() {
    // Rust programs, this test included, start with SIGPIPE ignored.
    let via_command = std::process::Command::new("cat")
        .arg("/proc/self/status")
        .output()
        .expect("run cat");
    assert!(!ignores_sigpipe(&String::from_utf8_lossy(
        &via_command.stdout
    )));

    let argv = [
        c"cat".to_owned(),
        CString::new("/proc/self/status").expect("no NUL"),
    ];
    let (read_end, write_end) = pipe().expect("a pipe");
    // SAFETY: the child only calls dup2 and execvp on what was built before the fork.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            if dup2_stdout(&write_end).is_ok() {
                let _ = execvp(&argv[0], &argv);
            }
            std::process::exit(127);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let out = read_to_end(&read_end);
            assert_eq!(waitpid(child, None), Ok(WaitStatus::Exited(child, 0)));
            assert!(ignores_sigpipe(&String::from_utf8_lossy(&out)));
        }
    }
}

#[test]
fn rand_s_thread_generator_is_not_reseeded_by_fork() {
    use rand::RngExt;
    // Seeded here, before the forks, as a parent's first draw would seed it.
    let _: u64 = rand::rng().random();
    let (read_end, write_end) = pipe().expect("a pipe");
    let mut children = Vec::new();
    for _ in 0..3 {
        // SAFETY: the child draws from the generator it inherited, writes, and exits.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                let drawn: u64 = rand::rng().random();
                let _ = write(&write_end, &drawn.to_be_bytes());
                std::process::exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    drop(write_end);
    let bytes = read_to_end(&read_end);
    for child in children {
        assert_eq!(waitpid(child, None), Ok(WaitStatus::Exited(child, 0)));
    }
    let drawn: Vec<&[u8]> = bytes.chunks(8).collect();
    assert_eq!(drawn.len(), 3);
    assert!(
        drawn.iter().all(|d| *d == drawn[0]),
        "the three children drew {drawn:?}"
    );
}
