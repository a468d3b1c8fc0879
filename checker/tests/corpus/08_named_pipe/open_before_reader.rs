//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer opens the FIFO for writing before it starts the reader: opening a FIFO waits until its other end is opened too, so the open never returns
//! diagnosis: so it hangs
//! diagnosis: is blocked opening a file
//! diagnosis: Start the reader (the second program) before the writer opens the FIFO

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, exit};

use nix::errno::Errno;
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

const FIFO: &str = "pipes-lab.fifo";

const FAIL_READER: &str = "PIPES_LAB_FAIL_READER";

fn reader(path: &str) -> ExitCode {
    let fifo = match File::open(path) {
        Ok(fifo) => fifo,
        Err(err) => {
            eprintln!("reader: open {path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os(FAIL_READER).is_some() {
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

fn send_through_fifo(messages: &[String]) -> Result<i32, String> {
    let _early = OpenOptions::new().write(true).open(FIFO);
    let exe = std::env::current_exe().map_err(|err| format!("find this program: {err}"))?;
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .spawn()
        .map_err(|err| format!("start the reader: {err}"))?;

    match OpenOptions::new().write(true).open(FIFO) {
        Ok(mut fifo) => {
            for message in messages {
                if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
                    eprintln!("writer: write {FIFO}: {err}");
                    break;
                }
            }
            drop(fifo);
        }
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("open {FIFO}: {err}"));
        }
    }

    let status = child
        .wait()
        .map_err(|err| format!("wait for the reader: {err}"))?;
    match status.code() {
        Some(code) => {
            println!("writer: reader exited with status {code}");
            Ok(code)
        }
        None => Err(format!("the reader did not exit: {status}")),
    }
}

fn writer(messages: &[String]) -> ExitCode {
    match mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        Ok(()) => {}
        Err(Errno::EEXIST) => {
            eprintln!("writer: {FIFO} already exists; remove it first");
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("writer: mkfifo {FIFO}: {err}");
            return ExitCode::FAILURE;
        }
    }

    let outcome = send_through_fifo(messages);

    let removed = match std::fs::remove_file(FIFO) {
        Ok(()) => {
            println!("writer: removed {FIFO}");
            true
        }
        Err(err) => {
            eprintln!("writer: remove {FIFO}: {err}");
            false
        }
    };

    match outcome {
        Ok(0) if removed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("writer: {err}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--reader") => match args.as_slice() {
            [_, path] => reader(path),
            _ => {
                eprintln!("usage: 08_named_pipe [MESSAGE]...   (or: 08_named_pipe --reader PATH)");
                ExitCode::from(2)
            }
        },
        Some(_) => writer(&args),
        None => writer(&DEFAULT_MESSAGES.map(String::from)),
    }
}
