//! exercise: 09_poll
//! expect: fail
//! mistake: the time scale may be 0, which the contract refuses (a finite number above 0): the program runs instead of exiting with status 2
//! diagnosis: PIPES_LAB_TIME_SCALE=0, not a finite number above 0

// A correct poll loop in every other way.

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

/// How many children, each with its own pipe.
const CHILDREN: usize = 3;

const USAGE: &str = "usage: 09_poll [LINES]   (LINES: 1 to 4, default 3)";

/// Reads `PIPES_LAB_TIME_SCALE`, the factor applied to every delay (default 1).
fn time_scale() -> Result<f64, String> {
    let Some(text) = env::var_os("PIPES_LAB_TIME_SCALE") else {
        return Ok(1.0);
    };
    match text
        .to_str()
        .and_then(|text| text.trim().parse::<f64>().ok())
    {
        // The mistake: 0 is let through, and with it every deadline falls at once.
        Some(scale) if scale.is_finite() && scale >= 0.0 => Ok(scale),
        _ => Err(format!(
            "PIPES_LAB_TIME_SCALE must be a positive number, not {text:?}"
        )),
    }
}

/// Child `k`: writes its lines, line j at j × (2k + 3) / 10 seconds (times `scale`) after it
/// started. It sleeps until each deadline rather than for a fixed time before each line, so
/// the time spent writing does not pile up from line to line.
fn write_lines(k: usize, write_end: OwnedFd, lines: u32, scale: f64) -> i32 {
    let start = Instant::now();
    let tenths = (2 * k + 3) as f64;
    let mut pipe_in = File::from(write_end);
    for j in 1..=lines {
        let deadline = start + Duration::from_secs_f64(f64::from(j) * tenths / 10.0 * scale);
        sleep(deadline.saturating_duration_since(Instant::now()));
        // One write per line, so the parent can act on it the moment it arrives.
        if let Err(err) = pipe_in.write_all(format!("child {k} line {j}\n").as_bytes()) {
            eprintln!("child {k}: write to pipe: {err}");
            return 1;
        }
    }
    // Returning drops `pipe_in`: the last write end of this pipe closes and the parent's
    // poll reports the hang-up.
    0
}

/// The parent's side of one pipe.
struct Source {
    /// Which child writes into it.
    k: usize,
    read_end: OwnedFd,
    /// Bytes received but not yet printed: the start of a line whose newline has not come.
    pending: Vec<u8>,
}

impl Source {
    /// Reads what the pipe holds now (it is ready, so this does not block) and prints every
    /// complete line. Returns false when read() returns 0: every write end is closed.
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
            // The children end every line with a newline; print anything left all the same.
            if !self.pending.is_empty() {
                let rest = std::mem::take(&mut self.pending);
                println!("[{}] {}", self.k, String::from_utf8_lossy(&rest));
            }
            return false;
        }
        // One read may bring part of a line, or several lines: print only the complete ones.
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

/// The parent: waits on every open pipe at once and prints each line as it arrives, then
/// `[k] hang-up` when pipe k has no writer and no data left.
fn relay(mut open: Vec<Source>) {
    while !open.is_empty() {
        // A fresh PollFd list each round, holding only the pipes still open. (A closed pipe
        // must leave the list: poll reports POLLHUP whatever events we ask for, so it would
        // wake us up for ever.)
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|source| PollFd::new(source.read_end.as_fd(), PollFlags::POLLIN))
            .collect();
        // Sleep until at least one pipe is ready: no timeout, no busy loop.
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(err) => panic!("poll: {err}"),
        }
        // POLLIN: there is data. POLLHUP: every write end is closed; read() then returns
        // what is left, and 0 once the pipe is empty.
        let ready: Vec<bool> = fds
            .iter()
            .map(|fd| {
                fd.revents()
                    .is_some_and(|events| events.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
            })
            .collect();
        // `fds` borrows the read ends; it is not used past this point, so `open` is free again.
        let mut ready = ready.into_iter();
        open.retain_mut(|source| {
            if !ready.next().unwrap_or(false) || source.read_ready() {
                return true;
            }
            println!("[{}] hang-up", source.k);
            // Not retained: the read end is dropped (closed) with the Source.
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
    for k in 0..CHILDREN {
        // Each pipe is made just before its child is forked, and the parent closes the write
        // end right after: so no other process ever holds it, and the pipe hangs up as soon
        // as child k exits.
        let (read_end, write_end) = pipe().expect("pipe");
        // SAFETY: this process has a single thread, so the child may do anything.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                // The child only writes: it closes its read end and those of the earlier
                // pipes, which it inherited from the parent.
                drop(read_end);
                drop(sources);
                exit(write_lines(k, write_end, lines, scale));
            }
            ForkResult::Parent { child } => {
                drop(write_end);
                children.push(child);
                sources.push(Source {
                    k,
                    read_end,
                    pending: Vec::new(),
                });
            }
        }
    }

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
