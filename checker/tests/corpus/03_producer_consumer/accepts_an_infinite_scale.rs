//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the time scale is checked to be at least 0 but not to be finite, so `inf` is taken as a scale and the first pause never ends
//! diagnosis: PIPES_LAB_TIME_SCALE=inf, not a finite number of at least 0

// A correct producer and consumer in every other way.

use std::env;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

/// The lecture's messages, sent when the command line gives none.
const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// The last message: the consumer stops when it reads it.
const END: &str = "END";

/// Reads `PIPES_LAB_TIME_SCALE`, the factor applied to every delay (default 1).
fn time_scale() -> Result<f64, String> {
    let Some(text) = env::var_os("PIPES_LAB_TIME_SCALE") else {
        return Ok(1.0);
    };
    match text
        .to_str()
        .and_then(|text| text.trim().parse::<f64>().ok())
    {
        // The mistake: no check that the number is finite, so `inf` (and `1e400`, which parses
        // as infinity) is taken as a scale.
        Some(scale) if scale >= 0.0 => Ok(scale),
        _ => Err(format!(
            "PIPES_LAB_TIME_SCALE must be a non-negative number, not {text:?}"
        )),
    }
}

/// The producer: a random pause before every send, `END` included.
fn produce(write_end: OwnedFd, messages: &[String], scale: f64) -> i32 {
    let mut rng = rand::rng();
    let mut pipe_in = File::from(write_end);
    for message in messages.iter().map(String::as_str).chain([END]) {
        let seconds: f64 = rng.random_range(1.0..2.0);
        sleep(Duration::from_secs_f64(seconds * scale));
        // One write per message: the consumer can act on it at once.
        if let Err(err) = pipe_in.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("producer: write to pipe: {err}");
            return 1;
        }
    }
    0
}

/// The consumer: print each message the moment it arrives, until `END`.
fn consume(read_end: OwnedFd) -> i32 {
    for line in BufReader::new(File::from(read_end)).lines() {
        let Ok(message) = line else {
            eprintln!("consumer: cannot read from the pipe");
            return 1;
        };
        // println! flushes at the newline, so the line leaves now, not at exit.
        println!("Message Received: {message}");
        if message == END {
            return 0;
        }
    }
    eprintln!("consumer: end-of-file before {END}");
    1
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };
    let scale = match time_scale() {
        Ok(scale) => scale,
        Err(err) => {
            eprintln!("03_producer_consumer: {err}");
            return ExitCode::from(2);
        }
    };

    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY (both forks): this process has a single thread, so the child may do anything.
    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // The producer only writes.
            drop(read_end);
            exit(produce(write_end, &messages, scale));
        }
        ForkResult::Parent { child } => child,
    };
    // The parent never writes: close the write end now, before the consumer's fork, so the
    // consumer does not inherit it (a reader holding a write end never sees end-of-file).
    drop(write_end);

    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exit(consume(read_end)),
        ForkResult::Parent { child } => child,
    };
    // The parent keeps no pipe end at all.
    drop(read_end);

    let mut ok = true;
    for (name, pid) in [("producer", producer), ("consumer", consumer)] {
        match waitpid(pid, None).expect("waitpid") {
            WaitStatus::Exited(_, 0) => {}
            other => {
                eprintln!("{name} failed: {other:?}");
                ok = false;
            }
        }
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
