//! Stage spies for 04: the checker puts `cat`, `grep` and `wc` links to itself first on PATH.
//! Exec'd by one of those names (whatever argv[0] says), the checker makes one agreed call
//! (`channel`) and then becomes the real program with the argv it was given, so the student's
//! pipeline still does the real work. A seccomp filter put on the run turns that call into a
//! notification for the checker, which makes the stage's record itself, from /proc, while the
//! spy waits (`supervisor`): its argv, what its stdin and stdout are, which other descriptors
//! it holds. Nothing the run can write is believed, and a call from anything but a spy is
//! refused. `probe` proves, before any student code runs, that the spies are heard behind the
//! sandbox.

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
    /// The name it was exec'd by (its spy's), which says which stage it is.
    pub stage: String,
    pub pid: u32,
    /// Its argv as given, argv[0] first: the real program got exactly these.
    pub argv: Vec<String>,
    pub stdin: Endpoint,
    pub stdout: Endpoint,
    /// Descriptors above 2 that the stage was started with.
    pub extra: Vec<(i32, Endpoint)>,
}

impl StageRecord {
    /// The arguments after argv[0], which the real program reads as its own.
    pub fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or_default()
    }
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

/// The checker started in a run by something other than the person checking.
#[derive(Debug)]
pub enum Spy {
    /// Started as `cat`, `grep` or `wc`: the stage to record and then become.
    Stage(&'static str),
    /// Started in a run with spies, by a name that is no stage (the program's own link to a
    /// spy, say): it cannot know which program to become.
    Stray(String),
}

impl Spy {
    /// How the checker was started: as a spy, or `None` for the checker's own work. The
    /// stage is the name the program was exec'd by, never argv[0], which the program that
    /// ran the stage chose (`execvp("grep", ["Yost"])` makes it "Yost").
    pub fn started() -> Option<Spy> {
        let path = exec_name();
        match path.as_deref().and_then(|p| stage_by(Path::new(p))) {
            Some(stage) => Some(Spy::Stage(stage)),
            // The marker the spies' runs carry: here the checker's own work never runs.
            None if std::env::var_os(DIR_VAR).is_some() => {
                Some(Spy::Stray(path.map_or("an unknown name".into(), |p| {
                    p.to_string_lossy().into_owned()
                })))
            }
            None => None,
        }
    }

    /// Becomes the real program (or says why not): the exit status when that fails.
    pub fn run(self) -> i32 {
        match self {
            Spy::Stage(stage) => run_as_spy(stage),
            Spy::Stray(name) => {
                eprintln!(
                    "pipes-lab spy: started as `{name}`, which is not one of {}: run each stage by its own name, found on PATH",
                    STAGES.join(", ")
                );
                127
            }
        }
    }
}

/// The path this process was exec'd by, as given to execve (`.../spies/grep` for a spy found
/// on PATH): the link's name, which a link to the checker keeps and argv[0] need not.
#[cfg(target_os = "linux")]
fn exec_name() -> Option<OsString> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: getauxval only reads the auxiliary vector; AT_EXECFN, when there, points to a
    // NUL-terminated string the kernel put on the initial stack, which lives as long as the
    // process and nothing writes.
    let name = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if name.is_null() {
        return std::env::args_os().next();
    }
    // SAFETY: as above, a valid NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name) };
    Some(std::ffi::OsStr::from_bytes(name.to_bytes()).to_os_string())
}

/// Elsewhere there is no AT_EXECFN, and no spy is heard anyway.
#[cfg(not(target_os = "linux"))]
fn exec_name() -> Option<OsString> {
    std::env::args_os().next()
}

/// The stage a program started by `path` is: the path's last part (`grep` of
/// `/x/spies/grep`), if it names one.
fn stage_by(path: &Path) -> Option<&'static str> {
    stage_named(path.file_name()?.to_str()?)
}

/// The stage called `name`, if it is one.
pub fn stage_named(name: &str) -> Option<&'static str> {
    STAGES.into_iter().find(|stage| *stage == name)
}

/// Has the checker record this stage, then execs the real program with the very argv the
/// stage was given. Never returns on success.
fn run_as_spy(stage: &str) -> i32 {
    // First, before this process opens anything: the checker reads its descriptors while it
    // waits here. Whatever the answer, the real program runs: the record is the checker's
    // business, never this process's.
    channel::call();
    let Some(real) = find_real(stage) else {
        eprintln!("pipes-lab spy: no real `{stage}` on PATH");
        return 127;
    };
    let mut args = std::env::args_os();
    // An empty argv (which Linux no longer lets through) cannot be given on: the stage's name.
    let argv0 = args.next().unwrap_or_else(|| OsString::from(stage));
    let error = std::process::Command::new(real)
        .arg0(argv0)
        .args(args)
        .exec();
    eprintln!("pipes-lab spy: cannot run the real `{stage}`: {error}");
    126
}

/// Where execvp looks when PATH is unset (a stage started with an empty environment).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// The first `stage` on PATH that is not a spy.
fn find_real(stage: &str) -> Option<PathBuf> {
    let spy_dir = std::env::var_os(DIR_VAR).map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    first_real(stage, &path, spy_dir.as_deref())
}

/// The first `stage` in the folders of `path` that is neither in the spies' folder nor this
/// very program (a spy reached through another folder).
fn first_real(stage: &str, path: &std::ffi::OsStr, spy_dir: Option<&Path>) -> Option<PathBuf> {
    let me = std::env::current_exe().ok().and_then(|p| FileId::of(&p));
    std::env::split_paths(path)
        .filter(|d| Some(d.as_path()) != spy_dir)
        .map(|d| d.join(stage))
        .filter(|p| p.is_file())
        .find(|p| me.is_none() || FileId::of(p) != me)
}

/// A file by device and inode, links followed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileId {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_is_the_last_part_of_the_path_exec_d_by() {
        assert_eq!(stage_by(Path::new("/tmp/run/spies/grep")), Some("grep"));
        assert_eq!(stage_by(Path::new("wc")), Some("wc"));
        assert_eq!(stage_by(Path::new("./cat")), Some("cat"));
        // A program's own link to a spy, or an exec through a descriptor, names no stage.
        assert_eq!(stage_by(Path::new("/tmp/run/my-grep")), None);
        assert_eq!(stage_by(Path::new("/dev/fd/5")), None);
        assert_eq!(stage_by(Path::new("/tmp/run/spies/grep/..")), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_path_exec_d_by_is_not_argv_0() {
        // This test program was exec'd by its own path, whatever argv[0] the harness chose.
        let exec = exec_name().expect("AT_EXECFN");
        let me = std::env::current_exe().expect("this test's program");
        assert_eq!(Path::new(&exec).file_name(), me.file_name());
    }

    #[test]
    fn the_real_program_is_never_a_spy() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (spies, other, real) = (
            dir.path().join("spies"),
            dir.path().join("other"),
            dir.path().join("real"),
        );
        prepare(&spies).expect("set up the spies");
        // A spy reached through a folder that is not the spies' (a link of the program's
        // own) is skipped too: it is this very program.
        std::fs::create_dir_all(&other).expect("a folder");
        std::os::unix::fs::symlink(spies.join("grep"), other.join("grep")).expect("a link");
        std::fs::create_dir_all(&real).expect("a folder");
        std::fs::write(real.join("grep"), "").expect("a file");
        let path = std::env::join_paths([&spies, &other, &real]).expect("a PATH");
        assert_eq!(
            first_real("grep", &path, Some(&spies)),
            Some(real.join("grep"))
        );
        assert_eq!(first_real("wc", &path, Some(&spies)), None);
    }
}
