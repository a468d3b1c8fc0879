//! exercise: 05_queue
//! expect: fail
//! mistake: a consumer that finds end-of-file (the header read returns 0) exits holding the lock's token: it never writes it back, so the other consumers wait for the lock for ever
//! diagnosis: so it hangs
//! diagnosis: was taken and never put back
//! diagnosis: must write it back, also on its way out

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

const USAGE: &str = "usage: 05_queue PRODUCERS CONSUMERS RECORDS";

const PIPE_BUF: usize = 4096;

const HEADER_LEN: usize = 4;

struct Config {
    producers: usize,
    consumers: usize,
    records: usize,
}

fn parse_args(args: &[String]) -> Option<Config> {
    let [producers, consumers, records] = args else {
        return None;
    };
    let count =
        |text: &str, max: usize| text.parse::<usize>().ok().filter(|n| (1..=max).contains(n));
    Some(Config {
        producers: count(producers, 16)?,
        consumers: count(consumers, 16)?,
        records: count(records, 1000)?,
    })
}

fn record_id(producer: usize, index: usize) -> String {
    format!("p{producer}-{index}")
}

fn body_len(producer: usize, index: usize) -> usize {
    4092 - (37 * index + 11 * producer) % 600
}

fn record_body(id: &str, len: usize) -> Vec<u8> {
    format!("{id}:").bytes().cycle().take(len).collect()
}

fn verified_id(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let (id, _) = text.split_once(':')?;
    (record_body(id, body.len()) == body).then_some(id)
}

struct TokenLock {
    take_end: File,
    give_end: File,
}

impl TokenLock {
    fn new() -> io::Result<Self> {
        let (read_end, write_end) = pipe()?;
        let mut lock = TokenLock {
            take_end: File::from(read_end),
            give_end: File::from(write_end),
        };
        lock.release()?;
        Ok(lock)
    }

    fn acquire(&mut self) -> io::Result<()> {
        let mut token = [0u8; 1];
        self.take_end.read_exact(&mut token)
    }

    fn release(&mut self) -> io::Result<()> {
        self.give_end.write_all(b"T")
    }
}

fn produce(producer: usize, records: usize, queue: OwnedFd) -> nix::Result<()> {
    for index in 0..records {
        let id = record_id(producer, index);
        let len = body_len(producer, index);
        let header = (len as u32).to_be_bytes(); // len <= 4092: no truncation
        let mut frame = Vec::with_capacity(HEADER_LEN + len);
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&record_body(&id, len));
        assert!(frame.len() <= PIPE_BUF, "a frame must fit in PIPE_BUF");
        let written = write(&queue, &frame)?;
        assert_eq!(
            written,
            frame.len(),
            "a pipe write of <= PIPE_BUF is all or nothing"
        );
    }
    Ok(())
}

fn read_frame(queue: &mut File) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; HEADER_LEN];
    let got = queue.read(&mut header)?;
    if got == 0 {
        return Ok(None);
    }
    queue.read_exact(&mut header[got..])?;
    let mut body = vec![0; u32::from_be_bytes(header) as usize];
    queue.read_exact(&mut body)?;
    Ok(Some(body))
}

fn consume(consumer: usize, mut queue: File, mut lock: TokenLock) -> io::Result<()> {
    loop {
        lock.acquire()?;
        let frame = read_frame(&mut queue);
        let Some(body) = frame? else {
            return Ok(());
        };
        lock.release()?;
        match verified_id(&body) {
            Some(id) => println!("consumer {consumer}: {id}"),
            None => println!("consumer {consumer}: corrupt record"),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(config) = parse_args(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let (queue_read, queue_write) = pipe().expect("pipe");
    let lock = TokenLock::new().expect("lock pipe");

    let mut children: Vec<(String, Pid)> = Vec::new();

    for consumer in 0..config.consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(queue_write);
                if let Err(err) = consume(consumer, File::from(queue_read), lock) {
                    eprintln!("consumer {consumer}: {err}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push((format!("consumer {consumer}"), child)),
        }
    }
    for producer in 0..config.producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((queue_read, lock));
                if let Err(err) = produce(producer, config.records, queue_write) {
                    eprintln!("producer {producer}: {err}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push((format!("producer {producer}"), child)),
        }
    }

    drop((queue_read, queue_write, lock));

    let mut ok = true;
    for (name, pid) in children {
        match waitpid(pid, None).expect("waitpid") {
            WaitStatus::Exited(_, 0) => {}
            other => {
                eprintln!("{name} failed: {other:?}");
                ok = false;
            }
        }
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
