//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent never closes its own copy of the write end, so its read loop never sees end-of-file
//! diagnosis: so it hangs
//! diagnosis: while it holds a write end of it itself
//! diagnosis: (parent) is blocked reading pipe:[
//! absent: the X-ray cut
//! diagnosis: write ends of pipe:[
//! diagnosis: (the reader itself)
//! diagnosis: close fd 4 in the parent before reading
//! diagnosis: hint 2/3: The parent reads until read() returns 0

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
            // MISTAKE: no `drop(write_end)` here. The parent still holds a write end of the
            // pipe it reads, so after the child's last line read() blocks instead of returning 0.
            let reader = BufReader::new(File::from(read_end));
            let mut count = 0;
            for line in reader.lines() {
                println!("received: {}", line.expect("read from pipe"));
                count += 1;
            }
            println!("EOF after {count} messages");
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
