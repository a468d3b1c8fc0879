//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: a grandchild leaves the session with setsid() and keeps stdout open long after the program itself has exited
//! diagnosis: still running after it exited: pid

use std::thread::sleep;
use std::time::Duration;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, setsid};

fn main() {
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // MISTAKE: the child forks a grandchild and exits at once; the grandchild escapes
            // into its own session, still holding stdout, and outlives everyone.
            if let ForkResult::Child = unsafe { fork() }.expect("fork") {
                setsid().expect("setsid");
                sleep(Duration::from_secs(300));
                println!("received: from beyond");
            }
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            waitpid(child, None).expect("waitpid");
            println!("received: hello");
            println!("EOF after 1 messages");
            println!("child exited with status 0");
        }
    }
}
