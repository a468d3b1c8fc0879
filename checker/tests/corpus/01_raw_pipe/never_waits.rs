//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent never calls waitpid: after end-of-file it prints `child exited with status 0` made up, so the child stays a zombie and its real status is never known
//! diagnosis: seen by the X-ray
//! diagnosis: wait for each child it started
//! diagnosis: the program ended without waiting for P2 (child of P1)

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, exit};

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
            // The child only writes: close its copy of the read end.
            drop(read_end);
            let mut pipe_in = File::from(write_end);
            for message in &messages {
                // One write per message, newline included (like os.write(w, msg + b"\n")).
                if let Err(err) = pipe_in.write_all(format!("{message}\n").as_bytes()) {
                    eprintln!("child: write to pipe: {err}");
                    exit(1);
                }
            }
            // exit(), not return: the child must never run the parent's code. Dropping
            // `pipe_in` would close the write end; exiting closes it just the same.
            exit(0);
        }
        ForkResult::Parent { .. } => {
            // Close our write end FIRST: read() reports end-of-file only once every write
            // end is closed, and this one would otherwise stay open for ever.
            drop(write_end);

            // Read BEFORE waiting: a child with more to say than the pipe holds (64 KiB on
            // Linux) blocks until we read, so waiting first would deadlock.
            let mut count = 0;
            for line in BufReader::new(File::from(read_end)).lines() {
                println!("received: {}", line.expect("read from pipe"));
                count += 1;
            }
            println!("EOF after {count} messages");

            // MISTAKE: no waitpid(). End-of-file means the child closed its write end, not
            // that anyone collected its exit status: the child stays a zombie, and the status
            // printed here is made up, not the one the child exited with.
            println!("child exited with status 0");
            ExitCode::SUCCESS
        }
    }
}
