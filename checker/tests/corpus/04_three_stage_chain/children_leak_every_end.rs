//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: each child dup2()s its ends onto stdin/stdout but closes no pipe descriptor, so grep and wc still hold write ends of the pipes they read and never see end-of-file
//! diagnosis: so it hangs
//! diagnosis: close every pipe descriptor after dup2, before exec
//! diagnosis: grep (child) is blocked reading pipe:[
//! diagnosis: write ends of pipe:[
//! diagnosis: (the reader itself)
//! diagnosis: close it before exec

use std::ffi::CString;
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Replaces this (child) process with `argv[0]`, found on PATH.
fn exec(argv: &[&str]) -> ! {
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(*a).expect("no NUL in arguments"))
        .collect();
    let err = execvp(&args[0], &args).unwrap_err();
    eprintln!("exec {}: {err}", argv[0]);
    exit(127);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        exit(2);
    }
    let (path, pattern) = (args[1].as_str(), args[2].as_str());

    let (cat_grep_r, cat_grep_w) = pipe().expect("pipe");
    let (grep_wc_r, grep_wc_w) = pipe().expect("pipe");

    let cat = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // MISTAKE (in all three children): after dup2 the original pipe descriptors stay
            // open and survive exec. grep holds a write end of its own input pipe (and wc of
            // both), so their reads never return end-of-file.
            dup2_stdout(&cat_grep_w).expect("dup2");
            exec(&["cat", path]);
        }
        ForkResult::Parent { child } => child,
    };

    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&cat_grep_r).expect("dup2");
            dup2_stdout(&grep_wc_w).expect("dup2");
            exec(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };

    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&grep_wc_r).expect("dup2");
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };

    drop(cat_grep_r);
    drop(cat_grep_w);
    drop(grep_wc_r);
    drop(grep_wc_w);

    waitpid(cat, None).expect("waitpid cat");
    waitpid(grep, None).expect("waitpid grep");
    match waitpid(wc, None).expect("waitpid wc") {
        WaitStatus::Exited(_, 0) => {}
        WaitStatus::Exited(_, code) => exit(code),
        _ => exit(1),
    }
}
