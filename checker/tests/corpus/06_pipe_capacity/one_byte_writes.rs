//! exercise: 06_pipe_capacity
//! expect: pass
//! mistake: none: it fills the non-blocking pipe with 1-byte write() calls (a size that divides 4096, as the contract allows), both times, and is correct in every respect.

use std::os::fd::OwnedFd;
use std::process::ExitCode;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

// Write one byte at a time until the kernel says the pipe is full (EAGAIN).
fn fill(fd: &OwnedFd) -> nix::Result<usize> {
    let mut count = 0;
    loop {
        match write(fd, b"x") {
            Ok(n) => count += n,
            Err(Errno::EAGAIN) => return Ok(count),
            Err(e) => return Err(e),
        }
    }
}

fn measure(size: i32) -> nix::Result<()> {
    // The read end stays open (never read) so the writes do not fail with EPIPE.
    let (_read_end, write_end) = pipe()?;
    let flags = OFlag::from_bits_truncate(fcntl(&write_end, FcntlArg::F_GETFL)?);
    fcntl(&write_end, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;

    let first = fill(&write_end)?;
    println!("capacity by writing: {first} bytes");
    println!("F_GETPIPE_SZ: {} bytes", fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?);
    match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(got) => println!("F_SETPIPE_SZ {size}: {got} bytes"),
        Err(e) => println!("F_SETPIPE_SZ {size}: refused ({e:?})"),
    }
    // Fill again; the first bytes are still in there.
    let total = first + fill(&write_end)?;
    println!("capacity by writing: {total} bytes");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = match args.as_slice() {
        [] => Some(1_048_576),
        [s] => s.parse::<i32>().ok().filter(|&n| n > 0),
        _ => None,
    };
    let Some(size) = size else {
        eprintln!("usage: 06_pipe_capacity [SIZE]");
        return ExitCode::from(2);
    };
    if let Err(e) = measure(size) {
        eprintln!("06_pipe_capacity: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
