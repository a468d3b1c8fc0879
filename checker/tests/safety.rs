//! Safe runs: Ctrl-C during a check stops the student's processes too.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn ctrl_c_stops_the_check_and_every_process_it_started() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    // A program that sleeps is no deadlock: it runs until its time limit, unless stopped.
    std::fs::write(
        bin.join("01_raw_pipe.rs"),
        "fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(60));\n}\n",
    )
    .expect("write the program");
    let log = copy.path().join("report");
    let mut checker = Command::new(assert_cmd::cargo::cargo_bin!("checker"))
        .args(["--exercises"])
        .arg(copy.path())
        .arg("1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("create the log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start the checker");
    // Wait until the program runs (its stdout is kept under the checker's own pid).
    let start = Instant::now();
    let pid = checker.id();
    while !common::processes_of_run(pid)
        .iter()
        .any(|(_, exe)| exe.ends_with("01_raw_pipe"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the program never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: a signal to the checker this test started.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let status = checker.wait().expect("wait for the checker");
    assert_eq!(
        status.code(),
        Some(130),
        "{:?}",
        std::fs::read_to_string(&log)
    );
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "Ctrl-C took effect after {:?}",
        start.elapsed()
    );
    assert_eq!(
        common::processes_of_run(pid),
        Vec::new(),
        "processes left running"
    );
}
