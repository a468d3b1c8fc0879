//! Grading engines beyond this machine: the Gradescope autograder `gradescope DIR` writes, run
//! in a simulated root the way Gradescope calls its scripts; the GitHub Classroom workflow and
//! runner results; the dev container.

mod common;

use base64::Engine;
use common::{checker, root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Each exercise's points, from the manifest.
fn points() -> Vec<(String, f64)> {
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(root().join("checker/exercises.toml")).expect("the manifest"),
    )
    .expect("parse the manifest");
    manifest["exercise"]
        .as_array()
        .expect("exercises")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("a name").to_string(),
                e["points"].as_integer().expect("points") as f64,
            )
        })
        .collect()
}

fn solution(name: &str) -> std::path::PathBuf {
    root().join(format!("solutions/src/bin/{name}.rs"))
}

/// Runs one of the autograder's scripts as Gradescope would, in the simulated `agroot`: its exit
/// status and what it printed.
fn try_script(agroot: &Path, script: &str, envs: &[(&str, &str)]) -> (bool, String) {
    // A debug build in a target folder the tests keep, so that the dependencies are built once
    // (Gradescope builds the release profile, which takes minutes).
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("autograder-target");
    let output = Command::new("bash")
        .arg(agroot.join("source").join(script))
        .current_dir(agroot.join("source"))
        .env("AUTOGRADER_ROOT", agroot)
        .env("PIPES_LAB_PROFILE", "dev")
        .env("CARGO_TARGET_DIR", &target)
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .output()
        .expect("run the script");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), log)
}

/// Runs a script that must succeed; what it printed.
fn run_script(agroot: &Path, script: &str, envs: &[(&str, &str)]) -> String {
    let (ok, log) = try_script(agroot, script, envs);
    assert!(ok, "{script} failed:\n{log}");
    log
}

/// The autograder `gradescope DIR` writes, unzipped into a simulated root (`root/`, beside the
/// package in `package/`) and set up once for every test of this file (setup.sh builds the
/// checker, which takes a minute); each test holds it while it runs its submissions.
fn simulated_root() -> MutexGuard<'static, PathBuf> {
    static ROOT: OnceLock<Mutex<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        // Under the target directory, so that nothing is left in the system's temporary folder.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("autograder-root");
        let _ = std::fs::remove_dir_all(&dir);
        let package = dir.join("package");
        checker().arg("gradescope").arg(&package).assert().code(0);
        let file = std::fs::File::open(package.join("autograder.zip")).expect("autograder.zip");
        let mut archive = zip::ZipArchive::new(file).expect("a zip archive");
        // Gradescope unzips it into source/ and calls setup.sh once, then run_autograder per
        // submission.
        let agroot = dir.join("root");
        archive
            .extract(agroot.join("source"))
            .expect("unzip the autograder");
        run_script(&agroot, "setup.sh", &[]);
        Mutex::new(dir)
    })
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Empties the submission folder and puts `files` (path in the upload, contents) in it.
fn upload(agroot: &Path, files: &[(String, String)]) -> PathBuf {
    let submission = agroot.join("submission");
    let _ = std::fs::remove_dir_all(&submission);
    std::fs::create_dir_all(&submission).expect("the submission folder");
    for (path, text) in files {
        let path = submission.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create a folder");
        std::fs::write(path, text).expect("write a file");
    }
    submission
}

/// The results.json run_autograder left.
fn results(agroot: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(agroot.join("results/results.json")).expect("results.json");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("results.json is not JSON ({e}):\n{text}"))
}

#[test]
#[ignore = "the autograder packages, about a minute: .ci/run runs it"]
fn the_gradescope_autograder_scores_a_submission_in_a_simulated_root() {
    let dir = simulated_root();
    let package = dir.join("package");

    // The archive: both scripts at its top, executable, the workbook beside them, and no
    // reference solution anywhere.
    let file = std::fs::File::open(package.join("autograder.zip")).expect("autograder.zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip archive");
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.expect("an entry's name").into_owned())
        .collect();
    for script in ["setup.sh", "run_autograder"] {
        let entry = archive.by_name(script).expect("a script at the top");
        assert_eq!(
            entry.unix_mode().map(|m| m & 0o111),
            Some(0o111),
            "{script}"
        );
    }
    assert!(
        names.iter().any(|n| n == "pipes-lab/Cargo.toml"),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("pipes-lab/solutions") || n.contains("checker/tests")),
        "{names:?}"
    );
    let solutions: Vec<String> = points()
        .iter()
        .map(|(n, _)| std::fs::read_to_string(solution(n)).expect("a solution"))
        .collect();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("an entry");
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut entry, &mut text).is_ok() {
            assert!(
                !solutions.iter().any(|s| text.contains(s.as_str())),
                "{:?} holds a reference solution",
                entry.name()
            );
        }
    }

    let agroot = dir.join("root");
    let all = points();
    let earned = |names: &[&str]| -> f64 {
        all.iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, p)| p)
            .sum()
    };

    // Uploaded as the exercise files alone: two solved exercises.
    let files: Vec<(String, String)> = ["01_raw_pipe", "02_duplex_pipe"]
        .iter()
        .map(|n| {
            (
                format!("{n}.rs"),
                std::fs::read_to_string(solution(n)).expect("a solution"),
            )
        })
        .collect();
    upload(&agroot, &files);
    let log = run_script(&agroot, "run_autograder", &[]);
    let json = results(&agroot);
    assert_eq!(
        json["score"].as_f64(),
        Some(earned(&["01_raw_pipe", "02_duplex_pipe"])),
        "{log}"
    );
    let tests = json["tests"].as_array().expect("tests");
    let sum: f64 = tests.iter().filter_map(|t| t["score"].as_f64()).sum();
    assert_eq!(sum, json["score"].as_f64().unwrap_or(-1.0));
    assert!(tests.iter().all(|t| t["visibility"] == "visible"));
    assert!(json["output"].as_str().is_some_and(|o| o.contains("seed ")));

    // Uploaded as a whole copy of the workbook: the untouched stubs and one solved exercise in
    // its exercises/ folder, with the results hidden from students.
    let files: Vec<(String, String)> = all
        .iter()
        .map(|(name, _)| {
            let from = if name == "06_pipe_capacity" {
                solution(name)
            } else {
                root().join(format!("checker/stubs/{name}.rs"))
            };
            (
                format!("my-pipes-lab/exercises/src/bin/{name}.rs"),
                std::fs::read_to_string(from).expect("an exercise"),
            )
        })
        .collect();
    upload(&agroot, &files);
    let log = run_script(&agroot, "run_autograder", &[("VISIBILITY", "hidden")]);
    let json = results(&agroot);
    assert_eq!(
        json["score"].as_f64(),
        Some(earned(&["06_pipe_capacity"])),
        "{log}"
    );
    assert!(
        json["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .all(|t| t["visibility"] == "hidden")
    );
}

#[test]
#[ignore = "the autograder packages, about a minute: .ci/run runs it"]
fn run_autograder_takes_loose_files_anywhere_and_explains_an_upload_it_cannot_use() {
    let dir = simulated_root();
    let agroot = dir.join("root");

    // Every reference solution as a loose file, in folders of the student's own making.
    let files: Vec<(String, String)> = points()
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            (
                format!("week {}/{name}.rs", i / 3 + 1),
                std::fs::read_to_string(solution(name)).expect("a solution"),
            )
        })
        .collect();
    upload(&agroot, &files);
    let log = run_script(&agroot, "run_autograder", &[]);
    let max: f64 = points().iter().map(|(_, p)| p).sum();
    assert_eq!(results(&agroot)["score"].as_f64(), Some(max), "{log}");

    // Nothing that looks like an exercise: a zero, and why.
    upload(&agroot, &[("notes.txt".into(), "hello\n".into())]);
    let log = run_script(&agroot, "run_autograder", &[]);
    let json = results(&agroot);
    assert_eq!(json["score"].as_f64(), Some(0.0), "{log}");
    let output = json["output"].as_str().unwrap_or_default();
    assert!(output.contains("no exercise files found"), "{json}");

    // Two copies: refused, naming both.
    let text = std::fs::read_to_string(solution("01_raw_pipe")).expect("a solution");
    upload(
        &agroot,
        &[
            ("old/01_raw_pipe.rs".into(), text.clone()),
            ("new/01_raw_pipe.rs".into(), text),
        ],
    );
    let log = run_script(&agroot, "run_autograder", &[]);
    let json = results(&agroot);
    assert_eq!(json["score"].as_f64(), Some(0.0), "{log}");
    let output = json["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("new/01_raw_pipe.rs and old/01_raw_pipe.rs"),
        "{json}"
    );
}

/// A simulated root holding only run_autograder and an empty workbook folder.
fn bare_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let source = dir.path().join("source");
    std::fs::create_dir_all(source.join("pipes-lab")).expect("the workbook folder");
    std::fs::copy(
        root().join("checker/autograder/run_autograder"),
        source.join("run_autograder"),
    )
    .expect("copy run_autograder");
    std::fs::create_dir_all(dir.path().join("submission")).expect("the submission folder");
    dir
}

/// A folder of links to the programs run_autograder uses, and nothing else (no cargo).
fn tools(dir: &Path) -> PathBuf {
    let bin = dir.join("tools");
    std::fs::create_dir_all(&bin).expect("create tools/");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in [
        "bash", "mktemp", "rm", "mkdir", "dirname", "tail", "cat", "tr",
    ] {
        let found = std::env::split_paths(&path)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no {tool} on PATH"));
        std::os::unix::fs::symlink(found, bin.join(tool)).expect("link a tool");
    }
    bin
}

#[test]
#[ignore = "the autograder packages, about a minute: .ci/run runs it"]
fn run_autograder_leaves_results_json_when_the_checker_cannot_write_it() {
    // No cargo at all: not on PATH, and no ~/.cargo/env.
    let agroot = bare_root();
    let bin = tools(agroot.path());
    let (ok, log) = try_script(
        agroot.path(),
        "run_autograder",
        &[
            ("PATH", bin.to_str().expect("a UTF-8 path")),
            ("HOME", agroot.path().to_str().expect("a UTF-8 path")),
        ],
    );
    assert!(!ok, "{log}");
    let json = results(agroot.path());
    assert_eq!(json["score"].as_f64(), Some(0.0), "{json}");
    let output = json["output"].as_str().unwrap_or_default();
    assert!(output.contains("cargo is not installed"), "{json}");

    // A checker that crashes, saying things JSON must escape: quotes, a backslash, a tab, a
    // control character and bytes outside ASCII.
    let agroot = bare_root();
    let bin = tools(agroot.path());
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\nprintf 'thread main panicked: \"boom\" at C:\\\\x\\t\\001 \\303\\251t\\351\\n' >&2\nexit 101\n",
    )
    .expect("write a cargo that crashes");
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make it executable");
    let (ok, log) = try_script(
        agroot.path(),
        "run_autograder",
        &[("PATH", bin.to_str().expect("a UTF-8 path"))],
    );
    assert!(!ok, "{log}");
    let json = results(agroot.path());
    assert_eq!(json["score"].as_f64(), Some(0.0), "{json}");
    let output = json["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("the checker stopped with exit status 101")
            && output.contains("panicked: \"boom\" at C:\\x\t"),
        "{json}"
    );
}

/// Decodes a Classroom runner result.
fn runner(encoded: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(encoded);
    let json = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("base64");
    serde_json::from_slice(&json).expect("JSON")
}

#[test]
#[ignore = "the autograder packages, about a minute: .ci/run runs it"]
fn a_classroom_runner_result_carries_each_case_s_points() {
    let solved = checker()
        .args(["--solutions", "--seed", "3", "--format", "classroom", "1"])
        .assert()
        .code(0);
    let json = runner(&solved.get_output().stdout);
    assert_eq!(json["status"], "pass");
    assert_eq!(json["max_score"].as_f64(), Some(20.0));
    let tests = json["tests"].as_array().expect("tests");
    assert!(tests.len() > 1, "one test per case");
    let sum: f64 = tests.iter().filter_map(|t| t["score"].as_f64()).sum();
    assert_eq!(sum, 20.0);

    // The stub, in a copy of its own: the workbook's exercises/ folder is the student's.
    let copy = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(copy.path().join("src/bin")).expect("create src/bin");
    std::fs::copy(
        root().join("checker/stubs/01_raw_pipe.rs"),
        copy.path().join("src/bin/01_raw_pipe.rs"),
    )
    .expect("copy the stub");
    let stub = checker()
        .arg("--exercises")
        .arg(copy.path())
        .args(["--seed", "3", "--format", "classroom", "1"])
        .assert()
        .code(1);
    let json = runner(&stub.get_output().stdout);
    assert_eq!(json["status"], "fail");
    let tests = json["tests"].as_array().expect("tests");
    assert!(
        tests
            .iter()
            .all(|t| t["score"] == 0.0 && t["status"] == "fail")
    );
    assert!(
        tests[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not started"))
    );
}

#[test]
#[ignore = "the autograder packages, about a minute: .ci/run runs it"]
fn the_student_copy_carries_a_classroom_workflow_and_a_dev_container() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let copy = dir.path().join("copy");
    checker().arg("export").arg(&copy).assert().code(0);
    let workflow = std::fs::read_to_string(copy.join(".github/workflows/classroom.yml"))
        .expect("the workflow");
    let mut runners = Vec::new();
    for (n, (name, points)) in points().iter().enumerate() {
        let id = format!("ex{:02}", n + 1);
        assert!(
            workflow.contains(&format!(
                "- name: {name} ({points} points)\n        id: {id}\n"
            )),
            "no step for {name}"
        );
        assert!(workflow.contains(&format!(
            "cargo run -q -p checker -- {name} --format classroom"
        )));
        assert!(workflow.contains(&format!(
            "{}_RESULTS: ${{{{ steps.{id}.outputs.result }}}}",
            id.to_uppercase()
        )));
        runners.push(id);
    }
    assert!(workflow.contains(&format!("runners: {}\n", runners.join(","))));
    assert!(workflow.contains("uses: classroom-resources/autograding-grading-reporter@v1"));

    for folder in [root(), copy] {
        let text = std::fs::read_to_string(folder.join(".devcontainer/devcontainer.json"))
            .expect("devcontainer.json");
        let json: serde_json::Value = serde_json::from_str(&text).expect("it parses");
        let args: Vec<&str> = json["runArgs"]
            .as_array()
            .expect("runArgs")
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert!(args.contains(&"--cap-add=SYS_PTRACE"), "{args:?}");
        assert!(json["image"].as_str().is_some_and(|i| i.contains("rust")));
    }
}
