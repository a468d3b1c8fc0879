//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: only the producer is a child: the parent itself reads the pipe and prints the messages, so there is no consumer process (the output and its timing are right)
//! diagnosis: seen by the X-ray
//! diagnosis: the program itself read pipe A from its producer child: there was no consumer child

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// PIPES_LAB_TIME_SCALE, a number of at least 0 (1 when unset); None when it is anything else.
fn time_scale() -> Option<f64> {
    match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => Some(1.0),
        Ok(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0),
    }
}

fn main() -> ExitCode {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.map(String::from).to_vec();
    }
    messages.push("END".to_string());
    let Some(scale) = time_scale() else {
        eprintln!("usage: 03_producer_consumer [MESSAGE]... (PIPES_LAB_TIME_SCALE: a number)");
        return ExitCode::from(2);
    };

    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut pipe_in = File::from(write_end);
            let mut rng = rand::rng();
            for message in &messages {
                let seconds: f64 = rng.random_range(1.0..2.0);
                sleep(Duration::from_secs_f64(seconds * scale));
                pipe_in
                    .write_all(format!("{message}\n").as_bytes())
                    .expect("write to pipe");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(write_end);

    // MISTAKE: the parent is the consumer. It reads the pipe and prints each message as it
    // arrives, which looks the same from outside, but the exercise wants a consumer CHILD
    // and a parent that only starts the two children and waits for them.
    for line in BufReader::new(File::from(read_end)).lines() {
        let message = line.expect("read from pipe");
        println!("Message Received: {message}");
        if message == "END" {
            break;
        }
    }

    let status = waitpid(producer, None).expect("waitpid");
    println!("done");
    if matches!(status, WaitStatus::Exited(_, 0)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
