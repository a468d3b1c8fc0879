//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the last line reports only the bytes written after F_SETPIPE_SZ, not the total the pipe now holds, so it prints 983040 instead of 1048576 (and 0 when the resize is refused)
//! diagnosis: capacity by writing: 983040 bytes
//! diagnosis: report the total it holds

use std::os::fd::OwnedFd;
use std::process::exit;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

fn fill(fd: &OwnedFd) -> usize {
    let chunk = vec![0u8; 4096];
    let mut bytes = 0;
    loop {
        match write(fd, &chunk) {
            Ok(n) => bytes += n,
            Err(Errno::EAGAIN) => return bytes,
            Err(e) => {
                eprintln!("write: {e}");
                exit(1);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: i32 = match args.as_slice() {
        [] => 1048576,
        [s] => match s.parse::<i32>() {
            Ok(n) if n >= 1 => n,
            _ => {
                eprintln!("usage: 06_pipe_capacity [SIZE]");
                exit(2);
            }
        },
        _ => {
            eprintln!("usage: 06_pipe_capacity [SIZE]");
            exit(2);
        }
    };

    let (_read_end, write_end) = pipe().expect("pipe");
    fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).expect("O_NONBLOCK");

    let first = fill(&write_end);
    println!("capacity by writing: {first} bytes");
    let now = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ).expect("F_GETPIPE_SZ");
    println!("F_GETPIPE_SZ: {now} bytes");
    match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new) => println!("F_SETPIPE_SZ {size}: {new} bytes"),
        Err(e) => println!("F_SETPIPE_SZ {size}: refused ({e:?})"),
    }
    // MISTAKE: prints only what went in now. The first fill's bytes are still in the pipe,
    // which therefore holds first + more.
    let more = fill(&write_end);
    println!("capacity by writing: {more} bytes");
}
