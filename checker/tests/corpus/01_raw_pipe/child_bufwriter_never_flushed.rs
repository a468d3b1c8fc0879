//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the child writes through a BufWriter and leaves with process::exit, which runs no destructor: the buffer is never flushed, so nothing reaches the pipe and the parent reads end-of-file at once
//! diagnosis: -received: hello
//! diagnosis: +EOF after 0 messages
//! diagnosis: exited without writing a byte into pipe:[
//! diagnosis: flush it (or drop it) before exit
//! absent: the X-ray cut

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

/// The lecture's messages, sent when the command line gives none.
const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };

    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut pipe_in = BufWriter::new(File::from(write_end));
            for message in &messages {
                if let Err(err) = writeln!(pipe_in, "{message}") {
                    eprintln!("child: write to pipe: {err}");
                    exit(1);
                }
            }
            // MISTAKE: exit() runs no destructor, so the BufWriter is never flushed.
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut count = 0;
            for line in BufReader::new(File::from(read_end)).lines() {
                println!("received: {}", line.expect("read from pipe"));
                count += 1;
            }
            println!("EOF after {count} messages");
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => {
                    println!("child exited with status {code}");
                    ExitCode::SUCCESS
                }
                other => {
                    eprintln!("child did not exit normally: {other:?}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
