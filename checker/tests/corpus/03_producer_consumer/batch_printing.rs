//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the consumer collects every message and prints them all after END, instead of printing each one the moment it arrives
//! diagnosis: no later than
//! diagnosis: collect the messages and print them at the end

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn time_scale() -> f64 {
    std::env::var("PIPES_LAB_TIME_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

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
            let scale = time_scale();
            let mut rng = rand::rng();
            let mut out = File::from(write_end);
            for message in &messages {
                sleep(Duration::from_secs_f64(rng.random_range(1.0..2.0) * scale));
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
            // MISTAKE: the messages are stored and printed only once END has come, so every
            // line appears at the very end instead of as each message arrives.
            let mut received = Vec::new();
            for line in BufReader::new(File::from(read_end)).lines() {
                let message = line.expect("receive");
                let last = message == "END";
                received.push(message);
                if last {
                    break;
                }
            }
            for message in &received {
                println!("Message Received: {message}");
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
