//! Exercise 06: how much a pipe holds.
//!
//! Fill a pipe that nobody reads, its write end non-blocking, and count the bytes until a write
//! fails with EAGAIN. Then ask the kernel the pipe's size (F_GETPIPE_SZ), ask it for SIZE
//! (F_SETPIPE_SZ), and fill the same pipe again. One process is enough.
//!
//! Usage: `06_pipe_capacity [SIZE]`. SIZE: a whole number from 1 to 2147483647, 1048576 when
//! not given. Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 06_pipe_capacity -- 100000
//!
//! The contract (what to print, which end stays open) is in labs.md, Exercise 06.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. SIZE: `std::env::args().skip(1)`; none gives 1048576, one is parsed as an `i32` that
    //    must be at least 1. Otherwise `eprintln!` a usage line and `std::process::exit(2)`.
    // 2. `nix::unistd::pipe()`. Keep the read end alive to the end: with no reader left a
    //    write fails with EPIPE instead of filling the pipe.
    // 3. `nix::fcntl::fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))`.
    // 4. A function that fills the pipe: loop on `nix::unistd::write(&write_end, &chunk)`,
    //    adding up the bytes, until it returns `Err(nix::errno::Errno::EAGAIN)`.
    // 5. `fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)` and
    //    `fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size))` return a `nix::Result<i32>`;
    //    match the second one: `Ok(new_size)` or `Err(errno)`, printed with `{errno:?}`.
    // 6. Fill again and print the total of both fills.
    todo!()
}
