//! exercise: 09_poll
//! expect: fail
//! mistake: when poll() reports POLLHUP on a pipe the parent prints the hang-up and drops the pipe without reading it, so a child's last line, still in the pipe when the child exits, is lost
//! diagnosis: the last line of a source never came, though the line that closes it did
//! diagnosis: read until read() returns 0, and only then drop the pipe
//! absent: another order
//! diagnosis: hint 2/3: Each round

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

// One pipe the parent still watches.
struct Source {
    k: usize,
    rx: OwnedFd,
    partial: Vec<u8>,
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

    let mut sources: Vec<Source> = Vec::new();
    let mut pids: Vec<Pid> = Vec::new();
    for k in 0..3 {
        let (rx, tx) = pipe().expect("pipe");
        // SAFETY: one thread, so the child may do anything after fork.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(rx);
                sources.clear(); // earlier read ends are not this child's
                child(k, tx, lines, scale);
            }
            ForkResult::Parent { child: pid } => {
                drop(tx);
                pids.push(pid);
                sources.push(Source { k, rx, partial: Vec::new() });
            }
        }
    }

    while !sources.is_empty() {
        let mut fds: Vec<PollFd> = sources
            .iter()
            .map(|s| PollFd::new(s.rx.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        let revents: Vec<PollFlags> = fds
            .iter()
            .map(|fd| fd.revents().unwrap_or(PollFlags::empty()))
            .collect();
        drop(fds);

        let mut finished: Vec<usize> = Vec::new();
        for (i, r) in revents.iter().enumerate() {
            let s = &mut sources[i];
            // MISTAKE: POLLHUP comes with POLLIN while the pipe still holds lines; they must
            // be read first, and the hang-up is the read that returns 0.
            if r.contains(PollFlags::POLLHUP) {
                println!("[{}] hang-up", s.k);
                finished.push(i);
            } else if r.contains(PollFlags::POLLIN) {
                let mut buf = [0u8; 512];
                let n = read(&s.rx, &mut buf).expect("read");
                if n == 0 {
                    println!("[{}] hang-up", s.k);
                    finished.push(i);
                    continue;
                }
                s.partial.extend_from_slice(&buf[..n]);
                while let Some(pos) = s.partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = s.partial.drain(..=pos).collect();
                    println!("[{}] {}", s.k, String::from_utf8_lossy(&line[..pos]));
                }
            }
        }
        for &i in finished.iter().rev() {
            sources.remove(i);
        }
    }

    let mut all_zero = true;
    for pid in pids {
        all_zero &= matches!(waitpid(pid, None).expect("waitpid"), WaitStatus::Exited(_, 0));
    }
    println!("done");
    if all_zero { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
