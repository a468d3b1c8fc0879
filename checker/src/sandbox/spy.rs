//! Stage spies for 04: the checker puts `cat`, `grep` and `wc` links to itself first on PATH.
//! Started under one of those names, the checker records how that stage was wired (its
//! arguments, what its stdin and stdout are, which other descriptors it holds) and then
//! becomes the real program, so the student's pipeline still does the real work.

use super::procfs;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

pub const STAGES: [&str; 3] = ["cat", "grep", "wc"];
/// Where a spy appends its record (one JSON line).
const LOG_VAR: &str = "PIPES_LAB_SPY_LOG";
/// The spies' directory, which a spy skips when it looks for the real program.
const DIR_VAR: &str = "PIPES_LAB_SPY_DIR";

/// What one end of a stage (stdin, stdout, or another descriptor) is connected to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Endpoint {
    /// A pipe, by inode (the number in `pipe:[...]`), with the access mode of this descriptor.
    Pipe {
        inode: u64,
        writes: bool,
    },
    /// A regular file.
    File(String),
    /// Anything else (a terminal, /dev/null, a socket...), as /proc names it.
    Other(String),
    Closed,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Endpoint::Pipe {
                inode,
                writes: true,
            } => write!(f, "the write end of pipe:[{inode}]"),
            Endpoint::Pipe {
                inode,
                writes: false,
            } => write!(f, "the read end of pipe:[{inode}]"),
            Endpoint::File(path) => write!(f, "the file {path}"),
            Endpoint::Other(what) => write!(f, "{what}"),
            Endpoint::Closed => write!(f, "nothing (closed)"),
        }
    }
}

/// One stage's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: String,
    pub pid: u32,
    pub args: Vec<String>,
    pub stdin: Endpoint,
    pub stdout: Endpoint,
    /// Descriptors above 2 that the stage was started with.
    pub extra: Vec<(i32, Endpoint)>,
}

/// Sets up the spy directory `dir` for one run, which goes first on the run's PATH: returns
/// the environment to add. The log is made empty now: a run behind the sandbox may write
/// into it, not make it.
pub fn prepare(dir: &Path, log: &Path) -> std::io::Result<Vec<(String, String)>> {
    let me = std::env::current_exe()?;
    std::fs::create_dir_all(dir)?;
    for stage in STAGES {
        std::os::unix::fs::symlink(&me, dir.join(stage))?;
    }
    std::fs::File::create(log)?;
    Ok(vec![
        (LOG_VAR.into(), log.to_string_lossy().into_owned()),
        (DIR_VAR.into(), dir.to_string_lossy().into_owned()),
    ])
}

/// Reads the records the spies of one run wrote.
pub fn read_log(log: &Path) -> Vec<StageRecord> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The stage name if the checker was started as a spy.
pub fn spy_name() -> Option<String> {
    let argv0 = std::env::args_os().next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_string();
    (STAGES.contains(&name.as_str()) && std::env::var_os(DIR_VAR).is_some()).then_some(name)
}

/// Records this stage, then execs the real program. Never returns on success.
pub fn run_as_spy(stage: &str) -> i32 {
    let record = StageRecord {
        stage: stage.to_string(),
        pid: std::process::id(),
        args: std::env::args().skip(1).collect(),
        stdin: endpoint(0),
        stdout: endpoint(1),
        extra: extra_fds()
            .into_iter()
            .map(|fd| (fd, endpoint(fd)))
            .collect(),
    };
    if let (Some(log), Ok(line)) = (std::env::var_os(LOG_VAR), serde_json::to_string(&record)) {
        // O_APPEND and one write per record: concurrent stages do not mix their lines.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(log)
        {
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
    }
    let Some(real) = find_real(stage) else {
        eprintln!("pipes-lab spy: no real `{stage}` on PATH");
        return 127;
    };
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from(stage));
    let error = std::process::Command::new(real)
        .arg0(argv0)
        .args(args)
        .exec();
    eprintln!("pipes-lab spy: cannot run the real `{stage}`: {error}");
    126
}

fn find_real(stage: &str) -> Option<PathBuf> {
    let spy_dir = std::env::var_os(DIR_VAR).map(PathBuf::from);
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| Some(d) != spy_dir.as_ref())
        .map(|d| d.join(stage))
        .find(|p| p.is_file())
}

/// Descriptors above 2, listed before the directory handle used to list them is counted.
fn extra_fds() -> Vec<i32> {
    let mut listed = procfs::fd_numbers(std::process::id() as i32);
    if listed.is_empty()
        && let Ok(dir) = std::fs::read_dir("/dev/fd")
    {
        listed = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
    }
    // The listing's own descriptor is closed by now: keep only those still open.
    // SAFETY: fcntl(F_GETFD) on a number only reads the descriptor table.
    listed
        .into_iter()
        .filter(|&fd| fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect()
}

fn endpoint(fd: i32) -> Endpoint {
    // SAFETY: fstat into a zeroed struct; an invalid descriptor just fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Endpoint::Closed;
    }
    let link = procfs::fd_target(std::process::id() as i32, fd)
        .unwrap_or_else(|| format!("descriptor {fd}"));
    // SAFETY: fcntl(F_GETFL) only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if (st.st_mode & libc::S_IFMT) == libc::S_IFIFO {
        Endpoint::Pipe {
            inode: st.st_ino as u64,
            writes: flags >= 0 && (flags & libc::O_ACCMODE) != libc::O_RDONLY,
        }
    } else if (st.st_mode & libc::S_IFMT) == libc::S_IFREG {
        Endpoint::File(link)
    } else {
        Endpoint::Other(link)
    }
}
