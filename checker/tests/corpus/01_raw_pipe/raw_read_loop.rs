//! exercise: 01_raw_pipe
//! expect: pass
//! mistake: none

// A correct solution in a low-level style: nix::unistd::read into a small fixed buffer until it
// returns 0, cutting lines by hand (a line may straddle two reads), and nix::unistd::write with
// a loop for short writes in the child.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::process::exit;

use nix::errno::Errno;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe, read, write};

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match write(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(e) => panic!("write to pipe: {e}"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages: Vec<String> = if args.is_empty() {
        ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        args
    };

    let (rx, tx) = pipe().expect("pipe");
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            for message in &messages {
                let mut frame = message.clone().into_bytes();
                frame.push(b'\n');
                write_all(&tx, &frame);
            }
            drop(tx);
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(tx);

    let mut out = std::io::stdout().lock();
    let mut buf = [0u8; 100];
    let mut pending: Vec<u8> = Vec::new();
    let mut count = 0u64;
    loop {
        let n = match read(&rx, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => panic!("read from pipe: {e}"),
        };
        pending.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some(offset) = pending[start..].iter().position(|&b| b == b'\n') {
            let line = &pending[start..start + offset];
            writeln!(out, "received: {}", String::from_utf8_lossy(line)).expect("stdout");
            count += 1;
            start += offset + 1;
        }
        pending.drain(..start);
    }
    if !pending.is_empty() {
        writeln!(out, "received: {}", String::from_utf8_lossy(&pending)).expect("stdout");
        count += 1;
    }
    drop(rx);
    writeln!(out, "EOF after {count} messages").expect("stdout");

    match waitpid(child, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => {
            writeln!(out, "child exited with status {code}").expect("stdout")
        }
        other => {
            eprintln!("child did not exit normally: {other:?}");
            exit(1);
        }
    }
}
