//! exercise: 04_three_stage_chain
//! expect: pass
//! mistake: none: the pipes come from std::io::pipe(), whose ends are close-on-exec, so no child closes a pipe end before exec; only the copies dup2 makes on 0 and 1 reach cat, grep and wc

use std::ffi::CString;
use std::io::pipe;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork};

/// Replaces this child with `argv[0]`, found on PATH; exits 127 if that fails.
fn exec(argv: &[&str]) -> ! {
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

    // Both ends of a std pipe are close-on-exec: exec closes them in every child. The copies
    // that dup2 puts on 0 and 1 are not, so they stay open across exec.
    let (grep_in, cat_out) = pipe().expect("pipe"); // cat -> grep
    let (wc_in, grep_out) = pipe().expect("pipe"); // grep -> wc

    // SAFETY (all three forks): one thread only, so a child may do anything.
    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdout(&cat_out).expect("dup2");
            exec(&["cat", file]);
        }
        ForkResult::Parent { child } => child,
    };
    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&grep_in).expect("dup2");
            dup2_stdout(&grep_out).expect("dup2");
            exec(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };
    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&wc_in).expect("dup2");
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };
    // Close-on-exec does nothing for the parent, which never execs: it closes its four ends
    // itself, before waiting, or grep and wc would never see end-of-file.
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
