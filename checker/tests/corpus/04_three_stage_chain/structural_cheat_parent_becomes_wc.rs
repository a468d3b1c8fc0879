//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: like a shell script ending in `exec wc -l`, the program leaves cat and grep to a helper child and then replaces itself with wc, so wc is not a child stage (the count, the exit status and every stage's wiring are right)
//! diagnosis: seen by the X-ray
//! diagnosis: no child of the program exec'd cat or grep or wc
//! diagnosis: the program itself became wc

use std::ffi::CString;
use std::process::{ExitCode, exit};

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Replaces this process with `argv[0]` found on PATH; if that fails, says why and exits with
/// `failed` (127 in a child, as a shell's; 1 for the program itself, whose wc did not run).
fn exec(argv: &[&str], failed: i32) -> ! {
    // SAFETY: installing the default disposition runs no code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let args: Vec<CString> = argv
        .iter()
        .map(|arg| CString::new(*arg).expect("no NUL byte"))
        .collect();
    let err = execvp(&args[0], &args).unwrap_err();
    eprintln!("04_three_stage_chain: cannot run {}: {err}", argv[0]);
    exit(failed);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, pattern] = args.as_slice() else {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    };

    let (grep_in, cat_out) = pipe().expect("pipe");
    let (wc_in, grep_out) = pipe().expect("pipe");

    // SAFETY (every fork): this process has a single thread, so a child may do anything.
    if let ForkResult::Child = unsafe { fork() }.expect("fork") {
        // The helper: starts cat and grep, and reaps them.
        if let ForkResult::Child = unsafe { fork() }.expect("fork") {
            dup2_stdout(&cat_out).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["cat", file], 127);
        }
        if let ForkResult::Child = unsafe { fork() }.expect("fork") {
            dup2_stdin(&grep_in).expect("dup2");
            dup2_stdout(&grep_out).expect("dup2");
            drop((grep_in, cat_out, wc_in, grep_out));
            exec(&["grep", pattern], 127);
        }
        // It keeps its copy of grep's write end until cat and grep are reaped, and the
        // kernel closes it when the helper exits: wc sees end-of-file only then, so wc is
        // the last process to end.
        drop((grep_in, cat_out, wc_in));
        while waitpid(None, None).is_ok() {}
        exit(0);
    }

    // MISTAKE: the last stage is not a child: the program turns ITSELF into `wc -l`, the
    // way a shell script's last `exec` does. wc's count and exit status become the
    // program's, so they are right, but the exercise's wiring is three children of one
    // parent that waits for them all; here the program is gone before its children end.
    dup2_stdin(&wc_in).expect("dup2");
    drop((grep_in, cat_out, wc_in, grep_out));
    exec(&["wc", "-l"], 1);
}
