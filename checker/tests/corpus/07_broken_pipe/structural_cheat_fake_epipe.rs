//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: the writers send exactly the lines the reader takes and stop, so no pipe ever breaks: round 1 prints `EPIPE` without one, and round 2's writer sends itself SIGPIPE with kill (the output is right)
//! diagnosis: seen by the X-ray
//! diagnosis: no writer saw a write fail with EPIPE and lived on

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, kill, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, getpid, pipe};

/// The reader child: prints `lines` lines from the pipe, then exits.
fn reader(read_end: OwnedFd, write_end: OwnedFd, lines: usize) -> ! {
    drop(write_end);
    for line in BufReader::new(File::from(read_end)).lines().take(lines) {
        println!("reader: {}", line.expect("read from pipe"));
    }
    exit(0);
}

fn write_lines(pipe_in: &mut File, lines: usize) {
    for n in 1..=lines {
        pipe_in
            .write_all(format!("line {n}\n").as_bytes())
            .expect("write to pipe");
    }
}

fn report_reader(status: WaitStatus) {
    if let WaitStatus::Exited(_, code) = status {
        println!("reader exited with status {code}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => 3,
        [text] => match text.parse() {
            Ok(n @ 1..=1000) => n,
            _ => return usage(),
        },
        _ => return usage(),
    };

    // Round 1. SAFETY (every fork): a single thread, so a child may do anything.
    let (read_end, write_end) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    // MISTAKE: the writer knows how many lines the reader wants and writes exactly those,
    // so every write succeeds and the pipe never breaks. The "EPIPE" is only printed, after
    // waiting for the reader so that it comes after the reader's lines.
    let mut pipe_in = File::from(write_end);
    write_lines(&mut pipe_in, lines);
    drop(pipe_in);
    let status = waitpid(child, None).expect("waitpid");
    println!("writer: EPIPE after {lines} lines");
    report_reader(status);

    // Round 2.
    let (read_end, write_end) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            write_lines(&mut File::from(write_end), lines);
            // MISTAKE, again: no write into a pipe without readers. The writer restores the
            // default action and sends SIGPIPE to itself, so the parent sees the same death.
            // SAFETY: installing the default action runs no code of ours.
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            kill(getpid(), Signal::SIGPIPE).expect("kill");
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop((read_end, write_end));
    report_reader(waitpid(child, None).expect("waitpid"));
    if let Ok(WaitStatus::Signaled(_, Signal::SIGPIPE, _)) = waitpid(writer, None) {
        println!("writer killed by SIGPIPE");
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: 07_broken_pipe [LINES]");
    ExitCode::from(2)
}
