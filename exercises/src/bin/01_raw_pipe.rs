//! Exercise 01: a raw pipe between a parent and its child.
//!
//! A pipe is a one-way channel in the kernel with two ends: bytes written into the write end
//! come out of the read end, in order. `fork()` copies the process, open descriptors included,
//! so right after it both processes hold both ends. Each should keep only the end it uses:
//! the reader sees end-of-file only once EVERY write end is closed, its own copy included.
//!
//! ```text
//! In Python                           The same idea in Rust (crate `nix`)
//! r, w = os.pipe()                    let (read_end, write_end) = nix::unistd::pipe()?;
//! pid = os.fork()                     match unsafe { nix::unistd::fork() }? {
//! if pid == 0:   # child                  ForkResult::Child => ...
//!     os.close(r); os.write(w, m)             drop(read_end); write into write_end
//! else:          # parent                 ForkResult::Parent { child } => ...
//!     os.close(w); os.read(r, n)              drop(write_end); read from read_end
//!     os.waitpid(pid, 0)                      nix::sys::wait::waitpid(child, None)
//! ```
//!
//! (The lecture started its child with `multiprocessing.Process(target=f).start()` and waited
//! with `join()`: underneath, that is the fork and the waitpid above. Its processes never
//! closed their pipe ends, and did not hang only because the consumer stopped at the message
//! "END" instead of end-of-file. This parent reads until end-of-file: close the ends!)
//!
//! Contract: `01_raw_pipe [MESSAGE]...`
//! - No MESSAGE given: send the lecture's "hello", "are you there?", "hey", "LOL", "K", "THX",
//!   "Bye!". Messages never contain a newline.
//! - The child closes the read end, writes each message followed by "\n", exits with status 0.
//! - The parent closes the write end and reads until end-of-file, printing
//!   `received: <message>` for each message, then `EOF after <N> messages`; then it waits for
//!   the child and prints `child exited with status <code>`.
//! - Nothing else on stdout (use eprintln! for anything else).
//! - The program exits with status 0.
//!
//! ```text
//! $ 01_raw_pipe hello 'are you there?'
//! received: hello
//! received: are you there?
//! EOF after 2 messages
//! child exited with status 0
//! ```

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
