//! exercise: 05_queue
//! expect: fail
//! mistake: only producer 0 writes, numbering all PRODUCERS*RECORDS records p0-0, p0-1, ... itself while the other producers exit at once, so with more than one producer the ids p1-0 ... never arrive and p0-RECORDS ... come instead
//! diagnosis: never arrived
//! diagnosis: a producer wrote more whole records than RECORDS
//! absent: more writes than records

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

const USAGE: &str = "usage: 05_queue PRODUCERS CONSUMERS RECORDS";

/// A whole number from 1 to `max`.
fn number(text: &str, max: usize) -> Option<usize> {
    text.parse().ok().filter(|n| (1..=max).contains(n))
}

/// `{id}:` repeated and cut to `n` bytes.
fn pattern(id: &str, n: usize) -> Vec<u8> {
    format!("{id}:")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(n)
        .collect()
}

/// Producer `p` sends `count` records, numbered from 0, each as ONE write.
fn producer(p: usize, count: usize, queue: &OwnedFd) -> nix::Result<()> {
    for i in 0..count {
        let id = format!("p{p}-{i}");
        let n = 4092 - (37 * i + 11 * p) % 600;
        let mut frame = Vec::with_capacity(4 + n);
        frame.extend_from_slice(&(n as u32).to_be_bytes());
        frame.extend(pattern(&id, n));
        let written = write(queue, &frame)?;
        assert_eq!(written, frame.len(), "short write into the queue");
    }
    Ok(())
}

/// Consumer `c`: holds the token from the first header byte to the last body byte.
fn consumer(c: usize, mut queue: File, mut take: File, mut give: File) -> io::Result<()> {
    let mut token = [0u8; 1];
    loop {
        take.read_exact(&mut token)?;
        let mut header = [0u8; 4];
        let got = queue.read(&mut header)?;
        if got == 0 {
            give.write_all(&token)?;
            return Ok(());
        }
        queue.read_exact(&mut header[got..])?;
        let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
        queue.read_exact(&mut body)?;
        give.write_all(&token)?;

        let id = body.split(|&b| b == b':').next().unwrap_or(&[]);
        let id = String::from_utf8_lossy(id).into_owned();
        if pattern(&id, body.len()) == body {
            println!("consumer {c}: {id}");
        } else {
            println!("consumer {c}: corrupt record");
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [p, c, r] => number(p, 16).zip(number(c, 16)).zip(number(r, 1000)),
        _ => None,
    };
    let Some(((producers, consumers), records)) = parsed else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let (queue_r, queue_w) = pipe().expect("pipe");
    let (lock_r, lock_w) = pipe().expect("pipe");
    write(&lock_w, b"*").expect("token");

    let mut children: Vec<Pid> = Vec::new();
    // SAFETY (every fork): the program is single-threaded.
    for p in 0..producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((queue_r, lock_r, lock_w));
                // MISTAKE: producer 0 numbers all PRODUCERS*RECORDS records as its own
                // (p0-0, p0-1, ...) and the others send nothing; each producer p must send
                // its own RECORDS records p{p}-0 ... p{p}-{RECORDS-1}.
                let result = if p == 0 {
                    producer(0, producers * records, &queue_w)
                } else {
                    Ok(())
                };
                if let Err(e) = result {
                    eprintln!("producer {p}: {e}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    for c in 0..consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(queue_w);
                let result = consumer(
                    c,
                    File::from(queue_r),
                    File::from(lock_r),
                    File::from(lock_w),
                );
                if let Err(e) = result {
                    eprintln!("consumer {c}: {e}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    drop((queue_r, queue_w, lock_r, lock_w));

    let mut all_ok = true;
    for pid in children {
        all_ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
