//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the parent does not close its four pipe ends before waiting, so grep (and then wc) never sees end-of-file and the parent waits forever
//! diagnosis: so it hangs
//! diagnosis: before the parent reads or waits
//! diagnosis: grep (child) is blocked reading pipe:[
//! diagnosis: write ends of pipe:[
//! diagnosis: close fd 4 in the parent (pid
//! absent: the X-ray cut

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
            dup2_stdout(&cat_grep_w).expect("dup2");
            drop(cat_grep_r);
            drop(cat_grep_w);
            drop(grep_wc_r);
            drop(grep_wc_w);
            exec(&["cat", path]);
        }
        ForkResult::Parent { child } => child,
    };

    let grep = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&cat_grep_r).expect("dup2");
            dup2_stdout(&grep_wc_w).expect("dup2");
            drop(cat_grep_r);
            drop(cat_grep_w);
            drop(grep_wc_r);
            drop(grep_wc_w);
            exec(&["grep", pattern]);
        }
        ForkResult::Parent { child } => child,
    };

    let wc = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            dup2_stdin(&grep_wc_r).expect("dup2");
            drop(cat_grep_r);
            drop(cat_grep_w);
            drop(grep_wc_r);
            drop(grep_wc_w);
            exec(&["wc", "-l"]);
        }
        ForkResult::Parent { child } => child,
    };

    // MISTAKE: the parent's copies of the four pipe ends are still open here. grep reads until
    // every write end of its input pipe is closed, and the parent holds one: grep never
    // finishes, so neither does waitpid(grep).
    waitpid(cat, None).expect("waitpid cat");
    waitpid(grep, None).expect("waitpid grep");
    match waitpid(wc, None).expect("waitpid wc") {
        WaitStatus::Exited(_, 0) => {}
        WaitStatus::Exited(_, code) => exit(code),
        _ => exit(1),
    }
}
