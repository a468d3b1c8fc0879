//! exercise: 09_poll
//! expect: fail
//! mistake: all three pipes are made before the first fork, so each child inherits the other children's write ends and keeps them: a pipe hangs up only when the last child exits
//! diagnosis: the X-ray saw that
//! diagnosis: the pipe of P3 (child of P1)
//! diagnosis: make each pipe just before forking its child

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

const CHILDREN: usize = 3;

const USAGE: &str = "usage: 09_poll [LINES]   (LINES: 1 to 4, default 3)";

fn time_scale() -> Result<f64, String> {
    let Some(text) = env::var_os("PIPES_LAB_TIME_SCALE") else {
        return Ok(1.0);
    };
    match text
        .to_str()
        .and_then(|text| text.trim().parse::<f64>().ok())
    {
        Some(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
        _ => Err(format!(
            "PIPES_LAB_TIME_SCALE must be a positive number, not {text:?}"
        )),
    }
}

fn write_lines(k: usize, write_end: OwnedFd, lines: u32, scale: f64) -> i32 {
    let start = Instant::now();
    let tenths = (2 * k + 3) as f64;
    let mut pipe_in = File::from(write_end);
    for j in 1..=lines {
        let deadline = start + Duration::from_secs_f64(f64::from(j) * tenths / 10.0 * scale);
        sleep(deadline.saturating_duration_since(Instant::now()));
        if let Err(err) = pipe_in.write_all(format!("child {k} line {j}\n").as_bytes()) {
            eprintln!("child {k}: write to pipe: {err}");
            return 1;
        }
    }
    0
}

struct Source {
    k: usize,
    read_end: OwnedFd,
    pending: Vec<u8>,
}

impl Source {
    fn read_ready(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        let n = loop {
            match read(&self.read_end, &mut buf) {
                Ok(n) => break n,
                Err(Errno::EINTR) => continue,
                Err(err) => panic!("read from pipe {}: {err}", self.k),
            }
        };
        if n == 0 {
            if !self.pending.is_empty() {
                let rest = std::mem::take(&mut self.pending);
                println!("[{}] {}", self.k, String::from_utf8_lossy(&rest));
            }
            return false;
        }
        self.pending.extend_from_slice(&buf[..n]);
        while let Some(newline) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=newline).collect();
            println!(
                "[{}] {}",
                self.k,
                String::from_utf8_lossy(&line[..line.len() - 1])
            );
        }
        true
    }
}

fn relay(mut open: Vec<Source>) {
    while !open.is_empty() {
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|source| PollFd::new(source.read_end.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(err) => panic!("poll: {err}"),
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|fd| {
                fd.revents()
                    .is_some_and(|events| events.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
            })
            .collect();
        let mut ready = ready.into_iter();
        open.retain_mut(|source| {
            if !ready.next().unwrap_or(false) || source.read_ready() {
                return true;
            }
            println!("[{}] hang-up", source.k);
            false
        });
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => 3,
        [text] => match text.parse::<u32>() {
            Ok(lines @ 1..=4) => lines,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scale = match time_scale() {
        Ok(scale) => scale,
        Err(err) => {
            eprintln!("09_poll: {err}");
            return ExitCode::from(2);
        }
    };

    let mut sources = Vec::with_capacity(CHILDREN);
    let mut children = Vec::with_capacity(CHILDREN);
    let mut pipes: Vec<_> = (0..CHILDREN).map(|_| pipe().expect("pipe")).collect();
    let mut kept = Vec::new();
    for k in 0..CHILDREN {
        let (read_end, write_end) = pipes.remove(0);
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(read_end);
                drop(sources);
                let _others = (&pipes, &kept);
                exit(write_lines(k, write_end, lines, scale));
            }
            ForkResult::Parent { child } => {
                kept.push(write_end);
                children.push(child);
                sources.push(Source {
                    k,
                    read_end,
                    pending: Vec::new(),
                });
            }
        }
    }

    drop(kept);
    drop(pipes);
    relay(sources);

    let mut ok = true;
    for (k, pid) in children.into_iter().enumerate() {
        match waitpid(pid, None).expect("waitpid") {
            WaitStatus::Exited(_, 0) => {}
            other => {
                eprintln!("child {k} failed: {other:?}");
                ok = false;
            }
        }
    }
    println!("done");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
