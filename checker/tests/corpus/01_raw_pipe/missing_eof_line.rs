//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent reads everything correctly but forgets to print the `EOF after N messages` line
//! diagnosis: -EOF after 7 messages

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect();
    }

    let (read_end, write_end) = pipe().expect("pipe");
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut writer = File::from(write_end);
            for message in &messages {
                writeln!(writer, "{message}").expect("write to pipe");
            }
            drop(writer);
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let reader = BufReader::new(File::from(read_end));
            for line in reader.lines() {
                println!("received: {}", line.expect("read from pipe"));
            }
            // MISTAKE: the loop ended because read() returned 0 (end-of-file), but the
            // `EOF after <N> messages` line is never printed.
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit normally: {other:?}");
                    exit(1);
                }
            }
        }
    }
}
