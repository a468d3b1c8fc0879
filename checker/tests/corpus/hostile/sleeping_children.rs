//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program forks 64 children that only sleep, and waits for all of them
//! diagnosis: at most 64 processes at once

use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() {
    let mut children = Vec::new();
    // MISTAKE: 64 live children at once, each asleep for minutes.
    for _ in 0..64 {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                sleep(Duration::from_secs(300));
                std::process::exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    for child in children {
        let _ = waitpid(child, None);
    }
    println!("EOF after 0 messages");
}
