//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: after dropping its copy of cat's write end the parent closes the same descriptor again with nix's close(raw_fd).unwrap(); the second close fails with EBADF, so the parent panics (exit status 101) before it forks wc or waits, and nothing is printed
//! diagnosis: it panicked
//! diagnosis: a process panicked at
//! absent: debugging output belongs on stderr

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, close, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Runs `argv[0]` from PATH in place of this child; exits 127 if that fails.
fn run(argv: &[&str]) -> ! {
    // Give the program the default SIGPIPE back (Rust ignores it, and exec keeps that).
    // SAFETY: the default disposition runs no code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(*a).expect("no NUL"))
        .collect();
    let err = execvp(&args[0], &args).unwrap_err();
    eprintln!("04_three_stage_chain: cannot run {}: {err}", argv[0]);
    exit(127);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    }
    let (file, pattern) = (args[1].as_str(), args[2].as_str());

    let (first_r, first_w) = pipe().expect("pipe"); // cat -> grep
    let (second_r, second_w) = pipe().expect("pipe"); // grep -> wc

    // SAFETY (every fork): the program is single-threaded.
    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdout(&first_w).expect("dup2");
            drop((first_r, first_w, second_r, second_w));
            run(&["cat", file]);
        }
        ForkResult::Parent { child } => child,
    };
    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&first_r).expect("dup2");
            dup2_stdout(&second_w).expect("dup2");
            drop((first_r, first_w, second_r, second_w));
            run(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };

    // cat and grep have their copies of the first pipe: the parent needs neither end.
    let first_w_fd = first_w.as_raw_fd();
    drop((first_r, first_w));
    // MISTAKE: the drop above already closed this descriptor. close() fails with EBADF and
    // unwrap() panics: the parent dies (status 101) before wc is forked or anyone is waited for.
    close(first_w_fd).unwrap();

    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&second_r).expect("dup2");
            drop((second_r, second_w));
            run(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };
    drop((second_r, second_w));

    let mut wc_ok = false;
    for pid in [cat, grep, wc] {
        let status = waitpid(pid, None).expect("waitpid");
        if pid == wc {
            wc_ok = matches!(status, WaitStatus::Exited(_, 0));
        }
    }
    if wc_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
