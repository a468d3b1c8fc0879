//! The processes a run leaves behind: found through /proc (Linux), where the checker, being a
//! child subreaper, inherits every orphan of the run, even one that left with `setsid`.

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::time::Duration;

/// One process as /proc describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    /// `R` running, `S` sleeping, `Z` zombie... as in /proc/PID/stat.
    pub state: char,
    /// Already in its exit (PF_EXITING): its descriptors may be closed, but it is not a zombie yet.
    pub exiting: bool,
    pub command: String,
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

/// The fields of /proc/PID/stat that the checker uses.
#[cfg(target_os = "linux")]
#[derive(Debug, PartialEq)]
struct Stat<'a> {
    comm: &'a str,
    state: char,
    ppid: i32,
    flags: u32,
}

#[cfg(target_os = "linux")]
impl Stat<'_> {
    fn parse(stat: &str) -> Option<Stat<'_>> {
        // The command name is in parentheses and may itself hold spaces or parentheses.
        let (head, tail) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1;
        let mut fields = tail.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        // After ppid: pgrp, session, tty_nr, tpgid, then the kernel's flags.
        let flags = fields.nth(4)?.parse().ok()?;
        Some(Stat {
            comm,
            state,
            ppid,
            flags,
        })
    }
}

/// include/linux/sched.h: set as soon as a process begins to exit.
#[cfg(target_os = "linux")]
const PF_EXITING: u32 = 0x4;

#[cfg(target_os = "linux")]
fn read_proc(pid: i32) -> Option<ProcInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let Stat {
        comm,
        state,
        ppid,
        flags,
    } = Stat::parse(&stat)?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let command = if cmdline.is_empty() {
        comm.to_string()
    } else {
        let words: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        words.join(" ")
    };
    Some(ProcInfo {
        pid,
        ppid,
        state,
        exiting: flags & PF_EXITING != 0,
        command,
    })
}

/// Every descendant of `root` (not `root` itself), parents before children.
#[cfg(target_os = "linux")]
pub fn descendants(root: i32) -> Vec<ProcInfo> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<ProcInfo> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(read_proc)
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|p| p.ppid == parent) {
            frontier.push(p.pid);
            found.push(p.clone());
        }
    }
    found
}

#[cfg(not(target_os = "linux"))]
pub fn descendants(_root: i32) -> Vec<ProcInfo> {
    Vec::new()
}

/// How many descendants of `root` are alive; reads less of /proc than `descendants`.
#[cfg(target_os = "linux")]
pub fn count_live_descendants(root: i32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut parent_of: Vec<(i32, i32)> = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let mut fields = stat
            .rsplit_once(')')
            .map(|(_, t)| t)
            .unwrap_or("")
            .split_whitespace();
        let (state, ppid) = (fields.next(), fields.next().and_then(|p| p.parse().ok()));
        if let (Some(state), Some(ppid)) = (state, ppid)
            && state != "Z"
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut count = 0;
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, _) in parent_of.iter().filter(|(_, pp)| *pp == parent) {
            count += 1;
            frontier.push(pid);
        }
    }
    count
}

#[cfg(not(target_os = "linux"))]
pub fn count_live_descendants(_root: i32) -> usize {
    0
}

/// The descendants that are still alive: not zombies, and not already on their way out (a
/// process that has begun to exit closes its descriptors before it becomes a zombie, so the
/// program may see end-of-file and finish first).
pub fn live_descendants(root: i32) -> Vec<ProcInfo> {
    descendants(root)
        .into_iter()
        .filter(|p| !matches!(p.state, 'Z' | 'X') && !p.exiting)
        .collect()
}

/// Kills the run's process group and every descendant of this process, then reaps them all.
/// Loops because a process may fork while it is being killed.
pub fn kill_all(group: i32) {
    let me = std::process::id() as i32;
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    for _ in 0..500 {
        let left = descendants(me);
        for p in &left {
            if p.state != 'Z' {
                let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
            }
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

    #[test]
    fn the_flags_of_a_stat_line_tell_an_exiting_process() {
        // A line as Linux writes it (a stage's comm, cut to 15 bytes, holding a space and a
        // parenthesis), first of a live process, then with PF_EXITING among its flags.
        let live = "4242 (04_three (x) R 4241 4241 4100 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 1146137 3133440 388";
        let stat = Stat::parse(live).expect("a stat line");
        assert_eq!(
            stat,
            Stat {
                comm: "04_three (x",
                state: 'R',
                ppid: 4241,
                flags: 4194304,
            }
        );
        assert_eq!(stat.flags & PF_EXITING, 0);
        let exiting = live.replace(" 4194304 ", " 4194308 ");
        let stat = Stat::parse(&exiting).expect("a stat line");
        assert_ne!(stat.flags & PF_EXITING, 0);
        assert_eq!(Stat::parse("4242 (cut"), None);
    }
}
