//! exercise: 09_poll
//! expect: fail
//! mistake: the three children share one pipe instead of each having its own: the parent tells the lines apart by the `child k` in them and prints `[k] hang-up` after child k's last line, so the output is right, but there is one pipe where the contract asks for three
//! diagnosis: pipe(s) carried a child's lines to the program; three were expected, one per child

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
        sleep((start + Duration::from_secs_f64(secs)).saturating_duration_since(Instant::now()));
        let line = format!("child {k} line {j}\n");
        if out.write_all(line.as_bytes()).is_err() {
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
        Ok(s) => match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => x,
            _ => {
                eprintln!("09_poll: PIPES_LAB_TIME_SCALE must be a finite number above 0");
                return ExitCode::from(2);
            }
        },
    };

    // MISTAKE: one pipe for the three children; each child must have its own pipe, for the
    // parent to see which child wrote and when each one hangs up.
    let (rx, tx) = pipe().expect("pipe");
    let mut pids = Vec::new();
    for k in 0..3 {
        let tx = tx.try_clone().expect("dup");
        // SAFETY: this program has one thread, so the child may do anything.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(rx);
                child(k, tx, lines, scale);
            }
            ForkResult::Parent { child: pid } => pids.push(pid),
        }
    }
    drop(tx);

    // The lines so far, and how many came from each child.
    let mut pending: Vec<u8> = Vec::new();
    let mut count = [0u32; 3];
    loop {
        let mut fds = [PollFd::new(rx.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        let mut buf = [0u8; 1024];
        let n = read(&rx, &mut buf).expect("read");
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line[..pos]).into_owned();
            // `child k line j`: the k after "child ".
            let k = line.as_bytes()[6] - b'0';
            println!("[{k}] {line}");
            count[usize::from(k)] += 1;
            if count[usize::from(k)] == lines {
                println!("[{k}] hang-up");
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
