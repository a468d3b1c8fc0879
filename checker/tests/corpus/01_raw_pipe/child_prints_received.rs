//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the child prints every `received:` line itself and only sends the parent a count through the pipe, so the output is right but no message ever travels through the pipe to a reader that prints it.
//! diagnosis: was printed by P2 (child of P1), which had read nothing from a pipe
//! diagnosis: print each received line in the process that reads it

use std::fs::File;
use std::io::{Read, Write};
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .iter()
            .map(|m| m.to_string())
            .collect();
    }

    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY: single-threaded program, the child may do anything.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            // The child already knows the messages, so it prints them right away...
            for m in &messages {
                println!("received: {m}");
            }
            // ...and the parent only needs to know how many there were.
            let mut out = File::from(write_end);
            out.write_all(messages.len().to_string().as_bytes()).expect("write");
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut text = String::new();
            File::from(read_end).read_to_string(&mut text).expect("read");
            let count: usize = text.trim().parse().expect("a count");
            println!("EOF after {count} messages");

            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child ended strangely: {other:?}");
                    exit(1);
                }
            }
        }
    }
}
