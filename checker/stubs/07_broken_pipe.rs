//! Exercise 07: writing into a pipe nobody reads (think `yes | head`).
//!
//! Round 1: your program writes lines into a pipe until its reader child has exited and a
//! write fails with EPIPE. Round 2: a writer child puts SIGPIPE back to its default action,
//! and the kernel kills it when its reader is gone.
//!
//! Usage: `07_broken_pipe [LINES]`. LINES: a whole number from 1 to 1000, 3 when not given.
//! Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 07_broken_pipe -- 2
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 07.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. LINES: `std::env::args().nth(1)`, parsed as a number from 1 to 1000; 3 when absent.
    //    On anything else: `eprintln!` a usage line and `std::process::exit(2)`.
    // 2. The reader child, the same in both rounds (write it as a function ending in
    //    `std::process::exit(0)`): `drop` the write end, then read with
    //    `BufReader::new(File::from(read_end)).lines().take(lines)`, printing each line.
    // 3. Round 1: `nix::unistd::pipe()`, fork the reader, `drop(read_end)` in the parent, then
    //    loop writing `format!("line {n}\n")` with `write_all` on `File::from(write_end)`.
    //    Match the error: `err.kind() == std::io::ErrorKind::BrokenPipe` ends the loop; no
    //    `unwrap()` or `expect()` on these writes. Then `nix::sys::wait::waitpid` the reader.
    // 4. Round 2: a new pipe, fork the reader, then fork the writer. In the writer child,
    //    `drop(read_end)`, then `unsafe { nix::sys::signal::signal(Signal::SIGPIPE,
    //    SigHandler::SigDfl) }`, then write lines in an endless loop. The parent drops both
    //    ends, waits for the reader, then for the writer, and matches
    //    `WaitStatus::Signaled(_, Signal::SIGPIPE, _)`.
    todo!()
}
