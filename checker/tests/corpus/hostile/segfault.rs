//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program dies of a segmentation fault (SIGSEGV) halfway through its output
//! diagnosis: killed by the signal SIGSEGV

use nix::sys::signal::{SigHandler, Signal, raise, signal};

fn main() {
    println!("received: hello");
    // MISTAKE: the process kills itself with SIGSEGV. The Rust runtime's own SIGSEGV handler
    // (for stack overflows) is put back to the default first, so the signal is fatal.
    unsafe { signal(Signal::SIGSEGV, SigHandler::SigDfl) }.expect("signal");
    raise(Signal::SIGSEGV).expect("raise");
    println!("received: are you there?");
}
