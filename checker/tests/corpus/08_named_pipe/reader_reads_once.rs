//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the reader makes a single read() of 4096 bytes and takes it for everything the writer sent, so it misses the lines that were not in the FIFO yet (always with many messages, often with a few)
//! diagnosis: not all messages arrived
//! diagnosis: keep reading until end-of-file

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::process::{Command, ExitCode};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";

fn reader(path: &str) -> ExitCode {
    let mut fifo = match File::open(path) {
        Ok(f) => f,
        Err(err) => {
            eprintln!("reader: {err}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var("PIPES_LAB_FAIL_READER").is_ok() {
        std::process::exit(3);
    }
    let mut buf = [0u8; 4096];
    // MISTAKE: one read() returns whatever is in the pipe right now, at most 4096 bytes, not
    // all the writer will send. The reader should loop until read() returns 0 (end-of-file).
    let n = fifo.read(&mut buf).expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    for message in text.lines() {
        println!("reader: {message}");
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

fn talk(messages: &[String]) -> Result<i32, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--reader")
        .arg(FIFO)
        .spawn()
        .map_err(|e| e.to_string())?;
    match OpenOptions::new().write(true).open(FIFO) {
        Ok(mut fifo) => {
            for m in messages {
                if let Err(err) = fifo.write_all(format!("{m}\n").as_bytes()) {
                    eprintln!("writer: {err}");
                    break;
                }
            }
        }
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err.to_string());
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let code = status.code().ok_or("the reader was killed")?;
    println!("writer: reader exited with status {code}");
    Ok(code)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--reader") {
        return match args.as_slice() {
            [_, path] => reader(path),
            _ => ExitCode::from(2),
        };
    }
    let messages = if args.is_empty() {
        ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .map(String::from)
            .to_vec()
    } else {
        args
    };
    if let Err(err) = mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        eprintln!("writer: {err}");
        return ExitCode::FAILURE;
    }
    let result = talk(&messages);
    if let Err(err) = std::fs::remove_file(FIFO) {
        eprintln!("writer: {err}");
        return ExitCode::FAILURE;
    }
    println!("writer: removed {FIFO}");
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("writer: {err}");
            ExitCode::FAILURE
        }
    }
}
