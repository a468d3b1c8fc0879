//! Grading engines beyond this machine: the Gradescope autograder `gradescope DIR` writes, run
//! in a simulated root the way Gradescope calls its scripts; the GitHub Classroom workflow and
//! runner results; the dev container.

mod common;

use base64::Engine;
use common::{checker, root};
use std::path::Path;
use std::process::Command;

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

/// Runs one of the autograder's scripts as Gradescope would, in the simulated `agroot`.
fn run_script(agroot: &Path, script: &str, envs: &[(&str, &str)]) -> String {
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
    assert!(output.status.success(), "{script} failed:\n{log}");
    log
}

#[test]
fn the_gradescope_autograder_scores_a_submission_in_a_simulated_root() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let package = dir.path().join("autograder");
    checker().arg("gradescope").arg(&package).assert().code(0);

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

    // Gradescope unzips it into source/ and calls setup.sh once, then run_autograder per
    // submission.
    let agroot = dir.path().join("root");
    archive
        .extract(agroot.join("source"))
        .expect("unzip the autograder");
    run_script(&agroot, "setup.sh", &[]);
    let all = points();
    let earned = |names: &[&str]| -> f64 {
        all.iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, p)| p)
            .sum()
    };

    // Uploaded as the exercise files alone: two solved exercises.
    let submission = agroot.join("submission");
    std::fs::create_dir_all(&submission).expect("the submission folder");
    for name in ["01_raw_pipe", "02_duplex_pipe"] {
        std::fs::copy(solution(name), submission.join(format!("{name}.rs")))
            .expect("copy a solution");
    }
    let log = run_script(&agroot, "run_autograder", &[]);
    let results = agroot.join("results/results.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("results.json"))
            .expect("results.json is JSON");
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
    std::fs::remove_dir_all(&submission).expect("clear the submission");
    let bin = submission.join("my-pipes-lab/exercises/src/bin");
    std::fs::create_dir_all(&bin).expect("an exercises/ folder");
    for (name, _) in &all {
        let from = if name == "06_pipe_capacity" {
            solution(name)
        } else {
            root().join(format!("exercises/src/bin/{name}.rs"))
        };
        std::fs::copy(from, bin.join(format!("{name}.rs"))).expect("copy an exercise");
    }
    let log = run_script(&agroot, "run_autograder", &[("VISIBILITY", "hidden")]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("results.json"))
            .expect("results.json is JSON");
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

/// Decodes a Classroom runner result.
fn runner(encoded: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(encoded);
    let json = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("base64");
    serde_json::from_slice(&json).expect("JSON")
}

#[test]
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

    let stub = checker()
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
