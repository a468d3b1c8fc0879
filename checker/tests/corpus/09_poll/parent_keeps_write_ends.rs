//! exercise: 09_poll
//! expect: fail
//! mistake: the parent never closes the write ends, so no pipe ever hangs up and the poll loop waits for ever after the last line
//! diagnosis: so it hangs
//! diagnosis: a deadlock, caught before the 10 s time limit
//! diagnosis: is blocked in poll/select
//! diagnosis: poll never reports hang-up while a write end of that pipe is still open

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::process::exit;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe, read};

fn main() {
    let lines: usize = match std::env::args().nth(1) {
        None => 3,
        Some(text) => match text.parse() {
            Ok(n @ 1..=4) => n,
            _ => {
                eprintln!("usage: 09_poll [LINES]");
                exit(2);
            }
        },
    };
    let scale: f64 = match std::env::var("PIPES_LAB_TIME_SCALE") {
        Ok(text) => match text.parse() {
            Ok(s) if s > 0.0 => s,
            _ => {
                eprintln!("bad PIPES_LAB_TIME_SCALE");
                exit(2);
            }
        },
        Err(_) => 1.0,
    };

    let mut read_ends: Vec<OwnedFd> = Vec::new();
    // MISTAKE: the parent keeps every write end "to close them at the end". While it holds
    // them, a pipe whose child has exited still has a writer: poll never reports POLLHUP and
    // read() never returns 0.
    let mut write_ends: Vec<OwnedFd> = Vec::new();
    let mut pids = Vec::new();
    for k in 0..3 {
        let (r, w) = pipe().expect("pipe");
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                let start = Instant::now();
                let mut out = std::fs::File::from(w);
                for j in 1..=lines {
                    let secs = (j * (2 * k + 3)) as f64 / 10.0 * scale;
                    let left = (start + Duration::from_secs_f64(secs))
                        .saturating_duration_since(Instant::now());
                    sleep(left);
                    out.write_all(format!("child {k} line {j}\n").as_bytes())
                        .expect("write");
                }
                exit(0);
            }
            ForkResult::Parent { child } => {
                read_ends.push(r);
                write_ends.push(w);
                pids.push(child);
            }
        }
    }

    let mut open = [true; 3];
    let mut partial: [Vec<u8>; 3] = Default::default();
    while open.iter().any(|&o| o) {
        let ks: Vec<usize> = (0..3).filter(|&k| open[k]).collect();
        let mut fds: Vec<PollFd> = ks
            .iter()
            .map(|&k| PollFd::new(read_ends[k].as_fd(), PollFlags::POLLIN))
            .collect();
        poll(&mut fds, PollTimeout::NONE).expect("poll");
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        for (i, &k) in ks.iter().enumerate() {
            if !ready[i] {
                continue;
            }
            let mut buf = [0u8; 1024];
            let n = read(&read_ends[k], &mut buf).expect("read");
            if n == 0 {
                println!("[{k}] hang-up");
                open[k] = false;
                continue;
            }
            partial[k].extend_from_slice(&buf[..n]);
            while let Some(pos) = partial[k].iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = partial[k].drain(..=pos).collect();
                println!("[{k}] {}", String::from_utf8_lossy(&line[..pos]));
            }
        }
    }
    drop(write_ends);

    for pid in pids {
        waitpid(pid, None).expect("waitpid");
    }
    println!("done");
}
