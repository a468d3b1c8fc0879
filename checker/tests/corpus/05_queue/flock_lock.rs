//! exercise: 05_queue
//! expect: pass
//! mistake: none

// A correct solution with another lock and another pipe: the queue is the standard library's
// pipe (std::io::pipe), and the consumers' lock is flock on a file in the temporary directory.
// Each consumer opens the file itself after the fork: flock belongs to an open file
// description, and a description inherited from the parent would be shared by all consumers,
// who would then all "hold" the same lock at once.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, PipeReader, PipeWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::exit;

use nix::fcntl::{Flock, FlockArg};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

const MAX_FRAME: usize = 4096;

fn parse(args: &[String]) -> Option<[usize; 3]> {
    if args.len() != 3 {
        return None;
    }
    let limits = [16, 16, 1000];
    let mut values = [0; 3];
    for (k, text) in args.iter().enumerate() {
        let v: usize = text.parse().ok()?;
        if v == 0 || v > limits[k] {
            return None;
        }
        values[k] = v;
    }
    Some(values)
}

fn body_of(id: &str, len: usize) -> Vec<u8> {
    let unit = format!("{id}:");
    let mut body = Vec::with_capacity(len);
    while body.len() < len {
        let take = (len - body.len()).min(unit.len());
        body.extend_from_slice(&unit.as_bytes()[..take]);
    }
    body
}

fn producer(p: usize, records: usize, mut queue: PipeWriter) -> io::Result<()> {
    for i in 0..records {
        let id = format!("p{p}-{i}");
        let len = 4092 - (37 * i + 11 * p) % 600;
        let mut frame = Vec::with_capacity(MAX_FRAME);
        frame.extend_from_slice(&(len as u32).to_be_bytes());
        frame.extend_from_slice(&body_of(&id, len));
        // Write (not write_all): exactly one system call, all or nothing for <= 4096 bytes.
        let n = queue.write(&frame)?;
        if n != frame.len() {
            return Err(io::Error::other(format!(
                "short write: {n} of {}",
                frame.len()
            )));
        }
    }
    Ok(())
}

/// One frame, or None at end-of-file between frames.
fn next_frame(queue: &mut PipeReader) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    match queue.read_exact(&mut header) {
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
        Ok(()) => {
            let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
            queue.read_exact(&mut body)?;
            Ok(Some(body))
        }
    }
}

fn consumer(c: usize, mut queue: PipeReader, lock_path: &Path) -> io::Result<()> {
    // Our own open file description of the lock file (see the top of this file).
    let mut lock_file = OpenOptions::new().read(true).open(lock_path)?;
    loop {
        let guard = Flock::lock(lock_file, FlockArg::LockExclusive).map_err(|(_, e)| e)?;
        let frame = next_frame(&mut queue);
        lock_file = guard.unlock().map_err(|(_, e)| e)?;
        let Some(body) = frame? else {
            return Ok(());
        };
        let colon = body.iter().position(|&b| b == b':');
        let id = colon.and_then(|at| std::str::from_utf8(&body[..at]).ok());
        match id {
            Some(id) if body_of(id, body.len()) == body => println!("consumer {c}: {id}"),
            _ => println!("consumer {c}: corrupt record"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some([producers, consumers, records]) = parse(&args) else {
        eprintln!("usage: 05_queue PRODUCERS CONSUMERS RECORDS");
        exit(2);
    };

    let lock_path: PathBuf =
        std::env::temp_dir().join(format!("05_queue-{}.lock", std::process::id()));
    File::create(&lock_path).expect("create the lock file");

    let (reader, writer) = io::pipe().expect("pipe");
    let mut children: Vec<Pid> = Vec::new();

    for c in 0..consumers {
        // SAFETY: single-threaded program.
        if let ForkResult::Parent { child } = unsafe { fork() }.expect("fork") {
            children.push(child);
            continue;
        }
        drop(writer);
        let status = match consumer(c, reader, &lock_path) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("consumer {c}: {e}");
                1
            }
        };
        exit(status);
    }
    for p in 0..producers {
        // SAFETY: single-threaded program.
        if let ForkResult::Parent { child } = unsafe { fork() }.expect("fork") {
            children.push(child);
            continue;
        }
        drop(reader);
        let status = match producer(p, records, writer) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("producer {p}: {e}");
                1
            }
        };
        exit(status);
    }
    drop(reader);
    drop(writer);

    let mut failed = false;
    for pid in children {
        if !matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0))) {
            failed = true;
        }
    }
    let _ = std::fs::remove_file(&lock_path);
    println!("done");
    exit(if failed { 1 } else { 0 });
}
