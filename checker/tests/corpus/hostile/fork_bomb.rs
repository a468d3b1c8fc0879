//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: fork() in a loop that every child runs too: 12 generations, up to 4096 processes
//! diagnosis: at most 64 processes at once
//! diagnosis: process limit

// MISTAKE: each child goes on running the loop, so the processes double 12 times; a bound keeps
// this test from exhausting the machine if the checker failed to stop it.
fn main() {
    for _ in 0..12 {
        // SAFETY: the program has a single thread.
        let _ = unsafe { nix::unistd::fork() };
    }
    std::thread::sleep(std::time::Duration::from_secs(30));
}
