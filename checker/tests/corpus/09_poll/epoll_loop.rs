//! exercise: 09_poll
//! expect: pass
//! mistake: none

// A correct solution in another style: epoll instead of poll (through the libc that nix
// re-exports). Each pipe is registered once with its child's number as the event's data, not
// its descriptor; epoll_wait sleeps until some pipe is ready, and a pipe that has hung up is
// removed from the instance before it is closed.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::exit;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, read};

const USAGE: &str = "usage: 09_poll [LINES]   (LINES: 1 to 4, default 3)";

fn parse_args() -> Result<(u32, f64), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = match args.as_slice() {
        [] => 3,
        [text] => match text.parse::<u32>() {
            Ok(n @ 1..=4) => n,
            _ => return Err(USAGE.into()),
        },
        _ => return Err(USAGE.into()),
    };
    let scale = match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => s,
            _ => {
                return Err(format!(
                    "PIPES_LAB_TIME_SCALE={text:?} is not a positive number"
                ));
            }
        },
    };
    Ok((lines, scale))
}

/// Child k: line j at j * (2k + 3) tenths of a second after it started, times `scale`.
fn child(k: usize, write_end: OwnedFd, lines: u32, scale: f64) -> i32 {
    let start = Instant::now();
    let mut out = std::fs::File::from(write_end);
    for j in 1..=lines {
        let due = Duration::from_secs_f64(f64::from(j) * (2 * k + 3) as f64 / 10.0 * scale);
        std::thread::sleep(due.saturating_sub(start.elapsed()));
        if out
            .write_all(format!("child {k} line {j}\n").as_bytes())
            .is_err()
        {
            return 1;
        }
    }
    0
}

/// An epoll instance, closed when dropped.
struct Epoll(OwnedFd);

impl Epoll {
    fn new() -> Result<Epoll, Errno> {
        // SAFETY: epoll_create1 makes a new descriptor or fails.
        let fd = Errno::result(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: a descriptor just made, owned by nobody else.
        Ok(Epoll(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }))
    }

    fn control(&self, op: i32, fd: &OwnedFd, data: u64) -> Result<(), Errno> {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: data,
        };
        // SAFETY: both descriptors are open; the kernel only reads `event`.
        let done = unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd.as_raw_fd(), &mut event) };
        Errno::result(done).map(drop)
    }

    /// Sleeps until at least one registered pipe is ready; the data of the ready ones.
    fn wait(&self) -> Result<Vec<u64>, Errno> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
        loop {
            // SAFETY: the kernel writes at most `events.len()` events into the array.
            let n = unsafe {
                libc::epoll_wait(
                    self.0.as_raw_fd(),
                    events.as_mut_ptr(),
                    events.len() as i32,
                    -1,
                )
            };
            match Errno::result(n) {
                Ok(n) => return Ok(events[..n as usize].iter().map(|e| e.u64).collect()),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// A child's pipe as the parent reads it, with the start of a line not finished yet.
struct Incoming {
    read_end: Option<OwnedFd>,
    partial: Vec<u8>,
}

/// Reads what child k's pipe holds and prints its complete lines; at end-of-file, takes the
/// pipe out of the instance and closes it.
fn take(epoll: &Epoll, k: usize, incoming: &mut Incoming) -> Result<(), Errno> {
    let Some(fd) = &incoming.read_end else {
        return Ok(());
    };
    let mut buf = [0u8; 1024];
    let n = match read(fd, &mut buf) {
        Err(Errno::EINTR) => return Ok(()),
        other => other?,
    };
    if n == 0 {
        if !incoming.partial.is_empty() {
            println!("[{k}] {}", String::from_utf8_lossy(&incoming.partial));
        }
        println!("[{k}] hang-up");
        epoll.control(libc::EPOLL_CTL_DEL, fd, 0)?;
        incoming.read_end = None;
        return Ok(());
    }
    incoming.partial.extend_from_slice(&buf[..n]);
    while let Some(end) = incoming.partial.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = incoming.partial.drain(..=end).collect();
        println!("[{k}] {}", String::from_utf8_lossy(&line[..end]));
    }
    Ok(())
}

fn relay(incoming: &mut [Incoming]) -> Result<(), Errno> {
    let epoll = Epoll::new()?;
    for (k, i) in incoming.iter().enumerate() {
        if let Some(fd) = &i.read_end {
            epoll.control(libc::EPOLL_CTL_ADD, fd, k as u64)?;
        }
    }
    while incoming.iter().any(|i| i.read_end.is_some()) {
        for k in epoll.wait()? {
            if let Some(i) = incoming.get_mut(k as usize) {
                take(&epoll, k as usize, i)?;
            }
        }
    }
    Ok(())
}

fn main() {
    let (lines, scale) = parse_args().unwrap_or_else(|message| {
        eprintln!("{message}");
        exit(2);
    });
    let mut incoming: Vec<Incoming> = Vec::new();
    let mut pids: Vec<Pid> = Vec::new();
    for k in 0..3 {
        let (read_end, write_end) = pipe().expect("pipe");
        // SAFETY: the process has one thread, so the child may do anything after fork.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(read_end);
                drop(incoming);
                exit(child(k, write_end, lines, scale));
            }
            ForkResult::Parent { child } => {
                drop(write_end);
                pids.push(child);
                incoming.push(Incoming {
                    read_end: Some(read_end),
                    partial: Vec::new(),
                });
            }
        }
    }
    if let Err(e) = relay(&mut incoming) {
        eprintln!("09_poll: {e}");
        exit(1);
    }
    let mut ok = true;
    for pid in pids {
        ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    exit(if ok { 0 } else { 1 });
}
