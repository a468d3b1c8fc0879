//! exercise: 09_poll
//! expect: fail
//! mistake: the parent labels each line with the pipe's index in its Vec of open pipes instead of the child's number, so once a pipe is removed at end-of-file the later children's lines carry shifted labels
//! diagnosis: the right lines in the right order, but labelled otherwise
//! absent: another order

use std::env;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, read};

fn usage() -> ExitCode {
    eprintln!("usage: 09_poll [LINES]   (LINES: 1 to 4, default 3)");
    ExitCode::from(2)
}

// Child k writes line j at j * (2k + 3) / 10 s (times the scale) after its start.
fn child(k: usize, tx: OwnedFd, lines: u32, scale: f64) -> ! {
    let start = Instant::now();
    let step = (2 * k + 3) as f64 / 10.0 * scale;
    let mut out = File::from(tx);
    for j in 1..=lines {
        let due = start + Duration::from_secs_f64(j as f64 * step);
        sleep(due.saturating_duration_since(Instant::now()));
        if out.write_all(format!("child {k} line {j}\n").as_bytes()).is_err() {
            exit(1);
        }
    }
    exit(0);
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let lines: u32 = match args.as_slice() {
        [] => 3,
        [n] => match n.parse() {
            Ok(n @ 1..=4) => n,
            _ => return usage(),
        },
        _ => return usage(),
    };
    let scale = match env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(s) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => x,
            _ => {
                eprintln!("09_poll: PIPES_LAB_TIME_SCALE must be a finite number above 0");
                return ExitCode::from(2);
            }
        },
    };

    // The pipes still open, each with its unfinished line.
    let mut open: Vec<(OwnedFd, Vec<u8>)> = Vec::new();
    let mut pids: Vec<Pid> = Vec::new();
    for k in 0..3 {
        let (rx, tx) = pipe().expect("pipe");
        // SAFETY: one thread, so the child may do anything after fork.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(rx);
                open.clear(); // earlier read ends are not this child's
                child(k, tx, lines, scale);
            }
            ForkResult::Parent { child: pid } => {
                drop(tx);
                pids.push(pid);
                open.push((rx, Vec::new()));
            }
        }
    }

    while !open.is_empty() {
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|(rx, _)| PollFd::new(rx.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        let wake = PollFlags::POLLIN | PollFlags::POLLHUP;
        let ready: Vec<bool> = fds
            .iter()
            .map(|fd| fd.revents().is_some_and(|r| r.intersects(wake)))
            .collect();
        drop(fds);

        let mut at_eof: Vec<usize> = Vec::new();
        for k in 0..open.len() {
            if !ready[k] {
                continue;
            }
            // MISTAKE: k is the index in `open`, which shrinks at each end-of-file; it is the
            // child's number only until the first removal. Keep the number with the pipe.
            let (rx, partial) = &mut open[k];
            let mut buf = [0u8; 512];
            let n = read(&*rx, &mut buf).expect("read");
            if n == 0 {
                println!("[{k}] hang-up");
                at_eof.push(k);
                continue;
            }
            partial.extend_from_slice(&buf[..n]);
            while let Some(pos) = partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = partial.drain(..=pos).collect();
                println!("[{k}] {}", String::from_utf8_lossy(&line[..pos]));
            }
        }
        for &k in at_eof.iter().rev() {
            open.remove(k);
        }
    }

    let mut all_zero = true;
    for pid in pids {
        all_zero &= matches!(waitpid(pid, None).expect("waitpid"), WaitStatus::Exited(_, 0));
    }
    println!("done");
    if all_zero { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
