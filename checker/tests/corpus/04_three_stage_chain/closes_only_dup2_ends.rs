//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: each child closes only the pipe ends it dup2'd and execs with the other pipe ends still open, so grep and wc each hold a write end of their own input pipe and never see end-of-file: the chain hangs.
//! diagnosis: so it hangs
//! diagnosis: grep (child) is blocked reading the pipe while it holds a write end of it itself
//! diagnosis: close every pipe descriptor after dup2, before exec

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

fn run(cmd: &[&str]) -> ! {
    let argv: Vec<CString> = cmd.iter().map(|a| CString::new(*a).unwrap()).collect();
    let err = execvp(&argv[0], &argv).unwrap_err();
    eprintln!("cannot exec {}: {err}", cmd[0]);
    exit(127);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    }
    let (file, pattern) = (args[1].as_str(), args[2].as_str());

    let (r1, w1) = pipe().expect("pipe"); // cat  -> grep
    let (r2, w2) = pipe().expect("pipe"); // grep -> wc

    // SAFETY (every fork): this program has a single thread.
    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdout(&w1).expect("dup2");
            drop(w1); // fd 1 is a copy of it now
            run(&["cat", file]);
        }
        ForkResult::Parent { child } => child,
    };
    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&r1).expect("dup2");
            dup2_stdout(&w2).expect("dup2");
            drop(r1);
            drop(w2);
            run(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };
    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&r2).expect("dup2");
            drop(r2);
            run(&["wc", "-l"]); // stdout stays ours
        }
        ForkResult::Parent { child } => child,
    };

    // The parent uses none of the four ends.
    drop((r1, w1, r2, w2));

    waitpid(cat, None).expect("waitpid");
    waitpid(grep, None).expect("waitpid");
    match waitpid(wc, None).expect("waitpid") {
        WaitStatus::Exited(_, 0) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
