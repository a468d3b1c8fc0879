//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the child prints the `received:` lines itself and sends only the number of messages through the pipe; the parent prints what is left, so the output is right but the messages never went through the pipe
//! diagnosis: was printed by P2 (child of P1), which had read nothing from a pipe
//! diagnosis: print each received line in the process that reads it

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
            drop(read_end);
            let mut pipe_in = File::from(write_end);
            for message in &messages {
                println!("received: {message}");
            }
            {
                if let Err(err) = pipe_in.write_all(format!("{}\n", messages.len()).as_bytes()) {
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
                count = line.expect("read from pipe").parse().unwrap_or(0);
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
