//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the program forks cat and grep but then execs `wc -l` itself instead of in a third child, so nobody waits for cat and grep (the count and the exit status are right)
//! diagnosis: seen by the X-ray
//! diagnosis: no child process exec'd wc

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Replaces this process with `argv[0]` found on PATH.
fn exec(argv: &[&str]) -> ! {
    // SAFETY: installing the default disposition runs no code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|arg| CString::new(*arg).expect("no NUL byte"))
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

    let (grep_in, cat_out) = pipe().expect("pipe");
    let (wc_in, grep_out) = pipe().expect("pipe");

    // SAFETY (both forks): this process has a single thread, so a child may do anything.
    if let ForkResult::Child = unsafe { fork() }.expect("fork") {
        dup2_stdout(&cat_out).expect("dup2");
        drop((grep_in, cat_out, wc_in, grep_out));
        exec(&["cat", file]);
    }
    if let ForkResult::Child = unsafe { fork() }.expect("fork") {
        dup2_stdin(&grep_in).expect("dup2");
        dup2_stdout(&grep_out).expect("dup2");
        drop((grep_in, cat_out, wc_in, grep_out));
        exec(&["grep", pattern]);
    }

    // MISTAKE: the last stage is not a child: the program turns ITSELF into `wc -l`, the
    // way a shell script's last `exec` does. The count and the exit status are wc's, so they
    // are right, but the program no longer exists to wait for cat and grep, and the pipeline
    // is not three children of one parent any more.
    dup2_stdin(&wc_in).expect("dup2");
    drop((grep_in, cat_out, wc_in, grep_out));
    exec(&["wc", "-l"]);
}
