//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer opens the FIFO for writing before it starts the reader, and that open blocks until some process opens the FIFO for reading, which never happens: the program hangs.
//! diagnosis: so it hangs
//! diagnosis: is blocked opening a file
//! diagnosis: Start the reader (the second program) before the writer opens the FIFO

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";

fn reader(path: &str) -> ExitCode {
    let Ok(fifo) = File::open(path) else {
        eprintln!("reader: cannot open {path}");
        return ExitCode::FAILURE;
    };
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        std::process::exit(3);
    }
    for line in BufReader::new(fifo).lines() {
        let Ok(line) = line else {
            eprintln!("reader: read error");
            return ExitCode::FAILURE;
        };
        println!("reader: {line}");
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

fn send(messages: &[String]) -> Result<i32, String> {
    // Get the write end ready first, then start the reader.
    let mut fifo = OpenOptions::new()
        .write(true)
        .open(FIFO)
        .map_err(|e| format!("open {FIFO}: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .spawn()
        .map_err(|e| format!("spawn the reader: {e}"))?;
    for m in messages {
        if let Err(e) = fifo.write_all(format!("{m}\n").as_bytes()) {
            eprintln!("writer: {e}");
            break;
        }
    }
    drop(fifo); // end-of-file for the reader
    let status = child.wait().map_err(|e| e.to_string())?;
    let code = status.code().ok_or_else(|| format!("reader ended by {status}"))?;
    println!("writer: reader exited with status {code}");
    Ok(code)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 2 && args[0] == "--reader" {
        return reader(&args[1]);
    }
    if args.is_empty() {
        args = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .map(String::from)
            .to_vec();
    }
    if let Err(e) = mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        eprintln!("writer: cannot make {FIFO}: {e}");
        return ExitCode::FAILURE;
    }
    let outcome = send(&args);
    if std::fs::remove_file(FIFO).is_err() {
        eprintln!("writer: cannot remove {FIFO}");
        return ExitCode::FAILURE;
    }
    println!("writer: removed {FIFO}");
    match outcome {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("writer: {e}");
            ExitCode::FAILURE
        }
    }
}
