//! Exercise 08: a named pipe (FIFO) between two programs that share no descriptor.
//!
//! The program makes the FIFO `pipes-lab.fifo`, starts a second copy of itself as the reader,
//! writes the messages through the FIFO, waits for the reader, and removes the FIFO on every
//! way out.
//!
//! Usage: `08_named_pipe [MESSAGE]...`, and `08_named_pipe --reader PATH` for the reader it
//! starts. With no MESSAGE, the lecture's seven: "hello", "are you there?", "hey", "LOL", "K",
//! "THX", "Bye!". Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 08_named_pipe -- hello hey
//!
//! The contract (what each side prints, how the writer cleans up) is in labs.md, Exercise 08.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. Look at the arguments first: `--reader PATH` means this instance is the reader.
    //    Otherwise they are the messages (the lecture's seven when there are none).
    // 2. Reader: `std::fs::File::open(path)` (it blocks until a writer opens the FIFO). If
    //    `std::env::var_os("PIPES_LAB_FAIL_READER")` is `Some`, `std::process::exit(3)` now.
    //    Else print each line of `BufReader::new(file).lines()`, then `reader: end of file`.
    // 3. Writer: `nix::unistd::mkfifo("pipes-lab.fifo", Mode::S_IRUSR | Mode::S_IWUSR)`
    //    (`nix::sys::stat::Mode`); `Err(Errno::EEXIST)` means it is already there.
    // 4. Put everything that can go wrong after mkfifo in ONE function returning a `Result`:
    //    `std::process::Command::new(std::env::current_exe()?)` with
    //    `.args(["--reader", "pipes-lab.fifo"]).spawn()` (in Python:
    //    `subprocess.Popen([sys.executable, sys.argv[0], "--reader", "pipes-lab.fifo"])`,
    //    since a script runs inside the interpreter); open the FIFO for writing with
    //    `std::fs::OpenOptions::new().write(true).open(..)` (it blocks until the reader opens
    //    it); `write_all` each message plus "\n", stopping at the first error (EPIPE when the
    //    reader is gone); `drop` the file (the reader's end-of-file); `child.wait()` and
    //    `status.code()`.
    // 5. Back in the caller, whatever that function returned: `std::fs::remove_file`, print the
    //    line, then choose the exit status. Never leave the caller (`exit`, `return`, `?`,
    //    a panic) between mkfifo and the removal.
    todo!()
}
