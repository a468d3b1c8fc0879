//! Stage spies for 04: the checker puts `cat`, `grep` and `wc` links to itself first on PATH.
//! Started under one of those names, the checker makes one agreed call (`channel`) and then
//! becomes the real program, so the student's pipeline still does the real work. A seccomp
//! filter put on the run turns that call into a notification for the checker, which makes
//! the stage's record itself, from /proc, while the spy waits (`supervisor`): its arguments,
//! what its stdin and stdout are, which other descriptors it holds. Nothing the run can write
//! is believed, and a call from anything but a spy is refused. `probe` proves, before any
//! student code runs, that the spies are heard behind the sandbox.

mod channel;
mod probe;
#[cfg(target_os = "linux")]
pub mod supervisor;

/// Elsewhere there is no seccomp: the spies are never heard.
#[cfg(not(target_os = "linux"))]
pub mod supervisor {
    pub struct Supervisor;

    impl Supervisor {
        pub fn install(_: &mut std::process::Command) -> Supervisor {
            Supervisor
        }

        pub fn finish(self) -> Result<super::Heard, String> {
            Err("the stage spies need Linux (a seccomp listener)".into())
        }
    }
}

pub use probe::heard;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

pub const STAGES: [&str; 3] = ["cat", "grep", "wc"];
/// The spies' directory, which a spy skips when it looks for the real program.
const DIR_VAR: &str = "PIPES_LAB_SPY_DIR";

/// What one end of a stage (stdin, stdout, or another descriptor) is connected to.
#[derive(Debug, Clone, PartialEq)]
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

/// One stage's record, made by the checker from /proc while the stage waited.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRecord {
    pub stage: String,
    pub pid: u32,
    pub args: Vec<String>,
    pub stdin: Endpoint,
    pub stdout: Endpoint,
    /// Descriptors above 2 that the stage was started with.
    pub extra: Vec<(i32, Endpoint)>,
}

/// What the stage spies of one run told the checker.
#[derive(Debug, Clone, Default)]
pub struct Heard {
    /// One record per spy the checker believed, in the order they called.
    pub records: Vec<StageRecord>,
    /// Why calls that were not believed were refused (the first few).
    pub refused: Vec<String>,
}

/// Sets up the spy directory `dir` for one run, which goes first on the run's PATH: returns
/// the environment to add.
pub fn prepare(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let me = std::env::current_exe()?;
    std::fs::create_dir_all(dir)?;
    for stage in STAGES {
        std::os::unix::fs::symlink(&me, dir.join(stage))?;
    }
    Ok(vec![(DIR_VAR.into(), dir.to_string_lossy().into_owned())])
}

/// The stage name if the checker was started as a spy.
pub fn spy_name() -> Option<String> {
    let argv0 = std::env::args_os().next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_string();
    (STAGES.contains(&name.as_str()) && std::env::var_os(DIR_VAR).is_some()).then_some(name)
}

/// Has the checker record this stage, then execs the real program. Never returns on success.
pub fn run_as_spy(stage: &str) -> i32 {
    // First, before this process opens anything: the checker reads its descriptors while it
    // waits here. Whatever the answer, the real program runs: the record is the checker's
    // business, never this process's.
    channel::call();
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
