//! Exercise 05: a queue for many producers and many consumers, made of one pipe and a lock.
//!
//! Producers write records into ONE shared pipe, each record with one write() of at most 4096
//! bytes. Consumers take them out whole, holding a lock (a second pipe with one token byte)
//! from a record's first byte to its last, and print each record's id.
//!
//! Usage: `05_queue PRODUCERS CONSUMERS RECORDS`. PRODUCERS and CONSUMERS: each a whole number
//! from 1 to 16; RECORDS (records per producer): a whole number from 1 to 1000. Run it from
//! the workbook's top folder:
//!     cargo run -q -p exercises --bin 05_queue -- 2 2 3
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 05.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. Arguments: `std::env::args().skip(1)`, exactly three, each parsed and range-checked.
    //    Otherwise `eprintln!` a usage line and `std::process::exit(2)`.
    // 2. Two pipes with `nix::unistd::pipe()`: the queue, and the lock. Put the token into the
    //    lock: write one byte into its write end (`nix::unistd::write(&lock_write, b"T")`).
    // 3. Fork the consumers in a loop (`unsafe { nix::unistd::fork() }`), keeping each `Pid`.
    //    A consumer drops the queue's write end first: end-of-file only comes once EVERY write
    //    end is closed. Then it loops: take the token (`nix::unistd::read` of 1 byte from the
    //    lock's read end), read the header (`read` returning 0 is end-of-file) and the body
    //    (`File::from(queue_read)` and `read_exact` are handy), give the token back, check the
    //    body, `println!` its line. It ends with `std::process::exit`.
    // 4. Fork the producers in a loop. A producer drops the queue's read end and the lock,
    //    builds each frame in one `Vec<u8>` (`u32::to_be_bytes`, then the body) and sends it
    //    with ONE `nix::unistd::write(&queue_write, &frame)`; then `std::process::exit`.
    // 5. Parent: drop every pipe end, `nix::sys::wait::waitpid` each child, print `done`.
    todo!()
}
