//! The one reader of /proc (Linux): a process's stat line, command line, program, descriptors
//! and what they refer to, descriptor flags, epoll registrations, thread group, and the system
//! call it sleeps in. Elsewhere every read fails and the answers are empty, so the callers
//! degrade to plainer reports.

use std::os::unix::fs::{FileTypeExt, MetadataExt};

/// What a descriptor refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    /// An anonymous pipe, by inode (the number in `pipe:[...]`).
    Pipe(u64),
    /// A named pipe (FIFO), by inode, with its path.
    Fifo(u64, String),
    Socket(u64),
    Other(String),
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Object::Pipe(i) => write!(f, "pipe:[{i}]"),
            Object::Fifo(_, path) => write!(f, "the FIFO {path}"),
            Object::Socket(i) => write!(f, "socket:[{i}]"),
            Object::Other(s) => write!(f, "{s}"),
        }
    }
}

/// One descriptor of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fd {
    pub fd: i32,
    pub object: Object,
    pub reads: bool,
    pub writes: bool,
}

/// The fields of /proc/PID/stat that the checker uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// The command name, cut to 15 bytes by the kernel.
    pub comm: String,
    /// `R` running, `S` sleeping, `Z` zombie... as in /proc/PID/stat.
    pub state: char,
    pub ppid: i32,
    /// The kernel's PF_* flags.
    pub flags: u32,
}

/// include/linux/sched.h: set as soon as a process begins to exit.
pub const PF_EXITING: u32 = 0x4;

impl Stat {
    pub fn parse(stat: &str) -> Option<Stat> {
        // The command name is in parentheses and may itself hold spaces or parentheses.
        let (head, tail) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_string();
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

/// Every process id /proc lists.
pub fn pids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The processes whose parent is `pid`, from the list each of its threads keeps
/// (`/proc/PID/task/TID/children`); empty for a process that is gone. `None` where a list
/// cannot be read, or the kernel keeps none (built without CONFIG_PROC_CHILDREN): then only
/// every process's stat line tells who its parent is.
pub fn children(pid: i32) -> Option<Vec<i32>> {
    static KEPT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let kept = KEPT.get_or_init(|| {
        let me = std::process::id();
        std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists()
    });
    if !kept {
        return None;
    }
    let gone = |e: &std::io::Error| {
        e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
    };
    let tasks = match std::fs::read_dir(format!("/proc/{pid}/task")) {
        Ok(tasks) => tasks,
        Err(e) if gone(&e) => return Some(Vec::new()),
        Err(_) => return None,
    };
    let mut found = Vec::new();
    for task in tasks.flatten() {
        match std::fs::read_to_string(task.path().join("children")) {
            Ok(text) => found.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            ),
            Err(e) if gone(&e) => {}
            Err(_) => return None,
        }
    }
    Some(found)
}

pub fn stat(pid: i32) -> Option<Stat> {
    Stat::parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The arguments a process runs with; empty for a zombie or a process that is gone.
pub fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// The arguments a process was started with, the program's name first and empty arguments
/// kept; `Err` when /proc will not show them.
pub fn argv(pid: i32) -> std::io::Result<Vec<String>> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    // Each argument ends with a NUL: what follows the last one is not an argument.
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(bytes
        .split(|b| *b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect())
}

/// The name a process was last exec'd by (the last part of the path given to execve, cut to
/// 15 bytes), as /proc/PID/comm says: only the process itself may change it.
pub fn comm(pid: i32) -> std::io::Result<String> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))?;
    Ok(name.strip_suffix('\n').unwrap_or(&name).to_string())
}

/// Where in its memory a process keeps the path it was last exec'd by, as given to execve:
/// AT_EXECFN of its auxiliary vector (only a tracer may read that memory).
pub fn exec_fn_address(pid: i32) -> Option<u64> {
    /// include/uapi/linux/auxvec.h
    const AT_EXECFN: usize = 31;
    const WORD: usize = std::mem::size_of::<usize>();
    let auxv = std::fs::read(format!("/proc/{pid}/auxv")).ok()?;
    let word = |bytes: &[u8]| Some(usize::from_ne_bytes(bytes.try_into().ok()?));
    auxv.chunks_exact(2 * WORD)
        .find(|pair| word(&pair[..WORD]) == Some(AT_EXECFN))
        .and_then(|pair| word(&pair[WORD..]))
        .map(|address| address as u64)
}

/// The file a process's program was started from (its device and inode say which), through
/// /proc/PID/exe: `PermissionDenied` where this process may not look into that one.
pub fn exe(pid: i32) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(format!("/proc/{pid}/exe"))
}

/// What a descriptor of a process refers to, followed through its link: its file type tells
/// a regular file from a device or a directory.
pub fn fd_metadata(pid: i32, fd: i32) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(format!("/proc/{pid}/fd/{fd}"))
}

/// How many threads of a process have not exited: a "zombie leader" (its first thread gone
/// with the raw `exit` call) still runs while any other thread does.
pub fn live_threads(pid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|tid| {
            let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
            Stat::parse(&text)
        })
        .filter(|s| !matches!(s.state, 'Z' | 'X'))
        .count()
}

/// The thread group (process) a task belongs to.
pub fn thread_group(tid: i32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()
}

/// The first line of /proc/PID/syscall: the call a process sleeps in, with its arguments.
pub fn syscall(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default()
}

/// The bytes a process has read and written so far through any descriptor (rchar + wchar of
/// /proc/PID/io); none where the file cannot be read.
pub fn bytes_moved(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .parse()
            .ok()
    };
    Some(field("rchar:")?.wrapping_add(field("wchar:")?))
}

/// How long a task has waited for a CPU while it could have run (the second field of
/// /proc/PID/schedstat, nanoseconds on a run queue); none where the kernel does not count it.
pub fn cpu_wait(tid: i32) -> Option<std::time::Duration> {
    schedstat_wait(&format!("/proc/{tid}/schedstat"))
}

/// `cpu_wait` of the calling thread.
pub fn own_cpu_wait() -> Option<std::time::Duration> {
    schedstat_wait("/proc/thread-self/schedstat")
}

fn schedstat_wait(path: &str) -> Option<std::time::Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let nanos = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(std::time::Duration::from_nanos(nanos))
}

/// The kernel function a sleeping process waits in.
pub fn wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

/// The open file flags of a descriptor (the `flags:` line of fdinfo, in octal).
pub fn fd_flags(pid: i32, fd: i32) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
    i32::from_str_radix(flags.trim(), 8).ok()
}

/// The process a pidfd (descriptor `fd` of `pid`) refers to, as its fdinfo says (`Pid:`).
pub fn pidfd_target(pid: i32, fd: i32) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let target = info.lines().find_map(|l| l.strip_prefix("Pid:"))?;
    target.trim().parse().ok()
}

/// One descriptor registered with an epoll instance, as the instance's fdinfo lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpollTarget {
    /// The descriptor it was registered under.
    pub fd: i32,
    /// The data epoll_ctl gave it: what an epoll wait hands back when it is ready.
    pub data: u64,
}

/// The descriptors registered with the epoll instance behind `fd` of `pid`, as the kernel
/// keeps them: shared through fork and dup, dropped with the last close of their file, and
/// only the registrations that succeeded.
pub fn epoll_targets(pid: i32, fd: i32) -> Vec<EpollTarget> {
    std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))
        .map(|info| info.lines().filter_map(epoll_target).collect())
        .unwrap_or_default()
}

/// One `tfd:` line of an epoll instance's fdinfo (the data in hex):
/// `tfd:        4 events:       19 data:                4  pos:0 ino:68757d sdev:f`.
fn epoll_target(line: &str) -> Option<EpollTarget> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |name: &str| Some(*words.get(words.iter().position(|w| *w == name)? + 1)?);
    if words.first() != Some(&"tfd:") {
        return None;
    }
    Some(EpollTarget {
        fd: after("tfd:")?.parse().ok()?,
        data: u64::from_str_radix(after("data:")?, 16).ok()?,
    })
}

/// The descriptors of process `pid`, in order; empty when it is gone or cannot be read.
pub fn fds(pid: i32) -> Vec<Fd> {
    fd_table(pid).unwrap_or_default()
}

/// The descriptors of process `pid`, in order, or why /proc would not show them: a process
/// that is gone (`NotFound`), or one this process may not look into (`PermissionDenied`: root
/// without CAP_SYS_PTRACE, before a process of another user).
pub fn fd_table(pid: i32) -> std::io::Result<Vec<Fd>> {
    let mut fds = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))? {
        let Some(fd) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let target = match std::fs::read_link(format!("/proc/{pid}/fd/{fd}")) {
            Ok(target) => target.to_string_lossy().into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Err(e),
            // Closed since the folder was listed.
            Err(_) => continue,
        };
        let inode = |prefix: &str| target.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok();
        let object = match (inode("pipe:["), inode("socket:[")) {
            (Some(i), _) => Object::Pipe(i),
            (_, Some(i)) => Object::Socket(i),
            _ => named_fifo(pid, fd, &target).unwrap_or(Object::Other(target)),
        };
        // Unreadable flags: assume both directions rather than guess one.
        let mode = fd_flags(pid, fd).unwrap_or(libc::O_RDWR) & libc::O_ACCMODE;
        fds.push(Fd {
            fd,
            object,
            reads: mode != libc::O_WRONLY,
            writes: mode != libc::O_RDONLY,
        });
    }
    fds.sort_by_key(|f| f.fd);
    Ok(fds)
}

/// A FIFO opened by its name: /proc shows the path, and stat through the link says FIFO.
fn named_fifo(pid: i32, fd: i32, target: &str) -> Option<Object> {
    let meta = std::fs::metadata(format!("/proc/{pid}/fd/{fd}")).ok()?;
    meta.file_type()
        .is_fifo()
        .then(|| Object::Fifo(meta.ino(), target.to_string()))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn an_epoll_instance_s_fdinfo_names_its_descriptors_and_their_data() {
        // As Linux writes it: the instance's own lines, then one line per registration.
        let info = "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\n\
            tfd:        4 events:       19 data:                4  pos:0 ino:68757d sdev:f\n\
            tfd:        7 events:       11 data:     7f00deadbeef  pos:0 ino:68757f sdev:f\n";
        let targets: Vec<EpollTarget> = info.lines().filter_map(epoll_target).collect();
        assert_eq!(
            targets,
            [
                EpollTarget { fd: 4, data: 4 },
                EpollTarget {
                    fd: 7,
                    data: 0x7f00_dead_beef
                },
            ]
        );
    }

    #[test]
    fn this_kernel_lists_an_epoll_instance_s_registrations() {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let (read_end, _write_end) = std::io::pipe().expect("a pipe");
        // SAFETY: epoll_create1 makes a new descriptor or fails.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(raw >= 0, "epoll_create1 failed");
        // SAFETY: the descriptor just made, owned by nobody else.
        let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 42,
        };
        let (epfd, fd) = (epoll.as_raw_fd(), read_end.as_raw_fd());
        // SAFETY: both descriptors are open; epoll_ctl only reads `event`.
        let added = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) };
        assert_eq!(added, 0);
        let me = std::process::id() as i32;
        assert_eq!(epoll_targets(me, epfd), [EpollTarget { fd, data: 42 }]);
    }

    #[test]
    fn the_flags_of_a_stat_line_tell_an_exiting_process() {
        // A line as Linux writes it (a stage's comm, cut to 15 bytes, holding a space and a
        // parenthesis), first of a live process, then with PF_EXITING among its flags.
        let live = "4242 (04_three (x) R 4241 4241 4100 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 1146137 3133440 388";
        let stat = Stat::parse(live).expect("a stat line");
        assert_eq!(
            stat,
            Stat {
                comm: "04_three (x".into(),
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

    #[test]
    fn the_address_of_the_path_this_process_was_exec_d_by_is_its_auxv_s() {
        // SAFETY: getauxval only reads this process's auxiliary vector.
        let mine = unsafe { libc::getauxval(libc::AT_EXECFN) } as u64;
        assert_ne!(mine, 0);
        assert_eq!(exec_fn_address(std::process::id() as i32), Some(mine));
        assert_eq!(exec_fn_address(-1), None);
    }

    #[test]
    fn this_process_has_live_threads() {
        assert!(live_threads(std::process::id() as i32) >= 1);
        assert_eq!(live_threads(-1), 0);
    }

    #[test]
    fn a_pipe_made_here_is_seen_with_both_ends() {
        let (read, write) = std::io::pipe().expect("a pipe");
        use std::os::fd::AsRawFd;
        let me = std::process::id() as i32;
        let fds = fds(me);
        let end = |fd: i32| fds.iter().find(|f| f.fd == fd).cloned();
        let (r, w) = (
            end(read.as_raw_fd()).expect("the read end"),
            end(write.as_raw_fd()).expect("the write end"),
        );
        assert!(matches!(r.object, Object::Pipe(_)) && r.object == w.object);
        assert!(r.reads && !r.writes && w.writes && !w.reads);
    }
}
