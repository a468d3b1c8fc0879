//! exercise: 09_poll
//! expect: fail
//! mistake: the parent reads child 0's pipe to the end, then child 1's, then child 2's, so the lines come out grouped by child instead of in the order they were written
//! diagnosis: the program never called poll() (or select)

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe};

fn time_scale() -> f64 {
    match std::env::var("PIPES_LAB_TIME_SCALE") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(scale) if scale > 0.0 => scale,
            _ => {
                eprintln!("PIPES_LAB_TIME_SCALE must be a positive number");
                exit(2);
            }
        },
        Err(_) => 1.0,
    }
}

fn main() {
    let lines: u32 = match std::env::args().nth(1) {
        None => 3,
        Some(text) => match text.parse() {
            Ok(n @ 1..=4) => n,
            _ => {
                eprintln!("usage: 09_poll [LINES]");
                exit(2);
            }
        },
    };
    let scale = time_scale();

    let mut readers = Vec::new();
    let mut pids = Vec::new();
    for k in 0..3u32 {
        let (read_end, write_end) = pipe().expect("pipe");
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(read_end);
                let start = Instant::now();
                let mut out = File::from(write_end);
                for j in 1..=lines {
                    let at = f64::from(j * (2 * k + 3)) / 10.0 * scale;
                    let deadline = start + Duration::from_secs_f64(at);
                    sleep(deadline.saturating_duration_since(Instant::now()));
                    writeln!(out, "child {k} line {j}").expect("write");
                }
                exit(0);
            }
            ForkResult::Parent { child } => {
                drop(write_end);
                readers.push(read_end);
                pids.push(child);
            }
        }
    }

    // MISTAKE: one pipe after the other. While the parent waits for the end of pipe 0, the
    // lines of children 1 and 2 sit in their pipes; they are printed later, out of order.
    for (k, read_end) in readers.into_iter().enumerate() {
        for line in BufReader::new(File::from(read_end)).lines() {
            println!("[{k}] {}", line.expect("read"));
        }
        println!("[{k}] hang-up");
    }

    for pid in pids {
        waitpid(pid, None).expect("waitpid");
    }
    println!("done");
}
