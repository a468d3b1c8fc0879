//! The workbook as a whole: the manifest and the files agree, every reference solution passes,
//! every untouched stub is "not started", and the checker's command line behaves.

mod common;

use common::{checker, copy_workbook, exercise_names, root};
use predicates::prelude::*;
use predicates::str::contains;
use std::os::fd::AsRawFd;

#[test]
fn manifest_and_files_agree() {
    let names = exercise_names();
    assert!(names.len() >= 4, "the manifest lists {names:?}");
    let solutions_toml =
        std::fs::read_to_string(root().join("solutions/Cargo.toml")).expect("solutions/Cargo.toml");
    let labs = std::fs::read_to_string(root().join("labs.md")).expect("labs.md");
    for name in &names {
        for dir in ["exercises/src/bin", "solutions/src/bin"] {
            assert!(
                root().join(dir).join(format!("{name}.rs")).is_file(),
                "{dir}/{name}.rs is missing"
            );
        }
        assert!(
            root()
                .join("checker/transcripts")
                .join(format!("{name}.txt"))
                .is_file(),
            "no transcript for {name}"
        );
        assert!(
            solutions_toml.contains(&format!(
                "name = \"{name}_solution\"\npath = \"src/bin/{name}.rs\""
            )),
            "solutions/Cargo.toml has no [[bin]] for {name}"
        );
        assert!(
            labs.contains(name.as_str()),
            "labs.md has no section for {name}"
        );
    }
    for dir in ["exercises/src/bin", "solutions/src/bin"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("read a bin directory") {
            let file = entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            let stem = file.trim_end_matches(".rs");
            assert!(
                names.iter().any(|n| n == stem),
                "{dir}/{file} is not in the manifest"
            );
        }
    }
}

#[test]
fn every_reference_solution_passes_every_case() {
    let names = exercise_names();
    let assert = checker()
        .args(["--solutions", "--seed", "11"])
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for name in &names {
        let line = out
            .lines()
            .find(|l| l.starts_with(name.as_str()))
            .unwrap_or_else(|| panic!("no line for {name} in\n{out}"));
        assert!(line.contains(": passed ("), "{line}");
    }
    assert!(
        !out.contains("solutions/src/bin"),
        "a solutions run does not invite comparing with itself"
    );
}

#[test]
fn untouched_stubs_are_not_started() {
    // A stub the student has started on no longer counts as untouched.
    let untouched: Vec<String> = exercise_names()
        .into_iter()
        .filter(|n| {
            let text =
                std::fs::read_to_string(root().join("exercises/src/bin").join(format!("{n}.rs")))
                    .unwrap_or_default();
            text.contains("todo!()")
        })
        .collect();
    if untouched.is_empty() {
        eprintln!("every exercise has been started; nothing to check");
        return;
    }
    let assert = checker().args(&untouched).assert().code(1);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for name in &untouched {
        let line = out
            .lines()
            .find(|l| l.starts_with(name.as_str()))
            .unwrap_or_else(|| panic!("no line for {name} in\n{out}"));
        assert!(line.contains(": not started ("), "{line}");
    }
    assert!(
        !out.contains("solutions/src/bin"),
        "no solution is named before the exercise passes:\n{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "NO_COLOR=1 means no escape codes:\n{out}"
    );
}

#[test]
fn programs_start_with_only_fds_0_1_2_even_when_the_checker_inherits_more() {
    // Terminals and IDEs leak descriptors into what they start; the checker must not pass
    // them on, or 04's stage check would blame the student for them.
    let leaked = std::fs::File::open(root().join("Cargo.toml")).expect("open a file");
    // SAFETY: fcntl on a descriptor this test owns; it only clears close-on-exec.
    let cleared = unsafe { libc::fcntl(leaked.as_raw_fd(), libc::F_SETFD, 0) };
    assert_eq!(cleared, 0);
    checker()
        .args(["--solutions", "--seed", "3", "4"])
        .assert()
        .code(0)
        .stdout(contains("passed"));
    drop(leaked);
}

#[test]
fn unknown_exercise_is_a_usage_error() {
    checker()
        .arg("nope")
        .assert()
        .code(2)
        .stderr(contains("no exercise called `nope`").and(contains("01_raw_pipe")));
    checker().args(["--seed", "abc"]).assert().code(2);
    checker()
        .args(["--solutions", "--exercises", "/tmp"])
        .assert()
        .code(2);
}

#[test]
fn a_copy_without_the_exercise_file_is_reported_not_crashed() {
    let empty = tempfile::tempdir().expect("temporary directory");
    // A copy's src/bin/ without the file (a folder with nothing like an exercise is refused).
    std::fs::create_dir_all(empty.path().join("src/bin")).expect("create src/bin");
    checker()
        .arg("--exercises")
        .arg(empty.path())
        .arg("1")
        .assert()
        .code(1)
        .stdout(
            contains("01_raw_pipe")
                .and(contains("does not compile"))
                .and(contains("missing")),
        );
}

#[test]
fn help_names_the_exit_statuses() {
    checker()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(contains("Exit status").and(contains("--solutions")));
}

#[test]
fn one_exercise_that_does_not_compile_does_not_block_the_others() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    std::fs::write(
        bin.join("01_raw_pipe.rs"),
        "fn main() {\n    let n: u32 = \"seven\";\n}\n",
    )
    .expect("write 01");
    let correct = root().join("checker/tests/corpus/02_duplex_pipe/two_pipes.rs");
    std::fs::copy(correct, bin.join("02_duplex_pipe.rs")).expect("copy 02");
    let assert = checker()
        .arg("--exercises")
        .arg(copy.path())
        .args(["1", "2"])
        .assert()
        .code(1);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        out.contains("01_raw_pipe") && out.contains(": does not compile"),
        "{out}"
    );
    assert!(
        out.contains("mismatched types"),
        "the compiler's message is shown:\n{out}"
    );
    assert!(
        out.contains("02_duplex_pipe") && out.contains(": passed"),
        "{out}"
    );
}

#[test]
fn a_missing_toolchain_is_an_infrastructure_error() {
    checker()
        .env("CARGO", "/nonexistent/cargo")
        .assert()
        .code(2)
        .stderr(contains("cannot run cargo"));
}

#[test]
fn a_moved_copy_of_the_workbook_checks_its_own_files() {
    // The checker was built here; the copy lives elsewhere and holds a solved 01, where this
    // workbook has the untouched stub. Its target folder lies outside it, as a shared
    // CARGO_TARGET_DIR would (then each copy builds in a folder of its own there).
    let tmp = tempfile::tempdir().expect("temporary directory");
    let moved = tmp.path().join("moved pipes-lab");
    copy_workbook(&moved);
    std::fs::copy(
        root().join("solutions/src/bin/01_raw_pipe.rs"),
        moved.join("exercises/src/bin/01_raw_pipe.rs"),
    )
    .expect("solve 01 in the copy");
    let target = tmp.path().join("target");
    checker()
        .current_dir(moved.join("exercises"))
        .env_remove("CARGO_MANIFEST_DIR")
        .env("CARGO_TARGET_DIR", &target)
        .args(["1", "--seed", "3"])
        .assert()
        .code(0)
        .stdout(contains("01_raw_pipe").and(contains("passed")));
    // This workbook's own 01 is still the stub.
    assert_eq!(
        std::fs::read(root().join("exercises/src/bin/01_raw_pipe.rs")).expect("read the stub"),
        std::fs::read(root().join("checker/stubs/01_raw_pipe.rs")).expect("read the stub")
    );
}
