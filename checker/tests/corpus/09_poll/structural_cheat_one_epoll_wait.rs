//! exercise: 09_poll
//! expect: fail
//! mistake: the parent registers the three pipes with epoll and calls epoll_wait() once, then ignores its answer: blocking reads in an order worked out from the children's known schedule (the output and its timing are right)
//! diagnosis: seen by the X-ray
//! diagnosis: although its last poll() (or select) had not reported it ready

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::process::{ExitCode, exit};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

/// PIPES_LAB_TIME_SCALE, a positive number (1 when unset); None when it is anything else.
fn time_scale() -> Option<f64> {
    match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => Some(1.0),
        Ok(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0),
    }
}

/// Child k: line j at j * (2k + 3) tenths of a second, times `scale`.
fn write_lines(k: u32, pipe_in: &mut File, lines: u32, scale: f64) {
    let start = Instant::now();
    for j in 1..=lines {
        let due = Duration::from_secs_f64(f64::from(j * (2 * k + 3)) / 10.0 * scale);
        sleep(due.saturating_sub(start.elapsed()));
        pipe_in
            .write_all(format!("child {k} line {j}\n").as_bytes())
            .expect("write to pipe");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => 3,
        [text] => match text.parse::<u32>() {
            Ok(n @ 1..=4) => n,
            _ => return usage(),
        },
        _ => return usage(),
    };
    let Some(scale) = time_scale() else {
        return usage();
    };

    let mut readers = Vec::new();
    let mut children = Vec::new();
    for k in 0..3 {
        let (read_end, write_end) = pipe().expect("pipe");
        // SAFETY: this process has a single thread, so the child may do anything after fork.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((read_end, readers));
                write_lines(k, &mut File::from(write_end), lines, scale);
                exit(0);
            }
            ForkResult::Parent { child } => {
                drop(write_end);
                children.push(child);
                readers.push(BufReader::new(File::from(read_end)));
            }
        }
    }

    // MISTAKE: one epoll_wait() on the three pipes, whose answer is then ignored: blocking
    // reads follow in an order computed from the known schedule. It works only because the
    // parent knows when each child writes; the X-ray sees reads of pipes that epoll never
    // said were ready.
    // SAFETY: plain system calls on descriptors this process owns and on local structures.
    unsafe {
        let epoll = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        for (k, r) in readers.iter().enumerate() {
            let mut event = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: k as u64,
            };
            let fd = r.get_ref().as_raw_fd();
            libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event);
        }
        let mut answer = [libc::epoll_event { events: 0, u64: 0 }; 3];
        libc::epoll_wait(epoll, answer.as_mut_ptr(), 3, -1);
    }
    // (due time in tenths, line number, child); line `lines + 1` stands for the hang-up,
    // due with the last line and sorted just after it.
    let mut events: Vec<(u32, u32, u32)> = (0..3)
        .flat_map(|k| (1..=lines + 1).map(move |j| (j.min(lines) * (2 * k + 3), j, k)))
        .collect();
    events.sort();
    for (_, j, k) in events {
        let mut line = String::new();
        let n = readers[k as usize]
            .read_line(&mut line)
            .expect("read from pipe");
        if j > lines && n == 0 {
            println!("[{k}] hang-up");
        } else {
            println!("[{k}] {}", line.trim_end_matches('\n'));
        }
    }

    let mut ok = true;
    for child in children {
        ok &= matches!(waitpid(child, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: 09_poll [LINES]   (LINES: 1 to 4, default 3)");
    ExitCode::from(2)
}
