//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent never closes its copy of the write end; it gets away without a hang only because it stops after reading as many lines as it sent, instead of reading to end-of-file
//! diagnosis: seen by the X-ray
//! diagnosis: P1 (the program) still held the write end of pipe A, fd 4, when it began reading pipe A
//! diagnosis: ! P1 began reading pipe A while it still held the write end of pipe A as fd 4

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages: Vec<String> = if args.is_empty() {
        ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        args
    };

    let (read_end, write_end) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut pipe_in = File::from(write_end);
            for message in &messages {
                writeln!(pipe_in, "{message}").expect("write to pipe");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    // MISTAKE: `write_end` is still open here: the parent holds a write end of the very pipe it
    // reads, so a read loop that waits for end-of-file would never end. Reading exactly as many
    // lines as were sent hides the bug; any change to the count (a child that sends one line
    // more or less) turns it into a hang or a lost message.
    let lines = BufReader::new(File::from(read_end)).lines();
    let mut count = 0;
    for line in lines.take(messages.len()) {
        println!("received: {}", line.expect("read from pipe"));
        count += 1;
    }
    println!("EOF after {count} messages");
    drop(write_end);
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, code)) => println!("child exited with status {code}"),
        other => println!("child ended unexpectedly: {other:?}"),
    }
}
