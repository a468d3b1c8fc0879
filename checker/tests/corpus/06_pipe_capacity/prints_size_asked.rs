//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the third line prints SIZE, the size asked for, instead of the size F_SETPIPE_SZ returned (the kernel rounds SIZE up to a power-of-two number of pages)
//! diagnosis: case: kept: a random size from 32 to 64 KiB
//! diagnosis: print the size fcntl returns

use std::os::fd::OwnedFd;
use std::process::ExitCode;

use nix::errno::Errno;
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

/// Writes 4096 bytes at a time into the non-blocking write end until the pipe is full
/// (EAGAIN); returns the bytes written.
fn fill(write_end: &OwnedFd) -> nix::Result<usize> {
    let chunk = [b'x'; 4096];
    let mut total = 0;
    loop {
        match write(write_end, &chunk) {
            Ok(n) => total += n,
            Err(Errno::EAGAIN) => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

fn run(size: i32) -> nix::Result<()> {
    // Nobody reads, but the read end stays open: without a reader, writes fail with EPIPE.
    let (read_end, write_end) = pipe()?;
    let flags = OFlag::from_bits_truncate(fcntl(&write_end, FcntlArg::F_GETFL)?);
    fcntl(&write_end, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;

    let first = fill(&write_end)?;
    println!("capacity by writing: {first} bytes");
    let reported = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?;
    println!("F_GETPIPE_SZ: {reported} bytes");
    match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        // MISTAKE: the kernel's answer is ignored and SIZE printed; the two differ unless SIZE
        // is already a power-of-two number of pages.
        Ok(_) => println!("F_SETPIPE_SZ {size}: {size} bytes"),
        Err(errno) => println!("F_SETPIPE_SZ {size}: refused ({errno:?})"),
    }
    // The same pipe, still holding the first fill.
    let total = first + fill(&write_end)?;
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
