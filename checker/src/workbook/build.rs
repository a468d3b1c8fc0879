//! Building the workbook's programs with cargo: the student's exercises, another copy's, or
//! the reference solutions, each linked under a private name for the runs of one check.
//!
//! A submission's code runs in the compiler before it runs anywhere else: a `const` that never
//! ends, an `include_bytes!` of an endless file or a flood of errors must end with a verdict,
//! not a hung or drowned checker. So the build is one cargo call for every exercise
//! (`--keep-going`: one broken file hides no other), in a process group of its own with a cap
//! on memory, its JSON messages read as they come, and a watchdog over each exercise's
//! compiler (found in /proc by the `--crate-name` cargo gives it).

use super::Workbook;
use super::manifest::Exercise;
use super::upload;
use nix::fcntl::{Flock, FlockArg};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Said of an exercise file a copy lacks.
pub const MISSING: &str = "is missing from the copy being checked";

/// The package name under which another copy's exercises are built.
const COPY_PACKAGE: &str = "exercises-copy";

/// How long the compiler may take over one exercise: an exercise compiles in 1 to 3 s (debug,
/// on a 2-core machine), and a busy grading machine may make that several times longer.
pub const EXERCISE_SECS: u64 = 60;
/// How long the exercises of one submission may take to compile, all together. Counted from
/// the first exercise's compiler: the workbook's dependencies (minutes, on a cold build) are
/// trusted and not counted.
pub const SUBMISSION_SECS: u64 = 180;
/// `PIPES_LAB_BUILD_SECS=E` or `E,S` sets both limits, in seconds (S is 3 E when not given).
pub const BUILD_SECS_SWITCH: &str = "PIPES_LAB_BUILD_SECS";
/// The data each process of a build may map (RLIMIT_DATA, inherited by every compiler): a cold
/// build of the dependencies and the exercises works under 384 MiB, debug or release, and
/// fails under 256 MiB.
const BUILD_MEMORY_GIB: u64 = 2;
/// How much of the compiler's messages an exercise's report shows.
const MESSAGES_SHOWN: usize = 20;
const BYTES_SHOWN: usize = 16 << 10;
/// How much of cargo's own error output is kept.
const CARGO_ERRORS_KEPT: usize = 16 << 10;
/// The longest line of cargo's output read whole (a message quotes whole source lines).
const LONGEST_LINE: usize = 4 << 20;
/// How often the watchdog looks at the build.
const TICK: Duration = Duration::from_millis(100);

/// Which programs to build: the student's exercises, another copy's, or the solutions.
#[derive(Debug, Clone)]
pub enum Source {
    Exercises,
    /// A folder holding another copy's exercise files (found by the upload rule), built with
    /// this workbook's Cargo.toml and Cargo.lock so that the student's copy cannot change what
    /// is linked.
    Copy(PathBuf),
    Solutions,
}

/// What a build of untrusted code (another copy's exercises) may touch: folders to read (and
/// run programs from: the toolchain) and folders to write (its target directory).
#[derive(Debug, Clone, Default)]
pub struct BuildWalls {
    pub readable: Vec<PathBuf>,
    pub writable: Vec<PathBuf>,
}

/// Puts a build of untrusted code behind a wall (the sandbox's), before cargo starts.
pub type Confine<'a> = &'a dyn Fn(&mut Command, &BuildWalls) -> std::io::Result<()>;

/// Asked ten times a second during a build: true stops it (Ctrl-C).
pub type Stop<'a> = &'a dyn Fn() -> bool;

/// How one source is built: the manifest and package, where cargo puts it, the exercises
/// whose file is missing (with why, when the file is there but not read), and the wall around
/// the build when the code is untrusted.
struct Plan {
    manifest: PathBuf,
    package: &'static str,
    target_dir: PathBuf,
    missing: BTreeMap<String, String>,
    walls: Option<BuildWalls>,
}

/// The result of building one exercise.
pub enum Built {
    Program(PathBuf),
    /// Why not: the compiler's messages (cut to a bounded size), or the limit it ran into.
    Failed(String),
}

/// How long a build may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub exercise: Duration,
    pub submission: Duration,
}

impl Limits {
    /// The CPU seconds each process of a build may use (RLIMIT_CPU): a backstop for a checker
    /// killed outright (SIGKILL), whose watchdog is gone. Cargo dies with the checker, and an
    /// endless compiler at this limit; a cold build of a dependency takes some 20 s of CPU.
    fn cpu_secs(&self) -> u64 {
        self.submission.as_secs().saturating_mul(4).max(600)
    }

    /// The limits, as `PIPES_LAB_BUILD_SECS` sets them, or the defaults.
    pub fn from_env() -> Result<Limits, String> {
        Limits::parse(std::env::var(BUILD_SECS_SWITCH).ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Result<Limits, String> {
        let Some(value) = value else {
            return Ok(Limits {
                exercise: Duration::from_secs(EXERCISE_SECS),
                submission: Duration::from_secs(SUBMISSION_SECS),
            });
        };
        let secs = |s: &str| {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
        };
        let (exercise, submission) = match value.split_once(',') {
            Some((e, s)) => (secs(e), secs(s)),
            None => (secs(value), secs(value).map(|e| 3 * e)),
        };
        match (exercise, submission) {
            (Some(e), Some(s)) => Ok(Limits {
                exercise: Duration::from_secs(e),
                submission: Duration::from_secs(s),
            }),
            _ => Err(format!(
                "{BUILD_SECS_SWITCH}={value}: give the seconds one exercise's build may take, and optionally those of a whole submission (`60` or `60,180`)"
            )),
        }
    }
}

impl Workbook {
    /// Removes the private copies of the programs this process built.
    pub fn forget_programs(&self) {
        let _ = std::fs::remove_dir_all(self.program_dir());
    }

    /// The name of an exercise's program when built from `source`.
    pub fn bin_name(&self, source: &Source, exercise: &Exercise) -> String {
        match source {
            Source::Solutions => exercise.solution_bin(),
            _ => exercise.name.clone(),
        }
    }

    /// Where this process links the programs it built, for its runs.
    pub fn program_dir(&self) -> PathBuf {
        self.work_dir()
            .join("bin")
            .join(std::process::id().to_string())
    }

    /// Builds the given exercises from `source` in one cargo call, within the limits (time,
    /// memory, messages) and until `stop` says otherwise; an exercise that does not build gets
    /// why. Each program is then linked under a private name, so a concurrent build of another
    /// copy cannot swap it while it runs.
    ///
    /// Another copy's code is untrusted: it is built into a target directory of its own (one
    /// that holds no reference solution), behind `confine`.
    pub fn build(
        &self,
        source: &Source,
        exercises: &[&Exercise],
        color: bool,
        confine: Confine,
        stop: Stop,
    ) -> Result<Vec<Built>, String> {
        let limits = Limits::from_env()?;
        let work = self.work_dir();
        std::fs::create_dir_all(&work)
            .map_err(|e| format!("cannot create {}: {e}", work.display()))?;
        // One lock for every copy of the workbook sharing the target directory.
        let lock = self.target_dir.join("pipes-lab/build.lock");
        let lock_file = std::fs::File::create(&lock)
            .map_err(|e| format!("cannot create the build lock: {e}"))?;
        let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, e)| format!("cannot lock the build: {e}"))?;

        let plan = self.plan(source, exercises)?;
        let bins: Vec<String> = exercises
            .iter()
            .filter(|e| !plan.missing.contains_key(&e.name))
            .map(|e| self.bin_name(source, e))
            .collect();
        let outcome = if bins.is_empty() {
            Outcome::default()
        } else {
            self.cargo_build(&plan, &bins, color, confine, stop, limits)?
        };

        let private = self.program_dir();
        let _ = std::fs::remove_dir_all(&private);
        std::fs::create_dir_all(&private)
            .map_err(|e| format!("cannot create {}: {e}", private.display()))?;
        let mut results = Vec::new();
        for e in exercises {
            if let Some(why) = plan.missing.get(&e.name) {
                results.push(Built::Failed(format!(
                    "{} {MISSING}{why}",
                    e.exercise_path()
                )));
                continue;
            }
            let name = self.bin_name(source, e);
            let Some(built) = outcome.built.get(&name) else {
                results.push(Built::Failed(outcome.report(&name, limits)));
                continue;
            };
            let mine = private.join(&name);
            std::fs::hard_link(built, &mine)
                .or_else(|_| std::fs::copy(built, &mine).map(drop))
                .map_err(|e| format!("cannot copy {}: {e}", built.display()))?;
            results.push(Built::Program(mine));
        }
        Ok(results)
    }

    fn plan(&self, source: &Source, exercises: &[&Exercise]) -> Result<Plan, String> {
        let own = |package| Plan {
            manifest: self.root.join("Cargo.toml"),
            package,
            target_dir: self.cargo_target_dir(),
            missing: BTreeMap::new(),
            walls: None,
        };
        match source {
            Source::Exercises => Ok(own("exercises")),
            Source::Solutions => Ok(own("solutions")),
            Source::Copy(dir) => {
                let (stage, missing) = self.stage_copy(dir, exercises)?;
                let target_dir = self.work_dir().join("copies");
                std::fs::create_dir_all(&target_dir)
                    .map_err(|e| format!("cannot create {}: {e}", target_dir.display()))?;
                let walls = self.build_walls(&stage, &target_dir);
                Ok(Plan {
                    manifest: stage.join("Cargo.toml"),
                    package: COPY_PACKAGE,
                    target_dir,
                    missing,
                    walls: Some(walls),
                })
            }
        }
    }

    /// What the build of a copy needs: the workbook's cargo settings and the toolchain to
    /// read; the staged copy (cargo rewrites its lock file), its own target directory, and
    /// cargo's home (its locks and caches) to write. Not the workbook, nor the solutions.
    fn build_walls(&self, stage: &Path, target_dir: &Path) -> BuildWalls {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let from_env = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
        };
        let cargo_home = from_env("CARGO_HOME", ".cargo");
        let mut readable = vec![self.root.join(".cargo")];
        // Cargo reads the settings of every folder above its working folder (the stage, under
        // the target directory, which may lie in another project): a file it may not read
        // fails the build.
        for folder in stage.ancestors() {
            for name in ["config.toml", "config"] {
                let settings = folder.join(".cargo").join(name);
                if settings.is_file() {
                    readable.push(settings);
                }
            }
        }
        readable.extend(from_env("RUSTUP_HOME", ".rustup"));
        readable.extend(self.cargo.parent().map(Path::to_path_buf));
        let mut writable = vec![stage.to_path_buf(), target_dir.to_path_buf()];
        writable.extend(cargo_home);
        BuildWalls { readable, writable }
    }

    /// A one-package workspace under the target directory holding this workbook's manifests and
    /// lock file and the copy's exercise files, found by the upload rule. Dependencies come out
    /// of the shared target directory already built. Returns the stage and the exercises whose
    /// file is missing, each with why when the file is there but was not copied.
    fn stage_copy(
        &self,
        dir: &Path,
        exercises: &[&Exercise],
    ) -> Result<(PathBuf, BTreeMap<String, String>), String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        let upload = upload::find(dir, &names)?;
        // Always the same place (the build lock makes it ours): cargo remembers sources by
        // path, and a copy built elsewhere would look unchanged to it.
        let stage = self.work_dir().join("stage");
        let bin_dir = stage.join("copy/src/bin");
        let _ = std::fs::remove_dir_all(&stage);
        std::fs::create_dir_all(&bin_dir).map_err(|e| io("create", &bin_dir, e))?;

        // The workbook's manifests, with the package renamed: cargo must never take the copy's
        // build for the workbook's own `exercises` (or the reverse) when both are fresh.
        let read_toml = |path: PathBuf| -> Result<toml::Table, String> {
            let text = std::fs::read_to_string(&path).map_err(|e| io("read", &path, e))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let mut root = read_toml(self.root.join("Cargo.toml"))?;
        if let Some(toml::Value::Table(ws)) = root.get_mut("workspace") {
            ws.insert("members".into(), toml::Value::Array(vec!["copy".into()]));
        }
        let mut package = read_toml(self.root.join("exercises/Cargo.toml"))?;
        if let Some(toml::Value::Table(p)) = package.get_mut("package") {
            p.insert("name".into(), COPY_PACKAGE.into());
        }
        let write = |path: PathBuf, text: String| {
            std::fs::write(&path, text).map_err(|e| io("write", &path, e))
        };
        write(stage.join("Cargo.toml"), root.to_string())?;
        write(stage.join("copy/Cargo.toml"), package.to_string())?;
        let lock = self.root.join("Cargo.lock");
        std::fs::copy(&lock, stage.join("Cargo.lock")).map_err(|e| io("copy", &lock, e))?;
        let mut missing = BTreeMap::new();
        for e in exercises {
            let Some(from) = upload.file(&e.name) else {
                let why = upload.skipped(&e.name).map(|w| format!(" ({w})"));
                missing.insert(e.name.clone(), why.unwrap_or_default());
                continue;
            };
            let to = bin_dir.join(format!("{}.rs", e.name));
            if let Err(why) = copy_plain_file(from, &to) {
                missing.insert(e.name.clone(), format!(" ({why})"));
            }
        }
        Ok((stage, missing))
    }

    /// Runs one `cargo build` for `bins` and watches it; what each bin became.
    fn cargo_build(
        &self,
        plan: &Plan,
        bins: &[String],
        color: bool,
        confine: Confine,
        stop: Stop,
        limits: Limits,
    ) -> Result<Outcome, String> {
        let mut command = Command::new(&self.cargo);
        command
            .args(["build", "--quiet", "--keep-going", "--message-format"])
            .arg(if color {
                "json-diagnostic-rendered-ansi"
            } else {
                "json"
            })
            .arg("--manifest-path")
            .arg(&plan.manifest)
            .args([
                "--package",
                plan.package,
                "--color",
                if color { "always" } else { "never" },
            ])
            .env("CARGO_TARGET_DIR", &plan.target_dir)
            // Every compiler must be a process of this build, where the watchdog finds it: a
            // wrapper such as sccache compiles in a server of its own.
            .env("RUSTC_WRAPPER", "")
            .env("RUSTC_WORKSPACE_WRAPPER", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // One group, killed at once when the build stops; Ctrl-C reaches the checker only.
            .process_group(0);
        for bin in bins {
            command.args(["--bin", bin]);
        }
        let memory = BUILD_MEMORY_GIB << 30;
        let cpu = limits.cpu_secs();
        #[cfg(target_os = "linux")]
        let checker = std::process::id();
        // SAFETY: setrlimit, prctl and getppid only, on local values, between fork and exec.
        unsafe {
            command.pre_exec(move || {
                for (resource, value) in [(libc::RLIMIT_DATA, memory), (libc::RLIMIT_CPU, cpu)] {
                    let limit = libc::rlimit {
                        rlim_cur: value,
                        rlim_max: value,
                    };
                    if libc::setrlimit(resource, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                #[cfg(target_os = "linux")]
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
                    || libc::getppid() as u32 != checker
                {
                    // No allocation here: the checker ended before cargo could start.
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            })
        };
        if let Some(walls) = &plan.walls {
            // Cargo looks for settings from its working folder up: from the staged copy, it
            // finds the workbook's, and none of the copy's.
            if let Some(stage) = plan.manifest.parent() {
                command.current_dir(stage);
            }
            command.env("TMPDIR", &plan.target_dir);
            confine(&mut command, walls)
                .map_err(|e| format!("cannot put the build behind the sandbox: {e}"))?;
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run cargo ({}): {e}", self.cargo.display()))?;
        let wanted: HashSet<String> = bins.iter().cloned().collect();
        let messages = read_in_thread(child.stdout.take(), {
            let wanted = wanted.clone();
            move |out| read_messages(out, &wanted)
        });
        let errors = read_in_thread(child.stderr.take(), read_errors);
        let watched = watch(&mut child, &wanted, stop, limits);
        end_build(&mut child, &watched.seen);
        if watched.interrupted {
            return Err(
                "the build was interrupted; cargo and every compiler it started were stopped"
                    .into(),
            );
        }
        // The streams end with the group; a reader still busy after that gives up its part.
        let patience = Duration::from_secs(5);
        let messages = messages.recv_timeout(patience).unwrap_or_default();
        let errors = errors.recv_timeout(patience).unwrap_or_default();
        Ok(Outcome {
            built: messages.built,
            messages: messages.by_bin,
            timed_out: watched.timed_out,
            submission_stopped: watched.submission_stopped,
            crashed: errors.crashed,
            cargo_errors: errors.kept,
        })
    }

    /// The cargo command that reruns a program by hand, before its arguments: every path
    /// quoted, so that a shell runs it as it is.
    pub fn rerun_prefix(&self, source: &Source, exercise: &Exercise) -> String {
        let quoted = |p: &Path| shell_words::quote(&p.to_string_lossy()).into_owned();
        // Absolute: the command may first `cd` into the folder of kept inputs.
        let manifest = quoted(&self.root.join("Cargo.toml"));
        match source {
            Source::Exercises => format!(
                "cargo run -q --manifest-path {manifest} -p exercises --bin {} --",
                exercise.name
            ),
            Source::Solutions => format!(
                "cargo run -q --manifest-path {manifest} -p solutions --bin {} --",
                exercise.solution_bin()
            ),
            Source::Copy(dir) => format!(
                "cargo run -q --manifest-path {} --bin {} --",
                quoted(&dir.join("Cargo.toml")),
                exercise.name
            ),
        }
    }
}

/// Copies an upload's file without following a link, and only a plain file (a FIFO would
/// block the copy, a device would never end).
fn copy_plain_file(from: &Path, to: &Path) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(from)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => upload::A_LINK.to_string(),
            _ => format!("it cannot be read: {e}"),
        })?;
    let plain = file.metadata().is_ok_and(|m| m.is_file());
    if !plain {
        return Err("it is not a plain file".into());
    }
    let mut copy =
        std::fs::File::create(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::copy(&mut file, &mut copy)
        .map(drop)
        .map_err(|e| format!("it cannot be read: {e}"))
}

/// What one cargo call left: the programs built, each bin's messages, and what stopped it.
#[derive(Default)]
struct Outcome {
    built: HashMap<String, PathBuf>,
    messages: HashMap<String, Messages>,
    /// Bins whose compiler the watchdog stopped at the per-exercise limit.
    timed_out: HashSet<String>,
    /// The whole build stopped at the per-submission limit.
    submission_stopped: bool,
    /// Bins whose compiler died of a signal, with the signal as cargo named it.
    crashed: HashMap<String, String>,
    /// Cargo's own error output, bounded: what went wrong when no exercise says.
    cargo_errors: String,
}

impl Outcome {
    /// Why a bin was not built, for its report.
    fn report(&self, bin: &str, limits: Limits) -> String {
        let memory = format!(
            "the compiler ran out of the {BUILD_MEMORY_GIB} GiB a build may use (a huge `const` or `static`, or `include_bytes!` of an endless file, for instance)"
        );
        let messages = self.messages.get(bin).filter(|m| !m.is_empty());
        let mut parts = Vec::new();
        if self.timed_out.contains(bin) {
            parts.push(format!(
                "the compiler ran longer than {} s on this exercise and was stopped (an endless `const` evaluation, for instance)",
                limits.exercise.as_secs()
            ));
        } else if let Some(signal) = self.crashed.get(bin) {
            parts.push(if signal.contains("SIGABRT") {
                memory
            } else if signal.contains("SIGXCPU") {
                format!(
                    "the compiler used more than {} s of CPU on this exercise and was stopped",
                    limits.cpu_secs()
                )
            } else {
                format!("the compiler stopped on {signal} (perhaps the machine ran out of memory)")
            });
        } else if messages.is_some_and(|m| m.out_of_memory) {
            parts.push(memory);
        } else if self.submission_stopped {
            parts.push(format!(
                "the build of this submission ran longer than {} s in all and was stopped before this exercise compiled",
                limits.submission.as_secs()
            ));
        }
        match messages {
            Some(m) => parts.push(m.text()),
            None if parts.is_empty() => parts.push(if self.cargo_errors.trim().is_empty() {
                "cargo stopped without a word about this exercise".into()
            } else {
                self.cargo_errors.clone()
            }),
            None => {}
        }
        parts.join("\n\n")
    }
}

/// One exercise's compiler messages, as many as a report shows, and how many more there were.
#[derive(Default, Debug)]
struct Messages {
    shown: String,
    count: usize,
    more: usize,
    /// The compiler said it ran out of memory.
    out_of_memory: bool,
}

impl Messages {
    fn is_empty(&self) -> bool {
        self.count == 0 && self.more == 0
    }

    fn add(&mut self, rendered: &str) {
        if self.count >= MESSAGES_SHOWN || self.shown.len() >= BYTES_SHOWN {
            self.more += 1;
            return;
        }
        let room = BYTES_SHOWN - self.shown.len();
        if rendered.len() <= room {
            self.shown.push_str(rendered);
        } else {
            // Whole lines where there are some, so no line ends half-way.
            let mut end = room;
            while !rendered.is_char_boundary(end) {
                end -= 1;
            }
            let cut = rendered[..end].rfind('\n').map_or(end, |n| n + 1);
            self.shown.push_str(&rendered[..cut]);
            self.shown
                .push_str("[the rest of this message is not shown]\n");
        }
        self.count += 1;
    }

    fn text(&self) -> String {
        let mut text = self.shown.trim_end().to_string();
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            text.push_str(&format!("\n\n... {} more message{s} not shown", self.more));
        }
        text
    }
}

/// What cargo's JSON messages said, by bin.
#[derive(Default)]
struct Said {
    built: HashMap<String, PathBuf>,
    by_bin: HashMap<String, Messages>,
}

/// One line of cargo's JSON output (only the fields used).
#[derive(serde::Deserialize)]
struct CargoLine {
    reason: String,
    target: Option<Target>,
    message: Option<Diagnostic>,
    executable: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Diagnostic {
    message: String,
    level: String,
    rendered: Option<String>,
}

fn read_messages(out: impl Read, wanted: &HashSet<String>) -> Said {
    let mut read = Said::default();
    let mut lines = BoundedLines::new(out);
    while let Some((line, whole)) = lines.next_line() {
        if !whole {
            // Too long to parse: still one more message of its bin.
            if let Some(bin) = target_name(&line).filter(|b| wanted.contains(b)) {
                read.by_bin.entry(bin).or_default().more += 1;
            }
            continue;
        }
        let Ok(parsed) = serde_json::from_slice::<CargoLine>(&line) else {
            continue;
        };
        let Some(target) = parsed
            .target
            .filter(|t| t.kind.iter().any(|k| k == "bin") && wanted.contains(&t.name))
        else {
            continue;
        };
        match (parsed.reason.as_str(), parsed.message, parsed.executable) {
            ("compiler-artifact", _, Some(executable)) => {
                read.built.insert(target.name, executable);
            }
            ("compiler-message", Some(diagnostic), _) => {
                let messages = read.by_bin.entry(target.name).or_default();
                messages.out_of_memory |= diagnostic.level == "error"
                    && (diagnostic.message.ends_with(": out of memory")
                        || diagnostic.message.contains("more memory than available"));
                messages.add(
                    diagnostic
                        .rendered
                        .as_deref()
                        .unwrap_or(&diagnostic.message),
                );
            }
            _ => {}
        }
    }
    read
}

/// The target's name in the beginning of a JSON line too long to parse (cargo writes
/// `"target":{...,"name":"..."` before the message).
fn target_name(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&line[..line.len().min(64 << 10)]);
    let after = &text[text.find("\"target\":")?..];
    let name = &after[after.find("\"name\":\"")? + 8..];
    Some(name[..name.find('"')?].to_string())
}

/// What cargo's own error output said.
#[derive(Default)]
struct Errors {
    kept: String,
    crashed: HashMap<String, String>,
}

/// Keeps the beginning of cargo's error output, and notes each compiler that died of a signal:
/// `process didn't exit successfully: `rustc --crate-name NAME ...` (signal: 6, SIGABRT: ...)`.
fn read_errors(err: impl Read) -> Errors {
    let mut errors = Errors::default();
    let mut lines = BoundedLines::new(err);
    let mut cut = false;
    while let Some((line, _)) = lines.next_line() {
        let text = String::from_utf8_lossy(&line);
        if let Some((name, signal)) = crashed_compiler(&text) {
            errors.crashed.insert(name, signal);
        }
        if errors.kept.len() + text.len() <= CARGO_ERRORS_KEPT {
            errors.kept.push_str(&text);
        } else if !cut {
            cut = true;
            errors
                .kept
                .push_str("[cargo's other messages are not shown]\n");
        }
    }
    errors
}

fn crashed_compiler(line: &str) -> Option<(String, String)> {
    let at = line.find("process didn't exit successfully: ")?;
    let rest = &line[at..];
    let name = rest[rest.find("--crate-name ")? + 13..]
        .split_whitespace()
        .next()?
        .to_string();
    let signal = &rest[rest.rfind("(signal: ")? + 1..];
    let signal = signal[..signal.find(')')?].to_string();
    Some((name, signal))
}

/// Lines of a stream, each kept up to `LONGEST_LINE` bytes (the rest skipped): with whether it
/// was whole.
struct BoundedLines<R> {
    reader: BufReader<R>,
}

impl<R: Read> BoundedLines<R> {
    fn new(inner: R) -> Self {
        BoundedLines {
            reader: BufReader::with_capacity(64 << 10, inner),
        }
    }

    fn next_line(&mut self) -> Option<(Vec<u8>, bool)> {
        let mut line = Vec::new();
        let mut whole = true;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return (!line.is_empty()).then_some((line, whole)),
            };
            if buffer.is_empty() {
                return (!line.is_empty() || !whole).then_some((line, whole));
            }
            let (chunk, done) = match buffer.iter().position(|b| *b == b'\n') {
                Some(n) => (&buffer[..=n], true),
                None => (buffer, false),
            };
            let used = chunk.len();
            let room = LONGEST_LINE.saturating_sub(line.len());
            if chunk.len() > room {
                whole = false;
            }
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.reader.consume(used);
            if done {
                return Some((line, whole));
            }
        }
    }
}

/// Reads a child's stream in a thread of its own; the result comes back over the channel.
fn read_in_thread<R: Read + Send + 'static, T: Send + 'static>(
    stream: Option<R>,
    read: impl FnOnce(R) -> T + Send + 'static,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    if let Some(stream) = stream {
        std::thread::spawn(move || {
            let _ = tx.send(read(stream));
        });
    }
    rx
}

/// What the watchdog saw and did.
#[derive(Default)]
struct Watched {
    timed_out: HashSet<String>,
    submission_stopped: bool,
    interrupted: bool,
    /// Every process of the build it saw, to reap at the end.
    seen: HashSet<i32>,
}

/// Watches the build until cargo ends, `stop` turns true, or the submission's time is up;
/// kills each exercise's compiler that runs past the per-exercise limit.
fn watch(child: &mut Child, wanted: &HashSet<String>, stop: Stop, limits: Limits) -> Watched {
    let cargo = child.id() as i32;
    let mut watched = Watched::default();
    let mut started: HashMap<String, Instant> = HashMap::new();
    let mut first: Option<Instant> = None;
    loop {
        if stop() {
            watched.interrupted = true;
            return watched;
        }
        if has_ended(cargo) {
            return watched;
        }
        let now = Instant::now();
        let family = descendants(cargo);
        watched.seen.extend(family.iter().map(|p| p.pid));
        for compiler in &family {
            let Some(bin) = crate_name(compiler.pid).filter(|b| wanted.contains(b)) else {
                continue;
            };
            let since = *started.entry(bin.clone()).or_insert(now);
            first.get_or_insert(now);
            if now.duration_since(since) > limits.exercise {
                for p in std::iter::once(compiler.pid).chain(subtree(&family, compiler.pid)) {
                    kill(p);
                }
                watched.timed_out.insert(bin);
            }
        }
        if first.is_some_and(|f| now.duration_since(f) > limits.submission) {
            watched.submission_stopped = true;
            return watched;
        }
        std::thread::sleep(TICK);
    }
}

/// Ends a build: its whole group at once, then cargo reaped, and the orphans of its compilers
/// this process inherited (it is a subreaper) reaped too.
fn end_build(child: &mut Child, seen: &HashSet<i32>) {
    let group = child.id() as i32;
    // SAFETY: a signal to cargo's group; cargo is not reaped yet, so its pid (the group's id)
    // cannot have been reused.
    unsafe { libc::killpg(group, libc::SIGKILL) };
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut left: Vec<i32> = seen.iter().copied().filter(|p| *p != group).collect();
    while !left.is_empty() && Instant::now() < deadline {
        left.retain(|&pid| {
            let mut status = 0;
            // SAFETY: waitpid on one pid, without blocking; another process's pid gives ECHILD.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            reaped == 0
        });
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether cargo has ended, without reaping it: its group must not be reused before it is
/// killed.
fn has_ended(pid: i32) -> bool {
    // SAFETY: waitid on one child, into a zeroed siginfo_t it fills.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        match r {
            0 => info.si_pid() != 0,
            // Interrupted (Ctrl-C): the next look decides. Any other error: no such child.
            _ => std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR),
        }
    }
}

fn kill(pid: i32) {
    // SAFETY: a signal to a pid of this build.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// A process of the build, from /proc/<pid>/stat.
#[derive(Debug, Clone, Copy)]
struct Proc {
    pid: i32,
    parent: i32,
}

/// Every live (not zombie) process under `root`.
fn descendants(root: i32) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<Proc> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces and parentheses: the fields follow the last ')'.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let parent = fields.next()?.parse().ok()?;
            (state != "Z").then_some(Proc { pid, parent })
        })
        .collect();
    let below = subtree(&all, root);
    all.into_iter().filter(|p| below.contains(&p.pid)).collect()
}

/// The pids below `root` in `all`.
fn subtree(all: &[Proc], root: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|p| p.parent == parent) {
            if !found.contains(&p.pid) {
                found.push(p.pid);
                frontier.push(p.pid);
            }
        }
    }
    found
}

/// The crate a compiler is compiling: the word after `--crate-name` in its command line.
fn crate_name(pid: i32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let mut words = cmdline.split(|b| *b == 0);
    words.find(|w| *w == b"--crate-name")?;
    words
        .next()
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_switch() {
        let secs = Duration::from_secs;
        assert_eq!(
            Limits::parse(None),
            Ok(Limits {
                exercise: secs(EXERCISE_SECS),
                submission: secs(SUBMISSION_SECS)
            })
        );
        assert_eq!(
            Limits::parse(Some("5")),
            Ok(Limits {
                exercise: secs(5),
                submission: secs(15)
            })
        );
        assert_eq!(
            Limits::parse(Some("8, 5")),
            Ok(Limits {
                exercise: secs(8),
                submission: secs(5)
            })
        );
        for bad in ["", "0", "x", "5,", "-1", "5,6,7"] {
            let error = Limits::parse(Some(bad)).expect_err(bad);
            assert!(error.contains(BUILD_SECS_SWITCH), "{error}");
        }
    }

    #[test]
    fn a_flood_of_messages_is_cut_to_a_bounded_report() {
        let mut messages = Messages::default();
        for i in 0..20_000 {
            messages.add(&format!("error[E0308]: mismatched types number {i}\n\n"));
        }
        let text = messages.text();
        assert!(text.len() <= BYTES_SHOWN + 100, "{}", text.len());
        assert!(text.contains("number 19\n"), "{text}");
        assert!(!text.contains("number 20\n"), "{text}");
        assert!(
            text.ends_with("... 19980 more messages not shown"),
            "{text}"
        );

        let mut huge = Messages::default();
        huge.add(&"a line of an error\n".repeat(10_000));
        huge.add("error: the second\n");
        let text = huge.text();
        assert!(text.len() <= BYTES_SHOWN + 100, "{}", text.len());
        assert!(text.contains("[the rest of this message is not shown]"));
        assert!(text.ends_with("... 1 more message not shown"), "{text}");
    }

    #[test]
    fn cargo_lines_are_read_within_bounds() {
        let long = format!(
            "{{\"reason\":\"compiler-message\",\"target\":{{\"kind\":[\"bin\"],\"name\":\"01_raw_pipe\"}},\"message\":{{\"rendered\":\"{}\"}}}}\n",
            "x".repeat(LONGEST_LINE)
        );
        let ok = r#"{"reason":"compiler-message","target":{"kind":["bin"],"name":"01_raw_pipe"},"message":{"message":"couldn't read `/dev/zero`: out of memory","level":"error","rendered":"error: couldn't read\n\n"}}"#;
        let artifact = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"02_duplex_pipe"},"executable":"/t/02"}"#;
        let other = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"nix"},"executable":null}"#;
        let stream = format!("{long}{ok}\nnot json\n{artifact}\n{other}");
        let wanted: HashSet<String> = ["01_raw_pipe", "02_duplex_pipe"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let read = read_messages(stream.as_bytes(), &wanted);
        let one = &read.by_bin["01_raw_pipe"];
        assert_eq!((one.count, one.more, one.out_of_memory), (1, 1, true));
        assert_eq!(
            read.built.get("02_duplex_pipe"),
            Some(&PathBuf::from("/t/02"))
        );
        assert_eq!(read.built.len(), 1);
    }

    #[test]
    fn a_compiler_that_died_of_a_signal_is_named() {
        let stderr = "rustc-LLVM ERROR: out of memory\nAllocation failed\nerror: could not compile `exercises-copy` (bin \"01_raw_pipe\")\n\nCaused by:\n  process didn't exit successfully: `/x/rustc --crate-name 01_raw_pipe --edition=2024 copy/src/bin/01_raw_pipe.rs` (signal: 6, SIGABRT: process abort signal)\n";
        let errors = read_errors(stderr.as_bytes());
        assert_eq!(
            errors.crashed.get("01_raw_pipe").map(String::as_str),
            Some("signal: 6, SIGABRT: process abort signal")
        );
        assert!(errors.kept.starts_with("rustc-LLVM ERROR"));
        let flood = "error: something\n".repeat(10_000);
        assert!(read_errors(flood.as_bytes()).kept.len() <= CARGO_ERRORS_KEPT + 100);
        let outcome = Outcome {
            crashed: errors.crashed,
            ..Outcome::default()
        };
        let limits = Limits::parse(None).expect("the defaults");
        assert!(
            outcome
                .report("01_raw_pipe", limits)
                .starts_with("the compiler ran out of the 2 GiB a build may use")
        );
        assert!(
            outcome
                .report("02_duplex_pipe", limits)
                .contains("without a word")
        );
    }
}
