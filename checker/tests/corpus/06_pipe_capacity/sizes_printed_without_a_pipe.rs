//! exercise: 06_pipe_capacity
//! expect: fail
//! mistake: the program makes no pipe: it prints the sizes the kernel's rules predict (64 KiB, and SIZE rounded up to a power-of-two number of pages, refused with EBUSY below 64 KiB) instead of measuring them
//! diagnosis: no pipe was created: the sizes printed were not measured

use std::process::ExitCode;

const USAGE: &str = "usage: 06_pipe_capacity [SIZE]";

/// What Linux does by default: a pipe holds 16 pages of 4096 bytes.
const PAGE: u64 = 4096;
const DEFAULT_CAPACITY: u64 = 16 * PAGE;

/// SIZE, 1048576 without it; None for anything else.
fn parse(args: &[String]) -> Option<i32> {
    match args {
        [] => Some(1 << 20),
        [size] => size.parse::<i32>().ok().filter(|&size| size >= 1),
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(size) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // MISTAKE: no pipe at all. The numbers come from what the program knows of the kernel's
    // rules, not from a pipe: on a system whose defaults differ, they are wrong, and even
    // where they are right, nothing was measured.
    let pages = (size as u64).div_ceil(PAGE).next_power_of_two();
    let granted = pages * PAGE;
    println!("capacity by writing: {DEFAULT_CAPACITY} bytes");
    println!("F_GETPIPE_SZ: {DEFAULT_CAPACITY} bytes");
    let total = if granted < DEFAULT_CAPACITY {
        println!("F_SETPIPE_SZ {size}: refused (EBUSY)");
        DEFAULT_CAPACITY
    } else {
        println!("F_SETPIPE_SZ {size}: {granted} bytes");
        granted
    };
    println!("capacity by writing: {total} bytes");
    ExitCode::SUCCESS
}
