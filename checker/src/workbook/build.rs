//! Building the workbook's programs with cargo: the student's exercises, another copy's, or
//! the reference solutions, each linked under a private name for the runs of one check.

use super::Workbook;
use super::manifest::Exercise;
use nix::fcntl::{Flock, FlockArg};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Said of an exercise file a copy lacks.
pub const MISSING: &str = "is missing from the copy being checked";

/// The package name under which another copy's exercises are built.
const COPY_PACKAGE: &str = "exercises-copy";

/// Which programs to build: the student's exercises, another copy's, or the solutions.
#[derive(Debug, Clone)]
pub enum Source {
    Exercises,
    /// An `exercises/` folder of another copy of the workbook, built with this workbook's
    /// Cargo.toml and Cargo.lock so that the student's copy cannot change what is linked.
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

/// How one source is built: the manifest and package, where cargo puts it, the exercises
/// whose file is missing, and the wall around the build when the code is untrusted.
struct Plan {
    manifest: PathBuf,
    package: &'static str,
    target_dir: PathBuf,
    missing: Vec<String>,
    walls: Option<BuildWalls>,
}

/// The result of building one exercise.
pub enum Built {
    Program(PathBuf),
    /// The compiler's messages, as cargo printed them.
    Failed(String),
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

    /// Builds the given exercises from `source`, one cargo call for all and, only when that
    /// fails, one per exercise so that one broken file does not hide the others. Each program
    /// is then linked under a private name, so a concurrent build of another copy cannot swap
    /// it while it runs.
    ///
    /// Another copy's code is untrusted: it is built into a target directory of its own (one
    /// that holds no reference solution), behind `confine`.
    pub fn build(
        &self,
        source: &Source,
        exercises: &[&Exercise],
        color: bool,
        confine: Confine,
    ) -> Result<Vec<Built>, String> {
        let work = self.work_dir();
        std::fs::create_dir_all(&work)
            .map_err(|e| format!("cannot create {}: {e}", work.display()))?;
        let lock_file = std::fs::File::create(work.join("build.lock"))
            .map_err(|e| format!("cannot create the build lock: {e}"))?;
        let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, e)| format!("cannot lock the build: {e}"))?;

        let plan = self.plan(source, exercises)?;
        let cargo_build = |bins: &[String]| self.cargo_build(&plan, bins, color, confine);
        let bin = |e: &Exercise| self.bin_name(source, e);
        let present: Vec<&Exercise> = exercises
            .iter()
            .copied()
            .filter(|e| !plan.missing.contains(&e.name))
            .collect();
        let all_ok = !present.is_empty()
            && cargo_build(&present.iter().map(|e| bin(e)).collect::<Vec<_>>())?.is_none();

        let private = self.program_dir();
        let _ = std::fs::remove_dir_all(&private);
        std::fs::create_dir_all(&private)
            .map_err(|e| format!("cannot create {}: {e}", private.display()))?;
        let mut results = Vec::new();
        for e in exercises {
            if plan.missing.contains(&e.name) {
                results.push(Built::Failed(format!("{} {MISSING}", e.exercise_path())));
                continue;
            }
            let name = bin(e);
            if !all_ok && let Some(errors) = cargo_build(std::slice::from_ref(&name))? {
                results.push(Built::Failed(errors));
                continue;
            }
            let built = plan.target_dir.join("debug").join(&name);
            let mine = private.join(&name);
            std::fs::hard_link(&built, &mine)
                .or_else(|_| std::fs::copy(&built, &mine).map(drop))
                .map_err(|e| format!("cannot copy {}: {e}", built.display()))?;
            results.push(Built::Program(mine));
        }
        Ok(results)
    }

    fn plan(&self, source: &Source, exercises: &[&Exercise]) -> Result<Plan, String> {
        let own = |package| Plan {
            manifest: self.root.join("Cargo.toml"),
            package,
            target_dir: self.target_dir.clone(),
            missing: Vec::new(),
            walls: None,
        };
        match source {
            Source::Exercises => Ok(own("exercises")),
            Source::Solutions => Ok(own("solutions")),
            Source::Copy(dir) => {
                let stage = self.stage_copy(dir, exercises)?;
                let missing = exercises
                    .iter()
                    .filter(|e| !dir.join("src/bin").join(format!("{}.rs", e.name)).is_file())
                    .map(|e| e.name.clone())
                    .collect();
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
    /// lock file and the copy's exercise files. Dependencies come out of the shared target
    /// directory already built.
    fn stage_copy(&self, dir: &Path, exercises: &[&Exercise]) -> Result<PathBuf, String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        let dir = dir.canonicalize().map_err(|e| io("open", dir, e))?;
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
        for e in exercises {
            let from = dir.join("src/bin").join(format!("{}.rs", e.name));
            if from.is_file() {
                std::fs::copy(&from, bin_dir.join(format!("{}.rs", e.name)))
                    .map_err(|err| io("copy", &from, err))?;
            }
        }
        Ok(stage)
    }

    /// Runs `cargo build` for some binaries; `Some(messages)` when it fails.
    fn cargo_build(
        &self,
        plan: &Plan,
        bins: &[String],
        color: bool,
        confine: Confine,
    ) -> Result<Option<String>, String> {
        let mut command = Command::new(&self.cargo);
        command
            .args(["build", "--quiet", "--manifest-path"])
            .arg(&plan.manifest)
            .args([
                "--package",
                plan.package,
                "--color",
                if color { "always" } else { "never" },
            ])
            .env("CARGO_TARGET_DIR", &plan.target_dir)
            .stdin(Stdio::null());
        for bin in bins {
            command.args(["--bin", bin]);
        }
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
        let output = command
            .output()
            .map_err(|e| format!("cannot run cargo ({}): {e}", self.cargo.display()))?;
        Ok(
            (!output.status.success())
                .then(|| String::from_utf8_lossy(&output.stderr).into_owned()),
        )
    }

    /// The cargo command that reruns a program by hand, before its arguments.
    pub fn rerun_prefix(&self, source: &Source, exercise: &Exercise) -> String {
        // Absolute: the command may first `cd` into the folder of kept inputs.
        let manifest = self.root.join("Cargo.toml").display().to_string();
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
                dir.join("Cargo.toml").display(),
                exercise.name
            ),
        }
    }
}
