//! The processes a run leaves behind: found through /proc (Linux), where the checker, being a
//! child subreaper, inherits every orphan of the run, even one that left with `setsid`.

use super::procfs::{self, PF_EXITING, Stat};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::time::Duration;

/// A descendant of the checker, as /proc describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Descendant {
    pub pid: i32,
    pub ppid: i32,
    /// `R` running, `S` sleeping, `Z` zombie... as in /proc/PID/stat.
    pub state: char,
    /// Already in its exit (PF_EXITING): its descriptors may be closed, but it is not a zombie yet.
    pub exiting: bool,
    /// A zombie whose other threads still run (its first thread left with the raw `exit`
    /// call): alive, whatever its state says.
    pub zombie_leader: bool,
    pub command: String,
}

impl Descendant {
    /// Still running: not a zombie and not on its way out, or a zombie leader.
    pub fn is_live(&self) -> bool {
        (!matches!(self.state, 'Z' | 'X') && !self.exiting) || self.zombie_leader
    }
}

/// Makes this process the reaper of its orphaned descendants, so none escapes to init.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        // Without it, orphans are still killed through their process group; only `setsid`
        // escapees could be missed, so a failure here is not fatal.
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
}

/// Every process's stat line, read once.
fn every_stat() -> Vec<(i32, Stat)> {
    procfs::pids()
        .into_iter()
        .filter_map(|pid| Some((pid, procfs::stat(pid)?)))
        .collect()
}

/// The processes of `all` below `root` (not `root` itself), parents before children.
fn below(root: i32, all: &[(i32, Stat)]) -> Vec<&(i32, Stat)> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|(_, s)| s.ppid == parent) {
            frontier.push(p.0);
            found.push(p);
        }
    }
    found
}

/// Every descendant of `root` (not `root` itself), parents before children.
pub fn descendants(root: i32) -> Vec<Descendant> {
    let all = every_stat();
    below(root, &all)
        .into_iter()
        .map(|(pid, stat)| {
            let argv = procfs::cmdline(*pid);
            Descendant {
                pid: *pid,
                ppid: stat.ppid,
                state: stat.state,
                exiting: stat.flags & PF_EXITING != 0,
                zombie_leader: stat.state == 'Z' && procfs::live_threads(*pid) > 0,
                command: if argv.is_empty() {
                    stat.comm.clone()
                } else {
                    argv.join(" ")
                },
            }
        })
        .collect()
}

/// How many descendants of `root` are alive, zombie leaders included; reads less of /proc
/// than `descendants`.
pub fn count_live_descendants(root: i32) -> usize {
    let all = every_stat();
    below(root, &all)
        .into_iter()
        .filter(|(pid, s)| s.state != 'Z' || procfs::live_threads(*pid) > 0)
        .count()
}

/// The descendants that are still alive: not zombies, and not already on their way out (a
/// process that has begun to exit closes its descriptors before it becomes a zombie, so the
/// program may see end-of-file and finish first); zombie leaders count as alive.
pub fn live_descendants(root: i32) -> Vec<Descendant> {
    descendants(root)
        .into_iter()
        .filter(Descendant::is_live)
        .collect()
}

/// Kills the run's process group and every descendant of this process, then reaps them all.
/// Loops because a process may fork while it is being killed. Zombies are signalled too: a
/// zombie leader dies with its live threads.
pub fn kill_all(group: i32) {
    let me = std::process::id() as i32;
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    for _ in 0..500 {
        let left = descendants(me);
        for p in &left {
            let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
        }
        reap();
        if left.is_empty() || descendants(me).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Collects the exit status of every finished child, so none stays a zombie.
pub fn reap() {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if status.pid().is_none() {
            break;
        }
    }
}
