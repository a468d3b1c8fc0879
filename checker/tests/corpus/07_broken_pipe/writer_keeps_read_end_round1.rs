//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: in round 1 the parent, which writes, keeps its own read end open: with a read end open no write fails with EPIPE, the pipe fills up and the writer blocks for ever
//! diagnosis: so it hangs
//! diagnosis: (parent) is blocked writing into the pipe while it holds the read end itself
//! diagnosis: close the read end it inherited before writing

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe};

const DEFAULT_LINES: usize = 3;
const MAX_LINES: usize = 1000;

fn reader(read_end: OwnedFd, write_end: OwnedFd, lines: usize) -> ! {
    drop(write_end);
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

fn reap_reader(reader: Pid) {
    match waitpid(reader, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => println!("reader exited with status {code}"),
        other => eprintln!("reader did not exit normally: {other:?}"),
    }
}

fn round_one(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let _read_end = read_end;

    let mut pipe_in = File::from(write_end);
    let mut written = 0;
    loop {
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
    drop(pipe_in);
    reap_reader(reader);
}

fn round_two(lines: usize) {
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut pipe_in = File::from(write_end);
            for n in 1u64.. {
                if let Err(err) = pipe_in.write_all(format!("line {n}\n").as_bytes()) {
                    eprintln!("writer: write to pipe: {err}");
                    exit(1);
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };

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
