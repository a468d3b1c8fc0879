//! exercise: 07_broken_pipe
//! expect: pass
//! mistake: none

// A correct solution in another style: the standard library's pipe (std::io::pipe), raw
// write() calls from nix matched on Errno::EPIPE, a reader that takes the pipe one byte at a
// time (so it never reads past its last line), and sigaction() instead of signal() to restore
// the default SIGPIPE action.

use std::io::{self, PipeReader, Read};
use std::process::exit;

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, write};

/// Reads one line byte by byte, without its newline; None at end-of-file.
fn read_line(pipe: &mut PipeReader) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match pipe.read(&mut byte) {
            Ok(0) if line.is_empty() => return None,
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                eprintln!("reader: {err}");
                exit(1);
            }
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// The reader child: `count` lines, then exit 0 (which closes the read end).
fn reader(mut pipe: PipeReader, count: usize) -> ! {
    for _ in 0..count {
        let Some(line) = read_line(&mut pipe) else {
            break;
        };
        println!("reader: {line}");
    }
    exit(0);
}

fn describe(who: &str, status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("{who} exited with status {code}"),
        WaitStatus::Signaled(_, Signal::SIGPIPE, _) => format!("{who} killed by SIGPIPE"),
        other => format!("{who} ended as {other:?}"),
    }
}

fn parse_count() -> Option<usize> {
    let mut args = std::env::args().skip(1);
    let count = match args.next() {
        None => 3,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))?,
    };
    args.next().is_none().then_some(count)
}

fn main() -> io::Result<()> {
    let Some(count) = parse_count() else {
        eprintln!("usage: 07_broken_pipe [LINES]");
        exit(2);
    };

    // Round 1: the parent is the writer and stops at EPIPE.
    let (rx, tx) = io::pipe()?;
    // SAFETY: single-threaded program.
    let child = match unsafe { fork() }? {
        ForkResult::Child => {
            drop(tx);
            reader(rx, count);
        }
        ForkResult::Parent { child } => child,
    };
    drop(rx);
    let mut sent = 0u64;
    loop {
        let line = format!("line {}\n", sent + 1);
        match write(&tx, line.as_bytes()) {
            Ok(_) => sent += 1,
            Err(Errno::EPIPE) => break,
            Err(Errno::EINTR) => {}
            Err(err) => {
                eprintln!("writer: {err}");
                exit(1);
            }
        }
    }
    drop(tx);
    println!("writer: EPIPE after {sent} lines");
    println!("{}", describe("reader", waitpid(child, None)?));

    // Round 2: a writer child with SIGPIPE at its default action.
    let (rx, tx) = io::pipe()?;
    // SAFETY: single-threaded program.
    let child = match unsafe { fork() }? {
        ForkResult::Child => {
            drop(tx);
            reader(rx, count);
        }
        ForkResult::Parent { child } => child,
    };
    // SAFETY: single-threaded program.
    let writer = match unsafe { fork() }? {
        ForkResult::Child => {
            drop(rx);
            let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
            // SAFETY: the default action runs no handler of ours.
            unsafe { sigaction(Signal::SIGPIPE, &default) }?;
            for n in 1u64.. {
                if write(&tx, format!("line {n}\n").as_bytes()).is_err() {
                    exit(1);
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop((rx, tx));
    println!("{}", describe("reader", waitpid(child, None)?));
    println!("{}", describe("writer", waitpid(writer, None)?));
    Ok(())
}
