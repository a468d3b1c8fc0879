//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent calls read() once with a 4096-byte buffer instead of looping until read() returns 0, so it misses everything after the first chunk
//! diagnosis: messages arrived
//! diagnosis: until read returns 0

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe, read};

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
            let mut writer = BufWriter::new(File::from(write_end));
            for message in &messages {
                writeln!(writer, "{message}").expect("write to pipe");
            }
            writer.flush().expect("write to pipe");
            drop(writer);
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut buf = [0u8; 4096];
            // MISTAKE: a single read(). It returns at most 4096 bytes, and only what is in the
            // pipe at that moment; the rest of the messages is never read.
            let n = read(&read_end, &mut buf).expect("read from pipe");
            drop(read_end);

            let text = String::from_utf8_lossy(&buf[..n]);
            let mut count = 0;
            for line in text.lines() {
                println!("received: {line}");
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
