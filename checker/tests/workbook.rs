//! The workbook as a whole: the manifest and the files agree, every reference solution passes,
//! every stub is "not started", and the checker's command line behaves. No test here reads or
//! checks the student's own exercises/ folder, which may be edited while the tests run: the
//! stubs stand for it (`checker/stubs`, the files `reset` restores and `.ci/run` compares).

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
        for dir in ["checker/stubs", "solutions/src/bin"] {
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
    for dir in ["checker/stubs", "solutions/src/bin"] {
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
fn the_stubs_are_not_started_and_their_first_screen_fits_a_terminal() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    let names = exercise_names();
    for name in &names {
        std::fs::copy(
            root().join(format!("checker/stubs/{name}.rs")),
            bin.join(format!("{name}.rs")),
        )
        .expect("copy a stub");
    }
    let assert = checker()
        .arg("--exercises")
        .arg(copy.path())
        .assert()
        .code(1);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // Each is one line of the summary; the first comes in full, as the next step.
    for name in &names {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(name.as_str()))
            .unwrap_or_else(|| panic!("no line for {name} in\n{out}"));
        assert!(line.contains("not started"), "{line}");
    }
    let first = &names[0];
    assert!(
        out.contains(&format!("Next: {first}"))
            && out.contains(&format!("{first}.rs still stops at its `todo!()` (line "))
            && out.contains("hint 1/")
            && out.contains("The exit status stays 1 until every exercise passes"),
        "{out}"
    );
    assert_eq!(out.matches("still stops at").count(), 1, "{out}");
    // The welcome takes two lines more, the first time in the workbook itself.
    assert!(
        out.lines().count() + 2 <= 20,
        "{} lines:\n{out}",
        out.lines().count()
    );
    assert!(
        !out.contains("solutions/src/bin"),
        "no solution is named before the exercise passes:\n{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "NO_COLOR=1 means no escape codes:\n{out}"
    );
}

/// A check of one exercise whose cases are not timed shares them among two lanes, each
/// taking the next case when it is free: the verdict, the score and the report are those of
/// one lane alone. For a right program, programs whose first failure is a later case (and
/// fail more after it), and the untouched stub.
#[test]
fn one_exercise_s_cases_shared_among_lanes_give_the_report_of_one_lane() {
    let programs = [
        "solutions/src/bin/07_broken_pipe.rs",
        "checker/tests/corpus/07_broken_pipe/refuses_1000_lines.rs",
        "checker/tests/corpus/07_broken_pipe/lines_unwrap.rs",
        "checker/tests/corpus/07_broken_pipe/usage_on_stdout.rs",
        "checker/stubs/07_broken_pipe.rs",
    ];
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    // Each case's files are kept here, where no other test keeps any.
    let kept = tempfile::tempdir().expect("temporary directory");
    for program in programs {
        std::fs::copy(root().join(program), bin.join("07_broken_pipe.rs")).expect("copy");
        let check =
            |jobs| report_in_lanes(copy.path(), kept.path(), "11", jobs, &["07_broken_pipe"]);
        let (alone, shared) = (check("1"), check("2"));
        assert_eq!(shared, alone, "{program}: two lanes (left) against one");
        assert!(
            shared.1.contains("07_broken_pipe"),
            "{program}: {}",
            shared.1
        );
        // Not started, the exercise keeps its first case only, as in one lane: the lane that
        // was stopped may have run another.
        if program.contains("stubs") {
            let cases = kept_cases(&kept.path().join("07_broken_pipe"));
            assert_eq!(cases, ["01-transcript"], "{program}");
        }
    }
}

/// A check of several exercises runs their cases in lanes: the timed ones side by side on
/// one CPU, the others beside them, each lane taking the next case when it is free. Verdicts,
/// scores and reports are those of a check in one process: for right programs, programs whose
/// first failure is a later case (after timed cases that pass), and the untouched stubs, which
/// keep their first case's files only.
#[test]
#[ignore = "about half a minute: three exercises checked in lanes and in one process; .ci/run runs it"]
fn the_cases_of_several_exercises_shared_among_lanes_give_the_report_of_one_process() {
    let names = ["03_producer_consumer", "07_broken_pipe", "09_poll"];
    let sets = [
        names.map(|n| format!("solutions/src/bin/{n}.rs")),
        [
            "checker/tests/corpus/03_producer_consumer/unset_scale_means_no_pause.rs".into(),
            "checker/tests/corpus/07_broken_pipe/lines_unwrap.rs".into(),
            "checker/tests/corpus/09_poll/default_scale_ten.rs".into(),
        ],
        names.map(|n| format!("checker/stubs/{n}.rs")),
    ];
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    // Each case's files are kept here, where no other test keeps any.
    let kept = tempfile::tempdir().expect("temporary directory");
    for set in &sets {
        for (program, name) in set.iter().zip(names) {
            std::fs::copy(root().join(program), bin.join(format!("{name}.rs"))).expect("copy");
        }
        let check = |jobs| report_in_lanes(copy.path(), kept.path(), "5", jobs, &names);
        let (alone, shared) = (check("1"), check("2"));
        assert_eq!(
            shared, alone,
            "{set:?}: in lanes (left) against one process"
        );
        for name in names {
            assert!(shared.1.contains(name), "{set:?}: {}", shared.1);
        }
        if set[0].contains("stubs") {
            for name in names {
                assert_eq!(
                    kept_cases(&kept.path().join(name)),
                    ["01-transcript"],
                    "{name}"
                );
            }
        }
    }
}

/// The exit status and report of a check of `exercises` in the copy at `copy` on `seed`, with
/// `--jobs jobs`, each case's files kept under `kept`. Times in seconds are the one thing that
/// may differ from one check to the next (a child's deadline counts from when it started):
/// they are left out.
fn report_in_lanes(
    copy: &std::path::Path,
    kept: &std::path::Path,
    seed: &str,
    jobs: &str,
    exercises: &[&str],
) -> (Option<i32>, String) {
    let out = checker()
        .args(["--seed", seed, "--jobs", jobs, "--exercises"])
        .arg(copy)
        .arg("--keep-runs")
        .arg(kept)
        .args(exercises)
        .output()
        .expect("run the checker");
    let report = String::from_utf8_lossy(&out.stdout);
    (out.status.code(), without_seconds(&report))
}

/// The names of the cases whose files an exercise's folder `dir` keeps.
fn kept_cases(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the exercise's kept cases")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// `text` with each number of seconds (`0.61 s`, `(3 of 4 cases passed, 1.2 s)`) made `#`.
fn without_seconds(text: &str) -> String {
    let mut out = String::new();
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        let seconds = c == ' ' && chars.peek() == Some(&'s') && !number.is_empty();
        out.push_str(if seconds { "#" } else { &number });
        number.clear();
        out.push(c);
    }
    out.push_str(&number);
    out
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
fn a_slow_build_comes_through_the_probes_that_run_beside_it() {
    // A check of the workbook's own code proves the X-ray while cargo builds: the probe's
    // clean-up must leave cargo (here one that first waits half a second) alone.
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let slow = tmp.path().join("cargo");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    std::fs::write(
        &slow,
        format!("#!/bin/sh\nsleep 0.5\nexec '{real}' \"$@\"\n"),
    )
    .expect("write the slow cargo");
    std::fs::set_permissions(&slow, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make it runnable");
    checker()
        .env("CARGO", &slow)
        .args(["--solutions", "--seed", "3", "1"])
        .assert()
        .code(0)
        .stdout(contains("01_raw_pipe - ").and(contains(": passed")));
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
    // The checker was built here; the copy lives elsewhere. Its target folder lies outside
    // it, as a shared CARGO_TARGET_DIR would (then each copy builds in a folder of its own).
    let tmp = tempfile::tempdir().expect("temporary directory");
    let moved = tmp.path().join("moved pipes-lab");
    copy_workbook(&moved);
    // The copy's 01 makes a mistake of its own, which only its report can show.
    std::fs::copy(
        root().join("checker/tests/corpus/01_raw_pipe/wrong_format.rs"),
        moved.join("exercises/src/bin/01_raw_pipe.rs"),
    )
    .expect("put a 01 in the copy");
    let _ = std::fs::remove_file(moved.join(".pipes-lab-progress.json"));
    let target = tmp.path().join("target");
    let check = || {
        checker()
            .current_dir(moved.join("exercises"))
            .env_remove("CARGO_MANIFEST_DIR")
            .env("CARGO_TARGET_DIR", &target)
            .args(["1", "--seed", "3"])
            .assert()
    };
    // The welcome comes with the first check of a workbook, and only then.
    check()
        .code(1)
        .stdout(contains("+Received: hello").and(contains("Welcome to pipes-lab")));
    check()
        .code(1)
        .stdout(contains("+Received: hello").and(contains("Welcome").not()));
}

/// The student may edit an exercise while `cargo test` runs: no test may read the workbook's
/// own exercises/ folder or check it. Each test that runs exercises works on a copy (the
/// stubs, the solutions, the corpus) or on the solutions (`--solutions`), or is refused
/// before anything is built (status 2). Read from the tests' sources, as they are written.
#[test]
fn no_test_reads_or_checks_the_student_s_exercises() {
    let dir = root().join("checker/tests");
    let mut sources: Vec<std::path::PathBuf> = ["", "common"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).expect("read the tests"))
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    sources.sort();
    // Where a checker runs on the workbook's own files, and what makes it a copy's or harmless.
    let copy_or_harmless = [
        "--exercises",
        "\"--solutions\"",
        "current_dir(",
        "\"export\"",
        "\"gradescope\"",
        "\"grade\"",
        "\"--help\"",
        // `xray --case` copies out a kept page, running and reading no exercise.
        "\"--case\"",
        ".code(2)",
        "Some(2)",
    ];
    let mut found = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("read a test");
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        for (n, line) in text.lines().enumerate() {
            let joined = line.replace(' ', "");
            if joined.contains("root().join(\"exercises")
                || joined.contains("root().join(format!(\"exercises")
            {
                found.push(format!(
                    "{name}:{}: reads exercises/: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
        for (at, _) in text.match_indices("checker()") {
            // A call, not a name that ends so or this test's own words.
            let before = text[..at].chars().next_back().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == '"' {
                continue;
            }
            // The call's whole chain, to the end of its statement (or of the helper's body).
            let chain = &text[at..text[at..].find(';').map_or(text.len(), |e| at + e)];
            let helper = text[..at].ends_with("common::") && chain.contains(".args(args)")
                || text[..at].ends_with("fn ");
            if !helper && !copy_or_harmless.iter().any(|k| chain.contains(k)) {
                let n = text[..at].lines().count();
                found.push(format!("{name}:{n}: checks the workbook's own exercises"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
