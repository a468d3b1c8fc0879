//! exercise: 07_broken_pipe
//! expect: fail
//! mistake: the round-1 writer ignores write errors and waits for write() to return 0 (as read() does at end-of-file); after the reader exits every write fails with EPIPE, so it loops for ever and the program hangs
//! diagnosis: so it hangs
//! diagnosis: is running, not blocked: a loop that never ends?
//! diagnosis: the writer never stops

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::process::exit;

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe, write};

fn reader(read_end: OwnedFd, write_end: OwnedFd, lines: usize) -> ! {
    drop(write_end);
    let mut input = BufReader::new(File::from(read_end));
    for _ in 0..lines {
        let mut line = String::new();
        if input.read_line(&mut line).expect("read") == 0 {
            break;
        }
        println!("reader: {}", line.trim_end_matches('\n'));
    }
    exit(0);
}

fn report(who: &str, status: WaitStatus) {
    match status {
        WaitStatus::Exited(_, code) => println!("{who} exited with status {code}"),
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => println!("{who} killed by SIGPIPE"),
        other => eprintln!("{who}: {other:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines: usize = match args.as_slice() {
        [] => 3,
        [arg] => match arg.parse() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                eprintln!("usage: 07_broken_pipe [LINES]");
                exit(2);
            }
        },
        _ => {
            eprintln!("usage: 07_broken_pipe [LINES]");
            exit(2);
        }
    };

    // Round 1.
    let (read_end, write_end) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    let mut written = 0;
    loop {
        let line = format!("line {}\n", written + 1);
        match write(&write_end, line.as_bytes()) {
            Ok(0) => break,
            Ok(_) => written += 1,
            // MISTAKE: the error is ignored and the loop goes on. A write into a pipe without
            // readers never returns 0: it fails with EPIPE, now and for ever, so this loop
            // never ends.
            Err(_) => {}
        }
    }
    drop(write_end);
    println!("writer: EPIPE after {written} lines");
    report("reader", waitpid(child, None).expect("waitpid"));

    // Round 2.
    let (read_end, write_end) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => reader(read_end, write_end, lines),
        ForkResult::Parent { child } => child,
    };
    let writer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.expect("signal");
            let mut n: u64 = 0;
            loop {
                n += 1;
                if write(&write_end, format!("line {n}\n").as_bytes()).is_err() {
                    exit(1);
                }
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop((read_end, write_end));
    report("reader", waitpid(child, None).expect("waitpid"));
    report("writer", waitpid(writer, None).expect("waitpid"));
}
