//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the program counts the successful write() calls instead of the bytes they wrote, so with 4096-byte chunks it reports 16 instead of 65536
//! diagnosis: capacity by writing: 16 bytes
//! diagnosis: count bytes

use std::os::fd::OwnedFd;
use std::process::exit;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

fn fill(fd: &OwnedFd) -> usize {
    let chunk = vec![0u8; 4096];
    let mut count = 0;
    loop {
        match write(fd, &chunk) {
            // MISTAKE: counts one per write, not the bytes written (the Ok value).
            Ok(_) => count += 1,
            Err(Errno::EAGAIN) => return count,
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
    let total = first + fill(&write_end);
    println!("capacity by writing: {total} bytes");
}
