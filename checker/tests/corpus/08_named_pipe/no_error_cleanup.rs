//! exercise: 08_named_pipe
//! expect: fail
//! mistake: when the reader fails, the writer exits with status 1 straight away, before removing the FIFO, so the error path leaves `pipes-lab.fifo` behind (and never prints `writer: removed pipes-lab.fifo`)
//! diagnosis: case: the reader fails (PIPES_LAB_FAIL_READER=1)
//! diagnosis: when the reader fails

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, exit};

use nix::errno::Errno;
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--reader") {
        args.next();
        let (Some(path), None) = (args.next(), args.next()) else {
            eprintln!("usage: 08_named_pipe --reader PATH");
            exit(2);
        };
        let fifo = File::open(&path).expect("open the FIFO");
        if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
            exit(3);
        }
        for line in BufReader::new(fifo).lines() {
            println!("reader: {}", line.expect("read"));
        }
        println!("reader: end of file");
        exit(0);
    }

    let mut messages: Vec<String> = args.collect();
    if messages.is_empty() {
        for m in ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"] {
            messages.push(m.to_string());
        }
    }

    match mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        Ok(()) => {}
        Err(Errno::EEXIST) => {
            eprintln!("writer: {FIFO} exists");
            exit(1);
        }
        Err(err) => {
            eprintln!("writer: mkfifo: {err}");
            exit(1);
        }
    }

    let mut reader = Command::new(std::env::current_exe().expect("current_exe"))
        .args(["--reader", FIFO])
        .spawn()
        .expect("spawn");
    let mut fifo = OpenOptions::new().write(true).open(FIFO).expect("open");
    for message in &messages {
        if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("writer: {err}");
            break;
        }
    }
    drop(fifo);

    let status = reader.wait().expect("wait");
    let code = status.code().unwrap_or(-1);
    println!("writer: reader exited with status {code}");
    if code != 0 {
        // MISTAKE: leaving here skips the remove_file below. Every way out after mkfifo must
        // go through the removal first.
        exit(1);
    }
    std::fs::remove_file(FIFO).expect("remove the FIFO");
    println!("writer: removed {FIFO}");
}
