//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the parent waits for the three stages but never looks at wc's status, so it exits with 0 even when wc fails
//! diagnosis: case: wc cannot be found on PATH
//! diagnosis: expected: exit status 1

// The reference solution in every other way. wc -l does not fail in any case of the checker yet:
// only a case where it does can see this mistake.

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::waitpid;
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
    for pid in [cat, grep, wc] {
        waitpid(pid, None).expect("waitpid");
    }
    // MISTAKE: success whatever wc's status was.
    ExitCode::SUCCESS
}
