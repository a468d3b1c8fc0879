//! exercise: 08_named_pipe
//! expect: pass
//! mistake: none: the writer sends each message a byte at a time (one write(2) per byte), which is slow but right, also when the reader fails and the writer meets EPIPE

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, exit};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];
const FIFO: &str = "pipes-lab.fifo";

/// The second program: prints every line that comes through the FIFO.
fn reader(path: &str) -> ExitCode {
    let Ok(fifo) = File::open(path) else {
        eprintln!("reader: cannot open {path}");
        return ExitCode::FAILURE;
    };
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        exit(3);
    }
    for line in BufReader::new(fifo).lines() {
        match line {
            Ok(line) => println!("reader: {line}"),
            Err(err) => {
                eprintln!("reader: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

/// Starts the reader, sends the messages a byte at a time, and waits for the reader.
fn send(messages: &[String]) -> Result<i32, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .spawn()
        .map_err(|e| format!("start the reader: {e}"))?;
    match OpenOptions::new().write(true).open(FIFO) {
        Ok(mut fifo) => {
            let text: String = messages.iter().map(|m| format!("{m}\n")).collect();
            // One byte per write: a failed reader makes one of them fail with EPIPE.
            for byte in text.bytes() {
                if let Err(err) = fifo.write_all(&[byte]) {
                    eprintln!("writer: {err}");
                    break;
                }
            }
        }
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("open {FIFO}: {err}"));
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let code = status.code().ok_or("the reader was killed")?;
    println!("writer: reader exited with status {code}");
    Ok(code)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, path] if flag == "--reader" => return reader(path),
        [flag, ..] if flag == "--reader" => {
            eprintln!("usage: 08_named_pipe [MESSAGE]...   (or: 08_named_pipe --reader PATH)");
            return ExitCode::from(2);
        }
        _ => {}
    }
    let messages = match args.is_empty() {
        true => DEFAULT_MESSAGES.map(String::from).to_vec(),
        false => args,
    };
    if let Err(err) = mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        eprintln!("writer: mkfifo {FIFO}: {err}");
        return ExitCode::FAILURE;
    }
    // Whatever happens in between, the FIFO's name goes again.
    let outcome = send(&messages);
    let removed = std::fs::remove_file(FIFO).is_ok();
    if removed {
        println!("writer: removed {FIFO}");
    }
    match outcome {
        Ok(0) if removed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("writer: {err}");
            ExitCode::FAILURE
        }
    }
}
