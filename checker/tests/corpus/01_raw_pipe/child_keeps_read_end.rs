//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the child never closes its copy of the read end before it writes (the contract says each process keeps only the end it uses); harmless here, but a writer holding a read end never meets EPIPE
//! diagnosis: each writer has closed its copy of the read end
//! diagnosis: still held the read end of pipe A

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };

    let (read_end, write_end) = pipe().expect("pipe");

    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let mut pipe_in = File::from(write_end);
            for message in &messages {
                if let Err(err) = pipe_in.write_all(format!("{message}\n").as_bytes()) {
                    eprintln!("child: write to pipe: {err}");
                    exit(1);
                }
            }
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
