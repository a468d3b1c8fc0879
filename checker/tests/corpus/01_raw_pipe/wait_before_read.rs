//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent waits for the child before reading, so a child with more than 64 KiB to send blocks on the full pipe and both wait forever
//! diagnosis: case: over 64 KiB of messages
//! diagnosis: so it hangs
//! diagnosis: read everything first, then wait
//! diagnosis: (parent) is blocked waiting for its child
//! diagnosis: (child) is blocked writing into pipe:[
//! diagnosis: it is full
//! diagnosis: to read or to close its read end
//! diagnosis: deadlock

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
            // MISTAKE: waiting before reading. Nobody drains the pipe while the child writes,
            // so once 64 KiB are in it the child's write() blocks and this waitpid() never returns.
            let status = waitpid(child, None).expect("waitpid");

            let reader = BufReader::new(File::from(read_end));
            let mut count = 0;
            for line in reader.lines() {
                println!("received: {}", line.expect("read from pipe"));
                count += 1;
            }
            println!("EOF after {count} messages");
            match status {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit normally: {other:?}");
                    exit(1);
                }
            }
        }
    }
}
