//! exercise: 05_queue
//! expect: fail
//! mistake: the parent keeps its copy of the queue's write end open while it waits, so the queue never reaches end-of-file and the consumers wait for records for ever
//! diagnosis: so it hangs
//! diagnosis: a deadlock, caught before the 10 s time limit
//! diagnosis: close fd 4 in the parent

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

const USAGE: &str = "usage: 05_queue PRODUCERS CONSUMERS RECORDS";

/// PRODUCERS, CONSUMERS and RECORDS, or None for anything else.
fn parse(args: &[String]) -> Option<(usize, usize, usize)> {
    let [p, c, r] = args else { return None };
    let count = |text: &str, max: usize| text.parse().ok().filter(|n| (1..=max).contains(n));
    Some((count(p, 16)?, count(c, 16)?, count(r, 1000)?))
}

/// `{id}:` repeated and cut to `n` bytes.
fn body_of(id: &str, n: usize) -> Vec<u8> {
    format!("{id}:").bytes().cycle().take(n).collect()
}

/// The lock: a pipe holding one token byte. Reading the token takes the lock, writing it
/// back releases it.
struct Lock {
    take: File,
    give: File,
}

impl Lock {
    fn acquire(&mut self) -> io::Result<()> {
        self.take.read_exact(&mut [0u8; 1])
    }

    fn release(&mut self) -> io::Result<()> {
        self.give.write_all(b"T")
    }
}

fn produce(p: usize, records: usize, queue: OwnedFd) -> nix::Result<()> {
    for i in 0..records {
        let id = format!("p{p}-{i}");
        let n = 4092 - (37 * i + 11 * p) % 600;
        let mut frame = (n as u32).to_be_bytes().to_vec();
        frame.extend(body_of(&id, n));
        // ONE write of at most 4096 bytes: the kernel never mixes it with another's.
        let written = write(&queue, &frame)?;
        assert_eq!(written, frame.len());
    }
    Ok(())
}

/// One frame's body, or None at end-of-file before the header.
fn read_frame(queue: &mut File) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    let got = queue.read(&mut header)?;
    if got == 0 {
        return Ok(None);
    }
    queue.read_exact(&mut header[got..])?;
    let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
    queue.read_exact(&mut body)?;
    Ok(Some(body))
}

fn consume(c: usize, mut queue: File, mut lock: Lock) -> io::Result<()> {
    loop {
        lock.acquire()?;
        let frame = read_frame(&mut queue);
        lock.release()?;
        let Some(body) = frame? else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(&body);
        match text.split_once(':') {
            Some((id, _)) if body_of(id, body.len()) == body => println!("consumer {c}: {id}"),
            _ => println!("consumer {c}: corrupt record"),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((producers, consumers, records)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let (queue_read, queue_write) = pipe().expect("pipe");
    let (lock_read, lock_write) = pipe().expect("pipe");
    write(&lock_write, b"T").expect("put the token in");

    let mut children: Vec<Pid> = Vec::new();
    // SAFETY (every fork): the program is single-threaded.
    for c in 0..consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(queue_write);
                let lock = Lock {
                    take: File::from(lock_read),
                    give: File::from(lock_write),
                };
                if let Err(e) = consume(c, File::from(queue_read), lock) {
                    eprintln!("consumer {c}: {e}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    for p in 0..producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((queue_read, lock_read, lock_write));
                if let Err(e) = produce(p, records, queue_write) {
                    eprintln!("producer {p}: {e}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    // MISTAKE: queue_write is not closed before the wait: the parent holds it to the end.
    drop((queue_read, lock_read, lock_write));

    let mut ok = true;
    for pid in children {
        ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    drop(queue_write);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
