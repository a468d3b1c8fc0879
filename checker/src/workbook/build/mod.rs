//! Building the workbook's programs with cargo: the student's exercises, another copy's, or
//! the reference solutions, each linked under a private name for the runs of one check.
//!
//! A submission's code runs in the compiler before it runs anywhere else: a `const` that never
//! ends, an `include_bytes!` of an endless file or a flood of errors must end with a verdict,
//! not a hung or drowned checker. So the build is one cargo call for every exercise
//! (`--keep-going`: one broken file hides no other), in a process group of its own with a cap
//! on memory, its JSON messages read as they come, and a watchdog over each exercise's
//! compiler (found in /proc by the `--crate-name` cargo gives it).
//!
//! Another copy's code is untrusted, and its build is walled in: staged by the checker into a
//! folder of its own, built offline with nothing of the checker's environment, a cargo home of
//! its own and Landlock's rules, and its programs removed from the shared target directory
//! once linked out.
//!
//! `stage` puts another copy's files beside this workbook's manifests; `walls` says what its
//! build may touch and is told; `leftovers` removes what it built; `cargo` runs the one cargo
//! call within its limits; `watchdog` follows its compilers in /proc; `messages` reads what
//! cargo says and cuts it to a report of bounded size.

mod cargo;
mod leftovers;
mod messages;
mod stage;
mod walls;
mod watchdog;

pub use walls::BuildWalls;

use leftovers::forget_copy_outputs;
use messages::Outcome;
use stage::COPY_PACKAGE;
use walls::Walled;

use cargo::Limits;

use super::Workbook;
use super::manifest::Exercise;
use nix::fcntl::{Flock, FlockArg};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Said of an exercise file a copy lacks.
pub const MISSING: &str = "is missing from the copy being checked";

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

/// Puts a build of untrusted code behind a wall (the sandbox's), before cargo starts.
pub type Confine<'a> = &'a dyn Fn(&mut Command, &BuildWalls) -> std::io::Result<()>;

/// Asked ten times a second during a build: true stops it (Ctrl-C).
pub type Stop<'a> = &'a dyn Fn() -> bool;

/// How one source is built: the manifest and package, where cargo puts it, the exercises
/// whose file is missing (with why, when the file is there but not read), and the wall around
/// the build when the code is untrusted (its stage goes with it).
struct Plan {
    manifest: PathBuf,
    package: &'static str,
    target_dir: PathBuf,
    missing: BTreeMap<String, String>,
    walled: Option<Walled>,
}

/// The result of building one exercise.
pub enum Built {
    Program(PathBuf),
    /// Why not: the compiler's messages (cut to a bounded size), or the limit it ran into.
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

    /// Builds the given exercises from `source` in one cargo call, within the limits (time,
    /// memory, messages) and until `stop` says otherwise; an exercise that does not build gets
    /// why. Each program is then linked under a private name, so a concurrent build of another
    /// copy cannot swap it while it runs.
    ///
    /// Another copy's code is untrusted: it is built into a target directory of its own (one
    /// that holds no reference solution), behind `confine`, and its programs are removed from
    /// there once linked out, before the lock is let go.
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
            Ok(Outcome::default())
        } else {
            self.cargo_build(&plan, &bins, color, confine, stop, limits)
        };
        let results =
            outcome.and_then(|o| self.link_programs(source, exercises, &plan, &o, limits));
        // Even after a build that failed or was stopped half-way.
        if plan.walled.is_some() {
            self.forget_copy_outputs(&plan.target_dir)?;
        }
        results
    }

    /// Links each built program under a private name, or says why it was not built.
    fn link_programs(
        &self,
        source: &Source,
        exercises: &[&Exercise],
        plan: &Plan,
        outcome: &Outcome,
        limits: Limits,
    ) -> Result<Vec<Built>, String> {
        let private = self.program_dir();
        std::fs::create_dir_all(&private)
            .map_err(|e| format!("cannot create {}: {e}", private.display()))?;
        // Emptied, not made anew: the sandbox's probes, which may run beside the build, have
        // this very folder in their walls.
        for entry in std::fs::read_dir(&private).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
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
            walled: None,
        };
        match source {
            Source::Exercises => Ok(own("exercises")),
            Source::Solutions => Ok(own("solutions")),
            Source::Copy(dir) => {
                let stage = self.stage_copy(dir, exercises)?;
                let target_dir = self.copies_target_dir();
                std::fs::create_dir_all(&target_dir)
                    .map_err(|e| format!("cannot create {}: {e}", target_dir.display()))?;
                // A check killed during its build left its programs there.
                self.forget_copy_outputs(&target_dir)?;
                Ok(Plan {
                    manifest: stage.manifest(),
                    package: COPY_PACKAGE,
                    missing: stage.missing.clone(),
                    walled: Some(self.wall(stage, &target_dir)?),
                    target_dir,
                })
            }
        }
    }

    /// Where copies are built: a target directory of their own, which holds no reference
    /// solution, shared by every copy so that the dependencies are built once.
    fn copies_target_dir(&self) -> PathBuf {
        self.work_dir().join("copies")
    }

    fn forget_copy_outputs(&self, target_dir: &Path) -> Result<(), String> {
        let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        forget_copy_outputs(target_dir, COPY_PACKAGE, &names)
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
