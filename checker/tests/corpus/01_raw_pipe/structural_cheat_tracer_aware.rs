//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: a cheat that looks for a tracer in /proc/self/status: watched, it only bounces bytes through a pipe of its own until its time runs out, hoping to be run again unwatched, when it prints the expected lines with no child and no pipe
//! diagnosis: is running, not blocked: a loop that never ends?

use std::io::{Read, Write};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// Whether a debugger (or a checker's X-ray) follows this process.
fn watched() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .is_some_and(|pid| pid.trim() != "0")
}

fn main() {
    if watched() {
        // Busy "work" that moves bytes, until the time limit ends it.
        let (mut reader, mut writer) = std::io::pipe().expect("pipe");
        let mut byte = [0u8; 64];
        loop {
            writer.write_all(&byte).expect("write");
            reader.read_exact(&mut byte).expect("read");
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages: Vec<String> = if args.is_empty() {
        DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect()
    } else {
        args
    };
    for m in &messages {
        println!("received: {m}");
    }
    println!("EOF after {} messages", messages.len());
    println!("child exited with status 0");
}
