//! Reference solution of exercise 06: how much a pipe holds, measured by filling it, then
//! asked of the kernel (F_GETPIPE_SZ) and changed (F_SETPIPE_SZ).
//!
//! A full pipe blocks its writer. With O_NONBLOCK on the write end, a write into a full pipe
//! fails with EAGAIN instead, so a program can fill its own pipe and count what went in.

use std::os::fd::OwnedFd;
use std::process::ExitCode;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

const USAGE: &str = "usage: 06_pipe_capacity [SIZE]";

/// The size asked for when the command line gives none: 1 MiB, Linux's default
/// /proc/sys/fs/pipe-max-size.
const DEFAULT_SIZE: i32 = 1 << 20;

/// The bytes of one write: a page. The kernel keeps a pipe's data in pages, and only chunks
/// whose size divides 4096 fill every page to the brim (others leave gaps and count less).
const CHUNK: usize = 4096;

/// Parses `[SIZE]`: none gives the default, else an integer in 1..=2147483647.
fn parse_args(args: &[String]) -> Option<i32> {
    match args {
        [] => Some(DEFAULT_SIZE),
        [size] => size.parse::<i32>().ok().filter(|&size| size >= 1),
        _ => None,
    }
}

/// Writes into the (non-blocking) write end until the pipe is full; returns the bytes written.
fn fill(write_end: &OwnedFd) -> nix::Result<usize> {
    let chunk = [b'x'; CHUNK];
    let mut total = 0;
    loop {
        match write(write_end, &chunk) {
            Ok(written) => total += written,
            // EAGAIN: a blocking write would wait here for a reader. The pipe is full.
            Err(Errno::EAGAIN) => return Ok(total),
            Err(err) => return Err(err),
        }
    }
}

fn run(size: i32) -> nix::Result<()> {
    // Nobody ever reads, but the read end must stay open: with no reader left, a write
    // fails with EPIPE instead of filling the pipe.
    let (read_end, write_end) = pipe()?;

    // Add O_NONBLOCK to the write end's flags, so a write into the full pipe returns EAGAIN
    // instead of blocking for ever.
    let flags = OFlag::from_bits_truncate(fcntl(&write_end, FcntlArg::F_GETFL)?);
    fcntl(&write_end, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;

    let before = fill(&write_end)?;
    println!("capacity by writing: {before} bytes");

    // What the kernel says the capacity is.
    let reported = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?;
    println!("F_GETPIPE_SZ: {reported} bytes");

    // Ask for another size. The kernel rounds it up to a power of two pages and returns what
    // it set. It refuses with EPERM above /proc/sys/fs/pipe-max-size (unless we hold
    // CAP_SYS_RESOURCE), and with EBUSY when the new size cannot hold what the pipe holds now.
    match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new_size) => println!("F_SETPIPE_SZ {size}: {new_size} bytes"),
        Err(errno) => println!("F_SETPIPE_SZ {size}: refused ({errno:?})"),
    }

    // The same pipe, still full of the first bytes: whatever fits now is the growth.
    let after = before + fill(&write_end)?;
    println!("capacity by writing: {after} bytes");

    drop(read_end);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(size) = parse_args(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("06_pipe_capacity: {err}");
            ExitCode::FAILURE
        }
    }
}
