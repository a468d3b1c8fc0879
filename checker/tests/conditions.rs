//! Grades that hold where courses grade: as root without CAP_SYS_PTRACE (Docker's default
//! capabilities), next to a busy neighbour, on every seed. The slow ones are `#[ignore]`d:
//! `.ci/run` runs them (`cargo test -p checker --test conditions -- --ignored`).

mod common;

use common::{check_program_with_seed, checker, max_points, root, summary_score};
use predicates::prelude::*;
use predicates::str::contains;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `setpriv`, when this test runs as root and it is there.
fn setpriv() -> Option<&'static str> {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let found = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    if !root || found.is_none() {
        eprintln!("not run: needs root and setpriv, to drop CAP_SYS_PTRACE");
    }
    found.filter(|_| root)
}

#[test]
fn as_root_without_cap_sys_ptrace_the_solutions_keep_every_point_and_their_x_ray() {
    // Docker's default capabilities: root may not look into a process of another user, so
    // runs as nobody could not be traced. The checker must see that, and keep every check.
    let Some(setpriv) = setpriv() else { return };
    let output = Command::new(setpriv)
        .args(["--bounding-set", "-sys_ptrace,-sys_admin", "--"])
        .arg(assert_cmd::cargo::cargo_bin!("checker"))
        .args(["--solutions", "--seed", "3"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run the checker under setpriv");
    let report = String::from_utf8_lossy(&output.stdout);
    let total = format!("{0}/{0}", max_points());
    assert!(
        output.status.success() && report.contains(&total),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !report.contains("structural checks skipped"),
        "the X-ray was lost: {report}"
    );
    assert!(
        report.contains("runs keep root's user, without its capabilities"),
        "the report does not say what the runs kept: {report}"
    );
}

#[test]
fn a_check_that_needs_the_x_ray_refuses_to_run_without_it() {
    checker()
        .env("PIPES_LAB_XRAY", "off")
        .args(["--solutions", "1", "--require-xray"])
        .assert()
        .code(2)
        .stderr(contains("--require-xray").and(contains("switched off")));
    // The probe INSTRUCTORS.md gives for a new machine says so, with exit status 2.
    checker()
        .env("PIPES_LAB_XRAY", "off")
        .args(["xray", "1", "--solutions"])
        .assert()
        .code(2)
        .stderr(contains("the X-ray cannot run here"));
}

#[test]
fn where_root_may_not_look_into_the_runs_forged_stage_records_never_pass_unsaid() {
    // Without the X-ray nothing keeps the runs root's: they are nobody, whose /proc root
    // without CAP_SYS_PTRACE may not read, so no spy can be believed. A program that runs no
    // stage and forges their records must then fail, or the report must say that the stage
    // checks were not made.
    let Some(setpriv) = setpriv() else { return };
    let copy = tempfile::tempdir().expect("a temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    let forger = root()
        .join("checker/tests/corpus/04_three_stage_chain/structural_cheat_forged_spy_records.rs");
    std::fs::copy(forger, bin.join("04_three_stage_chain.rs")).expect("copy the forger");
    let output = Command::new(setpriv)
        .args(["--bounding-set", "-sys_ptrace", "--"])
        .arg(assert_cmd::cargo::cargo_bin!("checker"))
        .args(["--seed", "7", "--exercises"])
        .arg(copy.path())
        .arg("04_three_stage_chain")
        .env("NO_COLOR", "1")
        .env("PIPES_LAB_XRAY", "off")
        .output()
        .expect("run the checker under setpriv");
    let report = String::from_utf8_lossy(&output.stdout);
    let said = report.contains("stage checks skipped: the stage spies cannot be heard here: ");
    assert!(
        output.status.code() == Some(1) || (said && output.status.success()),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_run_that_keeps_the_checker_s_user_reads_none_of_its_private_files() {
    // Runs keep the checker's user where root may not trace nobody (powerless root) and where
    // the checker is not root (here: a user namespace whose user owns root's files). Either
    // way a run owns what that user owns, /etc/shadow here: Landlock must keep it out.
    let Some(setpriv) = setpriv() else { return };
    let Ok(shadow) = std::fs::read_to_string("/etc/shadow") else {
        eprintln!("not run: no /etc/shadow");
        return;
    };
    let copy = tempfile::tempdir().expect("a temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    std::fs::write(
        bin.join("01_raw_pipe.rs"),
        "fn main() {\n    match std::fs::read_to_string(\"/etc/shadow\") {\n        Ok(text) => print!(\"{text}\"),\n        Err(e) => println!(\"refused: {e}\"),\n    }\n}\n",
    )
    .expect("write the program");
    let checker = assert_cmd::cargo::cargo_bin!("checker");
    let check = |wrapper: &[&str]| {
        let output = Command::new(wrapper[0])
            .args(&wrapper[1..])
            .arg(checker)
            .args(["--seed", "7", "--exercises"])
            .arg(copy.path())
            .arg("01_raw_pipe")
            .env("NO_COLOR", "1")
            .output()
            .expect("run the checker");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let mut checked = vec![check(&[setpriv, "--bounding-set", "-sys_ptrace", "--"])];
    let unshare = ["/usr/bin/unshare", "/bin/unshare"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    match unshare {
        Some(unshare) => checked.push(check(&[
            unshare,
            "--user",
            "--map-user=1000",
            "--map-group=1000",
        ])),
        None => eprintln!("no unshare here: only powerless root is tried"),
    }
    let secret = shadow.lines().next().unwrap_or_default();
    for report in checked {
        assert!(
            report.contains("refused: Permission denied"),
            "the run was not refused: {report}"
        );
        assert!(
            secret.is_empty() || !report.contains(secret),
            "a run read /etc/shadow: {report}"
        );
    }
}

/// Busy threads beside the checker, 4 per CPU, each setting its CPU affinity back to every
/// CPU now and then (as a neighbour that pays no heed to the checker's pinning does), until
/// the returned flag is lowered.
fn cpu_hog() -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>) {
    let on = Arc::new(AtomicBool::new(true));
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = (0..4 * cpus)
        .map(|_| {
            let on = on.clone();
            std::thread::spawn(move || {
                let mut spin = 0u64;
                while on.load(Ordering::Relaxed) {
                    spin = std::hint::black_box(spin.wrapping_add(1));
                    if spin.is_multiple_of(1_000_000) {
                        // SAFETY: a plain bitmask on the stack.
                        unsafe {
                            let mut all: libc::cpu_set_t = std::mem::zeroed();
                            for cpu in 0..cpus {
                                libc::CPU_SET(cpu, &mut all);
                            }
                            libc::sched_setaffinity(0, std::mem::size_of_val(&all), &all);
                        }
                    }
                }
            })
        })
        .collect();
    (on, threads)
}

#[test]
#[ignore = "about a minute next to a CPU hog; .ci/run runs it"]
fn the_solutions_keep_every_point_five_times_over_next_to_a_cpu_hog() {
    let (on, hog) = cpu_hog();
    let assert = checker()
        .timeout(std::time::Duration::from_secs(600))
        .args(["--solutions", "--repeat", "5", "--seed", "11"])
        .assert();
    on.store(false, Ordering::Relaxed);
    for thread in hog {
        let _ = thread.join();
    }
    let report = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        report.contains(&format!("{0}/{0}", max_points())),
        "a right program lost points under load:\n{report}"
    );
}

/// A program for every exercise that spins 60 processes for 0.3 s, then exits wrongly: the
/// neighbour a class may hold (its cases follow each other, so it fills the CPUs throughout).
const SPINNER: &str = r#"
fn main() {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(300);
    for _ in 0..60 {
        // SAFETY: the child only spins and exits.
        if let Ok(nix::unistd::ForkResult::Child) = unsafe { nix::unistd::fork() } {
            while std::time::Instant::now() < until {}
            std::process::exit(1);
        }
    }
    while std::time::Instant::now() < until {}
    std::process::exit(1);
}
"#;

#[test]
#[ignore = "a few minutes: a class of two beside a CPU hog; .ci/run runs it"]
fn an_honest_submission_keeps_every_point_next_to_a_spinning_one_and_a_cpu_hog() {
    let class = tempfile::tempdir().expect("a class folder");
    let names: Vec<String> = std::fs::read_dir(root().join("solutions/src/bin"))
        .expect("the solutions")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    for (who, text) in [("honest", None), ("spinner", Some(SPINNER))] {
        let bin = class.path().join(who).join("exercises/src/bin");
        std::fs::create_dir_all(&bin).expect("a submission");
        for name in &names {
            match text {
                Some(text) => std::fs::write(bin.join(name), text).expect("write"),
                None => std::fs::copy(root().join("solutions/src/bin").join(name), bin.join(name))
                    .map(drop)
                    .expect("copy"),
            }
        }
    }
    let out = tempfile::tempdir().expect("an output folder");
    let (on, hog) = cpu_hog();
    let graded = checker()
        .timeout(std::time::Duration::from_secs(900))
        .args(["grade", "--seed", "4", "--out"])
        .arg(out.path())
        .arg(class.path().join("honest"))
        .arg(class.path().join("spinner"))
        .output()
        .expect("run grade");
    on.store(false, Ordering::Relaxed);
    for thread in hog {
        let _ = thread.join();
    }
    let csv = std::fs::read_to_string(out.path().join("gradebook.csv")).unwrap_or_default();
    let honest = csv
        .lines()
        .find(|l| l.starts_with("honest,"))
        .unwrap_or_default();
    let total = max_points().to_string();
    // The honest submission's report says which case failed, and why.
    let report = std::fs::read_to_string(out.path().join("honest.txt")).unwrap_or_default();
    assert!(
        honest.split(',').filter(|f| *f == total).count() >= 2,
        "the honest submission lost points:\n{csv}\n{}\n{report}",
        String::from_utf8_lossy(&graded.stdout)
    );
}

#[test]
#[ignore = "a minute or two: each program checked on ten seeds; .ci/run runs it"]
fn a_wrong_program_gets_the_same_score_on_every_seed() {
    // A hang, a framing by lines, non-ASCII lengths, an unescaped print: each costs the
    // same cases whatever the random cases and the injected short reads are.
    let corpus = root().join("checker/tests/corpus");
    for (exercise, program) in [
        ("02_duplex_pipe", "parent_never_hangs_up.rs"),
        ("02_duplex_pipe", "newline_framing.rs"),
        ("02_duplex_pipe", "length_in_chars.rs"),
        ("02_duplex_pipe", "debug_format_not_escaped.rs"),
        ("01_raw_pipe", "forgotten_close.rs"),
    ] {
        let file = corpus.join(exercise).join(program);
        let scores: Vec<Option<String>> = (1..=10)
            .map(|seed| {
                let run = check_program_with_seed(exercise, &file, seed, &[]);
                summary_score(&run.stdout, exercise)
            })
            .collect();
        assert!(scores[0].is_some(), "no score for {exercise}/{program}");
        assert!(
            scores.iter().all(|s| *s == scores[0]),
            "{exercise}/{program} scored differently on seeds 1-10: {scores:?}"
        );
    }
}
