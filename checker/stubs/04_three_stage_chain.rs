//! Exercise 04: `cat FILE | grep PATTERN | wc -l`, wired by hand the way a shell does it.
//!
//! Typing `cat file.txt | grep "Yost" | wc -l` makes the shell create two pipes and fork three
//! children. Each child moves the right pipe ends onto its standard input (descriptor 0) and
//! standard output (descriptor 1) with dup2, closes every other pipe descriptor, and execs the
//! program, which simply reads 0 and writes 1 without knowing about pipes.
//!
//! ```text
//! cat FILE --pipe 1--> grep PATTERN --pipe 2--> wc -l --> stdout
//! ```
//!
//! ```text
//! In the shell / Python                    The same idea in Rust (crate `nix`)
//! cat file.txt | grep "Yost" | wc -l        (the lecture's pipeline: what this program does)
//! os.pipe()                                 nix::unistd::pipe() -> (read end, write end)
//! os.fork()                                 unsafe { nix::unistd::fork() }
//! os.dup2(fd, 0) / os.dup2(fd, 1)           nix::unistd::dup2_stdin(&fd) / dup2_stdout(&fd)
//! os.close(fd)                              drop(fd)
//! os.execvp("grep", ["grep", "Yost"])       nix::unistd::execvp(&prog, &[&prog, &arg]) (CStrings)
//! ```
//!
//! Contract: `04_three_stage_chain FILE PATTERN`
//! - Runs the real `cat FILE`, `grep PATTERN` and `wc -l`, found on PATH (execvp), as three
//!   children joined by two pipes. Each starts with exactly descriptors 0, 1 and 2 open.
//! - The arguments are graded: exactly `cat FILE`, `grep PATTERN`, `wc -l`. No `--`, no `-F`,
//!   no other option: a program that ran `grep -- PATTERN` lost most of its points.
//! - Stdout is what `wc -l` prints. The parent closes all its pipe ends and waits for all
//!   three children.
//! - Exit status 0 when `wc` exits 0 (grep finding no line is not an error), 1 otherwise.
//! - Wrong number of arguments: a usage line on stderr and exit status 2.
//!
//! ```text
//! $ printf 'a Yost\nb\nYost c\n' > file.txt
//! $ 04_three_stage_chain file.txt Yost
//! 2
//! ```

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        std::process::exit(2);
    }
    // Your program goes here, in place of the todo!() below. FILE is args[1], PATTERN args[2].
    //
    // 1. Two pipes: `nix::unistd::pipe()` twice. None of the four ends is close-on-exec, so
    //    every child inherits all of them.
    // 2. Three forks. In each child: dup2 its ends onto 0 and/or 1, drop ALL four pipe ends
    //    (a stage holding a write end of its own input pipe never sees end-of-file), then
    //    `execvp`. Drop them explicitly: a successful execvp never returns, so no destructor
    //    runs. Arguments are `std::ffi::CString`s, the program's name first:
    //    `let prog = CString::new("grep").unwrap();`
    //    `let arg = CString::new(args[2].as_str()).unwrap();`
    //    `execvp(&prog, &[&prog, &arg])`. execvp only returns on failure: print why on stderr
    //    and `std::process::exit(127)`.
    // 3. Parent: drop all four ends BEFORE waiting, then `nix::sys::wait::waitpid` each child.
    //    Exit 0 when wc exited 0, else 1.
    todo!()
}
