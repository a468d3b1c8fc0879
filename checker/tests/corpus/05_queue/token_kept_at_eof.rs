//! exercise: 05_queue
//! expect: fail
//! mistake: a consumer that finds end-of-file instead of a header exits without writing the lock token back, so every other consumer waits on the lock for ever (it only works with a single consumer).
//! diagnosis: so it hangs
//! diagnosis: a deadlock, caught before the 10 s time limit
//! diagnosis: was taken and never put back
//! diagnosis: must write it back, also on its way out

use std::fs::File;
use std::io::{Read, Write};
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe, write};

fn usage() -> ExitCode {
    eprintln!("usage: 05_queue PRODUCERS CONSUMERS RECORDS");
    ExitCode::from(2)
}

// `{id}:` repeated and cut to `n` bytes.
fn body_of(id: &str, n: usize) -> Vec<u8> {
    let unit = format!("{id}:");
    unit.as_bytes().iter().copied().cycle().take(n).collect()
}

fn producer(p: usize, records: usize, queue: File) {
    for i in 0..records {
        let id = format!("p{p}-{i}");
        let n = 4092 - (37 * i + 11 * p) % 600;
        let mut frame = (n as u32).to_be_bytes().to_vec();
        frame.extend(body_of(&id, n));
        // One write() for the whole frame (at most 4096 bytes): it cannot be mixed up.
        let sent = write(&queue, &frame).expect("write to queue");
        assert_eq!(sent, frame.len());
    }
}

fn consumer(c: usize, mut queue: File, mut lock_rx: File, mut lock_tx: File) {
    let mut token = [0u8; 1];
    loop {
        lock_rx.read_exact(&mut token).expect("take the lock");
        let mut header = [0u8; 4];
        let got = queue.read(&mut header).expect("read header");
        if got == 0 {
            // End-of-file: every producer is done, nothing left for us.
            return;
        }
        queue.read_exact(&mut header[got..]).expect("read header");
        let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
        queue.read_exact(&mut body).expect("read body");
        lock_tx.write_all(&token).expect("give the lock back");

        let text = String::from_utf8_lossy(&body);
        let id = text.split(':').next().unwrap_or("");
        if !text.contains(':') || body_of(id, body.len()) != body {
            println!("consumer {c}: corrupt record");
        } else {
            println!("consumer {c}: {id}");
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        return usage();
    }
    let parse = |s: &str, max: usize| s.parse::<usize>().ok().filter(|n| (1..=max).contains(n));
    let (Some(producers), Some(consumers), Some(records)) =
        (parse(&args[0], 16), parse(&args[1], 16), parse(&args[2], 1000))
    else {
        return usage();
    };

    let (queue_rx, queue_tx) = pipe().expect("pipe");
    let (lock_rx, lock_tx) = pipe().expect("pipe");
    let (lock_rx, mut lock_tx) = (File::from(lock_rx), File::from(lock_tx));
    lock_tx.write_all(b"t").expect("put the token in"); // the lock starts free

    let mut kids = Vec::new();
    // SAFETY (all forks): the program is single-threaded.
    for c in 0..consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(queue_tx);
                consumer(c, File::from(queue_rx), lock_rx, lock_tx);
                exit(0);
            }
            ForkResult::Parent { child } => kids.push(child),
        }
    }
    for p in 0..producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((queue_rx, lock_rx, lock_tx));
                producer(p, records, File::from(queue_tx));
                exit(0);
            }
            ForkResult::Parent { child } => kids.push(child),
        }
    }
    // The parent keeps nothing open, or the consumers would never see end-of-file.
    drop((queue_rx, queue_tx, lock_rx, lock_tx));

    let mut ok = true;
    for pid in kids {
        ok &= matches!(waitpid(pid, None).expect("waitpid"), WaitStatus::Exited(_, 0));
    }
    println!("done");
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
