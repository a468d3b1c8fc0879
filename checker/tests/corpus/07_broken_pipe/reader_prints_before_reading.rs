//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: the reader prints `reader: line K` from its own count before it reads line K, so the first line is printed before anything came through the pipe (the output looks right)
//! diagnosis: which had read nothing from a pipe by then
//! diagnosis: the lines that report data received are printed by the process that read it

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
    let mut input = BufReader::new(File::from(read_end)).lines();
    for k in 1..=lines {
        // Printed from what it expects, before reading: the right text, but not the line that
        // came through the pipe.
        println!("reader: line {k}");
        if !matches!(input.next(), Some(Ok(_))) {
            eprintln!("reader: the pipe ended early");
            exit(1);
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
    // SAFETY: this process has a single thread, so the child may do anything after fork.
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    // Close our read end: while ANY process holds one, writes succeed (or block on a full
    // pipe) instead of failing with EPIPE.
    drop(read_end);

    let mut pipe_in = File::from(write_end);
    let mut written = 0;
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
    // EPIPE only comes after the reader exited, so all its lines are out before this one.
    println!("writer: EPIPE after {written} lines");
    drop(pipe_in);
    reap_reader(reader);
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
