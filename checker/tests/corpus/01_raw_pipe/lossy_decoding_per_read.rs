//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the parent decodes each read on its own with `String::from_utf8_lossy`, so a character cut between two reads comes out as replacement characters
//! diagnosis: came out as � (the replacement character): its bytes came in two reads

// A correct parent and child in every other way.

use std::fs::File;
use std::io::{Read, Write};
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
        ForkResult::Parent { child } => {
            // Close our write end FIRST: read() reports end-of-file only once every write
            // end is closed, and this one would otherwise stay open for ever.
            drop(write_end);

            // Read BEFORE waiting: a child with more to say than the pipe holds (64 KiB on
            // Linux) blocks until we read, so waiting first would deadlock.
            // The mistake: each read is decoded on its own. A character whose bytes come in
            // two reads becomes two U+FFFD replacement characters.
            let mut pipe_out = File::from(read_end);
            let mut text = String::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = pipe_out.read(&mut buf).expect("read from pipe");
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            let mut count = 0;
            for line in text.lines() {
                println!("received: {line}");
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
