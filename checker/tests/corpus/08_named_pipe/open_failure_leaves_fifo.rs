//! exercise: 08_named_pipe
//! expect: fail
//! mistake: when opening the FIFO for writing fails, the writer panics (expect) and leaves `pipes-lab.fifo` behind, and the reader blocked in its own open with it
//! diagnosis: case: opening pipes-lab.fifo for writing fails
//! diagnosis: the writer kills it

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, exit};

use nix::errno::Errno;
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

/// The lecture's messages, sent when the command line gives none.
const MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

const FIFO: &str = "pipes-lab.fifo";

/// The reader (`--reader PATH`): prints each line that comes through the FIFO.
fn reader(path: &str) -> ExitCode {
    let fifo = match File::open(path) {
        Ok(fifo) => fifo,
        Err(err) => {
            eprintln!("reader: open {path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        exit(3);
    }
    for line in BufReader::new(fifo).lines() {
        match line {
            Ok(line) => println!("reader: {line}"),
            Err(err) => {
                eprintln!("reader: read {path}: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

/// Everything between mkfifo and the removal: start the reader, send, wait. Returns the
/// reader's exit code.
fn send(messages: &[String]) -> Result<i32, String> {
    let exe = std::env::current_exe().map_err(|e| format!("find this program: {e}"))?;
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .spawn()
        .map_err(|e| format!("start the reader: {e}"))?;
    // MISTAKE: a panic on a failed open skips the removal of the FIFO (and leaves the
    // reader waiting in its own open).
    let mut fifo = OpenOptions::new()
        .write(true)
        .open(FIFO)
        .expect("open the FIFO");
    for message in messages {
        if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("writer: write {FIFO}: {err}");
            break;
        }
    }
    drop(fifo);
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    let Some(code) = status.code() else {
        return Err(format!("the reader did not exit: {status}"));
    };
    println!("writer: reader exited with status {code}");
    Ok(code)
}

/// The writer: makes the FIFO, sends, and removes the FIFO whatever happened.
fn writer(messages: &[String]) -> ExitCode {
    match mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        Ok(()) => {}
        Err(Errno::EEXIST) => {
            eprintln!("writer: {FIFO} already exists");
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("writer: mkfifo {FIFO}: {err}");
            return ExitCode::FAILURE;
        }
    }
    let outcome = send(messages);
    if let Err(err) = std::fs::remove_file(FIFO) {
        eprintln!("writer: remove {FIFO}: {err}");
        return ExitCode::FAILURE;
    }
    println!("writer: removed {FIFO}");
    match outcome {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("writer: {err}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, path] if flag == "--reader" => reader(path),
        [] => writer(&MESSAGES.map(String::from)),
        _ => writer(&args),
    }
}
