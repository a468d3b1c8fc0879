//! exercise: 09_poll
//! expect: fail
//! mistake: it assumes each read() returns exactly one whole line and prints whatever one read returns as a line, with no buffer per pipe, so two lines read together, or a line split over two reads, come out wrong.
//! diagnosis: a line came out in pieces
//! diagnosis: Keep a buffer per pipe

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

// Child k: line j goes out j * (2k + 3) / 10 seconds (times the scale) after the start.
fn child(k: usize, tx: OwnedFd, lines: u32, scale: f64) -> ! {
    let start = Instant::now();
    let mut out = File::from(tx);
    for j in 1..=lines {
        let due = start + Duration::from_secs_f64(j as f64 * (2 * k + 3) as f64 / 10.0 * scale);
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
                eprintln!("09_poll: PIPES_LAB_TIME_SCALE must be a positive number");
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

    // Which pipes are still open.
    let mut open = [true; 3];
    while open.contains(&true) {
        let live: Vec<usize> = (0..3).filter(|&k| open[k]).collect();
        let mut fds: Vec<PollFd> = live
            .iter()
            .map(|&k| PollFd::new(readers[k].as_fd(), PollFlags::POLLIN))
            .collect();
        // Sleep until some pipe has data or has hung up.
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        let wake = PollFlags::POLLIN | PollFlags::POLLHUP;
        let ready: Vec<usize> = live
            .iter()
            .zip(&fds)
            .filter(|(_, fd)| fd.revents().is_some_and(|r| r.intersects(wake)))
            .map(|(&k, _)| k)
            .collect();
        for k in ready {
            let mut buf = [0u8; 1024];
            let n = read(&readers[k], &mut buf).expect("read");
            if n == 0 {
                // No writer left and nothing more to read.
                println!("[{k}] hang-up");
                open[k] = false;
            } else {
                // One write by the child, one read here: one line.
                let text = String::from_utf8_lossy(&buf[..n]);
                println!("[{k}] {}", text.trim_end_matches('\n'));
            }
        }
    }

    let mut ok = true;
    for pid in pids {
        ok &= matches!(waitpid(pid, None).expect("waitpid"), WaitStatus::Exited(_, 0));
    }
    println!("done");
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
