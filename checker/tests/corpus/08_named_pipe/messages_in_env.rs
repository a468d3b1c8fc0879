//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer makes and opens the FIFO as the contract says but hands the messages to the reader in an environment variable; the reader drains the FIFO, which carries nothing, and prints the messages from its environment, so no message goes through the named pipe.
//! diagnosis: no bytes went through it
//! diagnosis: nothing else carries them

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::process::{Command, ExitCode};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";
const DEFAULTS: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn run_reader(path: &str) -> ExitCode {
    let mut fifo = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("reader: open {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        std::process::exit(3);
    }
    // Wait for the writer to be done (end-of-file)...
    let mut ignored = Vec::new();
    let _ = fifo.read_to_end(&mut ignored);
    // ...then print what it gave us.
    let all = std::env::var("PIPES_LAB_MESSAGES").unwrap_or_default();
    for m in all.split('\n') {
        println!("reader: {m}");
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

// Everything between mkfifo and the removal; returns the reader's exit code.
fn talk(messages: &[String]) -> Result<i32, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut reader = Command::new(me)
        .args(["--reader", FIFO])
        .env("PIPES_LAB_MESSAGES", messages.join("\n"))
        .spawn()
        .map_err(|e| format!("start the reader: {e}"))?;
    match OpenOptions::new().write(true).open(FIFO) {
        Ok(fifo) => drop(fifo), // the messages are already on their way
        Err(e) => {
            let _ = reader.kill();
            let _ = reader.wait();
            return Err(format!("open {FIFO}: {e}"));
        }
    }
    let status = reader.wait().map_err(|e| e.to_string())?;
    let code = status.code().ok_or("the reader was killed")?;
    println!("writer: reader exited with status {code}");
    Ok(code)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--reader") {
        return match args.get(1) {
            Some(path) if args.len() == 2 => run_reader(path),
            _ => {
                eprintln!("usage: 08_named_pipe --reader PATH");
                ExitCode::from(2)
            }
        };
    }
    let messages: Vec<String> = if args.is_empty() {
        DEFAULTS.iter().map(|s| s.to_string()).collect()
    } else {
        args
    };

    if let Err(e) = mkfifo(FIFO, Mode::from_bits_truncate(0o600)) {
        eprintln!("writer: mkfifo {FIFO}: {e}");
        return ExitCode::FAILURE;
    }
    let result = talk(&messages);
    let removed = std::fs::remove_file(FIFO).is_ok();
    if removed {
        println!("writer: removed {FIFO}");
    } else {
        eprintln!("writer: could not remove {FIFO}");
    }
    match result {
        Ok(0) if removed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("writer: {e}");
            ExitCode::FAILURE
        }
    }
}
