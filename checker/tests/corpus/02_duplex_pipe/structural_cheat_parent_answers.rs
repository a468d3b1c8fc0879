//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the parent upper-cases the messages and prints the child's lines itself; the child it forks only exits, so nothing ever travels between the two (the output is right for every case)
//! diagnosis: seen by the X-ray
//! diagnosis: no pipe or socket pair was created

use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() -> ExitCode {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.map(String::from).to_vec();
    }

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    let child = match unsafe { fork() }.expect("fork") {
        // The child has nobody to talk to: it just exits.
        ForkResult::Child => exit(0),
        ForkResult::Parent { child } => child,
    };

    // MISTAKE: no socketpair, no framing, no round trip. The parent plays both sides of the
    // conversation: it prints what the child "got" and computes the "reply" itself, so the
    // two processes never exchange a single byte.
    for message in &messages {
        println!("child got: {message:?}");
        println!("parent got: {:?}", message.to_uppercase());
    }
    println!("child: parent hung up");

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
