//! The X-ray: the `xray` command's pictures, and what happens where runs cannot be traced.

mod common;

use common::{checker, root};
use std::os::unix::process::CommandExt;
use std::path::Path;

/// A copy of the exercises with `program` as the exercise's file.
fn copy_with(exercise: &str, program: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    std::fs::copy(program, bin.join(format!("{exercise}.rs"))).expect("copy the program");
    copy
}

/// Held by the tests that check 01: a check clears and rewrites 01's kept runs
/// (`target/pipes-lab/last-run/01_raw_pipe/`), which one of them reads back.
static KEPT_01: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn kept_01() -> std::sync::MutexGuard<'static, ()> {
    KEPT_01.lock().unwrap_or_else(|e| e.into_inner())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn xray_of_the_chain_draws_three_stages_and_two_pipes() {
    let out = checker()
        .args(["xray", "4", "--solutions"])
        .output()
        .expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for part in [
        "cat file.txt",
        "grep Yost",
        "wc -l",
        "P2 (fd 1) --> [pipe A] --> P3 (fd 0)",
        "P3 (fd 1) --> [pipe B] --> P4 (fd 0)",
        "What 04_three_stage_chain expects",
        "ok    every exec'd program starts with no pipe end",
    ] {
        assert!(stdout.contains(part), "no `{part}` in:\n{stdout}");
    }
    assert!(
        !stdout.contains("[pipe C]") && !stdout.contains("leaked"),
        "{stdout}"
    );
}

#[test]
fn xray_marks_the_descriptors_a_leaking_chain_passes_to_its_stages() {
    let leaky = root().join("checker/tests/corpus/04_three_stage_chain/leaked_pipe_end.rs");
    let copy = copy_with("04_three_stage_chain", &leaky);
    let out = checker()
        .args(["xray", "4", "--exercises"])
        .arg(copy.path())
        .output()
        .expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("! P2 started cat with fd 5: the read end of pipe B (leaked)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DIFF  every exec'd program starts with no pipe end"),
        "{stdout}"
    );

    let out = checker()
        .args(["xray", "4", "--mermaid", "--exercises"])
        .arg(copy.path())
        .output()
        .expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("```mermaid\nflowchart LR").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("! fd 5: the read end of pipe B (leaked)")
            && stdout.contains("style P2 stroke:#d00"),
        "{stdout}"
    );
}

#[test]
fn xray_says_when_stages_are_joined_by_files_instead_of_pipes() {
    let files = root().join("checker/tests/corpus/04_three_stage_chain/temp_files.rs");
    let copy = copy_with("04_three_stage_chain", &files);
    let out = checker()
        .args(["xray", "4", "--exercises"])
        .arg(copy.path())
        .output()
        .expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("DIFF  cat's stdout is the write end of one pipe")
            && stdout.contains(": not the two ends of one pipe"),
        "{stdout}"
    );
}

#[test]
fn xray_refuses_an_unknown_exercise_with_a_clear_message() {
    checker()
        .args(["xray", "99"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no exercise called `99`"));
}

#[test]
fn switched_off_the_structural_checks_are_skipped_with_one_line() {
    let _kept = kept_01();
    let out = checker()
        .args(["--solutions", "1", "--format", "json", "--output"])
        .arg(tempfile::tempdir().expect("dir").path().join("grades.json"))
        .env("PIPES_LAB_XRAY", "off")
        .output()
        .expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout
            .matches("structural checks skipped: the X-ray is switched off")
            .count(),
        1,
        "{stdout}"
    );
}

/// Starts the checker with system call `nr` refused (EPERM), as in a container that forbids
/// ptrace or seccomp.
fn refusing(cmd: &mut std::process::Command, nr: libc::c_long) {
    let filter = [
        // Load the call number; if it is `nr`, fail it with EPERM; else allow.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: nr as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    // SAFETY: prctl and seccomp on a filter that outlives the call; both only make syscalls.
    unsafe {
        cmd.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &program as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
}

#[test]
fn where_ptrace_is_refused_the_checks_still_run_and_say_so_once() {
    let _kept = kept_01();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("checker"));
    cmd.args(["--solutions", "1", "2"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    refusing(&mut cmd, libc::SYS_ptrace);
    let out = cmd.output().expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(" 50/50\n"), "{stdout}");
    assert_eq!(
        stdout
            .matches("structural checks skipped: runs cannot be traced here: ptrace is not permitted here (EPERM")
            .count(),
        1,
        "{stdout}"
    );

    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("checker"));
    cmd.args(["xray", "1", "--solutions"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    refusing(&mut cmd, libc::SYS_ptrace);
    let out = cmd.output().expect("run the checker");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the X-ray cannot trace runs here: ptrace is not permitted"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn where_seccomp_is_refused_every_call_stops_and_the_checks_still_hold() {
    let _kept = kept_01();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("checker"));
    cmd.args(["--solutions", "1", "9"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    refusing(&mut cmd, libc::SYS_seccomp);
    let out = cmd.output().expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("structural checks skipped"), "{stdout}");

    // The structural checks still ran: a program without a child fails them.
    let cheat = root().join("checker/tests/corpus/01_raw_pipe/structural_cheat_no_child.rs");
    let copy = copy_with("01_raw_pipe", &cheat);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("checker"));
    cmd.args(["xray", "1", "--exercises"])
        .arg(copy.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    refusing(&mut cmd, libc::SYS_seccomp);
    let out = cmd.output().expect("run the checker");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("DIFF  the program creates a child process")
            && stdout.contains("the X-ray stopped the program at every system call"),
        "{stdout}"
    );
}

#[test]
fn xray_writes_the_timeline_of_a_deadlock_as_a_page() {
    let program = root().join("checker/tests/corpus/01_raw_pipe/forgotten_close.rs");
    let copy = copy_with("01_raw_pipe", &program);
    let page = copy.path().join("timeline.html");
    let out = checker()
        .args(["xray", "1", "--exercises"])
        .arg(copy.path())
        .arg(format!("--html={}", page.display()))
        .output()
        .expect("run the checker");
    let html = std::fs::read_to_string(&page)
        .unwrap_or_else(|e| panic!("no page ({e}): {}", text(&out.stderr)));
    // The same processes as the report, the parent's read waiting until the verdict, and the
    // verdict itself; nothing fetched from elsewhere.
    for part in [
        "P1 (the program), pid ",
        "P2 (child of P1), pid ",
        "from 0.000 s",
        // The hang doctor's circle: the parent waits for nobody but itself.
        "waits for itself: to write into or close pipe:[",
        // The ends held, and the messages on their way from the child to the parent.
        "held fd 4, the write end of pipe:[",
        r#"B: &quot;hello&quot;"#,
        "read pipe:[",
        "until the end</title>",
        "hang judged here",
        // The child's end, as the X-ray's picture says it.
        "exit 0</text>",
        "received: hello",
        // The X-ray's `!`, as its picture gives it.
        "! P1 began reading pipe A while it still held the write end of pipe A as fd 4",
        // Under it, the reference solution's run of the same command, which ends.
        "The reference solution, same command, same seed",
        r#"aria-labelledby="caption-reference""#,
    ] {
        assert!(html.contains(part), "no `{part}` in the page");
    }
    assert!(!html.contains("<script") && !html.contains("src=") && html.len() < 1 << 20);
    // One hang in the page: the student's; the reference's run ends by itself.
    assert_eq!(html.matches("hang judged here</text>").count(), 1);
}

#[test]
fn a_failed_case_keeps_its_timeline_beside_its_files() {
    let _kept = kept_01();
    let program = root().join("checker/tests/corpus/01_raw_pipe/forgotten_close.rs");
    // Every case, so that the second is kept too (without a page: only the first failure's).
    let run = common::check_program("01_raw_pipe", &program, &[]);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("timeline.html"))
        .unwrap_or_else(|| panic!("no timeline named in:\n{}", run.stdout));
    let dir = line.rsplit(": ").next().expect("a folder");
    let page = std::fs::read_to_string(root().join(dir).join("timeline.html"))
        .unwrap_or_else(|e| panic!("{dir}/timeline.html: {e}"));
    assert!(page.contains("hang judged here"), "{page}");
    // `xray --case K` gives the same page from the kept files, running nothing (the program's
    // folder is gone by now); a case whose page was not kept is told how to get one.
    let copy = tempfile::tempdir().expect("a folder");
    let again = copy.path().join("again.html");
    let out = checker()
        .args(["xray", "1", "--case", "1"])
        .arg(format!("--html={}", again.display()))
        .output()
        .expect("run the checker");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&again).ok(), Some(page));
    let out = checker()
        .args(["xray", "1", "--case", "2", "--html"])
        .output()
        .expect("run the checker");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("has no page") && stderr.contains("cargo lab xray 1 --html --"),
        "{stderr}"
    );
}

/// The numbers after each `pid ` in `text`.
fn pids_in(text: &str) -> Vec<String> {
    text.split("pid ")
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .filter(|pid: &String| !pid.is_empty())
        .collect()
}

/// The page a failed check keeps says what its report says, and nothing against it: the same
/// processes (by pid), the same blocked ends, the same hang and circle of waits, the same
/// leaked ends and `!` marks, and a first wrong line where the report shows a diff.
#[test]
fn each_kept_page_shows_what_its_report_says() {
    let _kept = kept_01();
    for (exercise, program) in [
        ("01_raw_pipe", "wait_before_read"),
        ("04_three_stage_chain", "leaked_pipe_end"),
        ("06_pipe_capacity", "blocking_fill"),
        ("07_broken_pipe", "reader_keeps_write_end"),
        ("09_poll", "sequential_reads"),
    ] {
        let path = root().join(format!("checker/tests/corpus/{exercise}/{program}.rs"));
        let report = common::check_program_fast(exercise, &path, &[]).stdout;
        let line = report
            .lines()
            .find(|l| l.contains("timeline.html"))
            .unwrap_or_else(|| panic!("{program}: no page named in:\n{report}"));
        let dir = line.rsplit(": ").next().expect("a folder");
        let page = std::fs::read_to_string(root().join(dir).join("timeline.html"))
            .unwrap_or_else(|e| panic!("{program}: {dir}/timeline.html: {e}"));
        let said = |part: &str| {
            assert!(
                page.contains(part),
                "{program}: the page lacks `{part}`; the report:\n{report}"
            )
        };
        // Every process the report names is a lane of the page.
        for pid in pids_in(&report) {
            said(&format!(", pid {pid}</text>"));
        }
        // The hang, where the report has one, and only there.
        assert_eq!(
            report.contains("\n  hang: "),
            page.contains("hang judged here</text>"),
            "{program}: {report}"
        );
        for l in report.lines().map(str::trim) {
            // An end a process was blocked on, held to the end of the run.
            for (verb, end) in [("reading ", "read"), ("writing into ", "write")] {
                let Some(rest) = l.split(&format!("is blocked {verb}")).nth(1) else {
                    continue;
                };
                let (Some(object), Some(fd)) =
                    (rest.split(' ').next(), rest.split("through fd ").nth(1))
                else {
                    continue;
                };
                let fd: String = fd.chars().take_while(char::is_ascii_digit).collect();
                let pid = &pids_in(l)[0];
                said(&format!(
                    "pid {pid} held fd {fd}, the {end} end of {object}"
                ));
            }
            // The circle of waits, pair by pair, with the same reason.
            if l.contains(" waits for pid ") {
                let pids = pids_in(l);
                let why = l.rsplit("): ").next().unwrap_or_default();
                let (a, b) = (&pids[0], &pids[1]);
                assert!(
                    page.lines().any(|p| p.starts_with("<li>")
                        && p.contains(&format!("pid {a} waits for "))
                        && p.contains(&format!("pid {b}: {why}"))),
                    "{program}: the page lacks `{l}`"
                );
            }
            // A descriptor a stage started with, leaked.
            if let Some(rest) = l.split("started with descriptor ").nth(1) {
                let fd: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let end = rest.split(" open: the ").nth(1).unwrap_or_default();
                let end = end.split(" (").next().unwrap_or_default();
                let pid = &pids_in(l)[0];
                said(&format!("pid {pid} held fd {fd}, the {end} (! leaked"));
            }
            // The X-ray's marks.
            if l.starts_with("! ") {
                said(&format!("<li>{l}</li>"));
            }
        }
        if report.contains("expected stdout - against yours +") {
            said("<h2>The first wrong line</h2>");
        }
    }
}

/// What a timeline picture shows that a run of the same program shows again: each lane (its
/// process, named as the report names it), the kinds of marks on it and the ends it held.
/// Not the counts of reads and writes, nor the times: those vary from run to run; where the
/// X-ray's timeline ran full, which it does at a moment that varies, only the lanes. `full`
/// is whether to keep only the lanes: the caller sets it when either picture ran full.
fn shape(svg: &str, full: bool) -> Vec<String> {
    let lanes: Vec<String> = svg
        .split(r#"font-size="12">"#)
        .skip(1)
        .filter_map(|rest| rest.split("</text>").next())
        .map(String::from)
        .collect();
    let titles: Vec<&str> = svg
        .split("<title>")
        .skip(1)
        .filter_map(|rest| rest.split("</title>").next())
        .collect();
    lanes
        .iter()
        .map(|lane| {
            let mine: Vec<&&str> = titles
                .iter()
                .filter(|t| t.starts_with(&format!("{lane} ")))
                .collect();
            let mut kinds: Vec<&str> = [
                (" wrote ", "writes"),
                (" began a read ", "reads"),
                (" printed ", "prints"),
                (" let go of ", "closes"),
                ("'s poll returned", "polls"),
                (" slept ", "sleeps"),
            ]
            .iter()
            .filter(|(word, _)| mine.iter().any(|t| t.contains(word)))
            .map(|(_, kind)| *kind)
            .collect();
            kinds.sort();
            if full {
                return format!("{lane}: (the X-ray kept no more)");
            }
            let held = mine.iter().filter(|t| t.contains(" held fd ")).count();
            format!("{lane}: {} ; {held} ends held", kinds.join(", "))
        })
        .collect()
}

/// The pictures in labs.md are what the reference solutions do today: each one drawn again
/// shows the same processes doing the same kinds of things with the same ends.
#[test]
#[ignore = "runs every reference solution under the X-ray: run by .ci/run"]
fn the_handout_s_pictures_match_the_reference_solutions() {
    let labs = std::fs::read_to_string(root().join("labs.md")).expect("labs.md");
    let dir = tempfile::tempdir().expect("a folder");
    for name in common::exercise_names() {
        let kept = root().join(format!("pictures/{name}.svg"));
        assert!(
            labs.contains(&format!("](pictures/{name}.svg)")),
            "labs.md shows no picture of {name}"
        );
        let number = &name[..2];
        let command = format!(
            "cargo run -p checker -- xray {number} --solutions --seed 1 --svg=pictures/{name}.svg"
        );
        let kept = std::fs::read_to_string(&kept)
            .unwrap_or_else(|e| panic!("pictures/{name}.svg: {e}; make it with `{command}`"));
        let fresh = dir.path().join(format!("{name}.svg"));
        let out = checker()
            .args(["xray", number, "--solutions", "--seed", "1"])
            .arg(format!("--svg={}", fresh.display()))
            .output()
            .expect("run the checker");
        let fresh = std::fs::read_to_string(&fresh)
            .unwrap_or_else(|e| panic!("{name}: no picture ({e}): {}", text(&out.stderr)));
        assert!(
            !kept.contains(", pid ") && kept.len() < 1 << 20,
            "pictures/{name}.svg"
        );
        // How soon the timeline runs full depends on the load (07's writer writes on until its
        // reader leaves), so one full picture is enough to compare only the lanes.
        let full = [&kept, &fresh]
            .iter()
            .any(|svg| svg.contains("the X-ray kept no more</text>"));
        assert_eq!(
            shape(&kept, full),
            shape(&fresh, full),
            "pictures/{name}.svg no longer shows what the reference solution does: make it again with `{command}`"
        );
    }
}
