//! exercise: 08_named_pipe
//! expect: fail
//! mistake: the writer waits for the reader while it still holds the FIFO open for writing, so the reader never sees end-of-file and the two wait for each other for ever
//! diagnosis: so it hangs
//! diagnosis: (child) is blocked reading
//! diagnosis: deadlock: these processes wait for each other
//! diagnosis: close (drop) that end as soon as the last message is sent

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode};

use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const FIFO: &str = "pipes-lab.fifo";

fn reader(path: &str) -> ExitCode {
    let file = File::open(path).expect("open the FIFO");
    if std::env::var_os("PIPES_LAB_FAIL_READER").is_some() {
        return ExitCode::from(3);
    }
    for line in BufReader::new(file).lines() {
        println!("reader: {}", line.expect("read the FIFO"));
    }
    println!("reader: end of file");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice()
        && flag == "--reader"
    {
        return reader(path);
    }
    let messages: Vec<String> = if args.is_empty() {
        vec!["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        args
    };

    if let Err(err) = mkfifo(FIFO, Mode::S_IRUSR | Mode::S_IWUSR) {
        eprintln!("writer: mkfifo: {err}");
        return ExitCode::FAILURE;
    }
    let mut code = 1;
    match Command::new(std::env::current_exe().expect("current_exe"))
        .args(["--reader", FIFO])
        .spawn()
    {
        Ok(mut child) => {
            let mut fifo = OpenOptions::new().write(true).open(FIFO).expect("open");
            for message in &messages {
                if let Err(err) = fifo.write_all(format!("{message}\n").as_bytes()) {
                    eprintln!("writer: {err}");
                    break;
                }
            }
            // MISTAKE: waiting while `fifo` is still open. The reader sees end-of-file only
            // once every write end is closed, and ours closes after this wait returns, which
            // it never does. Drop `fifo` before waiting.
            let status = child.wait().expect("wait");
            drop(fifo);
            if let Some(c) = status.code() {
                println!("writer: reader exited with status {c}");
                code = c;
            }
        }
        Err(err) => eprintln!("writer: cannot start the reader: {err}"),
    }
    let _ = std::fs::remove_file(FIFO);
    println!("writer: removed {FIFO}");
    ExitCode::from(if code == 0 { 0 } else { 1 })
}
