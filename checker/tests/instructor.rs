//! Instructor mode: Gradescope's format, grading a class, and the student handout.

mod common;

use common::{checker, exercise_names, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};

/// A submission: a folder with `src/bin/<exercise>.rs` for each file given.
fn submission(dir: &Path, files: &[(&str, &Path)]) {
    let bin = dir.join("src/bin");
    std::fs::create_dir_all(&bin).expect("create a submission");
    for (exercise, from) in files {
        std::fs::copy(from, bin.join(format!("{exercise}.rs"))).expect("copy a program");
    }
}

fn solution(exercise: &str) -> PathBuf {
    root().join(format!("solutions/src/bin/{exercise}.rs"))
}

fn stub(exercise: &str) -> PathBuf {
    root().join(format!("checker/stubs/{exercise}.rs"))
}

/// `grade ARGS --out OUT SUBMISSION...`, run to its end.
fn grade(out: &Path, submissions: &[PathBuf], args: &[&str]) -> std::process::Output {
    checker()
        .arg("grade")
        .args(args)
        .arg("--out")
        .arg(out)
        .args(submissions)
        .output()
        .expect("run grade")
}

/// gradebook.csv as its columns and rows of cells.
struct Gradebook {
    text: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Gradebook {
    fn read(out: &Path) -> Gradebook {
        let text = std::fs::read_to_string(out.join("gradebook.csv")).expect("a gradebook");
        let mut lines = text.lines().map(csv_cells);
        let columns = lines.next().expect("a header");
        let rows: Vec<Vec<String>> = lines.collect();
        for row in &rows {
            assert_eq!(row.len(), columns.len(), "a row of another size:\n{text}");
        }
        Gradebook {
            text,
            columns,
            rows,
        }
    }

    fn names(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r[0].as_str()).collect()
    }

    fn cell(&self, name: &str, column: &str) -> &str {
        let row = self.rows.iter().find(|r| r[0] == name);
        let at = self.columns.iter().position(|c| c == column);
        match (row, at) {
            (Some(row), Some(at)) => &row[at],
            _ => panic!("no cell {name}/{column} in\n{}", self.text),
        }
    }

    /// A row's exercise scores, then its total and max.
    fn points(&self, name: &str) -> Vec<u32> {
        let row = self.rows.iter().find(|r| r[0] == name);
        let row = row.unwrap_or_else(|| panic!("no row {name} in\n{}", self.text));
        row[1..=exercise_names().len() + 2]
            .iter()
            .map(|c| c.parse().expect("whole points"))
            .collect()
    }
}

/// The cells of one CSV line whose quoted fields hold no line break.
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (_, '"') => quoted = !quoted,
            (false, ',') => cells.push(std::mem::take(&mut cell)),
            (_, c) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
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

fn exercise_points() -> Vec<u32> {
    manifest_entries().into_iter().map(|(_, p)| p).collect()
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn grading_a_class_gives_each_submission_its_points_and_status() {
    let class = tempfile::tempdir().expect("temporary directory");
    let names = exercise_names();
    let points = exercise_points();
    let corpus = |p: &str| root().join("checker/tests/corpus").join(p);
    let broken_source = class.path().join("broken.rs");
    std::fs::write(
        &broken_source,
        "fn main() {\n    let x: u8 = \"nope\";\n}\n",
    )
    .expect("write");

    let correct: Vec<(&str, PathBuf)> = names.iter().map(|n| (n.as_str(), solution(n))).collect();
    let untouched: Vec<(&str, PathBuf)> = names.iter().map(|n| (n.as_str(), stub(n))).collect();
    let mut two_broken = correct.clone();
    two_broken[0].1 = corpus("01_raw_pipe/forgotten_close.rs"); // hangs
    two_broken[1].1 = corpus("02_duplex_pipe/newline_framing.rs"); // frames with newlines: fails every case
    let mut no_compile = correct.clone();
    no_compile[0].1 = broken_source.clone();
    let only_broken = vec![(names[0].as_str(), broken_source.clone())];
    let subs = [
        ("ada", &correct),
        ("bob", &untouched),
        ("cy", &two_broken),
        ("dee", &no_compile),
        ("eve", &only_broken),
        ("fay", &Vec::new()),
    ];
    let mut paths = Vec::new();
    for (name, files) in subs {
        let files: Vec<(&str, &Path)> = files.iter().map(|(n, p)| (*n, p.as_path())).collect();
        submission(&class.path().join(name), &files);
        paths.push(class.path().join(name));
    }
    // An upload left packed: a file, not a folder.
    std::fs::write(class.path().join("gus.zip"), "PK").expect("write");
    paths.push(class.path().join("gus.zip"));
    let out = class.path().join("grades");
    let graded = grade(&out, &paths, &["--seed", "9"]);
    let said = String::from_utf8_lossy(&graded.stdout);
    assert_eq!(graded.status.code(), Some(0), "{said}");
    assert!(said.contains("gradebook.csv"), "{said}");
    let book = Gradebook::read(&out);
    assert_eq!(
        book.text.lines().next(),
        Some(
            format!(
                "submission,{},total,max,status,reason,seconds,seed",
                names.join(",")
            )
            .as_str()
        )
    );
    assert_eq!(
        book.names(),
        ["ada", "bob", "cy", "dee", "eve", "fay", "gus.zip"]
    );
    let max: u32 = points.iter().sum();
    let with_total = |scores: Vec<u32>| {
        let total = scores.iter().sum();
        [scores, vec![total, max]].concat()
    };
    let zeros = || vec![0; points.len()];
    assert_eq!(book.points("ada"), with_total(points.clone()));
    assert_eq!(book.points("bob"), with_total(zeros()));
    // 01 hangs on its first case; 02 frames its messages with newlines, which the X-ray sees
    // in the bytes of every case: none of its cases passes.
    let mut cy = points.clone();
    cy[0] = 0;
    cy[1] = 0;
    assert_eq!(book.points("cy"), with_total(cy));
    let mut dee = points.clone();
    dee[0] = 0;
    assert_eq!(book.points("dee"), with_total(dee));
    for name in ["eve", "fay", "gus.zip"] {
        assert_eq!(book.points(name), with_total(zeros()));
    }
    let status_and_reason = |name| (book.cell(name, "status"), book.cell(name, "reason"));
    assert_eq!(status_and_reason("ada"), ("graded", "all passed"));
    let (status, reason) = status_and_reason("bob");
    assert!(
        status == "graded" && reason.starts_with("01 not started"),
        "{reason}"
    );
    let (status, reason) = status_and_reason("cy");
    assert!(
        status == "graded" && reason.starts_with("01 failed (it hangs"),
        "{reason}"
    );
    assert_eq!(status_and_reason("dee"), ("graded", "01 does not compile"));
    let (status, reason) = status_and_reason("eve");
    assert!(
        status == "did not compile" && reason.starts_with("01 does not compile"),
        "{reason}"
    );
    let (status, reason) = status_and_reason("fay");
    assert!(
        status == "no files" && reason.starts_with("no exercise files found"),
        "{reason}"
    );
    let (status, reason) = status_and_reason("gus.zip");
    assert!(
        status == "no files" && reason.contains("is not a folder"),
        "{reason}"
    );
    for name in book.names() {
        let seconds = book.cell(name, "seconds");
        assert!(
            seconds
                .split_once('.')
                .is_some_and(|(_, tenths)| tenths.len() == 1)
                && seconds.parse::<f64>().is_ok(),
            "{name} took {seconds}"
        );
        assert_eq!(book.cell(name, "seed"), "9");
        assert!(out.join(format!("{name}.txt")).is_file(), "{name}.txt");
    }
    // cy's hang took its 5 s time limit; a file is never checked.
    assert!(
        book.cell("cy", "seconds")
            .parse::<f64>()
            .is_ok_and(|s| s >= 5.0)
    );
    assert_eq!(book.cell("gus.zip", "seconds"), "0.0");
    let dee = std::fs::read_to_string(out.join("dee.json")).expect("a report");
    assert!(
        dee.contains("does not compile") && dee.contains("mismatched types"),
        "{dee}"
    );
    let gus = std::fs::read_to_string(out.join("gus.zip.json")).expect("a report");
    assert!(gus.contains("is not a folder"), "{gus}");
}

/// A class of `names`, each a submission of 01's reference solution.
fn class_of_solutions(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            submission(&path, &[("01_raw_pipe", &solution("01_raw_pipe"))]);
            path
        })
        .collect()
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("a report");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn one_seed_checks_the_whole_class_and_is_printed_at_both_ends() {
    let class = tempfile::tempdir().expect("temporary directory");
    let paths = class_of_solutions(class.path(), &["ann", "ben"]);
    let out = class.path().join("given");
    let graded = grade(&out, &paths, &["--seed", "4242"]);
    assert_eq!(graded.status.code(), Some(0));
    let book = Gradebook::read(&out);
    for name in ["ann", "ben"] {
        assert_eq!(book.cell(name, "seed"), "4242");
        assert_eq!(json(&out.join(format!("{name}.json")))["seed"], 4242);
    }
    // Without --seed, one fresh seed for the run, the one printed first and last.
    let out = class.path().join("fresh");
    let graded = grade(&out, &paths, &[]);
    assert_eq!(graded.status.code(), Some(0));
    let book = Gradebook::read(&out);
    let seed = book.cell("ann", "seed");
    assert_eq!(book.cell("ben", "seed"), seed);
    assert_eq!(json(&out.join("ben.json"))["seed"].to_string(), seed);
    let said = String::from_utf8_lossy(&graded.stdout);
    let lines: Vec<&str> = said.lines().collect();
    for line in [lines[0], lines[lines.len() - 1]] {
        assert!(line.contains(&format!("seed {seed}")), "{said}");
    }
    assert_eq!(said.matches(&format!("seed {seed}")).count(), 2, "{said}");
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn without_a_terminal_each_submission_gets_a_line_on_stderr() {
    let class = tempfile::tempdir().expect("temporary directory");
    let mut paths = class_of_solutions(class.path(), &["ann"]);
    paths.push(class.path().join("bartholomew"));
    std::fs::create_dir(&paths[1]).expect("an empty submission");
    let graded = grade(&class.path().join("grades"), &paths, &["--seed", "1"]);
    assert_eq!(graded.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&graded.stderr);
    let line_of = |name: &str| -> Vec<String> {
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .collect();
        assert_eq!(lines.len(), 1, "{name} needs one line:\n{stderr}");
        lines[0].split_whitespace().map(String::from).collect()
    };
    let seconds_ok = |words: &[String]| {
        words[words.len() - 1] == "s" && words[words.len() - 2].parse::<f64>().is_ok()
    };
    let ann = line_of("ann");
    assert!(
        ann[1] == "20/185" && ann[2] == "graded" && ann.len() == 5 && seconds_ok(&ann),
        "{stderr}"
    );
    let bart = line_of("bartholomew");
    assert!(
        bart[1] == "0/185" && bart[2..4] == ["no", "files"] && seconds_ok(&bart),
        "{stderr}"
    );
    assert!(!stderr.contains('\r'), "no progress bar without a terminal");
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn a_rerun_replaces_its_own_rows_and_keeps_the_others() {
    let class = tempfile::tempdir().expect("temporary directory");
    let paths = class_of_solutions(class.path(), &["ann", "ben"]);
    let stubbed = paths[1].join("src/bin/01_raw_pipe.rs");
    std::fs::copy(stub("01_raw_pipe"), &stubbed).expect("copy");
    let out = class.path().join("grades");
    assert_eq!(grade(&out, &paths, &["--seed", "1"]).status.code(), Some(0));
    let first = Gradebook::read(&out);
    assert_eq!(first.cell("ben", "total"), "0");
    let ann_report = std::fs::read(out.join("ann.json")).expect("ann's report");

    // ben hands in again; only ben is graded.
    std::fs::copy(solution("01_raw_pipe"), &stubbed).expect("copy");
    assert_eq!(
        grade(&out, &paths[1..], &["--seed", "2"]).status.code(),
        Some(0)
    );
    let second = Gradebook::read(&out);
    assert_eq!(second.names(), ["ann", "ben"]);
    assert_eq!(second.rows[0], first.rows[0], "ann's row is kept as it was");
    assert_eq!(
        (second.cell("ben", "total"), second.cell("ben", "seed")),
        ("20", "2")
    );
    assert_eq!(
        std::fs::read(out.join("ann.json")).expect("read"),
        ann_report
    );
    assert_eq!(json(&out.join("ben.json"))["seed"], 2);
    let ben = std::fs::read_to_string(out.join("ben.txt")).expect("ben's text report");
    assert!(ben.contains("seed 2") && !ben.contains("seed 1"), "{ben}");

    // A gradebook of another version (here without its seed column) is refused as it is...
    let older: String = second
        .text
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(kept, _)| kept).to_string() + "\n")
        .collect();
    std::fs::write(out.join("gradebook.csv"), &older).expect("write");
    let refused = grade(&out, &paths[..1], &["--seed", "3"]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("--force") && said.contains("seed"), "{said}");
    assert_eq!(
        std::fs::read_to_string(out.join("gradebook.csv")).expect("read"),
        older
    );
    assert_eq!(
        std::fs::read(out.join("ann.json")).expect("read"),
        ann_report
    );
    // ...and replaced with --force.
    let forced = grade(&out, &paths[..1], &["--seed", "3", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    let replaced = Gradebook::read(&out);
    assert_eq!(replaced.names(), ["ann"]);
    assert_eq!(replaced.cell("ann", "seed"), "3");
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn every_file_grade_writes_is_readable_by_all_and_writable_by_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let class = tempfile::tempdir().expect("temporary directory");
    let mut paths = class_of_solutions(class.path(), &["ann"]);
    std::fs::write(class.path().join("bob.zip"), "PK").expect("write");
    paths.push(class.path().join("bob.zip"));
    let out = class.path().join("grades");
    // Twice: the files written anew, then the files replaced.
    for _ in 0..2 {
        assert_eq!(grade(&out, &paths, &["--seed", "1"]).status.code(), Some(0));
        let mut files = 0;
        for entry in std::fs::read_dir(&out).expect("list the output") {
            let entry = entry.expect("an entry");
            let meta = entry.metadata().expect("stat");
            if meta.is_file() {
                files += 1;
                let mode = meta.permissions().mode() & 0o777;
                assert_eq!(mode, 0o644, "{:?} has mode {mode:o}", entry.file_name());
            }
        }
        assert_eq!(files, 5, "gradebook.csv and two reports each");
    }
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn each_submission_keeps_its_runs_in_its_own_folder() {
    let class = tempfile::tempdir().expect("temporary directory");
    let wrong = root().join("checker/tests/corpus/01_raw_pipe/wrong_format.rs");
    let paths: Vec<PathBuf> = ["ann", "bob"]
        .iter()
        .map(|n| class.path().join(n))
        .collect();
    for path in &paths {
        submission(path, &[("01_raw_pipe", &wrong)]);
    }
    let out = class.path().join("grades");
    assert_eq!(grade(&out, &paths, &["--seed", "1"]).status.code(), Some(0));
    let out = out.canonicalize().expect("the output folder");
    for (me, other) in [("ann", "bob"), ("bob", "ann")] {
        let runs = out.join(format!("{me}.runs/01_raw_pipe"));
        assert!(
            runs.join("01-transcript/command").is_file(),
            "{}",
            runs.display()
        );
        for ext in ["txt", "json"] {
            let report =
                std::fs::read_to_string(out.join(format!("{me}.{ext}"))).expect("a report");
            assert!(
                report.contains(&runs.display().to_string()),
                "{me}.{ext}: {report}"
            );
            assert!(
                !report.contains(&format!("{other}.runs")) && !report.contains("last-run"),
                "{me}.{ext}: {report}"
            );
        }
    }
}

/// Each live process below `pid`, with its start time (to tell a reused pid apart).
fn descendants(pid: u32) -> Vec<(i32, String)> {
    let stats: Vec<(i32, i32, String)> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some((p, fields.get(1)?.parse().ok()?, fields.get(19)?.to_string()))
        })
        .collect();
    let mut found = Vec::new();
    let mut parents = vec![pid as i32];
    while let Some(parent) = parents.pop() {
        for (p, ppid, start) in &stats {
            if *ppid == parent {
                found.push((*p, start.clone()));
                parents.push(*p);
            }
        }
    }
    found
}

/// Whether a process seen before (pid and start time) still runs.
fn still_runs(pid: i32, start: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    fields.first() != Some(&"Z") && fields.get(19) == Some(&start)
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn sigterm_stops_grading_at_once_and_keeps_every_finished_row() {
    use std::time::{Duration, Instant};
    let class = tempfile::tempdir().expect("temporary directory");
    let sleeper = class.path().join("sleeper.rs");
    std::fs::write(
        &sleeper,
        "fn main() {\n    loop {\n        std::thread::sleep(std::time::Duration::from_secs(1));\n    }\n}\n",
    )
    .expect("write");
    let mut paths = class_of_solutions(class.path(), &["ann"]);
    // Two programs that sleep until their time limit: some 10 s of checking to interrupt.
    let hal = class.path().join("hal");
    submission(
        &hal,
        &[("01_raw_pipe", &sleeper), ("02_duplex_pipe", &sleeper)],
    );
    paths.push(hal);
    let out = class.path().join("grades");
    let mut grading = std::process::Command::new(assert_cmd::cargo::cargo_bin!("checker"))
        .args(["grade", "--jobs", "1", "--seed", "1", "--out"])
        .arg(&out)
        .args(&paths)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start grade");
    let pid = grading.id();
    // ann is done and hal's first program is asleep (submissions go one at a time).
    let checking_hal = format!("--exercises={}", paths[1].display());
    let started = Instant::now();
    let asleep = loop {
        let run = descendants(pid);
        let running = run.iter().any(|(p, _)| {
            let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&checking_hal)
                && !common::processes_of_run(*p as u32).is_empty()
        });
        if running || started.elapsed() > Duration::from_secs(120) {
            break running.then_some(run);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let Some(run) = asleep else {
        let _ = grading.kill();
        panic!("hal's program never ran");
    };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("send SIGTERM");
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = grading.try_wait().expect("wait for grade") {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(60) {
            let _ = grading.kill();
            panic!("grade did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    let book = Gradebook::read(&out);
    assert_eq!(book.names(), ["ann", "hal"]);
    assert_eq!(
        (book.cell("ann", "status"), book.cell("ann", "total")),
        ("graded", "20")
    );
    assert_eq!(
        (book.cell("hal", "status"), book.cell("hal", "total")),
        ("interrupted", "0")
    );
    let hal = json(&out.join("hal.json"));
    assert!(
        hal["error"]
            .as_str()
            .is_some_and(|e| e.contains("interrupted")),
        "{hal}"
    );
    let left: Vec<&(i32, String)> = run
        .iter()
        .filter(|(p, start)| still_runs(*p, start))
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
#[ignore = "grading classes, half a minute: .ci/run runs it"]
fn a_program_that_forges_its_report_and_kills_its_checker_earns_nothing() {
    let class = tempfile::tempdir().expect("temporary directory");
    for (name, forge) in [("alice", false), ("mallory", true)] {
        let bin = class.path().join(name).join("src/bin");
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
    let book = Gradebook::read(&out);
    let max: u32 = exercise_points().iter().sum();
    // Behind the sandbox the checker cannot be signalled, so it finishes; without it, it is
    // killed, and grade says so and exits 1.
    let status = match graded.status.code() {
        Some(0) => "graded",
        Some(1) => "crashed",
        other => panic!("grade ended with {other:?}: {said}"),
    };
    for name in ["alice", "mallory"] {
        let zeros = [vec![0; exercise_names().len()], vec![0, max]].concat();
        assert_eq!(book.points(name), zeros, "{name} must score 0");
        assert_eq!(book.cell(name, "status"), status);
        let report = std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap_or_default();
        assert!(
            !report.contains("stale") && !report.contains("forged"),
            "{name}'s report is not the checker's: {report}"
        );
    }
    if status == "crashed" {
        assert!(
            said.contains("did not finish (killed by SIGKILL)"),
            "{said}"
        );
    } else {
        assert!(!said.contains("did not finish"), "{said}");
    }
}

#[test]
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
#[ignore = "grading classes, half a minute: .ci/run runs it"]
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
