//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program spins forever in a loop that never blocks and never ends
//! diagnosis: is running, not blocked
//! diagnosis: a process never stops running

fn main() {
    println!("received: hello");
    let mut spins: u64 = 0;
    // MISTAKE: an endless busy loop (100% CPU, no output, no exit).
    loop {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
}
