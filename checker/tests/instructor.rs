//! Instructor mode: Gradescope's format, grading a class, and the student handout.

mod common;

use common::{checker, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::path::Path;

/// A submission: a copy's `exercises/src/bin/` with the given file for each exercise.
fn submission(dir: &Path, files: &[(&str, &Path)]) {
    let bin = dir.join("exercises/src/bin");
    std::fs::create_dir_all(&bin).expect("create a submission");
    for (exercise, from) in files {
        std::fs::copy(from, bin.join(format!("{exercise}.rs"))).expect("copy a program");
    }
}

/// The exercises and their points, read from the manifest.
fn manifest_entries() -> Vec<(String, u32)> {
    let manifest =
        std::fs::read_to_string(root().join("checker/exercises.toml")).expect("the manifest");
    manifest
        .split("[[exercise]]")
        .skip(1)
        .map(|entry| {
            let field = |key: &str| {
                entry
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().trim_matches('"').to_string())
                    .expect("a field")
            };
            (
                field("name = "),
                field("points = ").parse().expect("points"),
            )
        })
        .collect()
}

fn exercise_names() -> Vec<String> {
    manifest_entries().into_iter().map(|(n, _)| n).collect()
}

fn exercise_points() -> Vec<u32> {
    manifest_entries().into_iter().map(|(_, p)| p).collect()
}

#[test]
fn gradescope_results_of_the_solutions_score_every_point() {
    let assert = checker()
        .args(["--solutions", "--format", "gradescope", "--seed", "5"])
        .assert()
        .code(0);
    let results: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("valid JSON on stdout");
    let tests = results["tests"].as_array().expect("a list of tests");
    let max: f64 = tests
        .iter()
        .map(|t| t["max_score"].as_f64().expect("max_score"))
        .sum();
    assert_eq!(results["score"].as_f64(), Some(max));
    assert_eq!(max, exercise_points().iter().sum::<u32>() as f64);
    for t in tests {
        assert_eq!(t["status"], "passed");
        assert_eq!(t["visibility"], "visible");
        assert!(t["name"].is_string() && t["output"].is_string() && t["score"].is_number());
    }
    assert!(results["execution_time"].is_number() && results["output"].is_string());
}

#[test]
fn a_failed_build_still_writes_the_json_file() {
    let out = tempfile::tempdir().expect("temporary directory");
    let file = out.path().join("results.json");
    checker()
        .env("CARGO", "/nonexistent/cargo")
        .args(["--format", "json", "--output"])
        .arg(&file)
        .assert()
        .code(2);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
    assert_eq!(report["score"].as_f64(), Some(0.0));
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot run cargo")),
        "{report}"
    );
}

#[test]
fn grading_a_class_gives_each_submission_its_points() {
    let class = tempfile::tempdir().expect("temporary directory");
    let names = exercise_names();
    let points = exercise_points();
    let solution = |n: &str| root().join(format!("solutions/src/bin/{n}.rs"));
    let stub = |n: &str| root().join(format!("checker/stubs/{n}.rs"));
    let corpus = |p: &str| root().join("checker/tests/corpus").join(p);
    let broken_source = class.path().join("broken.rs");
    std::fs::write(
        &broken_source,
        "fn main() {\n    let x: u8 = \"nope\";\n}\n",
    )
    .expect("write");

    let correct: Vec<(&str, std::path::PathBuf)> =
        names.iter().map(|n| (n.as_str(), solution(n))).collect();
    let untouched: Vec<(&str, std::path::PathBuf)> =
        names.iter().map(|n| (n.as_str(), stub(n))).collect();
    let mut two_broken = correct.clone();
    two_broken[0].1 = corpus("01_raw_pipe/forgotten_close.rs"); // hangs
    two_broken[1].1 = corpus("02_duplex_pipe/newline_framing.rs"); // fails the cases with newlines
    let mut no_compile = correct.clone();
    no_compile[0].1 = broken_source.clone();
    let subs = [
        ("ada", &correct),
        ("bob", &untouched),
        ("cy", &two_broken),
        ("dee", &no_compile),
    ];
    for (name, files) in subs {
        let files: Vec<(&str, &Path)> = files.iter().map(|(n, p)| (*n, p.as_path())).collect();
        submission(&class.path().join(name), &files);
    }
    let out = class.path().join("grades");
    let mut cmd = checker();
    cmd.args(["grade", "--seed", "9", "--out"]).arg(&out);
    for (name, _) in subs {
        cmd.arg(class.path().join(name));
    }
    cmd.assert().code(0).stdout(contains("gradebook.csv"));
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).expect("a gradebook");
    let lines: Vec<&str> = csv.lines().collect();
    let max: u32 = points.iter().sum();
    let row = |name: &str, scores: &[u32]| {
        let cells: Vec<String> = scores.iter().map(u32::to_string).collect();
        format!(
            "{name},{},{},{max}",
            cells.join(","),
            scores.iter().sum::<u32>()
        )
    };
    assert_eq!(
        lines[0],
        format!("submission,{},total,max", names.join(","))
    );
    assert_eq!(lines[1], row("ada", &points), "{csv}");
    assert_eq!(lines[2], row("bob", &vec![0; points.len()]), "{csv}");
    // 01 hangs on its first case; 02 loses the cases whose messages hold newlines: the
    // newline case (8 points) and the large one (10), whose 8 KiB message has lines.
    let mut cy = points.clone();
    cy[0] = 0;
    cy[1] -= 18;
    assert_eq!(lines[3], row("cy", &cy), "{csv}");
    let mut dee = points.clone();
    dee[0] = 0;
    assert_eq!(lines[4], row("dee", &dee), "{csv}");
    let ada: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ada.json")).expect("a report"))
            .expect("JSON");
    let bob: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bob.json")).expect("a report"))
            .expect("JSON");
    assert_ne!(
        ada["seed"], bob["seed"],
        "each submission gets its own seed"
    );
    let dee = std::fs::read_to_string(out.join("dee.json")).expect("a report");
    assert!(
        dee.contains("does not compile") && dee.contains("mismatched types"),
        "{dee}"
    );
}

#[test]
fn the_handout_holds_everything_but_the_solutions() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let handout = dir.path().join("handout");
    checker()
        .arg("export")
        .arg(&handout)
        .assert()
        .code(0)
        .stdout(contains("no reference solution"));
    assert!(!handout.join("solutions").exists());
    assert!(
        !handout.join("checker/tests").exists(),
        "its tests need the solutions"
    );
    for name in exercise_names() {
        assert!(
            handout
                .join(format!("exercises/src/bin/{name}.rs"))
                .is_file()
        );
        assert!(
            handout
                .join(format!("checker/transcripts/{name}.txt"))
                .is_file()
        );
    }
    let cargo = std::fs::read_to_string(handout.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        !cargo.contains("solutions") && cargo.contains("checker"),
        "{cargo}"
    );
    // No file of the handout is, or quotes, a reference solution.
    let solutions: Vec<String> = exercise_names()
        .iter()
        .map(|n| {
            std::fs::read_to_string(root().join(format!("solutions/src/bin/{n}.rs")))
                .expect("a solution")
        })
        .collect();
    let mut stack = vec![handout.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read the handout") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                for s in &solutions {
                    let body: String = s.lines().filter(|l| l.contains("fn main")).collect();
                    assert!(
                        text != *s && (body.is_empty() || !text.contains(s.as_str())),
                        "{} is a solution",
                        path.display()
                    );
                }
            }
        }
    }
    checker()
        .arg("export")
        .arg(&handout)
        .assert()
        .code(2)
        .stderr(contains("not empty"));
}

#[test]
fn repeat_catches_a_program_that_fails_only_sometimes() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    // Wired like the lesson asks (fork, pipe, write end closed), but right only half of the
    // time, like a race: a second run is likely to show the bug.
    let flaky = r#"use std::io::{BufRead, BufReader, Write};
use nix::unistd::{ForkResult, fork, pipe};
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"].map(String::from).to_vec()
    } else {
        args
    };
    let (read_end, write_end) = pipe().expect("pipe");
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(read_end);
            let mut w = std::fs::File::from(write_end);
            for m in &messages {
                w.write_all(format!("{m}\n").as_bytes()).expect("write");
            }
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut count = 0;
            for line in BufReader::new(std::fs::File::from(read_end)).lines() {
                println!("received: {}", line.expect("read"));
                count += 1;
            }
            let lucky = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() / 1000) % 2 == 0;
            println!("EOF after {} messages", count + usize::from(!lucky));
            nix::sys::wait::waitpid(child, None).expect("wait");
            println!("child exited with status 0");
        }
    }
}
"#;
    std::fs::write(bin.join("01_raw_pipe.rs"), flaky).expect("write the program");
    checker()
        .arg("--exercises")
        .arg(copy.path())
        .args(["1", "--repeat", "40"])
        .assert()
        .code(1)
        // The output is what fails: the wiring is right, so the X-ray has nothing to say.
        .stdout(contains("EOF after").and(contains("seen by the X-ray").not()));
    checker()
        .args(["--solutions", "1", "--repeat", "3"])
        .assert()
        .code(0);
}

/// A report in pipes-lab's JSON schema that gives 01 `score` points.
fn report_scoring(score: u32, title: &str) -> String {
    format!(
        r#"{{"schema_version":1,"seed":1,"source":"exercises","score":{score}.0,"max_score":185.0,"elapsed_secs":1.0,"error":null,"structural_checks_skipped":null,"exercises":[{{"name":"01_raw_pipe","title":"{title}","verdict":"passed","score":{score}.0,"max_score":20,"elapsed_secs":1.0,"compiler_errors":null,"report":"","cases":[]}}]}}"#
    )
}

/// A 01 program that kills the checker running it; with `FORGE` true, it first writes a report
/// scoring every point where the checker was told to write its own (`--output`).
const CHECKER_KILLER: &str = r##"use nix::sys::signal::{Signal, kill};
fn main() {
    let checker = nix::unistd::getppid();
    if FORGE {
        let cmdline = std::fs::read(format!("/proc/{checker}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if let Some(at) = args.iter().position(|a| a == "--output") {
            let _ = std::fs::write(&args[at + 1], FORGED);
        }
    }
    let _ = kill(checker, Signal::SIGKILL);
}
const FORGED: &str = r#"REPORT"#;
"##;

#[test]
fn a_program_that_forges_its_report_and_kills_its_checker_earns_nothing() {
    let class = tempfile::tempdir().expect("temporary directory");
    for (name, forge) in [("alice", false), ("mallory", true)] {
        let bin = class.path().join(name).join("exercises/src/bin");
        std::fs::create_dir_all(&bin).expect("create a submission");
        let program = CHECKER_KILLER
            .replace("FORGE", &forge.to_string())
            .replace("REPORT", &report_scoring(185, "forged"));
        std::fs::write(bin.join("01_raw_pipe.rs"), program).expect("write");
    }
    let out = class.path().join("grades");
    std::fs::create_dir_all(&out).expect("create the output folder");
    // A report left from an earlier grading, scoring 99.
    std::fs::write(out.join("alice.json"), report_scoring(99, "stale")).expect("write");
    let graded = checker()
        .args(["grade", "--seed", "3", "--out"])
        .arg(&out)
        .arg(class.path().join("alice"))
        .arg(class.path().join("mallory"))
        .output()
        .expect("run grade");
    let said = String::from_utf8_lossy(&graded.stdout);
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).expect("a gradebook");
    let max: u32 = exercise_points().iter().sum();
    let zeros = vec!["0"; exercise_names().len()].join(",");
    for name in ["alice", "mallory"] {
        assert!(
            csv.lines().any(|l| l == format!("{name},{zeros},0,{max}")),
            "{name} must score 0:\n{csv}"
        );
        let report = std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap_or_default();
        assert!(
            !report.contains("stale") && !report.contains("forged"),
            "{name}'s report is not the checker's: {report}"
        );
    }
    // Behind the sandbox the checker cannot be signalled, so it finishes; without it, it is
    // killed, and grade says so and exits 1.
    match graded.status.code() {
        Some(0) => assert!(!said.contains("did not finish"), "{said}"),
        Some(1) => assert!(
            said.contains("did not finish (killed by SIGKILL)"),
            "{said}"
        ),
        other => panic!("grade ended with {other:?}: {said}"),
    }
}

#[test]
fn grade_refuses_a_repeat_of_zero_before_running_anything() {
    let class = tempfile::tempdir().expect("temporary directory");
    let sub = class.path().join("ann");
    submission(
        &sub,
        &[("01_raw_pipe", &root().join("checker/stubs/01_raw_pipe.rs"))],
    );
    let out = class.path().join("grades");
    checker()
        .args(["grade", "--repeat", "0", "--out"])
        .arg(&out)
        .arg(&sub)
        .assert()
        .code(2)
        .stderr(contains("--repeat"));
    assert!(
        !out.exists(),
        "nothing may run before the arguments are checked"
    );
    checker()
        .args(["grade", "--repeat", "101", "--out"])
        .arg(&out)
        .arg(&sub)
        .assert()
        .code(2);
}

#[test]
fn a_missing_sandbox_is_said_and_refused_on_request() {
    let out = tempfile::tempdir().expect("temporary directory");
    let file = out.path().join("report.json");
    checker()
        .env("PIPES_LAB_SANDBOX", "off")
        .args(["--solutions", "1", "--format", "json", "--output"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(contains("sandbox without: every protection"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
    assert!(
        report["sandbox_missing"][0]
            .as_str()
            .is_some_and(|m| m.contains("PIPES_LAB_SANDBOX=off")),
        "{report}"
    );
    checker()
        .env("PIPES_LAB_SANDBOX", "off")
        .args(["--solutions", "1", "--require-sandbox"])
        .assert()
        .code(2)
        .stdout(contains("passed").not())
        .stderr(contains("the full sandbox is required"));
}
