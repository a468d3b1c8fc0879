//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: when execvp fails, the child exits with 127 without saying why on stderr, so a missing program leaves no trace of what went wrong
//! diagnosis: case: wc cannot be found on PATH
//! diagnosis: nothing on stderr from that child

// The reference solution in every other way. Only the case where wc is missing from PATH
// makes execvp fail, and shows this mistake.

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Replaces this child with `argv[0]`, found on PATH; exits 127 if that fails.
fn exec(argv: &[&str]) -> ! {
    // Rust starts with SIGPIPE ignored, and exec keeps it so: give the stage the default back.
    // SAFETY: the default disposition runs no code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|arg| CString::new(*arg).expect("no NUL in arguments"))
        .collect();
    // MISTAKE: the error is thrown away: the status says 127, but nothing says why.
    let _ = execvp(&args[0], &args);
    exit(127);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, pattern] = args.as_slice() else {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    };

    let (grep_in, cat_out) = pipe().expect("pipe"); // cat -> grep
    let (wc_in, grep_out) = pipe().expect("pipe"); // grep -> wc

    // SAFETY (all three forks): one thread only, so a child may do anything.
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
            dup2_stdin(&wc_in).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };
    // The parent uses no pipe end: close all four before waiting.
    drop((grep_in, cat_out, wc_in, grep_out));

    // Only wc's status decides: grep exits with 1 when no line matches.
    let [_, _, wc_status] = [cat, grep, wc].map(|pid| waitpid(pid, None).expect("waitpid"));
    match wc_status {
        WaitStatus::Exited(_, 0) => ExitCode::SUCCESS,
        other => {
            eprintln!("04_three_stage_chain: wc -l failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}
