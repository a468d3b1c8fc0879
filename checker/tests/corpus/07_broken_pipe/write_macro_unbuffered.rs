//! exercise: 07_broken_pipe
//! expect: pass
//! mistake: none

// A correct solution whose round-2 writer uses `writeln!` on an unbuffered `File`: the
// standard library writes each piece of the format on its own ("line ", "4", "\n"), so the
// write that meets the closed pipe, and is killed by SIGPIPE there, may be of one byte.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe};

/// Makes a pipe and forks its reader, which prints `lines` lines and exits without reading
/// more. Returns the reader and the parent's two ends.
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

fn describe(who: &str, status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("{who} exited with status {code}"),
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => format!("{who} killed by SIGPIPE"),
        other => format!("{who} ended as {other:?}"),
    }
}

/// Round 1: the parent writes (SIGPIPE ignored, as Rust sets it) until EPIPE.
fn round1(lines: usize) {
    let (reader, rx, tx) = spawn_reader(lines);
    drop(rx);
    let mut out = File::from(tx);
    let mut sent = 0u64;
    loop {
        match out.write_all(format!("line {}\n", sent + 1).as_bytes()) {
            Ok(()) => sent += 1,
            Err(e) if e.kind() == ErrorKind::BrokenPipe => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    drop(out);
    println!("writer: EPIPE after {sent} lines");
    println!("{}", describe("reader", waitpid(reader, None).expect("waitpid")));
}

/// Round 2: a writer child with SIGPIPE's default action writes until the kernel kills it.
fn round2(lines: usize) {
    let (reader, rx, tx) = spawn_reader(lines);
    // SAFETY: single-threaded program.
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            // SAFETY: the default action runs none of our code.
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut out = File::from(tx);
            for n in 1u64.. {
                if writeln!(out, "line {n}").is_err() {
                    exit(1);
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop((rx, tx));
    println!("{}", describe("reader", waitpid(reader, None).expect("waitpid")));
    println!("{}", describe("writer", waitpid(writer, None).expect("waitpid")));
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => 3,
        [n] => match n.parse::<usize>() {
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
