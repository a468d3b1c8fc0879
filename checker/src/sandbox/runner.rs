//! Runs one student program safely: its own session and process group (no terminal), stdin
//! from /dev/null, only fds 0-2, a wall timeout, an output cap, the arrival time of every
//! stdout line, and nothing left running afterwards. assert_cmd cannot do this: its timeout kills only the direct child and
//! its readers wait for end-of-file, which a grandchild holding stdout open never sends.

use super::hang::{self, Snapshot};
use super::interrupt::interrupted;
use super::jail::{Jail, Walls};
use super::proctree::{self, Descendant};
use super::spy::{Heard, supervisor::Supervisor};
use super::trace::{Exit, Mishap, Trace};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Output beyond this, per stream, stops the run: a flood is a bug, and it must not fill memory.
pub const OUTPUT_CAP: usize = 1 << 20;
/// The descendants still running once the program ended: a child that closed its output and
/// is on its way out (held at its last system call by a busy X-ray, say) is given until the
/// grace is over, so a load cannot turn a finished child into one left behind.
fn still_running(me: i32, exited_at: Option<Instant>) -> Vec<Descendant> {
    let deadline = exited_at.unwrap_or_else(Instant::now) + GRACE;
    let deadline = deadline.max(Instant::now() + Duration::from_millis(100));
    loop {
        let live = proctree::live_descendants(me);
        if live.is_empty() || Instant::now() >= deadline {
            return live;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How long children may keep running after the main process exited before they count as
/// left behind (a child the parent never waited for).
const GRACE: Duration = Duration::from_millis(300);
/// The most a run that the X-ray's stops slow may get on top of its limit: a reply sent a
/// byte per write() costs three stops per byte, 30 times its untraced time, and 02's 5 s are
/// then not enough beside another traced run. A writer and a reader that never stop also move
/// data at every stop, and wait this long for their verdict.
const X_RAY_ALLOWANCE: Duration = Duration::from_secs(10);
/// Live processes a run may have at once: the exercises need four, a fork loop needs stopping.
pub const PROCESS_CAP: usize = 64;
/// Live tasks, threads included, a traced run may have at once.
pub const TASK_CAP: usize = 4 * PROCESS_CAP;
/// How often the processes of a run are counted.
const COUNT_EVERY: Duration = Duration::from_millis(50);
/// What a run may leave in its working folder: bytes, and files and folders.
pub const DISK_CAP: u64 = 256 << 20;
const ENTRIES_CAP: usize = 10_000;
/// How often the working folder is measured.
const MEASURE_EVERY: Duration = Duration::from_millis(250);

/// How often the runner looks whether every process of a run waits for another.
const LOOK_EVERY: Duration = Duration::from_millis(30);
/// How long every process must have waited for another, with no byte moving, before the run
/// counts as deadlocked: several looks that agree. A wake-up is never late: a write, a close
/// or an exit makes its waiters runnable at once, so only the looks themselves can miss one
/// (they read one process after another), and the next look sees it, as a process running
/// or as bytes moved, however busy the machine.
const SETTLE: Duration = Duration::from_millis(90);

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Added to the program's environment, which is otherwise only PATH, the locale, and HOME
    /// and TMPDIR set to its working directory.
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub timeout: Duration,
    /// Follow the run with the X-ray (Linux only).
    pub trace: bool,
    /// With the X-ray: the seed of the short reads and writes it injects; none for none.
    pub faults: Option<u64>,
    /// With the X-ray: let writes of one byte through without a stop, for a program that may
    /// fill a pipe a byte at a time (65,536 stops per fill otherwise).
    pub untraced_byte_writes: bool,
    /// With the X-ray: the failure it makes happen in this run (`trace::Mishap`).
    pub mishap: Option<Mishap>,
    /// With the X-ray: wait for every read's result (`tracer::Limits::await_reads`).
    pub await_reads: bool,
    /// With the X-ray: read how long the processes waited for a CPU at each timed moment
    /// (`tracer::Limits::count_waits`), for a case whose line times are judged.
    pub count_waits: bool,
    /// Run behind the sandbox's wall, with what the run may touch; none for trusted programs
    /// (the reference solutions when transcripts are blessed).
    pub jail: Option<(Arc<Jail>, Walls)>,
    /// A folder to put first on the program's PATH: the stage spies, whose calls the checker
    /// then hears (`spy::supervisor`), into `RunOutcome::spies`.
    pub path_first: Option<PathBuf>,
}

/// The variables a program keeps from the checker's environment.
const KEPT_VARIABLES: [&str; 3] = ["LANG", "LC_ALL", "LC_CTYPE"];

/// How the run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    Exited(i32),
    Signaled(Signal),
    TimedOut,
    OutputLimit,
    /// More than `DISK_CAP` bytes, or too many files, in its working folder.
    DiskLimit,
    /// The run's memory cgroup was full when it was stopped or killed.
    MemoryLimit,
    /// More live processes than `PROCESS_CAP`.
    ProcessLimit,
    Interrupted,
}

/// Everything observed about one run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub end: End,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// When each complete stdout line arrived, counted from the start.
    pub line_times: Vec<Duration>,
    /// Processes still running after the main process had exited.
    pub left_behind: Vec<Descendant>,
    /// On a timeout: every process of the run as it was before it was killed.
    pub hang: Option<Snapshot>,
    pub elapsed: Duration,
    /// The X-ray of the run, when it was traced, or why it could not be.
    pub trace: Option<Result<Trace, String>>,
    /// What the stage spies told the checker, when the run had them, or why they could not
    /// be heard.
    pub spies: Option<Result<Heard, String>>,
}

impl RunOutcome {
    /// The outcome of a run that could not start, `why` standing as its stderr.
    pub fn empty(why: String) -> RunOutcome {
        RunOutcome {
            end: End::Exited(-1),
            stdout: Vec::new(),
            stderr: why.into_bytes(),
            line_times: Vec::new(),
            left_behind: Vec::new(),
            hang: None,
            elapsed: Duration::ZERO,
            trace: None,
            spies: None,
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Marks every descriptor above 2 close-on-exec, so the program starts with only 0, 1 and 2
/// even when whoever started the checker leaked others (terminals and IDEs do).
fn close_inherited_fds() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a plain system call on integers.
        let done = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        };
        if done == 0 {
            return Ok(());
        }
    }
    for fd in 3..4096 {
        // SAFETY: fcntl on a descriptor number; a closed one just fails with EBADF.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// Starts the program and watches it until it ends, hangs, floods or is interrupted; then
/// kills whatever is left of it.
pub fn run(spec: &RunSpec) -> std::io::Result<RunOutcome> {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A session of its own, with no controlling terminal: `/dev/tty` is not the instructor's
    // terminal, and the session's process group is the run's (killed as one).
    // SAFETY: setsid(2) only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    // A clean environment: nothing of the checker's (CARGO_*, the workbook's variables) but
    // what a program needs.
    command.env_clear();
    let path = match &spec.jail {
        Some((jail, _)) => jail.path(),
        None => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect(),
    };
    if let Ok(path) = std::env::join_paths(spec.path_first.iter().cloned().chain(path)) {
        command.env("PATH", path);
    }
    for name in KEPT_VARIABLES {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.env("HOME", &spec.cwd).env("TMPDIR", &spec.cwd);
    command.envs(spec.env.iter().map(|(k, v)| (k, v)));
    // SAFETY: close_inherited_fds only makes system calls, which is allowed between fork and exec.
    unsafe { command.pre_exec(close_inherited_fds) };
    // After the descriptors, before the tracer's own set-up (which must come last).
    // A traced run may get X_RAY_ALLOWANCE more than its limit (what the X-ray's stops
    // cost), and its CPU time with it.
    let runs_for = spec.timeout.as_secs()
        + if spec.trace {
            X_RAY_ALLOWANCE.as_secs()
        } else {
            0
        };
    let confined = match &spec.jail {
        Some((jail, walls)) => Some(jail.confine(&mut command, walls, runs_for + 2)?),
        None => None,
    };
    // After the jail's hooks (its rules set no_new_privs), before the tracer's.
    let spies = spec
        .path_first
        .is_some()
        .then(|| Supervisor::install(&mut command));

    let start = Instant::now();
    let mut started = start_program(command, spec, start)?;
    let pid = started.pid;
    let mut streams = [
        Stream::new(started.stdout.take()),
        Stream::new(started.stderr.take()),
    ];

    let mut line_times = Vec::new();
    let mut end: Option<End> = None;
    let mut exited_at: Option<Instant> = None;
    let mut last_count = Instant::now();
    let mut last_measure = Instant::now();
    let mut last_look = Instant::now();
    // Since when every process of the run has been waiting for another, and how many bytes
    // had moved then (theirs, and the checker's capture of stdout and stderr).
    let mut waiting_since: Option<(Instant, u64)> = None;
    let mut deadlock: Option<Duration> = None;
    let me = std::process::id() as i32;
    loop {
        if interrupted() {
            end = Some(End::Interrupted);
            break;
        }
        let open: Vec<usize> = (0..2).filter(|&i| streams[i].fd.is_some()).collect();
        // Both streams closed: only the exit remains to be seen, and it is waited for below.
        let mut wait_for_exit = Duration::ZERO;
        if open.is_empty() {
            if exited_at.is_none() {
                wait_for_exit = Duration::from_millis(2);
            }
        } else {
            let mut fds: Vec<PollFd> = open
                .iter()
                .filter_map(|&i| streams[i].fd.as_ref())
                .map(|fd| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
                .collect();
            let ready = match poll(&mut fds, PollTimeout::from(10u16)) {
                Ok(n) => n > 0,
                Err(nix::errno::Errno::EINTR) => false,
                Err(e) => return Err(e.into()),
            };
            let readable: Vec<bool> = fds
                .iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            if ready {
                for (k, &i) in open.iter().enumerate() {
                    if readable[k] {
                        let before = streams[i].data.len();
                        streams[i].read_some();
                        if i == 0 {
                            let now = start.elapsed();
                            let new_lines = streams[0].data[before..]
                                .iter()
                                .filter(|b| **b == b'\n')
                                .count();
                            line_times.extend(std::iter::repeat_n(now, new_lines));
                        }
                    }
                }
            }
        }
        if streams.iter().any(|s| s.data.len() > OUTPUT_CAP) {
            end = Some(End::OutputLimit);
            break;
        }
        // Traced, every fork is counted before the new process runs; untraced, every 50 ms.
        if started.over_limit() {
            end = Some(End::ProcessLimit);
            break;
        }
        if last_measure.elapsed() >= MEASURE_EVERY {
            last_measure = Instant::now();
            if over_disk_cap(&spec.cwd) {
                end = Some(End::DiskLimit);
                break;
            }
        }
        if last_count.elapsed() >= COUNT_EVERY {
            last_count = Instant::now();
            if proctree::count_live_descendants(me) > PROCESS_CAP {
                end = Some(End::ProcessLimit);
                break;
            }
        }
        if end.is_none() {
            end = started.ended(wait_for_exit);
            if end.is_some() {
                exited_at = Some(Instant::now());
            }
        }
        if end.is_none() && last_look.elapsed() >= LOOK_EVERY {
            last_look = Instant::now();
            let captured = (streams[0].data.len() + streams[1].data.len()) as u64;
            match hang::all_waiting().map(|moved| moved.wrapping_add(captured)) {
                Some(moved) => match waiting_since {
                    Some((since, before)) if before == moved => {
                        if since.elapsed() >= SETTLE {
                            deadlock = Some(since.elapsed());
                            end = Some(End::TimedOut);
                            break;
                        }
                    }
                    _ => waiting_since = Some((Instant::now(), moved)),
                },
                None => waiting_since = None,
            }
        }
        match exited_at {
            // Keep reading what the program's children still write, for a short while.
            Some(t) if streams.iter().all(|s| s.fd.is_none()) || t.elapsed() > GRACE => break,
            Some(_) => {}
            None if start.elapsed() > spec.timeout + started.x_ray_cost() => {
                end = Some(End::TimedOut);
                break;
            }
            None => {}
        }
    }
    let elapsed = start.elapsed();
    let end = end.unwrap_or(End::TimedOut);
    // Before anything is killed: the state of a hang is the evidence of its cause.
    let hang = (end == End::TimedOut).then(|| hang::Snapshot {
        deadlock,
        ..hang::snapshot(pid)
    });
    let left_behind = match end {
        End::Exited(_) | End::Signaled(_) => still_running(me, exited_at),
        _ => Vec::new(),
    };
    proctree::kill_all(pid);
    if let Some(confined) = &confined {
        confined.kill_all();
    }
    // A run stuck at its memory cap looks hung, or is killed by the kernel: say which it was.
    let memory_full = confined.as_ref().is_some_and(|c| c.memory_full());
    let end = match end {
        End::TimedOut | End::Signaled(Signal::SIGKILL) if memory_full => End::MemoryLimit,
        end => end,
    };
    let trace = started.finish();
    drop(confined);
    let [out, err] = streams;
    Ok(RunOutcome {
        end,
        stdout: out.data,
        stderr: err.data,
        line_times,
        left_behind,
        hang,
        elapsed,
        trace,
        spies: spies.map(Supervisor::finish),
    })
}

/// Whether a folder holds more than `DISK_CAP` bytes or `ENTRIES_CAP` entries; the walk stops
/// as soon as it knows, and never follows a link.
fn over_disk_cap(dir: &std::path::Path) -> bool {
    let (mut bytes, mut entries) = (0u64, 0usize);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(list) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in list.flatten() {
            entries += 1;
            let Ok(meta) = entry.metadata() else { continue };
            bytes += meta.len();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            if bytes > DISK_CAP || entries > ENTRIES_CAP {
                return true;
            }
        }
    }
    false
}

/// A started program: its streams, and who learns how it ended (waitpid, or the tracer).
struct Started {
    pid: i32,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    #[cfg(target_os = "linux")]
    traced: Option<super::tracer::TracedRun>,
}

impl Started {
    /// How the program ended, if it has, waiting for it up to `wait`. A traced run's end is
    /// told by the tracer the moment it sees it, rather than found at the next look: a run
    /// that ends quickly (bad input) would otherwise wait a look for nothing.
    fn ended(&self, wait: Duration) -> Option<End> {
        #[cfg(target_os = "linux")]
        if let Some(traced) = &self.traced {
            use std::sync::mpsc::RecvTimeoutError;
            match traced.ended.recv_timeout(wait) {
                Ok(Exit::Code(code)) => return Some(End::Exited(code)),
                Ok(Exit::Signal(sig)) => return Some(End::Signaled(sig)),
                Err(RecvTimeoutError::Timeout) => return None,
                // The tracer is gone without a word: reap the program here instead.
                Err(RecvTimeoutError::Disconnected) => {}
            }
        }
        let end = match waitpid(Pid::from_raw(self.pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => Some(End::Exited(code)),
            Ok(WaitStatus::Signaled(_, sig, _)) => Some(End::Signaled(sig)),
            _ => None,
        };
        if end.is_none() {
            std::thread::sleep(wait);
        }
        end
    }

    /// The time the X-ray's stops cost the run, up to `X_RAY_ALLOWANCE` (a program that
    /// needs more is too slow under any reading).
    fn x_ray_cost(&self) -> Duration {
        #[cfg(target_os = "linux")]
        if let Some(traced) = &self.traced {
            return traced.x_ray_cost().min(X_RAY_ALLOWANCE);
        }
        Duration::ZERO
    }

    /// The tracer stopped the run for forking past the limits.
    fn over_limit(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(traced) = &self.traced {
            return traced.over_limit();
        }
        false
    }

    /// The X-ray, once every process of the run is gone.
    fn finish(self) -> Option<Result<Trace, String>> {
        #[cfg(target_os = "linux")]
        if let Some(traced) = self.traced {
            return Some(traced.finish());
        }
        None
    }
}

fn start_program(mut command: Command, spec: &RunSpec, start: Instant) -> std::io::Result<Started> {
    #[cfg(target_os = "linux")]
    if spec.trace {
        let limits = super::tracer::Limits {
            processes: PROCESS_CAP,
            tasks: TASK_CAP,
            faults: spec.faults,
            untraced_byte_writes: spec.untraced_byte_writes,
            mishap: spec.mishap,
            await_reads: spec.await_reads,
            count_waits: spec.count_waits,
            start,
        };
        let mut traced = super::tracer::spawn(command, limits)?;
        return Ok(Started {
            pid: traced.pid,
            stdout: traced.stdout.take(),
            stderr: traced.stderr.take(),
            traced: Some(traced),
        });
    }
    let _ = (spec, start);
    let mut child = command.spawn()?;
    // The child is reaped with waitpid, not through `child`, which is only dropped.
    Ok(Started {
        pid: child.id() as i32,
        stdout: child.stdout.take().map(OwnedFd::from),
        stderr: child.stderr.take().map(OwnedFd::from),
        #[cfg(target_os = "linux")]
        traced: None,
    })
}

/// One output stream of the program, read without blocking.
struct Stream {
    fd: Option<OwnedFd>,
    data: Vec<u8>,
}

impl Stream {
    fn new(fd: Option<OwnedFd>) -> Stream {
        if let Some(fd) = &fd {
            use nix::fcntl::{FcntlArg, OFlag, fcntl};
            let _ = fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
        }
        Stream {
            fd,
            data: Vec::new(),
        }
    }

    /// Reads what is there; closes the stream at end-of-file, and on an error that is not
    /// "nothing yet" (a descriptor that fails once fails again, and would be polled until the
    /// timeout).
    fn read_some(&mut self) {
        let Some(fd) = self.fd.take() else { return };
        let mut file = std::fs::File::from(fd);
        let mut buf = [0u8; 65536];
        loop {
            match file.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    self.data.extend_from_slice(&buf[..n]);
                    if self.data.len() > OUTPUT_CAP {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => return,
            }
        }
        self.fd = Some(file.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_that_fails_is_closed_not_polled_again() {
        // Reading a directory fails with EISDIR, every time.
        let dir = std::fs::File::open(std::env::temp_dir()).expect("open a directory");
        let mut stream = Stream::new(Some(OwnedFd::from(dir)));
        stream.read_some();
        assert!(
            stream.fd.is_none(),
            "the failing descriptor is still polled"
        );
    }

    #[test]
    fn a_stream_with_nothing_yet_stays_open_and_keeps_what_came() {
        let (read, mut write) = std::io::pipe().expect("a pipe");
        let mut stream = Stream::new(Some(OwnedFd::from(read)));
        stream.read_some();
        assert!(stream.fd.is_some(), "an empty pipe is not the end");
        std::io::Write::write_all(&mut write, b"line\n").expect("write");
        drop(write);
        stream.read_some();
        assert_eq!(stream.data, b"line\n");
        assert!(stream.fd.is_none(), "end-of-file closes the stream");
    }
}
