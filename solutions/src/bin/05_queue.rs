//! Reference solution of exercise 05: a queue for many producers and many consumers, made of
//! one pipe and a lock (Python's `multiprocessing.Queue`, which is a pipe plus locks).
//!
//! Every producer writes framed records into the same pipe and every consumer reads from it.
//! Two rules keep the records whole:
//! - a producer writes each frame (4-byte length, then the body; at most PIPE_BUF = 4096 bytes)
//!   with ONE write(), which the kernel never splits or mixes with another process's write;
//! - a consumer reads a whole frame, header and body, while it holds the lock, so no other
//!   consumer can read in between. The lock is a second pipe holding a single token byte.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

const USAGE: &str = "usage: 05_queue PRODUCERS CONSUMERS RECORDS";

/// A write of at most this many bytes into a pipe is atomic (Linux's PIPE_BUF).
const PIPE_BUF: usize = 4096;

/// The frame header: the body's length as a big-endian u32.
const HEADER_LEN: usize = 4;

/// The counts from the command line.
struct Config {
    producers: usize,
    consumers: usize,
    records: usize,
}

/// Parses `PRODUCERS CONSUMERS RECORDS`; `None` for anything else.
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

/// The id of record `index` of producer `producer`, e.g. `p3-17`.
fn record_id(producer: usize, index: usize) -> String {
    format!("p{producer}-{index}")
}

/// The body length of a record: 3493..=4092 bytes, so that a frame fits in PIPE_BUF.
fn body_len(producer: usize, index: usize) -> usize {
    4092 - (37 * index + 11 * producer) % 600
}

/// The body of a record: `{id}:` repeated and cut to `len` bytes.
fn record_body(id: &str, len: usize) -> Vec<u8> {
    format!("{id}:").bytes().cycle().take(len).collect()
}

/// The id a body claims (its text before the first ':'), if the body is exactly the pattern
/// of that id at its length; `None` for a corrupt body.
fn verified_id(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let (id, _) = text.split_once(':')?;
    (record_body(id, body.len()) == body).then_some(id)
}

/// A lock made of a pipe that holds one byte, the token: reading the token takes the lock
/// (a read on the empty pipe blocks until the holder gives it back), writing it back
/// releases the lock.
struct TokenLock {
    take_end: File,
    give_end: File,
}

impl TokenLock {
    /// A new lock, free: the token is already in the pipe.
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

/// Producer `producer`: sends its records into the queue, one write() per frame.
fn produce(producer: usize, records: usize, queue: OwnedFd) -> nix::Result<()> {
    for index in 0..records {
        let id = record_id(producer, index);
        let len = body_len(producer, index);
        let header = (len as u32).to_be_bytes(); // len <= 4092: no truncation
        let mut frame = Vec::with_capacity(HEADER_LEN + len);
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&record_body(&id, len));
        assert!(frame.len() <= PIPE_BUF, "a frame must fit in PIPE_BUF");
        // ONE write for the whole frame. A blocking write of at most PIPE_BUF bytes into a
        // pipe goes in all at once, never mixed with another producer's bytes. write_all
        // would do the same here, but would hide that a frame must never need two writes.
        let written = write(&queue, &frame)?;
        assert_eq!(
            written,
            frame.len(),
            "a pipe write of <= PIPE_BUF is all or nothing"
        );
    }
    Ok(())
}

/// Reads one frame's body, or `None` at end-of-file before the header: every producer is done.
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

/// Consumer `consumer`: takes whole frames out of the queue, holding the lock from the first
/// header byte to the last body byte, until end-of-file.
fn consume(consumer: usize, mut queue: File, mut lock: TokenLock) -> io::Result<()> {
    loop {
        lock.acquire()?;
        let frame = read_frame(&mut queue);
        // Release before anything else, even after an error: the others are waiting.
        lock.release()?;
        let Some(body) = frame? else {
            return Ok(());
        };
        // Print outside the lock: the other consumers need not wait for our output.
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

    // The queue, and the lock the consumers share.
    let (queue_read, queue_write) = pipe().expect("pipe");
    let lock = TokenLock::new().expect("lock pipe");

    let mut children: Vec<(String, Pid)> = Vec::new();

    // SAFETY (every fork): this process has a single thread, so a child may do anything.
    for consumer in 0..config.consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                // A consumer that kept a write end of the queue would wait for end-of-file
                // for ever: the queue is only finished once EVERY write end is closed.
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
                // A producer only writes, and takes no lock.
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

    // The parent neither reads nor writes. Close everything before waiting: the consumers see
    // end-of-file only once the parent's write end of the queue is gone too.
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
