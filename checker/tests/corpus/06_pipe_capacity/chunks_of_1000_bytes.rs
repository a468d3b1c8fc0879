//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the pipe is filled with chunks of 1000 bytes, a size that does not divide 4096: the kernel keeps a pipe's bytes in pages and does not split a write across two of them, so each page holds only 4000 bytes and the count comes out short
//! diagnosis: +capacity by writing: 64000 bytes
//! diagnosis: carried 1000 bytes, and 1000 does not divide 4096
//! diagnosis: hint 2/3: Count bytes, not write calls

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

/// Writes 1000 bytes at a time into the non-blocking write end until the pipe is full
/// (EAGAIN); returns the bytes written.
fn fill(write_end: &OwnedFd) -> nix::Result<usize> {
    // MISTAKE: 1000 does not divide 4096. Four writes fill 4000 bytes of a page; the fifth
    // does not fit in the last 96, so it starts a new page and those 96 bytes stay empty.
    let chunk = [b'x'; 1000];
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
        Ok(new_size) => println!("F_SETPIPE_SZ {size}: {new_size} bytes"),
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
