//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: the round-1 writer expect()s every write, so the EPIPE that should end its loop cleanly panics instead and the program exits with status 101 before round 2
//! diagnosis: it panicked: write to pipe

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

fn lines_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let lines = match args.len() {
        1 => Some(3),
        2 => args[1].parse().ok().filter(|n| (1..=1000).contains(n)),
        _ => None,
    };
    lines.unwrap_or_else(|| {
        eprintln!("usage: 07_broken_pipe [LINES]");
        exit(2)
    })
}

fn print_reader_status(status: WaitStatus) {
    if let WaitStatus::Exited(_, code) = status {
        println!("reader exited with status {code}");
    }
}

fn main() {
    let lines = lines_arg();

    // Round 1.
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(write_end);
            let input = BufReader::new(File::from(read_end));
            for line in input.lines().take(lines) {
                println!("reader: {}", line.expect("read"));
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    let mut output = File::from(write_end);
    let mut written = 0;
    for n in 1.. {
        // MISTAKE: expect() on the write. Once the reader is gone this write returns EPIPE,
        // which should end the loop; expect() turns it into a panic (exit status 101), and
        // the lines after the loop never run.
        output
            .write_all(format!("line {n}\n").as_bytes())
            .expect("write to pipe");
        written = n;
    }
    println!("writer: EPIPE after {written} lines");
    print_reader_status(waitpid(reader, None).expect("waitpid"));

    // Round 2.
    let (read_end, write_end) = pipe().expect("pipe");
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(write_end);
            let input = BufReader::new(File::from(read_end));
            for line in input.lines().take(lines) {
                println!("reader: {}", line.expect("read"));
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut output = File::from(write_end);
            for n in 1.. {
                output
                    .write_all(format!("line {n}\n").as_bytes())
                    .expect("write to pipe");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    drop(write_end);
    print_reader_status(waitpid(reader, None).expect("waitpid"));
    match waitpid(writer, None).expect("waitpid") {
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("writer killed by SIGPIPE"),
        WaitStatus::Exited(_, code) => println!("writer exited with status {code}"),
        other => eprintln!("writer: {other:?}"),
    }
}
