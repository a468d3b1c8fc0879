//! Exercise 06: how much a pipe holds.
//!
//! The lecture's pipe has a buffer in the kernel: a writer can get ahead of the reader until the
//! buffer is full, then its next write blocks until the reader takes some bytes out. How big is
//! that buffer? Measure it: make the write end non-blocking (O_NONBLOCK), so that a write into
//! the full pipe fails with EAGAIN instead of waiting for ever, and count what went in before.
//! Then ask the kernel (F_GETPIPE_SZ), ask it for another size (F_SETPIPE_SZ), and measure
//! again. One process is enough: nobody ever reads this pipe.
//!
//! ```text
//! In Python                                  The same idea in Rust (crate `nix`)
//! r, w = os.pipe()                           let (read_end, write_end) = pipe()?;
//! os.set_blocking(w, False)                  fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
//! os.write(w, b"x" * 4096)                   nix::unistd::write(&write_end, &[b'x'; 4096])
//! except BlockingIOError: # full             Err(Errno::EAGAIN) => // full
//! fcntl.fcntl(w, fcntl.F_GETPIPE_SZ)         fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)
//! fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, size)   fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size))
//! ```
//!
//! Contract: `06_pipe_capacity [SIZE]`
//! - SIZE: a whole number from 1 to 2147483647, default 1048576. Anything else (or more than one
//!   argument): a usage line on stderr, exit status 2.
//! - Make a pipe and set O_NONBLOCK on its write end. Write chunks of 4096 bytes (or of any
//!   size that divides 4096, down to 1 byte) until a write fails with EAGAIN, counting the
//!   bytes: A. (64 KiB by default: 16 pages of 4 KiB; see `man 7 pipe`.)
//! - Query F_GETPIPE_SZ: B. Then try F_SETPIPE_SZ(SIZE) on the same, full pipe: C is the new
//!   size the call returns (the kernel rounds SIZE up).
//! - Keep writing into the same pipe until EAGAIN again: D is the total the pipe now holds.
//! - Print exactly these four lines and exit with status 0:
//!   `capacity by writing: {A} bytes`, `F_GETPIPE_SZ: {B} bytes`,
//!   `F_SETPIPE_SZ {SIZE}: {C} bytes`, `capacity by writing: {D} bytes`.
//! - If F_SETPIPE_SZ fails, the third line is `F_SETPIPE_SZ {SIZE}: refused ({ERRNO})`, the
//!   error as nix prints it with `{:?}` (EPERM, EBUSY...), and the fourth line still reports
//!   the total after trying. Exit status 0 as well. (EBUSY: the full pipe holds more than
//!   SIZE. EPERM: SIZE is above /proc/sys/fs/pipe-max-size and the program lacks the
//!   CAP_SYS_RESOURCE capability, which root in a container may lack too.)
//!
//! ```text
//! $ 06_pipe_capacity 100000
//! capacity by writing: 65536 bytes
//! F_GETPIPE_SZ: 65536 bytes
//! F_SETPIPE_SZ 100000: 131072 bytes
//! capacity by writing: 131072 bytes
//! $ 06_pipe_capacity 5000
//! capacity by writing: 65536 bytes
//! F_GETPIPE_SZ: 65536 bytes
//! F_SETPIPE_SZ 5000: refused (EBUSY)
//! capacity by writing: 65536 bytes
//! ```

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
