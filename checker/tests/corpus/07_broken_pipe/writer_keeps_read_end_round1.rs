//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: in round 1 the writer (the parent) never closes the read end it made, so after the reader exits the pipe still has a reader: its writes never fail with EPIPE, they block on the full pipe and the program hangs.
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

// Makes a new pipe and forks its reader, the `head` of the pipeline: it prints `lines`
// lines, then leaves without reading more. Returns the reader and the parent's two ends.
fn spawn_reader(lines: usize) -> (Pid, OwnedFd, OwnedFd) {
    let (rx, tx) = pipe().expect("pipe");
    // SAFETY: single-threaded program.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(tx);
            let mut input = BufReader::new(File::from(rx));
            for _ in 0..lines {
                let mut line = String::new();
                match input.read_line(&mut line) {
                    Ok(0) | Err(_) => exit(1),
                    Ok(_) => println!("reader: {}", line.trim_end_matches('\n')),
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => (child, rx, tx),
    }
}

fn report_reader(pid: Pid) {
    match waitpid(pid, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => println!("reader exited with status {code}"),
        other => eprintln!("reader: {other:?}"),
    }
}

fn round1(lines: usize) {
    let (reader, _rx, tx) = spawn_reader(lines);
    let mut out = File::from(tx);
    let mut sent = 0u64;
    loop {
        match out.write_all(format!("line {}\n", sent + 1).as_bytes()) {
            Ok(()) => sent += 1,
            Err(e) if e.kind() == ErrorKind::BrokenPipe => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    println!("writer: EPIPE after {sent} lines");
    drop(out);
    report_reader(reader);
}

fn round2(lines: usize) {
    let (reader, rx, tx) = spawn_reader(lines);
    // SAFETY: still single-threaded.
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            // As Command does for the programs it starts: SIGPIPE kills us again.
            // SAFETY: the default action runs none of our code.
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut out = File::from(tx);
            let mut n = 1u64;
            loop {
                let _ = out.write_all(format!("line {n}\n").as_bytes());
                n += 1;
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop((rx, tx));
    report_reader(reader);
    match waitpid(writer, None).expect("waitpid") {
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("writer killed by SIGPIPE"),
        WaitStatus::Exited(_, code) => println!("writer exited with status {code}"),
        other => eprintln!("writer: {other:?}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.len() {
        0 => 3,
        1 => match args[0].parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return usage(),
        },
        _ => return usage(),
    };
    round1(lines);
    round2(lines);
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: 07_broken_pipe [LINES]   (LINES from 1 to 1000)");
    ExitCode::from(2)
}
