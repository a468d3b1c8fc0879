//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the producer writes its messages into a BufWriter, which holds them until it is dropped at the end, so every message reaches the pipe only after the last pause
//! diagnosis: the producer, sent 8 lines in one write
//! diagnosis: a BufWriter (or one write of several lines) holds lines back
//! diagnosis: hint 4/4: The producer's messages must reach the pipe

// A correct producer and consumer in every other way.

use std::env;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

/// The lecture's messages, sent when the command line gives none.
const LECTURE: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// PIPES_LAB_TIME_SCALE: a finite number of at least 0, and 1 when it is not set.
fn time_scale() -> Result<f64, String> {
    let Some(text) = env::var_os("PIPES_LAB_TIME_SCALE") else {
        return Ok(1.0);
    };
    match text.to_str().and_then(|text| text.parse::<f64>().ok()) {
        Some(scale) if scale.is_finite() && scale >= 0.0 => Ok(scale),
        _ => Err(format!(
            "PIPES_LAB_TIME_SCALE must be a finite number of at least 0, not {text:?}"
        )),
    }
}

/// The producer: a random pause before each message, END included, then the message as a line.
fn produce(write_end: OwnedFd, messages: &[String], scale: f64) -> i32 {
    // MISTAKE: a BufWriter keeps what is written until its 8 KiB buffer is full or it is
    // dropped: here, after END.
    let mut pipe_in = BufWriter::new(File::from(write_end));
    for message in messages.iter().map(String::as_str).chain(["END"]) {
        let seconds: f64 = rand::rng().random_range(1.0..2.0);
        sleep(Duration::from_secs_f64(seconds * scale));
        if let Err(err) = pipe_in.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("producer: {err}");
            return 1;
        }
    }
    0
}

/// The consumer: prints each message the moment it arrives, until END.
fn consume(read_end: OwnedFd) -> i32 {
    for line in BufReader::new(File::from(read_end)).lines() {
        let Ok(message) = line else {
            return 1;
        };
        println!("Message Received: {message}");
        if message == "END" {
            return 0;
        }
    }
    eprintln!("consumer: end-of-file before END");
    1
}

fn main() -> ExitCode {
    let mut messages: Vec<String> = env::args().skip(1).collect();
    if messages.is_empty() {
        messages = LECTURE.map(String::from).to_vec();
    }
    let scale = match time_scale() {
        Ok(scale) => scale,
        Err(err) => {
            eprintln!("03_producer_consumer: {err}");
            return ExitCode::from(2);
        }
    };

    let (read_end, write_end) = pipe().expect("pipe");
    // SAFETY (both forks): one thread only, so a child may do anything.
    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            exit(produce(write_end, &messages, scale));
        }
        ForkResult::Parent { child } => child,
    };
    // Closed before the second fork: the consumer never gets a copy of the write end.
    drop(write_end);
    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exit(consume(read_end)),
        ForkResult::Parent { child } => child,
    };
    drop(read_end);

    let mut ok = true;
    for pid in [producer, consumer] {
        ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
