//! A cgroup per run, where the machine lets the checker make one (root, or a delegated cgroup
//! v2): a cap on the tasks of the whole run that no fork can outrun, a cap on its memory, a
//! share of the CPU of its own (so that a busy neighbour, another submission's runs among them,
//! cannot starve a timed run), and a list of its processes that nothing in the run can leave,
//! so the end of a run kills them all by construction.

use std::ffi::CString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the checker can make the cgroups of its runs.
#[derive(Debug, Clone)]
pub enum Controllers {
    /// cgroup v1: one hierarchy per controller (`pids`, `memory`, `cpu`), each maybe absent.
    V1 {
        pids: Option<PathBuf>,
        memory: Option<PathBuf>,
        cpu: Option<PathBuf>,
    },
    /// cgroup v2: the checker's own cgroup, whose children get the controllers it delegates.
    V2(PathBuf),
}

/// The caps of one run's cgroup.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub tasks: usize,
    pub memory: u64,
    /// The run's share of the CPU, as so many ordinary busy processes' worth.
    pub cpu: u64,
}

/// What the CPU controller gives one ordinary process: v1's `cpu.shares`, v2's `cpu.weight`.
const V1_SHARES: u64 = 1024;
const V2_WEIGHT: u64 = 100;

/// What one run's cgroups give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Has {
    pub tasks: bool,
    pub memory: bool,
    pub cpu: bool,
}

/// The cgroup directories of one run; removed, with every process left in them, on drop.
#[derive(Debug)]
pub struct RunCgroup {
    dirs: Vec<PathBuf>,
}

impl Controllers {
    /// The controllers this process can make children under, if any: a test directory is made
    /// and removed.
    pub fn find() -> Option<Controllers> {
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let v1 = |controller: &str| -> Option<PathBuf> {
            let path = own.lines().find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, list, path) = (parts.next()?, parts.next()?, parts.next()?);
                list.split(',').any(|c| c == controller).then_some(path)
            })?;
            let base = Path::new("/sys/fs/cgroup").join(controller);
            let dir = base.join(path.trim_start_matches('/'));
            writable(&dir).then_some(dir)
        };
        let (pids, memory, cpu) = (v1("pids"), v1("memory"), v1("cpu"));
        if pids.is_some() || memory.is_some() {
            return Some(Controllers::V1 { pids, memory, cpu });
        }
        let path = own.lines().find_map(|l| l.strip_prefix("0::"))?;
        ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
            .iter()
            .map(|root| Path::new(root).join(path.trim_start_matches('/')))
            .find(|dir| {
                writable(dir)
                    && std::fs::read_to_string(dir.join("cgroup.subtree_control"))
                        .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids"))
            })
            .map(Controllers::V2)
    }

    /// Whether runs get a task cap, a memory cap and a CPU share for the whole run.
    pub fn has(&self) -> Has {
        match self {
            Controllers::V1 { pids, memory, cpu } => Has {
                tasks: pids.is_some(),
                memory: memory.is_some(),
                cpu: cpu.is_some(),
            },
            Controllers::V2(dir) => {
                let delegated =
                    std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
                let has = |c: &str| delegated.split_whitespace().any(|d| d == c);
                Has {
                    tasks: has("pids"),
                    memory: has("memory"),
                    cpu: has("cpu"),
                }
            }
        }
    }

    /// Makes the cgroup of one run, with its caps.
    pub fn make(&self, caps: Caps) -> std::io::Result<RunCgroup> {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "pipes-lab.{}.{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::SeqCst)
        );
        let mut run = RunCgroup { dirs: Vec::new() };
        match self {
            Controllers::V1 { pids, memory, cpu } => {
                if let Some(base) = pids {
                    let dir = run.add(base.join(&name))?;
                    std::fs::write(dir.join("pids.max"), caps.tasks.to_string())?;
                }
                if let Some(base) = memory {
                    let dir = run.add(base.join(&name))?;
                    std::fs::write(dir.join("memory.limit_in_bytes"), caps.memory.to_string())?;
                }
                if let Some(base) = cpu {
                    let dir = run.add(base.join(&name))?;
                    std::fs::write(dir.join("cpu.shares"), (caps.cpu * V1_SHARES).to_string())?;
                }
            }
            Controllers::V2(base) => {
                let dir = run.add(base.join(&name))?;
                let has = self.has();
                if has.tasks {
                    std::fs::write(dir.join("pids.max"), caps.tasks.to_string())?;
                }
                if has.memory {
                    std::fs::write(dir.join("memory.max"), caps.memory.to_string())?;
                }
                if has.cpu {
                    let weight = (caps.cpu * V2_WEIGHT).min(10_000);
                    std::fs::write(dir.join("cpu.weight"), weight.to_string())?;
                }
            }
        }
        Ok(run)
    }
}

impl RunCgroup {
    fn add(&mut self, dir: PathBuf) -> std::io::Result<PathBuf> {
        std::fs::create_dir(&dir)?;
        self.dirs.push(dir.clone());
        Ok(dir)
    }

    /// The files a process writes `0` into to join the run's cgroups (the child does, before
    /// exec, so that everything it starts is in them from the first fork). In a v1 hierarchy,
    /// `tasks`: the child has one thread then, and moving the calling thread alone spares the
    /// kernel the lock that moving a whole process takes, which costs the first run after a
    /// pause some 10 ms (it waits for an RCU grace period).
    pub fn join_files(&self) -> Vec<CString> {
        self.dirs
            .iter()
            .map(|d| match d.join("tasks").exists() {
                true => d.join("tasks"),
                false => d.join("cgroup.procs"),
            })
            .filter_map(|f| CString::new(f.into_os_string().into_vec()).ok())
            .collect()
    }

    /// Whether the run reached its memory cap (v1 counts the failed charges; v2 the times it
    /// hit `memory.max`).
    pub fn memory_full(&self) -> bool {
        self.dirs.iter().any(|dir| {
            let count = |file: &str, key: Option<&str>| {
                let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
                text.lines()
                    .filter_map(|l| match key {
                        Some(k) => l.strip_prefix(k)?.trim().parse::<u64>().ok(),
                        None => l.trim().parse().ok(),
                    })
                    .sum::<u64>()
            };
            count("memory.failcnt", None) > 0 || count("memory.events", Some("max ")) > 0
        })
    }

    /// Kills every process in the run's cgroups until none is left; a process cannot leave
    /// them, so none escapes.
    pub fn kill_all(&self) {
        for dir in &self.dirs {
            if std::fs::write(dir.join("cgroup.kill"), "1").is_ok() {
                continue;
            }
            for _ in 0..500 {
                let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
                let pids: Vec<i32> = procs.lines().filter_map(|l| l.parse().ok()).collect();
                if pids.is_empty() {
                    break;
                }
                for pid in pids {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }
}

impl Drop for RunCgroup {
    fn drop(&mut self) {
        self.kill_all();
        for dir in &self.dirs {
            // A cgroup goes away once its last process has been reaped; the run's clean-up
            // reaps them, so a few tries are enough.
            for _ in 0..100 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                crate::sandbox::proctree::reap();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }
}

/// A directory this process may make children in.
fn writable(dir: &Path) -> bool {
    let Ok(path) = CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: access(2) on a NUL-terminated path.
    dir.join("cgroup.procs").exists() && unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0
}
