//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the reader's stdout is piped back to the writer, which prints the reader's lines itself: the output is right, but the reader's stdout is not inherited
//! diagnosis: started with
//! diagnosis: as its stdout, not the run's stdout

// A correct FIFO between two programs in every other way.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio, exit};

use nix::errno::Errno;
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

/// The lecture's messages, sent when the command line gives none.
const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// The FIFO's name, in the current directory.
const FIFO: &str = "pipes-lab.fifo";

/// Set in the environment, it makes the reader exit with status 3 right after opening the
/// FIFO: a crash, for the checker's error case.
const FAIL_READER: &str = "PIPES_LAB_FAIL_READER";

/// The reader (`--reader PATH`): prints every line that comes through the FIFO.
fn reader(path: &str) -> ExitCode {
    // Opening a FIFO for reading blocks until some process opens it for writing.
    let fifo = match File::open(path) {
        Ok(fifo) => fifo,
        Err(err) => {
            eprintln!("reader: open {path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::var_os(FAIL_READER).is_some() {
        // Exit without a word; the open FIFO closes with the process.
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
    // End-of-file: the writer closed its end (and nobody else holds one).
    println!("reader: end of file");
    ExitCode::SUCCESS
}

/// The writer's work between mkfifo and the FIFO's removal: start the reader, send it the
/// messages, wait for it. Returns the reader's exit code, or what went wrong.
fn send_through_fifo(messages: &[String]) -> Result<i32, String> {
    // A second instance of this very program. It shares no descriptor with us (Command makes
    // nothing but stdin, stdout and stderr cross), only the FIFO's name. Command also resets
    // SIGPIPE to its default action in the child.
    let exe = std::env::current_exe().map_err(|err| format!("find this program: {err}"))?;
    // The mistake: the reader's stdout comes back to the writer through a pipe, and the
    // writer prints the reader's lines itself.
    let mut child = Command::new(exe)
        .args(["--reader", FIFO])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("start the reader: {err}"))?;
    let mut from_reader = child.stdout.take().ok_or("no pipe from the reader")?;
    let relay = std::thread::spawn(move || {
        let mut lines = String::new();
        let _ = from_reader.read_to_string(&mut lines);
        print!("{lines}");
    });

    // Opening for writing blocks until the reader has opened the FIFO for reading: the two
    // opens meet, like the two ends of os.pipe() coming into being together. (A reader that
    // died before its own open would leave us blocked here; ours only fails after opening.)
    match OpenOptions::new().write(true).open(FIFO) {
        Ok(mut fifo) => {
            for message in messages {
                // One write per message, newline included. Rust ignores SIGPIPE: if the
                // reader is gone, write_all returns EPIPE (ErrorKind::BrokenPipe) instead of
                // killing us, and we stop sending but still wait for the reader.
                if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
                    eprintln!("writer: write {FIFO}: {err}");
                    break;
                }
            }
            // Dropping our only write end is the reader's end-of-file.
            drop(fifo);
        }
        Err(err) => {
            // The reader is blocked in its own open and would wait for a writer for ever.
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("open {FIFO}: {err}"));
        }
    }

    let _ = relay.join();
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

/// The writer (the program as started): makes the FIFO, sends the messages through it and
/// removes it again, whatever happened in between.
fn writer(messages: &[String]) -> ExitCode {
    // 0o600: only our user may open it. mkfifo creates the name; no data is ever stored in the
    // file system, it goes through the kernel as in any pipe.
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

    // Everything that may fail after mkfifo happens in this one call, so that the removal
    // below runs on every path (an early `?` or `exit` here would leave the FIFO behind).
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
