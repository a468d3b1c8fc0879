//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the reader opens the FIFO for reading and writing (so its open never waits), which makes it a writer too: after the writer closes its end, one write end is still open, the reader's own, and end-of-file never comes
//! diagnosis: so it hangs
//! diagnosis: which it opened for reading and writing
//! diagnosis: open it for reading only (File::open, O_RDONLY)
//! absent: the writer
//! absent: the X-ray cut
//! diagnosis: hint 2/3: Opening a FIFO blocks

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";

fn reader(path: &str) -> ExitCode {
    // MISTAKE: read(true).write(true) opens without waiting for a writer, but this process
    // then holds a write end of the FIFO itself. End-of-file comes only when every write end
    // is closed, so the loop below waits for ever once the writer is done. File::open is right.
    let fifo = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(err) => {
            eprintln!("reader: {err}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var("PIPES_LAB_FAIL_READER").is_ok() {
        std::process::exit(3);
    }
    for line in BufReader::new(fifo).lines() {
        match line {
            Ok(message) => println!("reader: {message}"),
            Err(err) => {
                eprintln!("reader: {err}");
                return ExitCode::FAILURE;
            }
        }
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
