//! exercise: 09_poll
//! expect: pass
//! mistake: none

// A correct solution in another style: each child sleeps in steps of at most 5 ms and looks
// at the clock after each, until its line's deadline. Where the X-ray shortens the pauses,
// the steps are shorter and there are more of them; the lines still come on time.

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
use nix::unistd::{ForkResult, fork, pipe, read};

fn usage() -> ExitCode {
    eprintln!("usage: 09_poll [LINES]   (1 to 4, default 3)");
    ExitCode::from(2)
}

/// Child k: line j goes out j * (2k + 3) / 10 seconds (times the scale) after its start.
fn child(k: usize, tx: OwnedFd, lines: u32, scale: f64) -> ! {
    let start = Instant::now();
    let mut out = File::from(tx);
    for j in 1..=lines {
        let secs = f64::from(j) * (2 * k + 3) as f64 / 10.0 * scale;
        let deadline = start + Duration::from_secs_f64(secs);
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            sleep(left.min(Duration::from_millis(5)));
        }
        let line = format!("child {k} line {j}\n");
        if out.write_all(line.as_bytes()).is_err() {
            exit(1);
        }
    }
    exit(0);
}

/// Prints every complete line in `buf` as `[k] line`, keeping an unfinished one.
fn print_lines(k: usize, buf: &mut Vec<u8>) {
    while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = buf.drain(..=pos).collect();
        println!("[{k}] {}", String::from_utf8_lossy(&line[..pos]));
    }
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
        Ok(s) => match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => x,
            _ => {
                eprintln!("09_poll: PIPES_LAB_TIME_SCALE must be a finite number above 0");
                return ExitCode::from(2);
            }
        },
    };

    // One pipe per child, made just before its fork.
    let mut readers: Vec<OwnedFd> = Vec::new();
    let mut pids = Vec::new();
    for k in 0..3 {
        let (rx, tx) = pipe().expect("pipe");
        // SAFETY: this program has one thread, so the child may do anything.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(rx);
                readers.clear(); // the read ends of the earlier pipes are not ours
                child(k, tx, lines, scale);
            }
            ForkResult::Parent { child: pid } => {
                drop(tx); // only child k may hold this write end
                pids.push(pid);
                readers.push(rx);
            }
        }
    }

    // The pipes still open, by child number, and the unfinished line of each.
    let mut open: Vec<usize> = vec![0, 1, 2];
    let mut pending: [Vec<u8>; 3] = Default::default();
    while !open.is_empty() {
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|&k| PollFd::new(readers[k].as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        let wake = PollFlags::POLLIN | PollFlags::POLLHUP;
        let ready: Vec<usize> = open
            .iter()
            .zip(&fds)
            .filter(|(_, fd)| fd.revents().is_some_and(|r| r.intersects(wake)))
            .map(|(&k, _)| k)
            .collect();
        for k in ready {
            let mut buf = [0u8; 1024];
            let n = read(&readers[k], &mut buf).expect("read");
            if n == 0 {
                println!("[{k}] hang-up");
                open.retain(|&o| o != k); // out of the next poll
            } else {
                pending[k].extend_from_slice(&buf[..n]);
                print_lines(k, &mut pending[k]);
            }
        }
    }

    let mut ok = true;
    for pid in pids {
        ok &= matches!(
            waitpid(pid, None).expect("waitpid"),
            WaitStatus::Exited(_, 0)
        );
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
