//! exercise: 08_named_pipe
//! expect: pass
//! mistake: none

// A correct solution in another style: the FIFO's removal lives in a guard's Drop, so every
// return after mkfifo removes it; the FIFO is opened and written with nix's raw open() and
// write() (partial writes handled), and the reader splits lines out of raw read() chunks.

use std::os::fd::OwnedFd;
use std::process::{Command, ExitCode};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::{mkfifo, read, unlink, write};

const FIFO: &str = "pipes-lab.fifo";

/// Owns the FIFO's name: dropping the guard unlinks it.
struct FifoGuard;

impl FifoGuard {
    fn create() -> nix::Result<FifoGuard> {
        mkfifo(FIFO, Mode::from_bits_truncate(0o600))?;
        Ok(FifoGuard)
    }
}

impl Drop for FifoGuard {
    fn drop(&mut self) {
        match unlink(FIFO) {
            Ok(()) => println!("writer: removed {FIFO}"),
            Err(err) => eprintln!("writer: unlink {FIFO}: {err}"),
        }
    }
}

fn write_fully(fd: &OwnedFd, mut bytes: &[u8]) -> nix::Result<()> {
    while !bytes.is_empty() {
        match write(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

fn reader(path: &str) -> u8 {
    let fd = match open(path, OFlag::O_RDONLY, Mode::empty()) {
        Ok(fd) => fd,
        Err(err) => {
            eprintln!("reader: open {path}: {err}");
            return 1;
        }
    };
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        return 3;
    }
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = match read(&fd, &mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(err) => {
                eprintln!("reader: read: {err}");
                return 1;
            }
        };
        pending.extend_from_slice(&chunk[..n]);
        while let Some(at) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=at).collect();
            println!("reader: {}", String::from_utf8_lossy(&line[..at]));
        }
    }
    if !pending.is_empty() {
        println!("reader: {}", String::from_utf8_lossy(&pending));
    }
    println!("reader: end of file");
    0
}

/// The writer's work once the FIFO exists; the guard in main removes it afterwards.
fn writer(messages: &[String]) -> u8 {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            eprintln!("writer: {err}");
            return 1;
        }
    };
    let mut child = match Command::new(exe).arg("--reader").arg(FIFO).spawn() {
        Ok(child) => child,
        Err(err) => {
            eprintln!("writer: cannot start the reader: {err}");
            return 1;
        }
    };
    let fd = match open(FIFO, OFlag::O_WRONLY, Mode::empty()) {
        Ok(fd) => fd,
        Err(err) => {
            eprintln!("writer: open {FIFO}: {err}");
            let _ = child.kill();
            let _ = child.wait();
            return 1;
        }
    };
    for message in messages {
        let line = format!("{message}\n");
        if let Err(err) = write_fully(&fd, line.as_bytes()) {
            eprintln!("writer: write: {err}");
            break;
        }
    }
    drop(fd);
    match child.wait().map(|status| status.code()) {
        Ok(Some(code)) => {
            println!("writer: reader exited with status {code}");
            u8::from(code != 0)
        }
        Ok(None) => {
            eprintln!("writer: the reader was killed by a signal");
            1
        }
        Err(err) => {
            eprintln!("writer: wait: {err}");
            1
        }
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--reader") {
        if args.len() != 2 {
            eprintln!("usage: 08_named_pipe --reader PATH");
            return ExitCode::from(2);
        }
        return ExitCode::from(reader(&args[1]));
    }
    if args.is_empty() {
        args = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .iter()
            .map(ToString::to_string)
            .collect();
    }
    let guard = match FifoGuard::create() {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("writer: mkfifo {FIFO}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = writer(&args);
    // Removes the FIFO and prints its line, after the reader's status line.
    drop(guard);
    ExitCode::from(code)
}
