//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: in round 1 the parent waits for its reader child before writing any line, so the reader blocks on an empty pipe while the parent blocks in waitpid, and the program deadlocks until it is killed
//! diagnosis: a deadlock
//! diagnosis: write everything first, then close (drop) the end, and only then wait

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

const DEFAULT_LINES: usize = 3;
const MAX_LINES: usize = 1000;

// The reader child: closes the write end, prints `lines` lines, exits 0 without reading more.
fn reader(read_end: OwnedFd, write_end: OwnedFd, lines: usize) -> ! {
    drop(write_end);
    let mut input = BufReader::new(File::from(read_end));
    for _ in 0..lines {
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => println!("reader: {}", line.trim_end_matches('\n')),
            Err(err) => {
                eprintln!("reader: read: {err}");
                exit(1);
            }
        }
    }
    exit(0);
}

// Prints how a reader ended.
fn report_reader(status: WaitStatus) {
    match status {
        WaitStatus::Exited(_, code) => println!("reader exited with status {code}"),
        other => eprintln!("reader ended otherwise: {other:?}"),
    }
}

fn round_one(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    // SAFETY: one thread, so the child may do anything after fork.
    let reader_pid = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    drop(read_end); // else our own read end keeps the pipe alive and no write fails

    // MISTAKE: waiting before writing: the reader waits for lines that only come after it
    // has exited, so neither ever moves. Write first, then wait.
    let reader_status = waitpid(reader_pid, None).expect("waitpid");

    let mut pipe_in = File::from(write_end);
    let mut written = 0usize;
    loop {
        match pipe_in.write_all(format!("line {}\n", written + 1).as_bytes()) {
            Ok(()) => written += 1,
            Err(err) if err.kind() == ErrorKind::BrokenPipe => break,
            Err(err) => {
                eprintln!("writer: write: {err}");
                exit(1);
            }
        }
    }
    println!("writer: EPIPE after {written} lines");
    drop(pipe_in);
    report_reader(reader_status);
}

fn round_two(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    // SAFETY (both forks): one thread, so a child may do anything.
    let reader_pid = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let writer_pid = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end); // a writer holding a read end never gets EPIPE
            // SAFETY: the default action runs no handler of ours.
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut pipe_in = File::from(write_end);
            let mut n = 1u64;
            loop {
                let _ = pipe_in.write_all(format!("line {n}\n").as_bytes());
                n += 1;
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    drop(write_end);

    report_reader(waitpid(reader_pid, None).expect("waitpid"));
    match waitpid(writer_pid, None).expect("waitpid") {
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("writer killed by SIGPIPE"),
        WaitStatus::Exited(_, code) => println!("writer exited with status {code}"),
        other => eprintln!("writer ended otherwise: {other:?}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => DEFAULT_LINES,
        [arg] => match arg.parse::<usize>() {
            Ok(n) if (1..=MAX_LINES).contains(&n) => n,
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
