//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent reads every line with read_line into one String it never clears, so each `received:` line repeats all the earlier messages before the new one
//! diagnosis: comes more often than it was sent
//! diagnosis: clear() it before each read
//! absent: debugging output belongs on stderr

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
    // SAFETY: single-threaded program, the child may do anything.
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
            let mut reader = BufReader::new(File::from(read_end));
            let mut line = String::new();
            let mut count = 0;
            loop {
                // MISTAKE: read_line appends to `line`, and `line.clear()` is missing, so the
                // buffer keeps every earlier message and each print repeats them all.
                let n = reader.read_line(&mut line).expect("read from pipe");
                if n == 0 {
                    break;
                }
                println!("received: {}", line.strip_suffix('\n').unwrap_or(&line));
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
