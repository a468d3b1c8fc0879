//! Exercise 07: writing into a pipe nobody reads (think `yes | head`).
//!
//! In `yes | head -n 3`, `yes` would write for ever, but `head` exits after three lines. From
//! then on the pipe has no reader: nobody can ever read what `yes` writes, so the kernel makes
//! the next write fail. By default it also sends the writer the signal SIGPIPE, which kills
//! it on the spot: that is how `yes` ends. Rust programs (like Python programs) ignore SIGPIPE,
//! so for them the write just returns the error EPIPE, and the program decides what to do.
//!
//! ```text
//! In the shell / Python                  The same idea in Rust (crates std and `nix`)
//! yes | head -n 3                         a writer, and a reader that stops after 3 lines
//! except BrokenPipeError:                 Err(err) if err.kind() == ErrorKind::BrokenPipe
//!                                         (with nix::unistd::write: Err(Errno::EPIPE))
//! signal.signal(SIGPIPE, SIG_DFL)         unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }
//! os.waitpid(pid, 0): killed by signal    WaitStatus::Signaled(_, Signal::SIGPIPE, _)
//! ```
//!
//! Contract: `07_broken_pipe [LINES]`
//! - LINES: a whole number from 1 to 1000, default 3. Anything else (or more than one argument): a
//!   usage line on stderr and exit status 2.
//! - The reader (both rounds): a child that closes the write end, reads LINES lines, printing
//!   `reader: <line>` for each, and exits 0 without reading more (so its read end closes).
//! - Round 1: one pipe; fork the reader. The parent closes its read end and writes `line 1\n`,
//!   `line 2\n`, ... (one write each) until a write fails with EPIPE. It stops cleanly, prints
//!   `writer: EPIPE after <N> lines` (N = the lines written successfully, so N >= LINES), then
//!   waits for the reader and prints `reader exited with status <code>`.
//! - Round 2: a new pipe; fork the reader again; fork a writer child that closes the read end
//!   it inherited, restores the default SIGPIPE action and then writes lines for ever. (A
//!   writer that still holds a read end is a reader too: its writes never fail, and it blocks
//!   for ever once the pipe is full.) The parent closes both ends, waits for the
//!   reader (`reader exited with status <code>`), then for the writer, and prints
//!   `writer killed by SIGPIPE`, or `writer exited with status <code>` if it exited instead.
//! - Nothing else on stdout (use eprintln! for anything else). Exit status 0.
//!
//! ```text
//! $ 07_broken_pipe 2
//! reader: line 1
//! reader: line 2
//! writer: EPIPE after 307 lines
//! reader exited with status 0
//! reader: line 1
//! reader: line 2
//! reader exited with status 0
//! writer killed by SIGPIPE
//! ```
//! (N, here 307, changes from run to run: it depends on when the reader exits.)

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
