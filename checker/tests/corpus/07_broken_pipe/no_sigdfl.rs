//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: the round-2 writer child never restores the default SIGPIPE action, so it inherits Rust's "ignore", gets EPIPE instead of the signal, and exits with status 1 instead of being killed by SIGPIPE
//! diagnosis: +writer exited with status 1
//! diagnosis: round 2's writer was not killed by SIGPIPE

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe};

/// The reader child's work: print `lines` lines, then exit 0.
fn read_lines(read_end: OwnedFd, lines: usize) -> ! {
    let reader = BufReader::new(File::from(read_end));
    for line in reader.lines().take(lines) {
        println!("reader: {}", line.expect("read"));
    }
    exit(0);
}

fn wait_reader(reader: Pid) {
    match waitpid(reader, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => println!("reader exited with status {code}"),
        other => eprintln!("reader: {other:?}"),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let lines = match (args.next(), args.next()) {
        (None, _) => 3,
        (Some(arg), None) => match arg.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                eprintln!("usage: 07_broken_pipe [LINES]");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: 07_broken_pipe [LINES]");
            return ExitCode::from(2);
        }
    };

    // Round 1: stop at EPIPE.
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(write_end);
            read_lines(read_end, lines);
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    let mut output = File::from(write_end);
    let mut written = 0;
    loop {
        match output.write_all(format!("line {}\n", written + 1).as_bytes()) {
            Ok(()) => written += 1,
            Err(err) if err.kind() == ErrorKind::BrokenPipe => break,
            Err(err) => panic!("write: {err}"),
        }
    }
    println!("writer: EPIPE after {written} lines");
    drop(output);
    wait_reader(reader);

    // Round 2: a writer that SIGPIPE should kill.
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(write_end);
            read_lines(read_end, lines);
        }
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            // MISTAKE: no `signal(Signal::SIGPIPE, SigHandler::SigDfl)` here. The child
            // inherits Rust's "ignore SIGPIPE", so the write below fails with EPIPE instead of
            // the kernel killing the process, and the child exits with status 1.
            let mut output = File::from(write_end);
            let mut n = 0u64;
            loop {
                n += 1;
                if let Err(err) = output.write_all(format!("line {n}\n").as_bytes()) {
                    eprintln!("writer: {err}");
                    exit(1);
                }
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    drop(write_end);
    wait_reader(reader);
    match waitpid(writer, None).expect("waitpid") {
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("writer killed by SIGPIPE"),
        WaitStatus::Exited(_, code) => println!("writer exited with status {code}"),
        other => eprintln!("writer: {other:?}"),
    }
    ExitCode::SUCCESS
}
