//! Exercise 02: a two-way channel carrying framed messages.
//!
//! A pipe goes one way; a Unix socketpair is a pair of connected ends that both read and
//! write, which is what Python's duplex `multiprocessing.Pipe()` is made of. Like a pipe it
//! carries a stream of bytes with no message boundaries: one read() may return half a message,
//! or two. So each message travels as a frame: its length as 4 big-endian bytes, then its bytes.
//!
//! ```text
//! In Python                               The same idea in Rust
//! parent_conn, child_conn = Pipe()        socketpair(AddressFamily::Unix, SockType::Stream,
//!                                                    None, SockFlag::empty())?
//! conn.send(msg)                          write 4 length bytes (u32::to_be_bytes), then bytes
//! msg = conn.recv()                       read_exact 4 bytes (u32::from_be_bytes), then the
//!                                         message (read_exact into a Vec of that length)
//! except EOFError:                        read_exact fails with ErrorKind::UnexpectedEof
//!                                         before the first byte of a frame
//! ```
//!
//! Contract: `02_duplex_pipe [MESSAGE]...`
//! - No MESSAGE given: the lecture's "hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!".
//!   A message may hold any text: newlines, non-ASCII, many KiB.
//! - One two-way channel (a socketpair, or two pipes). After the fork each process drops the
//!   other's end: a child that still holds the parent's end never sees the parent hang up.
//! - Each message and each reply travels as a frame: its length in BYTES (`text.len()`, not
//!   `chars().count()`: "straße" is 6 characters, 7 bytes) as 4 big-endian bytes, then its bytes.
//! - For each message in order, the parent sends it and waits for the reply. The child prints
//!   `child got: <message as {:?}>` and only then replies `message.to_uppercase()`; the parent
//!   prints `parent got: <reply as {:?}>`.
//! - After the last reply the parent closes its end. The child's next receive sees end-of-file
//!   between two frames: it prints `child: parent hung up` and exits 0. The parent waits for
//!   it and prints `child exited with status <code>`.
//! - Nothing else on stdout (use eprintln!); the program exits with status 0.
//!
//! ```text
//! $ 02_duplex_pipe hello 'two
//! lines'
//! child got: "hello"
//! parent got: "HELLO"
//! child got: "two\nlines"
//! parent got: "TWO\nLINES"
//! child: parent hung up
//! child exited with status 0
//! ```

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. The messages: `std::env::args().skip(1)`, or the lecture's seven when there are none.
    // 2. `nix::sys::socket::socketpair(...)` gives two `OwnedFd`s; keep one per process and
    //    drop the other right after `unsafe { nix::unistd::fork() }`. A `File::from(fd)` or
    //    `std::os::unix::net::UnixStream::from(fd)` gives you `Read` and `Write`.
    // 3. Write two helpers, `send` and `recv`, used by both sides. Never assume one read()
    //    returns a whole message: use `read_exact`.
    // 4. Child: loop receiving; end with `std::process::exit(0)`. Parent: send, receive,
    //    print; then drop its end and `nix::sys::wait::waitpid(child, None)`.
    // 5. println! writes each line out at its newline, so the child's lines are out before
    //    it exits. (exit() flushes stdout but runs no destructor: a BufWriter of your own
    //    loses what it still holds unless you flush it.)
    todo!()
}
