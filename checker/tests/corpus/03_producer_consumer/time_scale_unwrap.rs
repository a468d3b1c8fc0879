//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: PIPES_LAB_TIME_SCALE is parsed with `.parse::<f64>().unwrap()` and used unchecked, so `abc` panics (status 101) instead of a message and status 2, and `NaN` or `-1` make Duration::from_secs_f64 panic in the producer.
//! diagnosis: case: bad input: PIPES_LAB_TIME_SCALE=
//! diagnosis: exit status 101: it panicked
//! diagnosis: a panic is not an answer to bad input

use std::env;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::process::exit;
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

fn producer(tx: OwnedFd, messages: &[String], scale: f64) -> i32 {
    let mut out = File::from(tx);
    for msg in messages.iter().map(|m| m.as_str()).chain(["END"]) {
        let secs = rand::rng().random_range(1.0..2.0) * scale;
        sleep(Duration::from_secs_f64(secs));
        if out.write_all(format!("{msg}\n").as_bytes()).is_err() {
            return 1;
        }
    }
    0
}

fn consumer(rx: OwnedFd) -> i32 {
    for line in BufReader::new(File::from(rx)).lines() {
        let Ok(msg) = line else { return 1 };
        println!("Message Received: {msg}");
        if msg == "END" {
            return 0;
        }
    }
    1 // end-of-file without END
}

fn main() {
    let mut messages: Vec<String> = env::args().skip(1).collect();
    if messages.is_empty() {
        messages = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .map(String::from)
            .to_vec();
    }
    let scale: f64 = match env::var("PIPES_LAB_TIME_SCALE") {
        Ok(text) => text.parse::<f64>().unwrap(),
        Err(_) => 1.0,
    };

    let (rx, tx) = pipe().expect("pipe");

    // SAFETY: no threads here, so the children may do anything after fork.
    let prod = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            exit(producer(tx, &messages, scale));
        }
        ForkResult::Parent { child } => child,
    };
    drop(tx);
    let cons = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exit(consumer(rx)),
        ForkResult::Parent { child } => child,
    };
    drop(rx);

    let mut failed = false;
    for pid in [prod, cons] {
        match waitpid(pid, None).expect("waitpid") {
            WaitStatus::Exited(_, 0) => {}
            other => {
                eprintln!("a child failed: {other:?}");
                failed = true;
            }
        }
    }
    println!("done");
    exit(if failed { 1 } else { 0 });
}
