//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the producer never sleeps between messages, so they all arrive at once instead of one to two (scaled) seconds apart
//! diagnosis: no earlier than
//! diagnosis: must sleep a random 1-2 s

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect();
    }
    messages.push("END".to_string());

    let (read_end, write_end) = pipe().expect("pipe");

    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut out = File::from(write_end);
            for message in &messages {
                // MISTAKE: no random 1-2 s delay (times PIPES_LAB_TIME_SCALE) before each send.
                out.write_all(format!("{message}\n").as_bytes())
                    .expect("send");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };

    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(write_end);
            for line in BufReader::new(File::from(read_end)).lines() {
                let message = line.expect("receive");
                println!("Message Received: {message}");
                if message == "END" {
                    break;
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };

    drop(read_end);
    drop(write_end);
    waitpid(producer, None).expect("waitpid producer");
    waitpid(consumer, None).expect("waitpid consumer");
    println!("done");
}
