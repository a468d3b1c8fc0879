//! One child checker: started in a process group of its own, its text report (stdout and
//! stderr) and its JSON report (descriptor 3) read as they come, told to stop when grading is
//! interrupted, and its whole process group killed once it has ended, so that nothing it
//! started outlives it.

use crate::sandbox::interrupt::interrupted;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::io::{PipeReader, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a child checker told to stop may take to stop its runs and builds before its
/// whole process group is killed.
const GRACE: Duration = Duration::from_secs(5);
/// The longest an ended child's pipes are read: what it wrote is already in them.
const DRAIN: Duration = Duration::from_secs(2);
/// How long to wait for output before looking at the child again.
const TICK_MS: u16 = 50;

/// One submission's check: what a child checker is given.
pub struct Request<'a> {
    pub program: &'a Path,
    pub target_dir: &'a Path,
    /// The submission's folder, as given: the child finds the exercise files in it.
    pub submission: &'a Path,
    pub keep_runs: &'a Path,
    pub seed: u64,
    pub repeat: u32,
    pub require_sandbox: bool,
    pub require_xray: bool,
}

/// What a child checker left.
pub struct Checked {
    pub status: ExitStatus,
    /// Its stdout and stderr, in the order written.
    pub text: Vec<u8>,
    /// The JSON report it sent.
    pub report: Vec<u8>,
    /// Grading was interrupted while it ran, and it was told to stop.
    pub stopped: bool,
}

/// The child checker's arguments. `--opt=PATH`: a path that starts with `-` is still a path.
pub fn arguments(request: &Request) -> Vec<OsString> {
    let joined = |opt: &str, path: &Path| {
        let mut arg = OsString::from(opt);
        arg.push(path);
        arg
    };
    let mut args: Vec<OsString> = vec![
        joined("--exercises=", request.submission),
        joined("--keep-runs=", request.keep_runs),
        joined("--target-dir=", request.target_dir),
    ];
    let words = [
        "--format",
        "json",
        "--report-fd",
        "3",
        // The submissions are checked side by side already: one lane each.
        "--jobs",
        "1",
        "--seed",
        &request.seed.to_string(),
        "--repeat",
        &request.repeat.to_string(),
    ];
    args.extend(words.iter().map(OsString::from));
    if request.require_sandbox {
        args.push("--require-sandbox".into());
    }
    if request.require_xray {
        args.push("--require-xray".into());
    }
    args
}

/// Checks one submission in a child checker and waits until it, and every process of its
/// group, is gone. The report comes back over a pipe only this process holds (the child's
/// descriptor 3, which no program of the run inherits).
pub fn check(request: &Request) -> std::io::Result<Checked> {
    let (text_rx, text_tx) = std::io::pipe()?;
    let (report_rx, report_tx) = std::io::pipe()?;
    let mut command = Command::new(request.program);
    command
        .args(arguments(request))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(text_tx.try_clone()?)
        .stderr(text_tx)
        // Its own group: what it starts (cargo, rustc) can be stopped with it, and a Ctrl-C
        // on the terminal reaches grade alone, which tells each child to stop.
        .process_group(0);
    let fd = report_tx.as_raw_fd();
    // SAFETY: dup2 only, between fork and exec; the pipe's own descriptor is close-on-exec.
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let mut child = command.spawn()?;
    // Only the child may hold the write ends, or the pipes would never reach their end.
    drop(command);
    drop(report_tx);
    let mut pipes = [Pipe::new(text_rx), Pipe::new(report_rx)];
    let pid = Pid::from_raw(child.id() as i32);
    let mut told_to_stop: Option<Instant> = None;
    loop {
        read_for_a_while(&mut pipes, PollTimeout::from(TICK_MS))?;
        if has_ended(&mut child)? {
            break;
        }
        if interrupted() {
            match told_to_stop {
                // Like a Ctrl-C of its own: it stops its runs and reports.
                None => {
                    let _ = kill(pid, Signal::SIGTERM);
                    told_to_stop = Some(Instant::now());
                }
                Some(since) if since.elapsed() > GRACE => {
                    let _ = killpg(pid, Signal::SIGKILL);
                }
                Some(_) => {}
            }
        }
    }
    // The child is ended but not yet reaped, so its group cannot be another's yet.
    if cfg!(target_os = "linux") {
        let _ = killpg(pid, Signal::SIGKILL);
    }
    // All it wrote is in the pipes now: read what is there, and never wait on a straggler
    // that holds a write end.
    let draining = Instant::now();
    while read_for_a_while(&mut pipes, PollTimeout::ZERO)? && draining.elapsed() < DRAIN {}
    let status = child.wait()?;
    let [text, report] = pipes.map(|p| p.bytes);
    Ok(Checked {
        status,
        text,
        report,
        stopped: told_to_stop.is_some(),
    })
}

/// Whether the child has ended; on Linux it is left unreaped, so that its process id (and
/// the id of its group) stays its own until `wait`.
#[cfg(target_os = "linux")]
fn has_ended(child: &mut Child) -> std::io::Result<bool> {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    let pid = Pid::from_raw(child.id() as i32);
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(pid), flags) {
        Ok(WaitStatus::StillAlive) | Err(nix::errno::Errno::EINTR) => Ok(false),
        Ok(_) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn has_ended(child: &mut Child) -> std::io::Result<bool> {
    Ok(child.try_wait()?.is_some())
}

/// A pipe from the child and what came through it so far.
struct Pipe {
    from: Option<PipeReader>,
    bytes: Vec<u8>,
}

impl Pipe {
    fn new(from: PipeReader) -> Pipe {
        Pipe {
            from: Some(from),
            bytes: Vec::new(),
        }
    }

    /// One read, which poll said would not block; closed at the end or on an error.
    fn read_some(&mut self) {
        let Some(from) = &mut self.from else { return };
        let mut buffer = [0u8; 64 * 1024];
        match from.read(&mut buffer) {
            Ok(0) => self.from = None,
            Ok(n) => self.bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => self.from = None,
        }
    }
}

/// Waits up to `timeout` for output and reads what is ready; whether anything was (with no
/// pipe left open, it only waits).
fn read_for_a_while(pipes: &mut [Pipe; 2], timeout: PollTimeout) -> std::io::Result<bool> {
    let open: Vec<usize> = (0..pipes.len())
        .filter(|&i| pipes[i].from.is_some())
        .collect();
    if open.is_empty() {
        if timeout != PollTimeout::ZERO {
            std::thread::sleep(Duration::from_millis(TICK_MS.into()));
        }
        return Ok(false);
    }
    let mut fds: Vec<PollFd> = open
        .iter()
        .filter_map(|&i| pipes[i].from.as_ref())
        .map(|from| PollFd::new(from.as_fd(), PollFlags::POLLIN))
        .collect();
    match poll(&mut fds, timeout) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(false),
        Ok(_) => {}
        Err(e) => return Err(e.into()),
    }
    let ready: Vec<bool> = fds
        .iter()
        .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
        .collect();
    drop(fds);
    for (k, &i) in open.iter().enumerate() {
        if ready[k] {
            pipes[i].read_some();
        }
    }
    Ok(ready.contains(&true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(submission: &'a Path, require_xray: bool) -> Request<'a> {
        Request {
            program: Path::new("checker"),
            target_dir: Path::new("/t"),
            submission,
            keep_runs: Path::new("/out/-ann.runs"),
            seed: 42,
            repeat: 3,
            require_sandbox: false,
            require_xray,
        }
    }

    #[test]
    fn the_child_gets_the_submission_as_it_is_and_the_class_seed() {
        let args = arguments(&request(Path::new("-ann"), false));
        let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
        for expected in [
            "--exercises=-ann",
            "--keep-runs=/out/-ann.runs",
            "--target-dir=/t",
        ] {
            assert!(args.contains(&expected), "{args:?}");
        }
        let after = |flag: &str| args.iter().position(|a| *a == flag).map(|i| args[i + 1]);
        assert_eq!(after("--seed"), Some("42"));
        assert_eq!(after("--repeat"), Some("3"));
        assert_eq!(after("--jobs"), Some("1"));
        assert!(!args.contains(&"--require-xray") && !args.contains(&"--require-sandbox"));
        let args = arguments(&request(Path::new("ann"), true));
        assert!(args.iter().any(|a| a == "--require-xray"));
    }
}
