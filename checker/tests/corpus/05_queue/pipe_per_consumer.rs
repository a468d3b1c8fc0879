//! exercise: 05_queue
//! expect: fail
//! mistake: every consumer gets a pipe of its own, and each producer writes into one of them, instead of ONE pipe shared by all producers and all consumers; the records all arrive, but no queue is ever shared and no lock is needed
//! diagnosis: seen by the X-ray
//! diagnosis: consumer child(ren) reading

use std::fs::File;
use std::io::{self, Read};
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

fn consume(c: usize, mut queue: File) -> io::Result<()> {
    // Nobody else reads this consumer's pipe: no lock.
    while let Some(body) = read_frame(&mut queue)? {
        let text = String::from_utf8_lossy(&body);
        match text.split_once(':') {
            Some((id, _)) if body_of(id, body.len()) == body => println!("consumer {c}: {id}"),
            _ => println!("consumer {c}: corrupt record"),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((producers, consumers, records)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    // MISTAKE: one pipe per consumer instead of ONE queue for all. Producer p writes into
    // the pipe of consumer p % CONSUMERS, and each pipe has a single reader, so no lock is
    // needed: the one thing this exercise is about never happens.
    let mut pipes: Vec<(OwnedFd, OwnedFd)> = Vec::new();
    for _ in 0..consumers {
        pipes.push(pipe().expect("pipe"));
    }

    let mut children: Vec<Pid> = Vec::new();
    // SAFETY (every fork): the program is single-threaded.
    for c in 0..consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                // Keep only the read end of our own pipe.
                let (read_end, _) = pipes.swap_remove(c);
                drop(pipes);
                if let Err(e) = consume(c, File::from(read_end)) {
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
                // Keep only the write end of our consumer's pipe.
                let (_, write_end) = pipes.swap_remove(p % consumers);
                drop(pipes);
                if let Err(e) = produce(p, records, write_end) {
                    eprintln!("producer {p}: {e}");
                    exit(1);
                }
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    // The parent keeps no end: the consumers see end-of-file once the producers are done.
    drop(pipes);

    let mut ok = true;
    for pid in children {
        ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
