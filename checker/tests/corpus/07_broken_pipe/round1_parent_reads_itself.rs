//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: round 1 forks no reader: the parent writes LINES lines into the pipe, reads them back and prints them itself, closes its read end, gets EPIPE at its next write, and prints a `reader exited with status 0` that no reader produced (the output is right)
//! diagnosis: P1 (the program) read pipe A itself

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe};

/// Lines the reader takes when the command line gives no LINES.
const DEFAULT_LINES: usize = 3;
/// The largest LINES the contract allows.
const MAX_LINES: usize = 1000;

/// The reader child (the `head`): keeps only the read end, prints `lines` lines from the
/// pipe, then exits 0 without reading more. Exiting closes its read end: from then on the
/// pipe has no reader at all.
fn reader(read_end: OwnedFd, write_end: OwnedFd, lines: usize) -> ! {
    // It only reads. (This one stops before end-of-file, but a reader that kept a write end
    // would never see end-of-file: close it as a habit.)
    drop(write_end);
    // BufReader may take more bytes than `lines` lines out of the pipe in one read(); the
    // rest is thrown away unread with it. What matters is that no read() follows.
    for line in BufReader::new(File::from(read_end)).lines().take(lines) {
        match line {
            Ok(line) => println!("reader: {line}"),
            Err(err) => {
                eprintln!("reader: read from pipe: {err}");
                exit(1);
            }
        }
    }
    exit(0);
}

/// Waits for the reader and prints how it ended.
fn reap_reader(reader: Pid) {
    match waitpid(reader, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => println!("reader exited with status {code}"),
        other => eprintln!("reader did not exit normally: {other:?}"),
    }
}

/// Round 1: the parent writes until the kernel says nobody will ever read, and stops cleanly.
fn round_one(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    // No reader child: the parent plays the reader itself. It puts the reader's lines into
    // the pipe, reads them back and prints them, then closes its read end and writes on.
    let mut pipe_in = File::from(write_end);
    for k in 1..=lines {
        pipe_in
            .write_all(format!("line {k}\n").as_bytes())
            .expect("write");
    }
    for line in BufReader::new(File::from(read_end)).lines().take(lines) {
        println!("reader: {}", line.expect("read"));
    }
    let mut written = lines;
    loop {
        // One write per line: a line is far shorter than PIPE_BUF, so write_all makes exactly
        // one write() call. Rust ignores SIGPIPE, so a write into a pipe without readers is
        // not fatal: it returns EPIPE, io::ErrorKind::BrokenPipe (Python: BrokenPipeError).
        match pipe_in.write_all(format!("line {}\n", written + 1).as_bytes()) {
            Ok(()) => written += 1,
            Err(err) if err.kind() == ErrorKind::BrokenPipe => break,
            Err(err) => {
                eprintln!("writer: write to pipe: {err}");
                exit(1);
            }
        }
    }
    println!("writer: EPIPE after {written} lines");
    // Nobody to wait for: the status line is made up.
    println!("reader exited with status 0");
}

/// Round 2: a writer child with the default SIGPIPE action, which the kernel simply kills.
fn round_two(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    // SAFETY (both forks): this process has a single thread, so a child may do anything.
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            // Back to the default action, as Rust's Command does for each program it starts: SIGPIPE
            // now terminates this process the moment it writes into a pipe without readers.
            // SAFETY: installing the default action runs no code of ours in a signal handler.
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut pipe_in = File::from(write_end);
            for n in 1u64.. {
                // No error handling to speak of: the write that would fail never returns.
                if let Err(err) = pipe_in.write_all(format!("line {n}\n").as_bytes()) {
                    eprintln!("writer: write to pipe: {err}");
                    exit(1);
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };

    // The parent neither reads nor writes. Holding the read end would keep the writer alive
    // (blocked on a full pipe) for ever; the write end has no use here.
    drop((read_end, write_end));

    reap_reader(reader);
    match waitpid(writer, None).expect("waitpid") {
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("writer killed by SIGPIPE"),
        WaitStatus::Exited(_, code) => println!("writer exited with status {code}"),
        other => eprintln!("writer ended otherwise: {other:?}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => DEFAULT_LINES,
        [lines] => match lines.parse() {
            Ok(n @ 1..=MAX_LINES) => n,
            _ => return usage(),
        },
        _ => return usage(),
    };

    round_one(lines);
    round_two(lines);
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: 07_broken_pipe [LINES]   (LINES: 1..={MAX_LINES}, default {DEFAULT_LINES})");
    ExitCode::from(2)
}
