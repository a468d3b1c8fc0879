//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the write end is never made non-blocking (O_NONBLOCK), so the write into the full pipe blocks for ever instead of failing with EAGAIN, and the program hangs before printing anything
//! diagnosis: so it hangs
//! diagnosis: is blocked writing into pipe:[
//! diagnosis: set O_NONBLOCK on the write end

use std::os::fd::OwnedFd;
use std::process::exit;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
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
    // MISTAKE: no fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)). On a blocking pipe,
    // the write that finds the pipe full waits for a reader, and nobody ever reads this pipe:
    // fill() never sees EAGAIN.

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
