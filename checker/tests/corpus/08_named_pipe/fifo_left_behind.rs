//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer never removes the FIFO, taking it to vanish when the last end is closed like an anonymous pipe; it prints `writer: removed pipes-lab.fifo` but the name stays in the directory
//! diagnosis: the FIFO is a file: remove it

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, exit};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";
const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn run_reader(path: &str) -> ! {
    let fifo = File::open(path).unwrap_or_else(|err| {
        eprintln!("reader: {err}");
        exit(1)
    });
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        exit(3);
    }
    for line in BufReader::new(fifo).lines() {
        println!("reader: {}", line.expect("read"));
    }
    println!("reader: end of file");
    exit(0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--reader") {
        if args.len() != 2 {
            eprintln!("usage: 08_named_pipe [MESSAGE]...");
            exit(2);
        }
        run_reader(&args[1]);
    }
    let messages: Vec<String> = if args.is_empty() {
        DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect()
    } else {
        args
    };

    if let Err(err) = mkfifo(FIFO, Mode::from_bits_truncate(0o600)) {
        eprintln!("writer: mkfifo {FIFO}: {err}");
        exit(1);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut reader = Command::new(exe)
        .args(["--reader", FIFO])
        .spawn()
        .expect("spawn the reader");

    let mut fifo = OpenOptions::new().write(true).open(FIFO).expect("open");
    for message in &messages {
        if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("writer: {err}");
            break;
        }
    }
    drop(fifo);

    let code = reader.wait().expect("wait").code().unwrap_or(1);
    println!("writer: reader exited with status {code}");
    // MISTAKE: nothing removes the FIFO. Closing both ends empties the pipe, but the name
    // stays in the directory until remove_file (unlink) deletes it.
    println!("writer: removed {FIFO}");
    exit(if code == 0 { 0 } else { 1 });
}
