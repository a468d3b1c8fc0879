//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the program asks F_GETPIPE_SZ for the capacity and writes exactly that many bytes with blocking writes, so the "capacity by writing" is never measured: no write ever meets a full pipe (the numbers are right)
//! diagnosis: so it hangs
//! diagnosis: set O_NONBLOCK on the write end

use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

use nix::fcntl::{FcntlArg, fcntl};
use nix::unistd::pipe;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = match args.as_slice() {
        [] => 1 << 20,
        [size] => match size.parse::<i32>() {
            Ok(size) if size >= 1 => size,
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

    let (read_end, write_end) = pipe().expect("pipe");
    let capacity = fcntl(&write_end, FcntlArg::F_GETPIPE_SZ).expect("F_GETPIPE_SZ") as usize;

    // MISTAKE: the "measurement" is the kernel's own answer. The program writes exactly
    // F_GETPIPE_SZ bytes, which a blocking write puts into an empty pipe without waiting,
    // and calls that the capacity. Nothing is measured: the write end is never made
    // non-blocking and no write ever finds the pipe full (EAGAIN). The pipe does end up
    // full, so the kernel refuses to shrink it just as it should.
    let mut pipe_in = File::from(write_end);
    pipe_in.write_all(&vec![b'x'; capacity]).expect("write");
    println!("capacity by writing: {capacity} bytes");
    println!("F_GETPIPE_SZ: {capacity} bytes");

    let mut total = capacity;
    match fcntl(&pipe_in, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new_size) => {
            println!("F_SETPIPE_SZ {size}: {new_size} bytes");
            // The same trick again: top the pipe up to its new size, no more.
            let more = (new_size as usize).saturating_sub(capacity);
            pipe_in.write_all(&vec![b'x'; more]).expect("write");
            total += more;
        }
        Err(errno) => println!("F_SETPIPE_SZ {size}: refused ({errno:?})"),
    }
    println!("capacity by writing: {total} bytes");

    drop(read_end);
    ExitCode::SUCCESS
}
