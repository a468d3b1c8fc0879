//! Exercise 01: a raw pipe between a parent and its child.
//!
//! Make one pipe and fork once. The child writes each message into the pipe; the parent reads
//! until end-of-file, printing each message, then waits for the child and says how it ended.
//!
//! Usage: `01_raw_pipe [MESSAGE]...`. With no MESSAGE, the lecture's seven: "hello",
//! "are you there?", "hey", "LOL", "K", "THX", "Bye!". Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 01_raw_pipe -- hello 'are you there?'
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 01.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. The messages: `std::env::args().skip(1)`, or the lecture's seven when there are none.
    // 2. `nix::unistd::pipe()` returns `(read_end, write_end)`, two `OwnedFd`s.
    // 3. `unsafe { nix::unistd::fork() }` and match on `ForkResult`.
    // 4. Child: `drop(read_end)`; turn the write end into a `std::fs::File` (`File::from`) and
    //    `write_all` each message plus "\n"; then `std::process::exit(0)` so that the child
    //    never runs the parent's code.
    // 5. Parent: `drop(write_end)` before reading. Read lines with
    //    `std::io::BufReader::new(File::from(read_end)).lines()`, printing and counting them.
    // 6. Only after end-of-file: `waitpid(child, None)` gives `WaitStatus::Exited(_, code)`.
    //    (Waiting first deadlocks once the child has more than the pipe holds: 64 KiB by
    //    default, see `man 7 pipe`.)
    todo!()
}
