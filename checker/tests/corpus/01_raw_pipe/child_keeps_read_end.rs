//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the child never closes its copy of the read end before writing, so if the parent went away the child's writes would never fail with EPIPE: they would block on a full pipe that the child itself keeps readable.
//! diagnosis: each writer has closed its copy of the read end
//! diagnosis: still held the read end of pipe A

use std::fs::File;
use std::io::{BufRead, BufReader, Write};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

const LECTURE: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages: Vec<String> = if args.is_empty() {
        LECTURE.iter().map(|s| s.to_string()).collect()
    } else {
        args
    };

    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY: we have one thread only.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // The child writes each message on its own line.
            let mut w = File::from(write_end);
            for m in &messages {
                w.write_all(format!("{m}\n").as_bytes()).expect("write to pipe");
            }
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            // Close our write end first, or we would never see end-of-file.
            drop(write_end);
            let mut n = 0;
            for line in BufReader::new(File::from(read_end)).lines() {
                println!("received: {}", line.expect("read"));
                n += 1;
            }
            println!("EOF after {n} messages");
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit: {other:?}");
                    std::process::exit(1);
                }
            }
        }
    }
}
