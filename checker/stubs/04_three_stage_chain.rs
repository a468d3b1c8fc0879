//! Exercise 04: `cat FILE | grep PATTERN | wc -l`, wired by hand the way a shell does it.
//!
//! Make two pipes and fork three children. Each child moves its pipe ends onto its stdin and
//! stdout with dup2, closes every other pipe end, and execs `cat FILE`, `grep PATTERN` or
//! `wc -l`. The parent closes its ends and waits for the three.
//!
//! Usage: `04_three_stage_chain FILE PATTERN`. Run it from the workbook's top folder:
//!     cargo run -q -p exercises --bin 04_three_stage_chain -- labs.md pipe
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 04.

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
    // 2. Three forks. In each child: put its ends onto 0 and/or 1 with
    //    `nix::unistd::dup2_stdin(&fd)` and `dup2_stdout(&fd)`, drop ALL four pipe ends
    //    (a stage holding a write end of its own input pipe never sees end-of-file), then
    //    `execvp`. Drop them explicitly: a successful execvp never returns, so no destructor
    //    runs. Arguments are `std::ffi::CString`s, the program's name first:
    //    `let prog = CString::new("grep").unwrap();`
    //    `let arg = CString::new(args[2].as_str()).unwrap();`
    //    `execvp(&prog, &[&prog, &arg])`. execvp only returns on failure: print why on stderr
    //    and `std::process::exit(127)`. The stage keeps the SIGPIPE your Rust program ignores;
    //    `signal(Signal::SIGPIPE, SigHandler::SigDfl)` before execvp gives it the terminal's
    //    default (labs.md, "Writing into a pipe nobody reads").
    // 3. Parent: drop all four ends BEFORE waiting, then `nix::sys::wait::waitpid` each child.
    //    Exit 0 when wc exited 0, else 1.
    todo!()
}
