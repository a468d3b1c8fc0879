//! What a process's descriptors refer to, read from /proc: the hang doctor reads it once when
//! a run hangs, the X-ray each time a traced process changes its descriptors.

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fd {
    pub fd: i32,
    pub object: Object,
    pub reads: bool,
    pub writes: bool,
}

/// The descriptors of process `pid`, in order; empty when it is gone.
#[cfg(target_os = "linux")]
pub fn fds(pid: i32) -> Vec<Fd> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let mut fds: Vec<Fd> = dir
        .filter_map(|e| {
            let fd: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let path = format!("/proc/{pid}/fd/{fd}");
            let target = std::fs::read_link(&path).ok()?;
            let target = target.to_string_lossy();
            let inode = |prefix: &str| target.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok();
            let object = match (inode("pipe:["), inode("socket:[")) {
                (Some(i), _) => Object::Pipe(i),
                (_, Some(i)) => Object::Socket(i),
                _ => named_fifo(&path, &target).unwrap_or_else(|| Object::Other(target.into())),
            };
            let info =
                std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).unwrap_or_default();
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                .unwrap_or(2);
            let mode = flags & 3;
            Some(Fd {
                fd,
                object,
                reads: mode != 1,
                writes: mode != 0,
            })
        })
        .collect();
    fds.sort_by_key(|f| f.fd);
    fds
}

#[cfg(not(target_os = "linux"))]
pub fn fds(_pid: i32) -> Vec<Fd> {
    Vec::new()
}

/// A FIFO opened by its name: /proc shows the path, and stat through the link says FIFO.
#[cfg(target_os = "linux")]
fn named_fifo(link: &str, target: &str) -> Option<Object> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = std::fs::metadata(link).ok()?;
    meta.file_type()
        .is_fifo()
        .then(|| Object::Fifo(meta.ino(), target.to_string()))
}
