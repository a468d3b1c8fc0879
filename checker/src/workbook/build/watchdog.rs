//! The build's watchdog: ten times a second it finds each exercise's compiler among cargo's
//! descendants in /proc (by the `--crate-name` cargo gives it), stops one that runs past the
//! exercise's limit, and the whole build past the submission's or when asked to stop.

use super::Stop;
use super::cargo::Limits;
use std::collections::{HashMap, HashSet};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Child;
use std::time::{Duration, Instant};

/// How often the watchdog looks at the build.
const TICK: Duration = Duration::from_millis(100);

/// What the watchdog saw and did.
#[derive(Default)]
pub(super) struct Watched {
    pub(super) timed_out: HashSet<String>,
    pub(super) submission_stopped: bool,
    pub(super) interrupted: bool,
    /// Every process of the build it saw, to reap at the end.
    pub(super) seen: HashSet<i32>,
}

/// Watches the build until cargo ends, `stop` turns true, or the submission's time is up;
/// kills each exercise's compiler that runs past the per-exercise limit.
pub(super) fn watch(
    child: &mut Child,
    wanted: &HashSet<String>,
    stop: Stop,
    limits: Limits,
) -> Watched {
    let cargo = child.id() as i32;
    let ended = pidfd(cargo);
    let mut watched = Watched::default();
    let mut started: HashMap<String, Instant> = HashMap::new();
    let mut first: Option<Instant> = None;
    loop {
        if stop() {
            watched.interrupted = true;
            return watched;
        }
        if has_ended(cargo) {
            return watched;
        }
        let now = Instant::now();
        let family = descendants(cargo);
        watched.seen.extend(family.iter().map(|p| p.pid));
        for compiler in &family {
            let Some(bin) = crate_name(compiler.pid).filter(|b| wanted.contains(b)) else {
                continue;
            };
            let since = *started.entry(bin.clone()).or_insert(now);
            first.get_or_insert(now);
            if now.duration_since(since) > limits.exercise {
                for p in std::iter::once(compiler.pid).chain(subtree(&family, compiler.pid)) {
                    kill(p);
                }
                watched.timed_out.insert(bin);
            }
        }
        if first.is_some_and(|f| now.duration_since(f) > limits.submission) {
            watched.submission_stopped = true;
            return watched;
        }
        nap(ended.as_ref());
    }
}

/// A descriptor that turns readable when `pid` ends (a pidfd), where the kernel has them.
fn pidfd(pid: i32) -> Option<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: pidfd_open makes a new descriptor (close-on-exec) or fails.
        let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        // SAFETY: a descriptor the call just made, owned by nobody else.
        (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw as i32) })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Waits one tick, or less when cargo ends first: the verdict of every save waits for the end
/// of its build, and a whole tick there would be a tenth of a second lost.
fn nap(ended: Option<&OwnedFd>) {
    let Some(fd) = ended else {
        std::thread::sleep(TICK);
        return;
    };
    let mut ready = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll on one descriptor this process owns, for at most a tick.
    let r = unsafe { libc::poll(&mut ready, 1, TICK.as_millis() as libc::c_int) };
    // Interrupted (Ctrl-C): the loop looks again at once, and `stop` decides. Any other
    // failure: a whole tick, as without a pidfd.
    if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
        std::thread::sleep(TICK);
    }
}

/// Ends a build: its whole group at once, then cargo reaped, and the orphans of its compilers
/// this process inherited (it is a subreaper) reaped too.
pub(super) fn end_build(child: &mut Child, seen: &HashSet<i32>) {
    let group = child.id() as i32;
    // SAFETY: a signal to cargo's group; cargo is not reaped yet, so its pid (the group's id)
    // cannot have been reused.
    unsafe { libc::killpg(group, libc::SIGKILL) };
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut left: Vec<i32> = seen.iter().copied().filter(|p| *p != group).collect();
    while !left.is_empty() && Instant::now() < deadline {
        left.retain(|&pid| {
            let mut status = 0;
            // SAFETY: waitpid on one pid, without blocking; another process's pid gives ECHILD.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            reaped == 0
        });
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether cargo has ended, without reaping it: its group must not be reused before it is
/// killed.
fn has_ended(pid: i32) -> bool {
    // SAFETY: waitid on one child, into a zeroed siginfo_t it fills.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        match r {
            0 => info.si_pid() != 0,
            // Interrupted (Ctrl-C): the next look decides. Any other error: no such child.
            _ => std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR),
        }
    }
}

fn kill(pid: i32) {
    // SAFETY: a signal to a pid of this build.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// A process of the build, from /proc/<pid>/stat.
#[derive(Debug, Clone, Copy)]
struct Proc {
    pid: i32,
    parent: i32,
}

/// Every live (not zombie) process under `root`.
fn descendants(root: i32) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<Proc> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces and parentheses: the fields follow the last ')'.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let parent = fields.next()?.parse().ok()?;
            (state != "Z").then_some(Proc { pid, parent })
        })
        .collect();
    let below = subtree(&all, root);
    all.into_iter().filter(|p| below.contains(&p.pid)).collect()
}

/// The pids below `root` in `all`.
fn subtree(all: &[Proc], root: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|p| p.parent == parent) {
            if !found.contains(&p.pid) {
                found.push(p.pid);
                frontier.push(p.pid);
            }
        }
    }
    found
}

/// The crate a compiler is compiling: the word after `--crate-name` in its command line.
fn crate_name(pid: i32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let mut words = cmdline.split(|b| *b == 0);
    words.find(|w| *w == b"--crate-name")?;
    words
        .next()
        .map(|w| String::from_utf8_lossy(w).into_owned())
}
