//! Helpers shared by the checker's integration tests.
#![allow(dead_code)]

pub mod secrets;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The workbook's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("checker/ has a parent")
        .to_path_buf()
}

/// The exercise names, read from the manifest the way a person would.
pub fn exercise_names() -> Vec<String> {
    manifest()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("name = \"")?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .collect()
}

/// The whole workbook's points, from the manifest.
pub fn max_points() -> u32 {
    manifest()
        .lines()
        .filter_map(|l| l.strip_prefix("points = ")?.trim().parse::<u32>().ok())
        .sum()
}

fn manifest() -> String {
    std::fs::read_to_string(root().join("checker/exercises.toml")).expect("read the manifest")
}

/// The checker, with colours off and a fixed seed unless a test sets one.
pub fn checker() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("checker");
    cmd.env("NO_COLOR", "1")
        .env_remove("PIPES_LAB_TIME_SCALE")
        .timeout(Duration::from_secs(240));
    cmd
}

/// What one checker run on a single program showed.
pub struct Checked {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Processes of the run still alive after the checker exited: (pid, command line).
    pub left: Vec<(i32, String)>,
    pub elapsed: Duration,
}

/// Puts `program` in a copy's `src/bin/<exercise>.rs` and checks that exercise of the copy,
/// with `envs` added to the checker's environment.
pub fn check_program(exercise: &str, program: &Path, envs: &[(&str, &str)]) -> Checked {
    check_program_with_seed(exercise, program, 7, envs)
}

/// `check_program`, stopping each exercise at its first failing case (`--fail-fast`): the
/// same verdict and report, sooner.
pub fn check_program_fast(exercise: &str, program: &Path, envs: &[(&str, &str)]) -> Checked {
    check_program_with(exercise, program, 7, envs, &["--fail-fast"])
}

/// `check_program` with the random cases (and the X-ray's cuts) drawn from `seed`.
pub fn check_program_with_seed(
    exercise: &str,
    program: &Path,
    seed: u64,
    envs: &[(&str, &str)],
) -> Checked {
    check_program_with(exercise, program, seed, envs, &[])
}

fn check_program_with(
    exercise: &str,
    program: &Path,
    seed: u64,
    envs: &[(&str, &str)],
    args: &[&str],
) -> Checked {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    std::fs::copy(program, bin.join(format!("{exercise}.rs"))).expect("copy the program");
    let start = std::time::Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("checker"))
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--exercises")
        .arg(copy.path())
        .arg(exercise)
        .args(args)
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the checker");
    let pid = child.id();
    let read = |mut stream: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stream.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("piped stderr")));
    // The checker must never hang; if it does, stop it so that the test fails instead.
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the checker") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            break child.wait().expect("wait for the checker");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    Checked {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        left: processes_of_run(pid),
        elapsed,
    }
}

/// Live processes whose program is one the checker run `pid` built for itself.
pub fn processes_of_run(pid: u32) -> Vec<(i32, String)> {
    let marker = format!("/pipes-lab/bin/{pid}/");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|p| {
            let exe = std::fs::read_link(format!("/proc/{p}/exe")).ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            (exe.to_string_lossy().contains(&marker) && !zombie)
                .then(|| (p, exe.display().to_string()))
        })
        .collect()
}

/// A corpus program's header: `//! key: value` lines.
pub struct Header {
    pub exercise: String,
    pub expect_pass: bool,
    pub mistake: String,
    /// Phrases the report must contain (`//! diagnosis:` lines).
    pub diagnosis: Vec<String>,
    /// Phrases the report must not contain (`//! absent:` lines): a message that would send
    /// the student the wrong way.
    pub absent: Vec<String>,
    /// A structural cheat that must fail with the X-ray off too (`//! without the x-ray: fail`).
    pub fails_without_xray: bool,
}

pub fn header(path: &Path) -> Header {
    let text = std::fs::read_to_string(path).expect("read a corpus file");
    let field = |key: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                l.strip_prefix("//! ")?
                    .strip_prefix(key)?
                    .strip_prefix(": ")
                    .map(str::to_string)
            })
            .collect()
    };
    let one = |key: &str| {
        field(key)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{} has no `//! {key}:` line", path.display()))
    };
    Header {
        exercise: one("exercise"),
        expect_pass: one("expect") == "pass",
        mistake: one("mistake"),
        diagnosis: field("diagnosis"),
        absent: field("absent"),
        fails_without_xray: field("without the x-ray").iter().any(|v| v == "fail"),
    }
}

/// An exercise's timeout, from the manifest.
pub fn timeout_secs(exercise: &str) -> u64 {
    let manifest =
        std::fs::read_to_string(root().join("checker/exercises.toml")).expect("read the manifest");
    let entry = manifest
        .split("[[exercise]]")
        .find(|e| e.contains(&format!("name = \"{exercise}\"")))
        .expect("the exercise is in the manifest");
    entry
        .lines()
        .find_map(|l| l.strip_prefix("timeout_secs = ")?.trim().parse().ok())
        .expect("the exercise has a timeout")
}

/// An exercise's points in the report's summary (`12/30`).
pub fn summary_score(report: &str, exercise: &str) -> Option<String> {
    let summary = report.split("\nSummary\n").nth(1)?;
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(exercise))?;
    line.split_whitespace().last().map(str::to_string)
}

/// How many cases the report says an exercise has: `(2 of 3 cases passed, 5.2 s)`.
pub fn case_count(report: &str) -> Option<usize> {
    let at = report.find(" cases passed, ")?;
    let before = &report[..at];
    before.rsplit(" of ").next()?.trim().parse().ok()
}

/// The time the report gives for an exercise's runs: `(2 of 3 cases passed, 5.2 s)`.
pub fn run_seconds(report: &str) -> Option<f64> {
    let at = report.find(" cases passed, ")?;
    let rest = &report[at + " cases passed, ".len()..];
    rest.split(" s)").next()?.parse().ok()
}

/// The checker's target directory, where it builds copies: the one this test's checker is in.
pub fn target_dir() -> PathBuf {
    let checker = Path::new(assert_cmd::cargo::cargo_bin!("checker"));
    checker
        .ancestors()
        .nth(2)
        .expect("target/<profile>/checker")
        .to_path_buf()
}

/// The checker's own folder in the target directory, as `Workbook::work_dir` finds it.
pub fn work_dir() -> PathBuf {
    let (root, target) = (root(), target_dir());
    let shared = target.join("pipes-lab");
    if target.starts_with(&root) {
        return shared;
    }
    let root = root.canonicalize().expect("the workbook's root");
    let id = root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
    shared.join(format!("workbook-{id:016x}"))
}

/// The workbook's own files, without its target folder and its history, copied into `to`.
pub fn copy_workbook(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create the copy");
        for entry in std::fs::read_dir(from).expect("read a folder") {
            let entry = entry.expect("an entry");
            let name = entry.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            let (source, dest) = (entry.path(), to.join(&name));
            if entry.file_type().expect("a file type").is_dir() {
                copy(&source, &dest);
            } else {
                std::fs::copy(&source, &dest).expect("copy a file");
            }
        }
    }
    copy(&root(), to);
}
