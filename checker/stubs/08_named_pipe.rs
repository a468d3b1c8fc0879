//! Exercise 08: a named pipe (FIFO) between two programs that share no descriptor.
//!
//! A pipe from `pipe()` has no name: only processes that inherit one of its descriptors (through
//! fork) can use it. A FIFO is a pipe with a name in the file system. Any process that may open
//! the name can take an end: open it for writing and you are a writer, for reading and you are
//! a reader. The bytes never touch the disk; they go through the kernel as in any pipe. But the
//! name stays in the directory until someone removes it, even after both sides are gone.
//! (`man 7 fifo` tells the whole story.)
//!
//! ```text
//! In Python                            The same idea in Rust (crates std and `nix`)
//! os.mkfifo(path, 0o600)               nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR)
//! subprocess.Popen([sys.argv[0], ..])  Command::new(std::env::current_exe()?).args(..).spawn()
//! open(path, "w")                      std::fs::OpenOptions::new().write(true).open(path)
//! open(path)                           std::fs::File::open(path)
//! os.remove(path)                      std::fs::remove_file(path)
//! ```
//!
//! Contract: `08_named_pipe [MESSAGE]...`
//! - No MESSAGE given: send the lecture's "hello", "are you there?", "hey", "LOL", "K", "THX",
//!   "Bye!". Messages never contain a newline.
//! - The writer (the program as you start it): mkfifo `pipes-lab.fifo` in the current directory,
//!   mode 0o600 (if it already exists: a message on stderr, exit status 1). Start a second
//!   instance of this very program with the arguments `--reader pipes-lab.fifo` (stdout
//!   inherited). Open the FIFO for writing, write each message followed by "\n", close it, wait
//!   for the reader and print `writer: reader exited with status <code>`. Remove the FIFO and
//!   print `writer: removed pipes-lab.fifo`. Exit status 0 if the reader exited with 0, else 1.
//! - The reader (`--reader PATH`): open PATH for reading, print `reader: <message>` per line,
//!   at end-of-file print `reader: end of file`, exit 0. If the environment variable
//!   PIPES_LAB_FAIL_READER is set, it exits with status 3 right after opening, reading nothing.
//! - On every error after mkfifo (the reader cannot start, an open fails, a write fails with
//!   EPIPE, the reader fails) the writer still removes the FIFO before it exits. Errors go to
//!   stderr. With PIPES_LAB_FAIL_READER set, stdout is exactly the writer's two lines (status 3)
//!   and the exit status is 1.
//! - Nothing else on stdout (use eprintln! for anything else).
//!
//! ```text
//! $ 08_named_pipe hello hey
//! reader: hello
//! reader: hey
//! reader: end of file
//! writer: reader exited with status 0
//! writer: removed pipes-lab.fifo
//! $ PIPES_LAB_FAIL_READER=1 08_named_pipe hello hey
//! writer: reader exited with status 3
//! writer: removed pipes-lab.fifo
//! $ echo $?
//! 1
//! $ ls pipes-lab.fifo
//! ls: cannot access 'pipes-lab.fifo': No such file or directory
//! ```

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
    //    `.args(["--reader", "pipes-lab.fifo"]).spawn()`; open the FIFO for writing with
    //    `std::fs::OpenOptions::new().write(true).open(..)` (it blocks until the reader opens
    //    it); `write_all` each message plus "\n", stopping at the first error (EPIPE when the
    //    reader is gone); `drop` the file (the reader's end-of-file); `child.wait()` and
    //    `status.code()`.
    // 5. Back in the caller, whatever that function returned: `std::fs::remove_file`, print the
    //    line, then choose the exit status. Never leave the caller (`exit`, `return`, `?`,
    //    a panic) between mkfifo and the removal.
    todo!()
}
