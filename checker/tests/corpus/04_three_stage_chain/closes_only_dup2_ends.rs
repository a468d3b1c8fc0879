//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: each child closes only the descriptors it dup2'd and keeps every other pipe end across exec (the parent closes all four): grep holds the write end of its own input and never sees end-of-file
//! diagnosis: so it hangs
//! diagnosis: grep (child) is blocked reading the pipe while it holds a write end of it itself
//! diagnosis: close every pipe descriptor after dup2, before exec

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

fn exec(argv: &[&str]) -> ! {
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|arg| CString::new(*arg).expect("arguments contain no NUL byte"))
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

    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdout(&cat_out).expect("dup2");
            drop(cat_out);
            let _kept = (grep_in, wc_in, grep_out);
            exec(&["cat", file]);
        }
        ForkResult::Parent { child } => child,
    };
    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&grep_in).expect("dup2");
            dup2_stdout(&grep_out).expect("dup2");
            drop((grep_in, grep_out));
            let _kept = (cat_out, wc_in);
            exec(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };
    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&wc_in).expect("dup2");
            drop(wc_in);
            let _kept = (grep_in, cat_out, grep_out);
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };

    drop((grep_in, cat_out, wc_in, grep_out));

    let [_, _, wc_status] = [cat, grep, wc].map(|pid| waitpid(pid, None).expect("waitpid"));
    match wc_status {
        WaitStatus::Exited(_, 0) => ExitCode::SUCCESS,
        other => {
            eprintln!("04_three_stage_chain: wc -l failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}
