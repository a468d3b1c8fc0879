//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer makes no FIFO: it sends the messages to the reader through an anonymous pipe on the reader's stdin (Stdio::piped) and prints the contract's lines as if it had made and removed `pipes-lab.fifo`; the output is right, but no named pipe was ever made
//! diagnosis: no FIFO was opened: the messages did not go through a named pipe

use std::io::{BufRead, Write};
use std::process::{Command, ExitCode, Stdio, exit};

/// The lecture's messages, sent when the command line gives none.
const MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

const FIFO: &str = "pipes-lab.fifo";

/// The reader: prints each line of its stdin.
fn reader() -> ExitCode {
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        exit(3);
    }
    for line in std::io::stdin().lock().lines() {
        match line {
            Ok(line) => println!("reader: {line}"),
            Err(err) => {
                eprintln!("reader: read stdin: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

/// The writer: starts the reader and writes the messages into its stdin.
fn writer(messages: &[String]) -> ExitCode {
    // MISTAKE: no mkfifo. An anonymous pipe to the reader's stdin carries the messages, so
    // the two programs share a descriptor instead of a name in the directory.
    let exe = std::env::current_exe().expect("find this program");
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the reader");
    if let Some(mut pipe) = child.stdin.take() {
        for message in messages {
            if let Err(err) = pipe.write_all(format!("{message}\n").as_bytes()) {
                eprintln!("writer: write: {err}");
                break;
            }
        }
    }
    let code = child.wait().expect("wait").code().unwrap_or(1);
    println!("writer: reader exited with status {code}");
    println!("writer: removed {FIFO}");
    if code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, _] if flag == "--reader" => reader(),
        [] => writer(&MESSAGES.map(String::from)),
        _ => writer(&args),
    }
}
