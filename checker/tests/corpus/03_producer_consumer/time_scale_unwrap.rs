//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: PIPES_LAB_TIME_SCALE is parsed with parse().unwrap() and used as it is: a word panics, and NaN or a negative number panics in Duration::from_secs_f64 (in the producer)
//! diagnosis: case: bad input: PIPES_LAB_TIME_SCALE=
//! diagnosis: exit status 101: it panicked
//! diagnosis: a panic is not an answer to bad input

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

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

const END: &str = "END";

fn time_scale() -> Result<f64, String> {
    let Some(text) = env::var_os("PIPES_LAB_TIME_SCALE") else {
        return Ok(1.0);
    };
    Ok(text.to_str().unwrap().trim().parse::<f64>().unwrap())
}

fn produce(write_end: OwnedFd, messages: &[String], scale: f64) -> i32 {
    let mut rng = rand::rng();
    let mut pipe_in = File::from(write_end);
    for message in messages.iter().map(String::as_str).chain([END]) {
        let seconds: f64 = rng.random_range(1.0..2.0);
        sleep(Duration::from_secs_f64(seconds * scale));
        if let Err(err) = pipe_in.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("producer: write to pipe: {err}");
            return 1;
        }
    }
    0
}

fn consume(read_end: OwnedFd) -> i32 {
    for line in BufReader::new(File::from(read_end)).lines() {
        let Ok(message) = line else {
            eprintln!("consumer: cannot read from the pipe");
            return 1;
        };
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

    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            exit(produce(write_end, &messages, scale));
        }
        ForkResult::Parent { child } => child,
    };
    drop(write_end);

    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exit(consume(read_end)),
        ForkResult::Parent { child } => child,
    };
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
