//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the program opens FILE with nix's open (no O_CLOEXEC) to check that it exists and keeps it open while it forks, so every stage starts with descriptor 3 open on that file: no pipe end leaks, but no stage starts with only 0, 1 and 2
//! diagnosis: started with descriptor 3 open
//! diagnosis: a stage must start with only 0, 1 and 2

// The reference solution in every other way: two pipes, three children, every end closed.

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::fcntl::{OFlag, open};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::stat::Mode;
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

    // MISTAKE: FILE opened to check that it exists, and kept open. nix's open, unlike
    // std::fs::File::open, does not set O_CLOEXEC: the descriptor (3) goes through every fork
    // and every exec, and each stage starts with it.
    let _checked = match open(file.as_str(), OFlag::O_RDONLY, Mode::empty()) {
        Ok(fd) => fd,
        Err(err) => {
            eprintln!("04_three_stage_chain: {file}: {err}");
            return ExitCode::FAILURE;
        }
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
