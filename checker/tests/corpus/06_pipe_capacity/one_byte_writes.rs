//! exercise: 06_pipe_capacity
//! expect: pass
//! mistake: none: the reference program with its chunk set to one byte, so the pipe is filled one byte at a time (1-byte writes on the non-blocking write end, until EAGAIN), which the contract allows; the X-ray must not slow it past its time limit

use std::os::fd::OwnedFd;
use std::process::ExitCode;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

const USAGE: &str = "usage: 06_pipe_capacity [SIZE]";

const DEFAULT_SIZE: i32 = 1 << 20;

const CHUNK: usize = 1;

fn parse_args(args: &[String]) -> Option<i32> {
    match args {
        [] => Some(DEFAULT_SIZE),
        [size] => size.parse::<i32>().ok().filter(|&size| size >= 1),
        _ => None,
    }
}

fn fill(write_end: &OwnedFd) -> nix::Result<usize> {
    let chunk = [b'x'; CHUNK];
    let mut total = 0;
    loop {
        match write(write_end, &chunk) {
            Ok(written) => total += written,
            Err(Errno::EAGAIN) => return Ok(total),
            Err(err) => return Err(err),
        }
    }
}

fn run(size: i32) -> nix::Result<()> {
    let (read_end, write_end) = pipe()?;

    let flags = OFlag::from_bits_truncate(fcntl(&write_end, FcntlArg::F_GETFL)?);
    fcntl(&write_end, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;

    let before = fill(&write_end)?;
    println!("capacity by writing: {before} bytes");

    let reported = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?;
    println!("F_GETPIPE_SZ: {reported} bytes");

    match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new_size) => println!("F_SETPIPE_SZ {size}: {new_size} bytes"),
        Err(errno) => println!("F_SETPIPE_SZ {size}: refused ({errno:?})"),
    }

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
