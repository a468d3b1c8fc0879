//! The hang doctor: when a run times out, a snapshot of every process of the run (what it is
//! blocked in, which pipe ends it holds) taken before anything is killed, and an explanation
//! in the lesson's terms: who holds the write end a reader waits on, who should read the full
//! pipe a writer waits on, which child a parent waits for, and the cycle when there is one.

use super::procfs::{self, Fd, Object};
use super::proctree;
use super::syscalls::{self, Call};
use std::collections::{BTreeMap, BTreeSet};

/// What a process was doing when the snapshot was taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Doing {
    Blocked(Call),
    /// On the CPU: not waiting for anything.
    Running,
    /// A zombie: it has exited, and its parent has not collected its status yet.
    Exited,
    /// Its first thread left with the raw `exit` call while other threads of it still run.
    LeaderGone,
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcessAtHang {
    pub pid: i32,
    pub ppid: i32,
    pub name: String,
    pub doing: Doing,
    pub fds: Vec<Fd>,
}

/// Every process of a run at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The program the checker started.
    pub main: i32,
    pub procs: Vec<ProcessAtHang>,
    /// Taken because every process had been waiting for another, with nothing moving, for
    /// this long (a deadlock seen as it happened), not because the time limit ran out.
    pub deadlock: Option<std::time::Duration>,
}

/// Takes the snapshot of `main` and every other descendant of this process.
pub fn snapshot(main: i32) -> Snapshot {
    let me = std::process::id() as i32;
    let procs = proctree::descendants(me)
        .into_iter()
        .map(|p| ProcessAtHang {
            pid: p.pid,
            ppid: p.ppid,
            name: program_name(&p.command),
            doing: if p.zombie_leader {
                Doing::LeaderGone
            } else if p.state == 'Z' {
                Doing::Exited
            } else {
                doing(p.pid, p.state)
            },
            fds: procfs::fds(p.pid),
        })
        .collect();
    Snapshot {
        main,
        procs,
        deadlock: None,
    }
}

/// When every process of the run waits for another one of it (see
/// `syscalls::waits_for_another`), single-threaded, none running, exiting or left to be
/// reaped: how many bytes they have read and written so far (their rchar and wchar), so that a
/// caller can tell a deadlock from a wait that is about to end. None otherwise.
pub fn all_waiting() -> Option<u64> {
    let me = std::process::id() as i32;
    let procs = proctree::descendants(me);
    if procs.is_empty() {
        return None;
    }
    let mut moved = 0u64;
    // A parent waiting for this child, for any child or for a group may collect it.
    let collects = |parent: i32, child: i32| {
        matches!(syscalls::decode(&procfs::syscall(parent)),
            Some(Call::Wait(w)) if w == child || w <= 0)
    };
    for p in &procs {
        // A zombie is inert, unless its parent is about to collect it.
        if p.state == 'Z' && !p.zombie_leader {
            if collects(p.ppid, p.pid) {
                return None;
            }
            continue;
        }
        if !matches!(p.state, 'S' | 'D') || p.exiting || procfs::live_threads(p.pid) != 1 {
            return None;
        }
        // A poll that a stop interrupted (a child's exit signal, seen by the X-ray) goes on
        // as restart_syscall, and only the kernel function it sleeps in says it is a poll.
        let call = procfs::syscall(p.pid);
        let waits = syscalls::waits_for_another(&call)
            || (syscalls::restarted_poll_waits_for_another(&call)
                && procfs::wchan(p.pid).starts_with("poll_schedule_timeout"));
        if !waits {
            return None;
        }
        moved = moved.wrapping_add(procfs::bytes_moved(p.pid)?);
    }
    Some(moved)
}

fn program_name(command: &str) -> String {
    let argv0 = command.split(' ').next().unwrap_or(command);
    argv0.rsplit('/').next().unwrap_or(argv0).to_string()
}

fn doing(pid: i32, state: char) -> Doing {
    // 't': stopped for a moment by the X-ray at a system call, which it resumes at once: the
    // process is on its way, not waiting for anything.
    if state == 'R' || state == 't' {
        return Doing::Running;
    }
    let syscall = procfs::syscall(pid);
    if syscall.starts_with("running") {
        return Doing::Running;
    }
    if let Some(call) = syscalls::decode(&syscall) {
        return Doing::Blocked(call);
    }
    // Without access to /proc/PID/syscall, the kernel function it sleeps in still tells a lot.
    let wchan = procfs::wchan(pid);
    match wchan.as_str() {
        w if w.contains("pipe_read") || w.contains("unix_stream_read") => {
            Doing::Blocked(Call::Read(-1))
        }
        w if w.contains("pipe_write") || w.contains("sendmsg") => Doing::Blocked(Call::Write(-1)),
        w if w.contains("wait") && !w.contains("futex") => Doing::Blocked(Call::Wait(-1)),
        w if w.contains("poll") || w.contains("select") => Doing::Blocked(Call::Poll),
        w if w.contains("nanosleep") => Doing::Blocked(Call::Sleep),
        w if w.contains("wait_for_partner") || w.contains("fifo_open") => {
            Doing::Blocked(Call::Open)
        }
        w => Doing::Unknown(w.to_string()),
    }
}

/// One edge of the wait-for graph: `from` cannot go on until `to` does something.
struct Edge {
    from: i32,
    to: i32,
    why: String,
}

impl Snapshot {
    pub fn get(&self, pid: i32) -> Option<&ProcessAtHang> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    /// `pid 4311 01_raw_pipe (parent)`.
    pub fn who(&self, pid: i32) -> String {
        let Some(p) = self.get(pid) else {
            return format!("pid {pid}");
        };
        let role = if pid == self.main {
            "parent"
        } else if p.ppid == self.main {
            "child"
        } else if self.get(p.ppid).is_some_and(|q| q.ppid == self.main) {
            "grandchild"
        } else {
            "descendant"
        };
        format!("pid {pid} {} ({role})", p.name)
    }

    /// Every (pid, fd) holding `object` with the given direction.
    pub fn holders(&self, object: &Object, writes: bool) -> Vec<(i32, i32)> {
        let mut found = Vec::new();
        for p in &self.procs {
            for f in p
                .fds
                .iter()
                .filter(|f| f.object == *object && if writes { f.writes } else { f.reads })
            {
                found.push((p.pid, f.fd));
            }
        }
        found
    }

    /// The object a blocked read or write is on; when the descriptor is not known, the only
    /// pipe end of that direction the process holds.
    pub fn object_of(&self, p: &ProcessAtHang, fd: i32, writes: bool) -> Option<Fd> {
        if fd >= 0 {
            return p.fds.iter().find(|f| f.fd == fd).cloned();
        }
        let ends: Vec<&Fd> = p
            .fds
            .iter()
            .filter(|f| {
                matches!(f.object, Object::Pipe(_) | Object::Fifo(..))
                    && if writes { f.writes } else { f.reads }
            })
            .collect();
        (ends.len() == 1).then(|| ends[0].clone())
    }

    /// The other socket of a socketpair, when the run holds exactly one pair.
    pub fn peer(&self, inode: u64) -> Option<Object> {
        let sockets: BTreeSet<u64> = self
            .procs
            .iter()
            .flat_map(|p| &p.fds)
            .filter_map(|f| {
                if let Object::Socket(i) = f.object {
                    Some(i)
                } else {
                    None
                }
            })
            .collect();
        (sockets.len() == 2)
            .then(|| sockets.into_iter().find(|i| *i != inode))
            .flatten()
            .map(Object::Socket)
    }

    fn list(&self, holders: &[(i32, i32)], reader: i32) -> String {
        let items: Vec<String> = holders
            .iter()
            .map(|(pid, fd)| {
                let note = if *pid == reader {
                    " (the reader itself)".to_string()
                } else {
                    format!(" ({})", self.role_and_state(*pid))
                };
                format!("pid {pid} fd {fd}{note}")
            })
            .collect();
        items.join(", ")
    }

    fn role_and_state(&self, pid: i32) -> String {
        let who = self.who(pid);
        let role = who
            .rsplit_once('(')
            .map(|(_, r)| r.trim_end_matches(')'))
            .unwrap_or("");
        match self.get(pid).map(|p| &p.doing) {
            Some(Doing::Blocked(call)) => format!("{role}, {}", short(call)),
            Some(Doing::Running) => format!("{role}, running"),
            _ => role.to_string(),
        }
    }

    /// Every process runs on the CPU and none waits for a pipe, a child or a timer.
    pub fn is_busy(&self) -> bool {
        self.procs.iter().any(|p| p.doing == Doing::Running)
            && self
                .procs
                .iter()
                .all(|p| matches!(p.doing, Doing::Running | Doing::Exited))
    }

    /// The processes that wait for each other in a circle, if some do: each as (who waits, for
    /// whom, what for), by pid, as the explanation's deadlock lines say it; else a process
    /// that waits only for itself.
    pub fn circle(&self) -> Vec<(i32, i32, String)> {
        let mut edges: Vec<Edge> = Vec::new();
        let mut lines = Vec::new();
        for p in &self.procs {
            match &p.doing {
                Doing::Blocked(Call::Read(fd)) => self.explain_read(p, *fd, &mut lines, &mut edges),
                Doing::Blocked(Call::Write(fd)) => {
                    self.explain_write(p, *fd, &mut lines, &mut edges)
                }
                Doing::Blocked(Call::Wait(target)) => {
                    self.explain_wait(p, *target, &mut lines, &mut edges)
                }
                _ => {}
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            return cycle
                .into_iter()
                .map(|e| (e.from, e.to, e.why.clone()))
                .collect();
        }
        // A circle of one: a process that waits for nobody but itself (a reader that holds
        // the only write end left).
        edges
            .iter()
            .filter(|e| e.from == e.to && edges.iter().all(|o| o.from != e.from || o.to == e.from))
            .map(|e| (e.from, e.to, e.why.clone()))
            .collect()
    }

    /// The explanation, line by line.
    pub fn explain(&self, program: &str, timeout_secs: u64) -> Vec<String> {
        let mut lines = vec![match self.deadlock {
            Some(settled) => format!(
                "hang: every process of {program} was waiting for another, with nothing moving, for {:.1} s: a deadlock, caught before the {timeout_secs} s time limit",
                settled.as_secs_f64()
            ),
            None => format!("hang: {program} ran out of its {timeout_secs} s"),
        }];
        if self.procs.is_empty() {
            lines.push(
                "  no process of the run could be inspected (this needs Linux's /proc)".into(),
            );
            return lines;
        }
        let mut edges: Vec<Edge> = Vec::new();
        for p in &self.procs {
            let who = self.who(p.pid);
            match &p.doing {
                Doing::Running => lines.push(format!(
                    "  {who} is running, not blocked: a loop that never ends?"
                )),
                Doing::Exited => lines.push(format!(
                    "  {who} has exited; its parent has not waited for it yet"
                )),
                Doing::LeaderGone => lines.push(format!(
                    "  {who} ended its first thread with the raw exit call, but its other threads still run"
                )),
                Doing::Unknown(w) if w.is_empty() || w == "0" => {
                    lines.push(format!("  {who} is sleeping"))
                }
                Doing::Unknown(w) => lines.push(format!("  {who} is sleeping in the kernel ({w})")),
                Doing::Blocked(Call::Sleep) => lines.push(format!("  {who} is sleeping (a timer)")),
                Doing::Blocked(Call::Poll) => lines.push(format!(
                    "  {who} is blocked in poll/select, waiting for one of its descriptors"
                )),
                Doing::Blocked(Call::Futex) => {
                    lines.push(format!("  {who} is blocked on a lock (futex)"))
                }
                Doing::Blocked(Call::Other(nr)) => lines.push(format!(
                    "  {who} is blocked in the system call {}",
                    syscalls::name(*nr)
                )),
                Doing::Blocked(Call::Open) => lines.push(format!(
                    "  {who} is blocked opening a file: opening a FIFO waits until another process opens its other end"
                )),
                Doing::Blocked(Call::Read(fd)) => self.explain_read(p, *fd, &mut lines, &mut edges),
                Doing::Blocked(Call::Write(fd)) => {
                    self.explain_write(p, *fd, &mut lines, &mut edges)
                }
                Doing::Blocked(Call::Wait(target)) => {
                    self.explain_wait(p, *target, &mut lines, &mut edges)
                }
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            lines.push("  deadlock: these processes wait for each other in a circle:".into());
            for e in cycle {
                lines.push(format!(
                    "    {} waits for {}: {}",
                    self.who(e.from),
                    self.who(e.to),
                    e.why
                ));
            }
        }
        lines
    }

    fn explain_read(
        &self,
        p: &ProcessAtHang,
        fd: i32,
        lines: &mut Vec<String>,
        edges: &mut Vec<Edge>,
    ) {
        let who = self.who(p.pid);
        let Some(end) = self.object_of(p, fd, false) else {
            lines.push(format!("  {who} is blocked reading fd {fd}"));
            return;
        };
        lines.push(format!(
            "  {who} is blocked reading {} through fd {}",
            end.object, end.fd
        ));
        let other_end = match &end.object {
            Object::Socket(i) => self.peer(*i),
            object => Some(object.clone()),
        };
        let Some(other_end) = other_end else {
            lines.push("  the other end of a socketpair reports end-of-file only when every copy of it is closed".into());
            return;
        };
        let writers = self.holders(&other_end, true);
        if writers.is_empty() {
            return;
        }
        let kind = if matches!(other_end, Object::Socket(_)) {
            format!("the other end ({other_end})")
        } else {
            format!("write ends of {other_end}")
        };
        lines.push(format!(
            "  {kind} still open: {}",
            self.list(&writers, p.pid)
        ));
        let main_name = self
            .get(self.main)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        // The very descriptor it reads through is a write end: opened for reading and
        // writing (O_RDWR), which no close can fix.
        let both_ways = writers.contains(&(p.pid, end.fd));
        if both_ways {
            lines.push(format!(
                "  fd {} was opened for reading and writing, so it is a write end too: open it for reading only (File::open, O_RDONLY)",
                end.fd
            ));
        }
        let idle: Vec<String> = writers
            .iter()
            .filter(|holder| !(both_ways && **holder == (p.pid, end.fd)))
            // A holder that is writing, running, or itself waiting to read (it may write once
            // its own input comes) is not the one to blame; the reader's own copy always is.
            .filter(|(pid, _)| {
                *pid == p.pid
                    || !matches!(
                        self.get(*pid).map(|q| &q.doing),
                        Some(Doing::Blocked(Call::Write(_) | Call::Read(_) | Call::Poll))
                            | Some(Doing::Running)
                    )
            })
            .map(|(pid, fd)| {
                let q = self.get(*pid);
                let name = q.map_or("", |q| q.name.as_str());
                let exec_note = if name != main_name {
                    " (it inherited it: close it before exec, or make the pipe O_CLOEXEC)"
                } else {
                    ""
                };
                match (*pid == p.pid, *pid == self.main) {
                    (true, true) => format!("fd {fd} in the parent before reading"),
                    (true, false) => format!("fd {fd} in pid {pid} {name} itself{exec_note}"),
                    (false, true) => format!("fd {fd} in the parent (pid {pid})"),
                    (false, false) => format!("fd {fd} in pid {pid} {name}{exec_note}"),
                }
            })
            .collect();
        if !idle.is_empty() {
            let what = if matches!(other_end, Object::Socket(_)) {
                "every copy of the other end is closed"
            } else {
                "every write end is closed"
            };
            lines.push(format!(
                "  end-of-file arrives only when {what}: close {}",
                idle.join("; ")
            ));
        }
        for (pid, _) in writers {
            edges.push(Edge {
                from: p.pid,
                to: pid,
                why: format!("to write into or close {other_end}"),
            });
        }
    }

    fn explain_write(
        &self,
        p: &ProcessAtHang,
        fd: i32,
        lines: &mut Vec<String>,
        edges: &mut Vec<Edge>,
    ) {
        let who = self.who(p.pid);
        let Some(end) = self.object_of(p, fd, true) else {
            lines.push(format!("  {who} is blocked writing fd {fd}"));
            return;
        };
        let other_end = match &end.object {
            Object::Socket(i) => self.peer(*i),
            object => Some(object.clone()),
        };
        lines.push(format!("  {who} is blocked writing into {} through fd {}: it is full (a pipe holds 64 KiB unless it was resized) and nobody reads it", end.object, end.fd));
        let Some(other_end) = other_end else { return };
        let holders = self.holders(&other_end, false);
        // Its own read end: the pipe still has a reader, so no write fails with EPIPE.
        for (_, own) in holders.iter().filter(|(pid, _)| *pid == p.pid) {
            if *own != end.fd {
                lines.push(format!(
                    "  the writer itself holds a read end of {other_end} as fd {own}: while it is open the pipe has a reader, so a write never fails with EPIPE, it waits"
                ));
            }
        }
        let readers: Vec<(i32, i32)> = holders
            .into_iter()
            .filter(|(pid, _)| *pid != p.pid)
            .collect();
        if readers.is_empty() {
            return;
        }
        lines.push(format!(
            "  the read end of {other_end} is held by {}",
            self.list(&readers, -1)
        ));
        for (pid, _) in &readers {
            let waits_for_me = matches!(self.get(*pid).map(|q| &q.doing), Some(Doing::Blocked(Call::Wait(t))) if *t == p.pid || (*t == -1 && p.ppid == *pid));
            if waits_for_me {
                lines.push(format!("  {} waits for this very child to exit, while the child waits for it to read or to close its read end", self.who(*pid)));
            }
            edges.push(Edge {
                from: p.pid,
                to: *pid,
                why: format!("to read from the full {other_end}"),
            });
        }
    }

    fn explain_wait(
        &self,
        p: &ProcessAtHang,
        target: i32,
        lines: &mut Vec<String>,
        edges: &mut Vec<Edge>,
    ) {
        let children: Vec<&ProcessAtHang> = self
            .procs
            .iter()
            .filter(|c| {
                c.ppid == p.pid && c.doing != Doing::Exited && (target <= 0 || c.pid == target)
            })
            .collect();
        let who = self.who(p.pid);
        if children.is_empty() {
            lines.push(format!("  {who} is blocked waiting for a child"));
            return;
        }
        for c in children {
            let doing = match &c.doing {
                Doing::Blocked(call) => short(call),
                Doing::Running => "running".into(),
                Doing::Unknown(_) | Doing::Exited => "sleeping".into(),
                Doing::LeaderGone => "still running in other threads".into(),
            };
            lines.push(format!(
                "  {who} is blocked waiting for its child pid {} {}, which is {doing}",
                c.pid, c.name
            ));
            edges.push(Edge {
                from: p.pid,
                to: c.pid,
                why: "to exit".into(),
            });
        }
    }
}

fn short(call: &Call) -> String {
    match call {
        Call::Read(fd) => format!("blocked reading fd {fd}"),
        Call::Write(fd) => format!("blocked writing fd {fd}"),
        Call::Wait(_) => "blocked waiting for a child".into(),
        Call::Poll => "blocked in poll".into(),
        Call::Sleep => "sleeping".into(),
        Call::Futex => "blocked on a lock".into(),
        Call::Open => "blocked opening a file".into(),
        Call::Other(nr) => format!("blocked in the system call {}", syscalls::name(*nr)),
    }
}

/// A cycle of two or more processes in the wait-for graph, if there is one.
fn find_cycle(edges: &[Edge]) -> Option<Vec<&Edge>> {
    let mut next: BTreeMap<i32, Vec<&Edge>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.from != e.to) {
        next.entry(e.from).or_default().push(e);
    }
    fn walk<'a>(
        at: i32,
        start: i32,
        next: &BTreeMap<i32, Vec<&'a Edge>>,
        path: &mut Vec<&'a Edge>,
        seen: &mut BTreeSet<i32>,
    ) -> bool {
        for e in next.get(&at).into_iter().flatten() {
            path.push(e);
            if e.to == start {
                return true;
            }
            if seen.insert(e.to) && walk(e.to, start, next, path, seen) {
                return true;
            }
            path.pop();
        }
        false
    }
    for &start in next.keys() {
        let mut path = Vec::new();
        if walk(start, start, &next, &mut path, &mut BTreeSet::from([start])) {
            return Some(path);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe_end(fd: i32, inode: u64, writes: bool) -> Fd {
        Fd {
            fd,
            object: Object::Pipe(inode),
            reads: !writes,
            writes,
        }
    }
    fn proc(pid: i32, ppid: i32, doing: Doing, fds: Vec<Fd>) -> ProcessAtHang {
        ProcessAtHang {
            pid,
            ppid,
            name: "01_raw_pipe".into(),
            doing,
            fds,
        }
    }

    #[test]
    fn a_writer_holding_its_own_read_end_is_shown_holding_it() {
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![proc(
                10,
                1,
                Doing::Blocked(Call::Write(4)),
                vec![pipe_end(3, 77, false), pipe_end(4, 77, true)],
            )],
        };
        let text = snap.explain("07_broken_pipe", 5).join("\n");
        assert!(
            text.contains("the writer itself holds a read end of pipe:[77] as fd 3"),
            "{text}"
        );
    }

    #[test]
    fn a_reader_that_opened_its_end_both_ways_is_told_to_open_it_for_reading() {
        let both = Fd {
            fd: 3,
            object: Object::Pipe(77),
            reads: true,
            writes: true,
        };
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![proc(10, 1, Doing::Blocked(Call::Read(3)), vec![both])],
        };
        let text = snap.explain("08_named_pipe", 5).join("\n");
        assert!(
            text.contains("fd 3 was opened for reading and writing")
                && text.contains("for reading only"),
            "{text}"
        );
        assert!(!text.contains("close fd 3"), "{text}");
    }

    #[test]
    fn a_reader_holding_its_own_write_end_is_told_to_close_it() {
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![proc(
                10,
                1,
                Doing::Blocked(Call::Read(3)),
                vec![pipe_end(3, 77, false), pipe_end(4, 77, true)],
            )],
        };
        let text = snap.explain("01_raw_pipe", 5).join("\n");
        assert!(
            text.contains("hang: 01_raw_pipe ran out of its 5 s"),
            "{text}"
        );
        assert!(
            text.contains("pid 10 01_raw_pipe (parent) is blocked reading pipe:[77] through fd 3"),
            "{text}"
        );
        assert!(
            text.contains("write ends of pipe:[77] still open: pid 10 fd 4 (the reader itself)"),
            "{text}"
        );
        assert!(
            text.contains("close fd 4 in the parent before reading"),
            "{text}"
        );
    }

    #[test]
    fn wait_before_read_is_a_deadlock_between_parent_and_child() {
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                proc(
                    10,
                    1,
                    Doing::Blocked(Call::Wait(11)),
                    vec![pipe_end(3, 77, false)],
                ),
                proc(
                    11,
                    10,
                    Doing::Blocked(Call::Write(4)),
                    vec![pipe_end(4, 77, true)],
                ),
            ],
        };
        let text = snap.explain("01_raw_pipe", 5).join("\n");
        assert!(text.contains("pid 11 01_raw_pipe (child) is blocked writing into pipe:[77] through fd 4: it is full"), "{text}");
        assert!(
            text.contains("pid 10 01_raw_pipe (parent) waits for this very child to exit"),
            "{text}"
        );
        assert!(text.contains("to read or to close its read end"), "{text}");
        assert!(text.contains("deadlock"), "{text}");
        // The same circle, for the timeline to draw.
        let circle: Vec<(i32, i32)> = snap.circle().iter().map(|(f, t, _)| (*f, *t)).collect();
        assert_eq!(circle.len(), 2, "{circle:?}");
        assert!(circle.contains(&(10, 11)) && circle.contains(&(11, 10)));
    }

    #[test]
    fn a_write_end_leaked_into_a_sibling_is_named() {
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                proc(10, 1, Doing::Blocked(Call::Wait(-1)), vec![]),
                proc(
                    11,
                    10,
                    Doing::Blocked(Call::Read(0)),
                    vec![pipe_end(0, 5, false), pipe_end(4, 5, true)],
                ),
                proc(
                    12,
                    10,
                    Doing::Blocked(Call::Read(0)),
                    vec![pipe_end(0, 6, false), pipe_end(5, 5, true)],
                ),
            ],
        };
        let text = snap.explain("04_three_stage_chain", 10).join("\n");
        assert!(text.contains("write ends of pipe:[5] still open: pid 11 fd 4 (the reader itself), pid 12 fd 5 (child"), "{text}");
        assert!(
            text.contains("pid 10 01_raw_pipe (parent) is blocked waiting for its child pid 11"),
            "{text}"
        );
    }

    #[test]
    fn a_busy_loop_is_called_running() {
        let snap = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![proc(10, 1, Doing::Running, vec![])],
        };
        assert!(
            snap.explain("x", 5)
                .join("\n")
                .contains("is running, not blocked")
        );
    }
}
