//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: it fills the pipe only once and, instead of filling it again after F_SETPIPE_SZ, prints F_SETPIPE_SZ's answer (or the first count when refused) as the second measurement, so the last number is never measured.
//! diagnosis: but it never held more than 65536: the program did not fill it again
//! diagnosis: the new capacity is measured

use std::process::ExitCode;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::{pipe, write};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: i32 = match args.len() {
        0 => 1 << 20,
        1 => match args[0].parse::<i32>() {
            Ok(n) if n >= 1 => n,
            _ => {
                eprintln!("usage: 06_pipe_capacity [SIZE]");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: 06_pipe_capacity [SIZE]");
            return ExitCode::from(2);
        }
    };

    let (_reader, writer) = pipe().expect("pipe");
    let fl = OFlag::from_bits_truncate(fcntl(&writer, FcntlArg::F_GETFL).expect("F_GETFL"));
    fcntl(&writer, FcntlArg::F_SETFL(fl | OFlag::O_NONBLOCK)).expect("F_SETFL");

    // Fill it up, 4 KiB at a time.
    let page = [0u8; 4096];
    let mut filled = 0;
    loop {
        match write(&writer, &page) {
            Ok(n) => filled += n,
            Err(Errno::EAGAIN) => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    println!("capacity by writing: {filled} bytes");
    let reported = fcntl(&writer, FcntlArg::F_GETPIPE_SZ).expect("F_GETPIPE_SZ");
    println!("F_GETPIPE_SZ: {reported} bytes");

    // After a resize the pipe holds exactly its new size, so no need to fill it again.
    let after = match fcntl(&writer, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new_size) => {
            println!("F_SETPIPE_SZ {size}: {new_size} bytes");
            new_size as usize
        }
        Err(e) => {
            println!("F_SETPIPE_SZ {size}: refused ({e:?})");
            filled
        }
    };
    println!("capacity by writing: {after} bytes");
    ExitCode::SUCCESS
}
