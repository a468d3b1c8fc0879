//! exercise: 05_queue
//! expect: fail
//! mistake: each producer writes the 4-byte header and the body with two separate write() calls, so another producer's frame can land between them and consumers see corrupt records
//! diagnosis: a record that was not whole
//! diagnosis: Build the whole frame in one buffer
//! diagnosis: hint 2/3: Producers: build the whole frame

use std::fs::File;
use std::io::{self, Read, Write};
use std::process::exit;

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, pipe, write};

fn usage() -> ! {
    eprintln!("usage: 05_queue PRODUCERS CONSUMERS RECORDS");
    exit(2);
}

fn arg(text: &str, max: usize) -> usize {
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => usage(),
    }
}

fn pattern(id: &str, n: usize) -> Vec<u8> {
    format!("{id}:").bytes().cycle().take(n).collect()
}

/// One frame's body; None at end-of-file before the header.
fn read_frame(queue: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        usage();
    }
    let producers = arg(&args[0], 16);
    let consumers = arg(&args[1], 16);
    let records = arg(&args[2], 1000);

    let (q_read, q_write) = pipe().expect("pipe");
    let (lock_read, lock_write) = pipe().expect("pipe");
    write(&lock_write, b"T").expect("token");

    let mut pids: Vec<Pid> = Vec::new();
    for c in 0..consumers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(q_write);
                let mut queue = File::from(q_read);
                let mut lock_in = File::from(lock_read);
                let mut lock_out = File::from(lock_write);
                loop {
                    let mut token = [0u8; 1];
                    lock_in.read_exact(&mut token).expect("take lock");
                    let frame = read_frame(&mut queue);
                    lock_out.write_all(b"T").expect("release lock");
                    let body = match frame {
                        Ok(Some(body)) => body,
                        Ok(None) => exit(0),
                        Err(e) => {
                            eprintln!("consumer {c}: {e}");
                            exit(1);
                        }
                    };

                    let text = String::from_utf8_lossy(&body);
                    match text.split_once(':') {
                        Some((id, _)) if pattern(id, body.len()) == body => {
                            println!("consumer {c}: {id}")
                        }
                        _ => println!("consumer {c}: corrupt record"),
                    }
                }
            }
            ForkResult::Parent { child } => pids.push(child),
        }
    }
    for p in 0..producers {
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((q_read, lock_read, lock_write));
                for i in 0..records {
                    let id = format!("p{p}-{i}");
                    let n = 4092 - (37 * i + 11 * p) % 600;
                    let body = pattern(&id, n);
                    // MISTAKE: two writes per record. Each one is atomic, but the pair is not:
                    // while this producer waits for room in the full pipe between the two
                    // calls, other producers' headers and bodies go in after its header.
                    write(&q_write, &(n as u32).to_be_bytes()).expect("write header");
                    let written = write(&q_write, &body).expect("write body");
                    assert_eq!(written, body.len());
                }
                exit(0);
            }
            ForkResult::Parent { child } => pids.push(child),
        }
    }
    drop((q_read, q_write, lock_read, lock_write));
    for pid in pids {
        waitpid(pid, None).expect("waitpid");
    }
    println!("done");
}
