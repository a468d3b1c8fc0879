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

/// The processes below `root` (not `root` itself) with their stat lines, parents before
/// children. Read from each process's list of children where the kernel keeps them: a few
/// files, where finding them in every process's stat line reads one file per process on the
/// machine.
fn below(root: i32) -> Vec<(i32, Stat)> {
    walk_children(root).unwrap_or_else(|| below_in(root, &every_stat()))
}

/// Every process's stat line, read once.
fn every_stat() -> Vec<(i32, Stat)> {
    procfs::pids()
        .into_iter()
        .filter_map(|pid| Some((pid, procfs::stat(pid)?)))
        .collect()
}

/// `below` from the lists of children; `None` where a list cannot be read.
fn walk_children(root: i32) -> Option<Vec<(i32, Stat)>> {
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::from([root]);
    let mut lists = vec![procfs::children(root)?];
    while let Some(list) = lists.pop() {
        for pid in list {
            // A process given a new parent while the lists were read may be in two.
            if !seen.insert(pid) {
                continue;
            }
            if let Some(stat) = procfs::stat(pid) {
                lists.push(procfs::children(pid)?);
                found.push((pid, stat));
            }
        }
    }
    Some(found)
}

/// The processes of `all` below `root` (not `root` itself), parents before children.
fn below_in(root: i32, all: &[(i32, Stat)]) -> Vec<(i32, Stat)> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|(_, s)| s.ppid == parent) {
            frontier.push(p.0);
            found.push(p.clone());
        }
    }
    found
}

/// Every descendant of `root` (not `root` itself), parents before children.
pub fn descendants(root: i32) -> Vec<Descendant> {
    below(root)
        .into_iter()
        .map(|(pid, stat)| {
            let argv = procfs::cmdline(pid);
            Descendant {
                pid,
                ppid: stat.ppid,
                state: stat.state,
                exiting: stat.flags & PF_EXITING != 0,
                zombie_leader: stat.state == 'Z' && procfs::live_threads(pid) > 0,
                command: if argv.is_empty() {
                    stat.comm
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
    below(root)
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn pids(found: &[(i32, Stat)]) -> Vec<i32> {
        let mut pids: Vec<i32> = found.iter().map(|(pid, _)| *pid).collect();
        pids.sort_unstable();
        pids
    }

    #[test]
    fn the_lists_of_children_find_what_every_stat_line_finds() {
        // A shell with two children, one of which has a child of its own.
        let mut shell = Command::new("sh")
            .args(["-c", "sleep 30 & sh -c 'sleep 30 & wait' & wait"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start sh");
        let root = shell.id() as i32;
        let mut walked = Vec::new();
        for _ in 0..200 {
            walked = walk_children(root).expect("this kernel keeps lists of children");
            if walked.iter().filter(|(_, s)| s.comm == "sleep").count() == 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let scanned = below_in(root, &every_stat());
        let _ = kill(Pid::from_raw(root), Signal::SIGKILL);
        for (pid, _) in &walked {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
        let _ = shell.wait();
        assert_eq!(
            walked.len(),
            3,
            "two sleeps and a shell between: {walked:?}"
        );
        assert_eq!(pids(&walked), pids(&scanned));
        // Parents before children.
        for (i, (_, stat)) in walked.iter().enumerate() {
            let parent = walked.iter().position(|(pid, _)| *pid == stat.ppid);
            assert!(
                stat.ppid == root || parent.is_some_and(|p| p < i),
                "{walked:?}"
            );
        }
    }

    #[test]
    fn a_process_that_is_gone_has_no_children() {
        let mut done = Command::new("true").spawn().expect("start true");
        let pid = done.id() as i32;
        let _ = done.wait();
        assert_eq!(procfs::children(pid), Some(Vec::new()));
    }
}
