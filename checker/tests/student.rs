//! The student's loop: hints, the list, the solution after a pass, reset and watch mode, each
//! on a copy of the exercises so that the workbook itself is never touched.

mod common;

use common::{checker, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A copy's exercises folder holding the given files (solutions or stubs by name).
fn copy(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(dir.path().join("src/bin")).expect("create src/bin");
    for (name, from) in files {
        put(dir.path(), name, from);
    }
    dir
}

/// Puts `solutions` or `stubs` version of an exercise into a copy.
fn put(dir: &Path, name: &str, from: &str) {
    let source: PathBuf = match from {
        "solution" => root().join(format!("solutions/src/bin/{name}.rs")),
        _ => root().join(format!("checker/stubs/{name}.rs")),
    };
    std::fs::copy(source, dir.join(format!("src/bin/{name}.rs"))).expect("copy an exercise");
}

#[test]
fn hints_come_one_at_a_time() {
    let dir = copy(&[]);
    checker()
        .args(["hint", "1", "--exercises"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("1/3.").and(contains("2/3.").not()));
    checker()
        .args(["hint", "1", "--exercises"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("2/3."));
}

#[test]
fn list_says_done_and_not_started() {
    let dir = copy(&[("01_raw_pipe", "solution"), ("02_duplex_pipe", "stub")]);
    let assert = checker()
        .args(["list", "--exercises"])
        .arg(dir.path())
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let line = |n: &str| {
        out.lines()
            .find(|l| l.contains(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("raw_pipe").ends_with("done"), "{out}");
    assert!(line("duplex_pipe").ends_with("not started"), "{out}");
    assert!(
        line("producer_consumer").ends_with("not started"),
        "a missing file: {out}"
    );
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.starts_with("1/") && l.ends_with(" done")),
        "{out}"
    );
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the copy")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        written,
        vec![std::ffi::OsString::from("src")],
        "the checker writes nothing into the exercises folder"
    );
}

#[test]
fn the_solution_is_named_after_a_pass_and_never_before() {
    let passing = copy(&[("01_raw_pipe", "solution")]);
    checker()
        .args(["1", "--exercises"])
        .arg(passing.path())
        .assert()
        .code(0)
        .stdout(contains("solutions/src/bin/01_raw_pipe.rs"));
    let untouched = copy(&[("01_raw_pipe", "stub")]);
    checker()
        .args(["1", "--exercises"])
        .arg(untouched.path())
        .assert()
        .code(1)
        .stdout(contains("solutions/src/bin").not());
}

#[test]
fn reset_asks_first_and_restores_the_stub() {
    let dir = copy(&[("01_raw_pipe", "solution")]);
    let file = dir.path().join("src/bin/01_raw_pipe.rs");
    let mine = std::fs::read_to_string(&file).expect("read");
    checker()
        .args(["reset", "1", "--exercises"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("--yes"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        mine,
        "nothing changes without a yes"
    );
    checker()
        .args(["reset", "1", "--yes", "--exercises"])
        .arg(dir.path())
        .assert()
        .code(0);
    let stub =
        std::fs::read_to_string(root().join("checker/stubs/01_raw_pipe.rs")).expect("the stub");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), stub);
}

/// Waits until `path` holds `text`, or fails after a minute.
fn wait_for(path: &Path, text: &str) {
    let start = Instant::now();
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(text)
    {
        let shown = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never showed `{text}`:\n{shown}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_rechecks_an_exercise_when_it_is_saved() {
    let dir = copy(&[("01_raw_pipe", "solution"), ("02_duplex_pipe", "stub")]);
    let screen = dir.path().join("screen");
    let mut watch = Command::new(assert_cmd::cargo::cargo_bin!("checker"))
        .args(["watch", "--exercises"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&screen).expect("create the screen file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start watch");
    // It starts on the first exercise, which passes, and says how to go on.
    wait_for(&screen, "press n for the next exercise");
    let mut keys = watch.stdin.take().expect("piped stdin");
    keys.write_all(b"n").expect("press n");
    wait_for(
        &screen,
        "02_duplex_pipe - A two-way channel with framed messages (multiprocessing.Pipe): not started",
    );
    put(dir.path(), "02_duplex_pipe", "solution");
    wait_for(
        &screen,
        "02_duplex_pipe - A two-way channel with framed messages (multiprocessing.Pipe): passed",
    );
    keys.write_all(b"q").expect("press q");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = watch.try_wait().expect("wait for watch") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = watch.kill();
            panic!("watch did not quit on q");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}
