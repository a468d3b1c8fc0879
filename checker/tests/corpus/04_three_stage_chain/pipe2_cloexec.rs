//! exercise: 04_three_stage_chain
//! expect: pass
//! mistake: none

// A correct solution that never closes a pipe end in a child: both pipes are made with
// O_CLOEXEC, so every original descriptor vanishes at exec, and only the dup2 copies on 0 and 1
// (dup2 clears close-on-exec on the copy) reach cat, grep and wc.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::process::exit;

use nix::fcntl::OFlag;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, dup2_stdin, dup2_stdout, execvp, fork, pipe2};

/// Forks a child that takes `input` as stdin and `output` as stdout, then execs `argv`.
fn stage(argv: &[&str], input: Option<&OwnedFd>, output: Option<&OwnedFd>) -> Pid {
    let argv: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(*a).expect("argument without NUL"))
        .collect();
    match unsafe { fork() }.expect("fork") {
        ForkResult::Parent { child } => child,
        ForkResult::Child => {
            if let Some(fd) = input {
                dup2_stdin(fd).expect("dup2 stdin");
            }
            if let Some(fd) = output {
                dup2_stdout(fd).expect("dup2 stdout");
            }
            let err = execvp(&argv[0], &argv).unwrap_err();
            eprintln!("04_three_stage_chain: cannot run {:?}: {err}", argv[0]);
            exit(127);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, pattern] = args.as_slice() else {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        exit(2);
    };

    let (first_r, first_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
    let (second_r, second_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");

    let cat = stage(&["cat", file], None, Some(&first_w));
    let grep = stage(&["grep", pattern], Some(&first_r), Some(&second_w));
    let wc = stage(&["wc", "-l"], Some(&second_r), None);

    for end in [first_r, first_w, second_r, second_w] {
        drop(end);
    }

    let mut wc_code = 1;
    for pid in [cat, grep, wc] {
        let status = waitpid(pid, None).expect("waitpid");
        if pid == wc {
            wc_code = match status {
                WaitStatus::Exited(_, code) => code,
                _ => 1,
            };
        }
    }
    // Status 0 when wc succeeded, 1 otherwise (wc's own 127 included).
    exit(if wc_code == 0 { 0 } else { 1 });
}
