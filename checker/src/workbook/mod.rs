//! The workbook's own data: where it is, its manifest of exercises, its transcripts, how its
//! programs are built, and the student's progress. `Workbook` is the one value that carries
//! them through a command: found once (at most one `cargo metadata`), its manifest parsed once.

pub mod build;
pub mod manifest;
pub mod progress;
pub mod transcript;
pub mod upload;

use build::Source;
use manifest::Exercise;
use progress::ExerciseFiles;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use transcript::Transcript;

/// Said when a command needs the reference solutions in the student handout.
pub const NO_SOLUTIONS: &str =
    "the reference solutions are not part of this copy of the workbook (it is the student handout)";

/// The workbook this checker belongs to, where cargo puts what it builds, and its exercises.
pub struct Workbook {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    cargo: PathBuf,
    /// Every exercise of the manifest, in order.
    pub exercises: Vec<Exercise>,
    /// Where each case's files are kept, when not under the target directory.
    kept: Option<PathBuf>,
}

impl Workbook {
    /// The checker's own workbook, with the target directory as cargo would use it (so
    /// `CARGO_TARGET_DIR` and `.cargo/config.toml` are honoured): the one `cargo run` built
    /// this checker in, else the one `CARGO_TARGET_DIR` names, else as cargo reports it.
    pub fn locate() -> Result<Workbook, String> {
        let (root, cargo) = Workbook::root_and_cargo()?;
        let named = std::env::current_dir()
            .ok()
            .and_then(|cwd| named_target(std::env::var_os("CARGO_TARGET_DIR"), &cwd));
        if let Some(target_dir) = target_of_this_run(&root, &cargo).or(named) {
            return Ok(Workbook {
                root,
                target_dir,
                cargo,
                exercises: manifest::exercises(),
                kept: None,
            });
        }
        let output = Command::new(&cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
                "--manifest-path",
            ])
            .arg(root.join("Cargo.toml"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                format!(
                    "cannot run cargo ({}): {e}; is the Rust toolchain installed?",
                    cargo.display()
                )
            })?;
        if !output.status.success() {
            return Err(format!(
                "`cargo metadata` failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("cannot read `cargo metadata` output: {e}"))?;
        let target_dir = metadata["target_directory"]
            .as_str()
            .ok_or("`cargo metadata` did not report a target directory")?
            .into();
        Ok(Workbook {
            root,
            target_dir,
            cargo,
            exercises: manifest::exercises(),
            kept: None,
        })
    }

    /// The checker's own workbook with a target directory already found by the check that
    /// started this process (its lanes, `grade`'s checks): no second `cargo metadata`.
    pub fn with_target_dir(target_dir: PathBuf) -> Result<Workbook, String> {
        let (root, cargo) = Workbook::root_and_cargo()?;
        Ok(Workbook {
            root,
            target_dir,
            cargo,
            exercises: manifest::exercises(),
            kept: None,
        })
    }

    fn root_and_cargo() -> Result<(PathBuf, PathBuf), String> {
        let root = find_root(
            std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            std::env::current_dir().ok(),
            std::env::current_exe().ok(),
        )?;
        let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
        Ok((root, cargo))
    }

    /// Picks exercises by number (`1`, `01`) or name (`raw_pipe`, `01_raw_pipe`); none means all.
    pub fn select(&self, wanted: &[String]) -> Result<Vec<&Exercise>, String> {
        manifest::select(&self.exercises, wanted)
    }

    /// One exercise, by number or name.
    pub fn exercise(&self, wanted: &str) -> Result<&Exercise, String> {
        let picked = self.select(&[wanted.to_string()])?;
        picked
            .into_iter()
            .next()
            .ok_or_else(|| format!("no exercise called `{wanted}`"))
    }

    /// Whether this copy holds the reference solutions (the student handout does not).
    pub fn has_solutions(&self) -> bool {
        self.root.join("solutions/Cargo.toml").is_file()
    }

    /// An error for the student handout when `source` is the solutions.
    pub fn require(&self, source: &Source) -> Result<(), String> {
        if matches!(source, Source::Solutions) && !self.has_solutions() {
            return Err(NO_SOLUTIONS.into());
        }
        Ok(())
    }

    /// The checker's own files under the target directory. A target directory outside the
    /// workbook may be shared by several copies (`CARGO_TARGET_DIR`): each copy then gets a
    /// folder of its own in it, so that one copy never reads what a check of another left.
    pub fn work_dir(&self) -> PathBuf {
        let shared = self.target_dir.join("pipes-lab");
        if self.target_dir.starts_with(&self.root) {
            shared
        } else {
            let id = stable_hash(self.root.to_string_lossy().as_bytes());
            shared.join(format!("workbook-{id:016x}"))
        }
    }

    /// Where cargo builds this workbook's own exercises and solutions: its target directory,
    /// unless that lies outside the workbook, where other copies may build packages of the
    /// same names. Cargo would take another copy's build of `exercises` for this one's when
    /// both are fresh, so there each copy builds into a folder of its own.
    pub fn cargo_target_dir(&self) -> PathBuf {
        if self.target_dir.starts_with(&self.root) {
            self.target_dir.clone()
        } else {
            self.work_dir().join("target")
        }
    }

    /// Where a check keeps each case's files for an exercise, for the student to open.
    pub fn kept_dir(&self, exercise: &Exercise) -> PathBuf {
        self.kept
            .clone()
            .unwrap_or_else(|| self.work_dir().join("last-run"))
            .join(&exercise.name)
    }

    /// Keeps each case's files under `dir/<exercise>/` from now on.
    pub fn keep_runs_in(&mut self, dir: PathBuf) {
        self.kept = Some(dir);
    }

    /// The original stub of an exercise, which `reset` puts back.
    pub fn stub(&self, exercise: &Exercise) -> PathBuf {
        self.root
            .join("checker/stubs")
            .join(format!("{}.rs", exercise.name))
    }

    pub fn transcript_path(&self, exercise: &Exercise) -> PathBuf {
        self.root
            .join("checker/transcripts")
            .join(format!("{}.txt", exercise.name))
    }

    /// The stored transcript of an exercise; an exercise without one has no transcript cases.
    pub fn transcript(&self, exercise: &Exercise) -> Result<Transcript, String> {
        let path = self.transcript_path(exercise);
        match std::fs::read_to_string(&path) {
            Ok(text) => Transcript::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Transcript {
                header: String::new(),
                cases: Vec::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The files a transcript's commands use: `checker/transcripts/<exercise>/`, copied into the
    /// working directory of each of its runs.
    pub fn transcript_files(&self, exercise: &Exercise) -> Vec<(String, Vec<u8>)> {
        let dir = self.root.join("checker/transcripts").join(&exercise.name);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<(String, Vec<u8>)> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                Some((
                    e.file_name().to_str()?.to_string(),
                    std::fs::read(e.path()).ok()?,
                ))
            })
            .collect();
        files.sort();
        files
    }

    /// Where a source's exercise files are, and where their progress is kept: the student's at
    /// the workbook's root, another copy's under the target directory (the checker writes
    /// nothing into an exercises folder but what `reset` restores).
    pub fn exercise_files(&self, source: &Source) -> ExerciseFiles {
        match source {
            Source::Copy(dir) => {
                let id = stable_hash(upload::absolute(dir).to_string_lossy().as_bytes());
                ExerciseFiles {
                    dir: dir.clone(),
                    progress: self
                        .work_dir()
                        .join("progress")
                        .join(format!("{id:016x}.json")),
                }
            }
            _ => ExerciseFiles {
                dir: self.root.join("exercises"),
                progress: self.root.join(progress::FILE_NAME),
            },
        }
    }
}

/// Whether `dir` is the top folder of a pipes-lab workbook.
fn is_workbook(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("checker/exercises.toml").is_file()
}

/// The workbook a checker works on, found when it runs (never where it was compiled: a copy
/// moved or renamed with its target folder must check its own files). In order: the package
/// folder cargo names for `cargo run` (`CARGO_MANIFEST_DIR`, the checker's, inside the
/// workbook), then the working folder and those above it, then the folders above the
/// checker's own program (`target/debug/checker`).
fn find_root(
    manifest_dir: Option<PathBuf>,
    cwd: Option<PathBuf>,
    exe: Option<PathBuf>,
) -> Result<PathBuf, String> {
    let from_cargo = manifest_dir.and_then(|d| d.parent().map(Path::to_path_buf));
    let above = |start: Option<PathBuf>| -> Option<PathBuf> {
        start?
            .ancestors()
            .find(|d| is_workbook(d))
            .map(Path::to_path_buf)
    };
    let root = from_cargo
        .filter(|d| is_workbook(d))
        .or_else(|| above(cwd))
        .or_else(|| above(exe))
        .ok_or(
            "cannot find the workbook: run the checker from the workbook's folder (the one holding Cargo.toml and checker/exercises.toml), for example with `cargo run -p checker`",
        )?;
    // One spelling of the folder, whatever way led to it.
    Ok(root.canonicalize().unwrap_or(root))
}

/// FNV-1a: a hash that stays the same from run to run and machine to machine (seeds per
/// exercise, fingerprints of files, ids of folders).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// The target directory without asking cargo (`cargo metadata` takes a tenth of a second of
/// every check), where the checker is the one `cargo run` just built in this very workspace:
/// cargo then told it its package folder (CARGO_MANIFEST_DIR, inside `root`) and put it in
/// `<target>/<profile>/`, whose root cargo marks with CACHEDIR.TAG. Anything else (another
/// copy's workbook, a CARGO_TARGET_DIR elsewhere, a cargo that is not there) asks cargo.
fn target_of_this_run(root: &Path, cargo: &Path) -> Option<PathBuf> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let package = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if !same(package.parent()?, root) || (cargo.components().count() > 1 && !cargo.is_file()) {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let target = exe.parent()?.parent()?;
    if !target.join("CACHEDIR.TAG").is_file() {
        return None;
    }
    for variable in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"] {
        if let Some(dir) = std::env::var_os(variable)
            && !same(Path::new(&dir), target)
        {
            return None;
        }
    }
    Some(target.to_path_buf())
}

/// The target directory that `CARGO_TARGET_DIR` names, as cargo takes it (before any of its
/// settings, relative to the working folder): found without running `cargo metadata`, 45 ms
/// of a check started directly (an instructor's script, a grader, a benchmark).
fn named_target(value: Option<std::ffi::OsString>, cwd: &Path) -> Option<PathBuf> {
    let value = PathBuf::from(value.filter(|v| !v.is_empty())?);
    Some(cwd.join(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_target_dir_names_the_target_directory_from_the_working_folder() {
        let cwd = Path::new("/home/student/pipes-lab");
        assert_eq!(
            named_target(Some("/tmp/target".into()), cwd),
            Some(PathBuf::from("/tmp/target"))
        );
        assert_eq!(
            named_target(Some("build/t".into()), cwd),
            Some(PathBuf::from("/home/student/pipes-lab/build/t"))
        );
        // Unset or empty: cargo's own settings decide, so cargo is asked.
        assert_eq!(named_target(None, cwd), None);
        assert_eq!(named_target(Some("".into()), cwd), None);
    }

    fn workbook_in(dir: &Path) {
        std::fs::create_dir_all(dir.join("checker")).expect("create a workbook");
        std::fs::write(dir.join("Cargo.toml"), "").expect("write Cargo.toml");
        std::fs::write(dir.join("checker/exercises.toml"), "").expect("write the manifest");
    }

    #[test]
    fn the_workbook_is_found_where_the_checker_runs_not_where_it_was_built() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let (old, moved) = (tmp.path().join("old"), tmp.path().join("moved"));
        workbook_in(&moved);
        let moved = moved.canonicalize().expect("canonical");
        // cargo run names the checker's package folder of the copy it runs.
        let found = find_root(Some(moved.join("checker")), None, None);
        assert_eq!(found, Ok(moved.clone()));
        // A stale package folder (the copy was moved since) is passed over for the working
        // folder, and a subfolder of the workbook works too.
        let found = find_root(
            Some(old.join("checker")),
            Some(moved.join("exercises/src")),
            None,
        );
        assert_eq!(found, Ok(moved.clone()));
        // Started directly, from elsewhere: the folders above its program.
        let exe = moved.join("target/debug/checker");
        let found = find_root(None, Some(tmp.path().to_path_buf()), Some(exe));
        assert_eq!(found, Ok(moved.clone()));
        let lost = find_root(
            Some(old.join("checker")),
            Some(tmp.path().to_path_buf()),
            None,
        );
        assert!(lost.is_err_and(|e| e.contains("cannot find the workbook")));
    }

    #[test]
    fn a_shared_target_directory_keeps_each_copy_s_files_apart() {
        let wb = |root: &str, target: &str| Workbook {
            root: root.into(),
            target_dir: target.into(),
            cargo: "cargo".into(),
            exercises: Vec::new(),
            kept: None,
        };
        assert_eq!(
            wb("/a", "/a/target").work_dir(),
            Path::new("/a/target/pipes-lab")
        );
        let (one, two) = (
            wb("/a", "/shared").work_dir(),
            wb("/b", "/shared").work_dir(),
        );
        assert!(one.starts_with("/shared/pipes-lab") && two.starts_with("/shared/pipes-lab"));
        assert_ne!(one, two);
    }
}
