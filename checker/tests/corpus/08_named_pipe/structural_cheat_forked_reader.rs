//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the reader is a forked child of the writer, not a second program started with --reader: the two ends meet through the FIFO's name, but the lesson (two programs that share nothing else) is skipped (the output is right)
//! diagnosis: seen by the X-ray
//! diagnosis: opened by processes of one program, not by a second program

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, exit};

use nix::sys::stat::Mode;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, mkfifo};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];
const FIFO: &str = "pipes-lab.fifo";

/// The reader's side, run in the forked child (or as `--reader PATH`, which the writer never
/// uses): every line, then end of file.
fn read_fifo(path: &str) -> i32 {
    let fifo = File::open(path).expect("open the FIFO");
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        return 3;
    }
    for line in BufReader::new(fifo).lines() {
        println!("reader: {}", line.expect("read the FIFO"));
    }
    println!("reader: end of file");
    0
}

fn main() -> ExitCode {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = messages.as_slice()
        && flag == "--reader"
    {
        exit(read_fifo(path));
    }
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.map(String::from).to_vec();
    }
    if let Err(err) = mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        eprintln!("writer: cannot make {FIFO}: {err}");
        return ExitCode::from(1);
    }

    // MISTAKE: fork() instead of starting a second program. The child is a copy of this
    // process and could have shared an anonymous pipe just as well: the FIFO's name, the
    // only thing two unrelated programs can share, is not what joins them here.
    // SAFETY: this process has a single thread, so the child may do anything after fork.
    let reader = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exit(read_fifo(FIFO)),
        ForkResult::Parent { child } => child,
    };

    let mut fifo = OpenOptions::new()
        .write(true)
        .open(FIFO)
        .expect("open the FIFO");
    for message in &messages {
        // A reader that failed is gone: the write returns EPIPE (SIGPIPE is ignored).
        if fifo.write_all(format!("{message}\n").as_bytes()).is_err() {
            break;
        }
    }
    drop(fifo);

    let code = match waitpid(reader, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => code,
        _ => 1,
    };
    println!("writer: reader exited with status {code}");
    std::fs::remove_file(FIFO).expect("remove the FIFO");
    println!("writer: removed {FIFO}");
    if code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
