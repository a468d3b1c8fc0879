//! exercise: 05_queue
//! expect: fail
//! mistake: however many consumers are asked for, the program forks only one, which reads every record (so it needs no lock); the records all arrive, but the queue is never shared
//! diagnosis: seen by the X-ray
//! diagnosis: producer child(ren) writing and 1 consumer child(ren) reading

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

const USAGE: &str = "usage: 05_queue PRODUCERS CONSUMERS RECORDS";

fn parse(args: &[String]) -> Option<(usize, usize, usize)> {
    let [p, c, r] = args else { return None };
    let count = |text: &str, max: usize| text.parse().ok().filter(|n| (1..=max).contains(n));
    Some((count(p, 16)?, count(c, 16)?, count(r, 1000)?))
}

/// A record's body: its id and a colon, repeated up to 3493..=4092 bytes.
fn body(id: &str, producer: usize, index: usize) -> Vec<u8> {
    let len = 4092 - (37 * index + 11 * producer) % 600;
    format!("{id}:").bytes().cycle().take(len).collect()
}

fn produce(producer: usize, records: usize, queue: OwnedFd) {
    for index in 0..records {
        let id = format!("p{producer}-{index}");
        let body = body(&id, producer, index);
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        // One write per frame (at most PIPE_BUF bytes): never mixed with another producer's.
        write(&queue, &frame).expect("write to the queue");
    }
}

fn consume(mut queue: File) {
    let mut header = [0u8; 4];
    while queue.read_exact(&mut header).is_ok() {
        let mut body = vec![0; u32::from_be_bytes(header) as usize];
        queue.read_exact(&mut body).expect("read a body");
        let text = String::from_utf8_lossy(&body);
        let id = text.split(':').next().unwrap_or_default();
        println!("consumer 0: {id}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // MISTAKE: CONSUMERS is parsed and then ignored: one consumer does all the reading. With
    // a single reader no record can be torn apart on the way out, so the lock the exercise is
    // about is never needed. Every record still arrives, and `consumer 0` is a valid name for
    // any number of consumers, so only the wiring shows the cheat.
    let Some((producers, _consumers, records)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let (queue_read, queue_write) = pipe().expect("pipe");
    let mut children: Vec<Pid> = Vec::new();

    // SAFETY (every fork): this process has a single thread, so a child may do anything.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(queue_write);
            consume(File::from(queue_read));
            exit(0);
        }
        ForkResult::Parent { child } => children.push(child),
    }
    for producer in 0..producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(queue_read);
                produce(producer, records, queue_write);
                exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    drop((queue_read, queue_write));

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
