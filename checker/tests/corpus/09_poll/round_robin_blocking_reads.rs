//! exercise: 09_poll
//! expect: fail
//! mistake: the parent takes one blocking read from each pipe in turn, so it waits on a quiet pipe while another pipe already has a line, and the lines come out in the wrong order
//! diagnosis: the program never called poll() (or select)

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::exit;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe};

fn main() {
    let lines: u32 = match std::env::args().nth(1).as_deref() {
        None => 3,
        Some("1") => 1,
        Some("2") => 2,
        Some("3") => 3,
        Some("4") => 4,
        Some(_) => {
            eprintln!("usage: 09_poll [LINES]");
            exit(2);
        }
    };
    let scale = match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(text) => match text.parse::<f64>() {
            Ok(s) if s > 0.0 => s,
            _ => {
                eprintln!("PIPES_LAB_TIME_SCALE: not a positive number");
                exit(2);
            }
        },
    };

    let mut readers = Vec::new();
    let mut pids = Vec::new();
    for k in 0..3u32 {
        let (read_end, write_end) = pipe().expect("pipe");
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(read_end);
                drop(readers);
                let start = Instant::now();
                let mut out = File::from(write_end);
                for j in 1..=lines {
                    let due =
                        start + Duration::from_secs_f64(f64::from(j * (2 * k + 3)) / 10.0 * scale);
                    sleep(due.saturating_duration_since(Instant::now()));
                    writeln!(out, "child {k} line {j}").expect("write");
                }
                exit(0);
            }
            ForkResult::Parent { child } => {
                drop(write_end);
                readers.push(Some(BufReader::new(File::from(read_end))));
                pids.push(child);
            }
        }
    }

    // MISTAKE: a blocking read_line on pipe 0, then pipe 1, then pipe 2, and round again.
    // Waiting on one pipe, the parent cannot see that another one already has a line.
    while readers.iter().any(Option::is_some) {
        for (k, slot) in readers.iter_mut().enumerate() {
            let Some(reader) = slot else { continue };
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read") == 0 {
                println!("[{k}] hang-up");
                *slot = None;
            } else {
                println!("[{k}] {}", line.trim_end_matches('\n'));
            }
        }
    }

    for pid in pids {
        waitpid(pid, None).expect("waitpid");
    }
    println!("done");
}
