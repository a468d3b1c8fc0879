//! exercise: 03_producer_consumer
//! expect: fail
//! mistake: the messages travel through memory that the two children share (mmap MAP_SHARED), and the pipe carries only a one-byte doorbell per message: the output and its timing are right, but no message went through the pipe
//! diagnosis: seen by the X-ray
//! diagnosis: never came through a channel it read

use std::fs::File;
use std::io::{Read, Write};
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::Duration;

use nix::libc;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};
use rand::RngExt;

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];
/// The shared region: every message, each behind its 4-byte length.
const SHARED: usize = 4 << 20;

fn time_scale() -> Option<f64> {
    match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => Some(1.0),
        Ok(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0),
    }
}

fn main() -> ExitCode {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.map(String::from).to_vec();
    }
    messages.push("END".into());
    let Some(scale) = time_scale() else {
        eprintln!("usage: 03_producer_consumer [MESSAGE]... (PIPES_LAB_TIME_SCALE: a number)");
        return ExitCode::from(2);
    };
    // SAFETY: a fresh anonymous mapping, shared with the children that fork copies it into.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            SHARED,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(base, libc::MAP_FAILED, "mmap");
    // SAFETY: the mapping lives until the process exits; the doorbell orders the accesses.
    let shared = unsafe { std::slice::from_raw_parts_mut(base.cast::<u8>(), SHARED) };
    let (read_end, write_end) = pipe().expect("pipe");

    // SAFETY: single-threaded program.
    let producer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut bell = File::from(write_end);
            let (mut rng, mut at) = (rand::rng(), 0);
            for message in &messages {
                sleep(Duration::from_secs_f64(rng.random_range(1.0..2.0) * scale));
                // CHEAT: the message goes into shared memory, the pipe gets one byte.
                let bytes = message.as_bytes();
                shared[at..at + 4].copy_from_slice(&(bytes.len() as u32).to_ne_bytes());
                shared[at + 4..at + 4 + bytes.len()].copy_from_slice(bytes);
                at += 4 + bytes.len();
                bell.write_all(b"!").expect("ring");
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(write_end);
    // SAFETY: single-threaded program.
    let consumer = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let (mut bell, mut at, mut ring) = (File::from(read_end), 0, [0u8; 1]);
            while bell.read_exact(&mut ring).is_ok() {
                let mut length = [0u8; 4];
                length.copy_from_slice(&shared[at..at + 4]);
                let end = at + 4 + u32::from_ne_bytes(length) as usize;
                let message = String::from_utf8_lossy(&shared[at + 4..end]).into_owned();
                at = end;
                println!("Message Received: {message}");
                if message == "END" {
                    break;
                }
            }
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(read_end);
    let ok = [producer, consumer]
        .into_iter()
        .all(|pid| matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0))));
    println!("done");
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
