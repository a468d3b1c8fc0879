//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the producer prints each `Message Received:` line itself right after sending it, and the consumer reads the pipe but prints nothing, so the output and its timing are right while the reader prints none of what it received.
//! diagnosis: `Message Received: hello` was printed by P2 (child of P1)
//! diagnosis: the writer only sends, the reader prints what it read

use std::env;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

fn main() -> ExitCode {
    let mut messages: Vec<String> = env::args().skip(1).collect();
    if messages.is_empty() {
        messages = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .map(String::from)
            .to_vec();
    }
    messages.push("END".to_string());

    // The delay factor: 1 unless PIPES_LAB_TIME_SCALE says otherwise.
    let scale = match env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => s,
            _ => {
                eprintln!("PIPES_LAB_TIME_SCALE is not a usable number: {text:?}");
                return ExitCode::from(2);
            }
        },
    };

    let (rx, tx) = pipe().expect("pipe");

    // SAFETY: single-threaded.
    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            let mut out = File::from(tx);
            let mut rng = rand::rng();
            for msg in &messages {
                let pause: f64 = rng.random_range(1.0..2.0);
                sleep(Duration::from_secs_f64(pause * scale));
                out.write_all(format!("{msg}\n").as_bytes()).expect("write");
                // Sent: report it at once.
                println!("Message Received: {msg}");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(tx); // the consumer must not inherit a write end

    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            for line in BufReader::new(File::from(rx)).lines() {
                if line.expect("read") == "END" {
                    exit(0);
                }
            }
            exit(1);
        }
        ForkResult::Parent { child } => child,
    };
    drop(rx);

    let mut ok = true;
    for pid in [producer, consumer] {
        if !matches!(waitpid(pid, None).expect("waitpid"), WaitStatus::Exited(_, 0)) {
            ok = false;
        }
    }
    println!("done");
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
