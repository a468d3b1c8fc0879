//! Reference solution of exercise 04: `cat FILE | grep PATTERN | wc -l`, wired by hand the way
//! a shell does it: two pipes, three forked children, each exec'ing the real program.
//!
//! ```text
//!   cat FILE --pipe 1--> grep PATTERN --pipe 2--> wc -l --> our stdout
//! ```

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Replaces this (child) process with `argv[0]` found on PATH; exits 127 if that fails.
fn exec(argv: &[&str]) -> ! {
    // Rust starts every program with SIGPIPE ignored, and an ignored signal stays ignored
    // across exec. Restore the default so a stage whose reader is gone dies quietly, as it
    // does in a pipeline typed in a terminal (`std::process::Command` would restore it too).
    // SAFETY: installing the default disposition runs no code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|arg| CString::new(*arg).expect("arguments contain no NUL byte"))
        .collect();
    // execvp only returns on failure.
    let err = execvp(&args[0], &args).unwrap_err();
    eprintln!("04_three_stage_chain: cannot run {}: {err}", argv[0]);
    exit(127);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, pattern] = args.as_slice() else {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    };

    // pipe() gives (read end, write end). Neither is close-on-exec, so every child inherits
    // all four ends and must close them itself.
    let (grep_in, cat_out) = pipe().expect("pipe"); // cat -> grep
    let (wc_in, grep_out) = pipe().expect("pipe"); // grep -> wc

    // In each child: dup2 the ends it uses onto 0 and 1, then close all four originals, so
    // the program starts with exactly descriptors 0, 1 and 2. A stage that kept a write end
    // of its own input pipe would wait for end-of-file for ever.
    // SAFETY (all three forks): this process has a single thread, so a child may do anything.
    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdout(&cat_out).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["cat", file]);
        }
        ForkResult::Parent { child } => child,
    };
    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&grep_in).expect("dup2");
            dup2_stdout(&grep_out).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };
    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // wc keeps our stdout: what it prints is this program's output.
            dup2_stdin(&wc_in).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };

    // The parent uses no pipe end. While it held a write end, grep or wc would never see
    // end-of-file, so close all four BEFORE waiting.
    drop((grep_in, cat_out, wc_in, grep_out));

    // Reap all three. Only wc's status decides: grep exits 1 when no line matches, and
    // that is a count of 0, not an error.
    let [_, _, wc_status] = [cat, grep, wc].map(|pid| waitpid(pid, None).expect("waitpid"));
    match wc_status {
        WaitStatus::Exited(_, 0) => ExitCode::SUCCESS,
        other => {
            eprintln!("04_three_stage_chain: wc -l failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}
