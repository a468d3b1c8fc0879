//! Exercise 02: a two-way channel carrying framed messages.
//!
//! The parent sends each message to its child over one two-way channel; the child prints it
//! and replies in upper case, and the parent prints the reply. Each message and each reply
//! travels as a frame: its length in bytes as 4 big-endian bytes, then its bytes.
//!
//! Usage: `02_duplex_pipe [MESSAGE]...`. With no MESSAGE, the lecture's seven: "hello",
//! "are you there?", "hey", "LOL", "K", "THX", "Bye!". Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 02_duplex_pipe -- hello 'are you there?'
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 02.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. The messages: `std::env::args().skip(1)`, or the lecture's seven when there are none.
    // 2. `nix::sys::socket::socketpair(AddressFamily::Unix, SockType::Stream, None,
    //    SockFlag::empty())` gives two `OwnedFd`s; keep one per process and drop the other
    //    right after `unsafe { nix::unistd::fork() }`. A `File::from(fd)` or
    //    `std::os::unix::net::UnixStream::from(fd)` gives you `Read` and `Write`.
    // 3. Write two helpers, `send` and `recv`, used by both sides. `send` writes the length in
    //    bytes (`text.len()`, not `chars().count()`) with `u32::to_be_bytes`, then the bytes.
    //    `recv` never assumes one read() returns a whole message. It reads the length's first
    //    byte with `read` into a 1-byte buffer: `Ok(0)` means the other side closed its end
    //    between two frames. Then `read_exact` the other 3 bytes (`u32::from_be_bytes` of
    //    all 4), then `read_exact` that many. (`read_exact` alone cannot say whether
    //    end-of-file came before the first byte: it leaves what it read unspecified.)
    // 4. Child: loop receiving; end with `std::process::exit(0)`. Parent: send, receive,
    //    print; then drop its end and `nix::sys::wait::waitpid(child, None)`.
    // 5. println! writes each line out at its newline, so the child's lines are out before
    //    it exits. (exit() flushes stdout but runs no destructor: a BufWriter of your own
    //    loses what it still holds unless you flush it.)
    todo!()
}
