//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the program writes (non-blocking, 4096 bytes at a time) exactly as many bytes as F_GETPIPE_SZ says, then as many more as F_SETPIPE_SZ added, and stops there: no write ever fails with EAGAIN, so nothing is measured (the numbers are right)
//! diagnosis: no write into a pipe failed with EAGAIN

use std::os::fd::OwnedFd;
use std::process::ExitCode;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

const USAGE: &str = "usage: 06_pipe_capacity [SIZE]";

/// SIZE, 1048576 without it; None for anything else.
fn parse(args: &[String]) -> Option<i32> {
    match args {
        [] => Some(1 << 20),
        [size] => size.parse::<i32>().ok().filter(|&size| size >= 1),
        _ => None,
    }
}

/// Writes `bytes` bytes, 4096 at a time, into the non-blocking write end; returns the bytes
/// written.
fn fill(write_end: &OwnedFd, bytes: usize) -> nix::Result<usize> {
    let chunk = [b'x'; 4096];
    let mut total = 0;
    while total < bytes {
        total += write(write_end, &chunk[..4096.min(bytes - total)])?;
    }
    Ok(total)
}

fn run(size: i32) -> nix::Result<()> {
    // Nobody reads, but the read end stays open: without a reader, writes fail with EPIPE.
    let (read_end, write_end) = pipe()?;
    let flags = OFlag::from_bits_truncate(fcntl(&write_end, FcntlArg::F_GETFL)?);
    fcntl(&write_end, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;

    // MISTAKE: the kernel is asked how much the pipe holds, and exactly that much is
    // written: no write ever fails with EAGAIN, so nothing was measured.
    let reported = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?;
    let first = fill(&write_end, reported as usize)?;
    println!("capacity by writing: {first} bytes");
    println!("F_GETPIPE_SZ: {reported} bytes");
    let more = match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new_size) => {
            println!("F_SETPIPE_SZ {size}: {new_size} bytes");
            new_size as usize - first
        }
        Err(errno) => {
            println!("F_SETPIPE_SZ {size}: refused ({errno:?})");
            0
        }
    };
    // The same pipe, still holding the first fill: topped up to its new size, no more.
    let total = first + fill(&write_end, more)?;
    println!("capacity by writing: {total} bytes");
    drop(read_end);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(size) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("06_pipe_capacity: {e}");
            ExitCode::FAILURE
        }
    }
}
