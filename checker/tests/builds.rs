//! Building a submission: its compiler held to a time limit per exercise and per submission,
//! a memory limit and a bounded report, stopped with the checker; and the one rule that finds
//! an upload's exercise files, the same through `--exercises` and `grade`.

mod common;

use common::secrets::{Secrets, TOKEN_VARIABLE, leaked};
use common::{copy_workbook, exercise_names, root, target_dir, work_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A `const` the compiler evaluates for ever (2^64 steps): rustc only warns that it takes long.
const ENDLESS_CONST: &str = r#"#![allow(long_running_const_eval)]
const N: u64 = {
    let mut i = 0u64;
    loop {
        i = i.wrapping_add(1);
        if i == 0 {
            break i;
        }
    }
};
fn main() {
    println!("{N}");
}
"#;

fn solution(name: &str) -> PathBuf {
    root().join(format!("solutions/src/bin/{name}.rs"))
}

/// Writes `files` (exercise name, source) into `dir/src/bin/`.
fn copy_with(dir: &Path, files: &[(&str, String)]) {
    let bin = dir.join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    for (name, text) in files {
        std::fs::write(bin.join(format!("{name}.rs")), text).expect("write an exercise");
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a file")
}

/// What one checker run showed, and how long it took.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs the checker with `args` and `envs`; stops it (and fails) after `limit`.
fn run_checker(args: &[&std::ffi::OsStr], envs: &[(&str, &str)], limit: Duration) -> Ran {
    let start = Instant::now();
    let output = common::checker()
        .args(args)
        .envs(envs.iter().copied())
        .timeout(limit)
        .output()
        .expect("run the checker");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// The text of one exercise's report: from its title line to the next exercise's.
fn section<'a>(report: &'a str, exercise: &str) -> &'a str {
    let start = report
        .find(&format!("{exercise} - "))
        .unwrap_or_else(|| panic!("no report for {exercise}:\n{report}"));
    let rest = &report[start..];
    // The report's own lines are indented; the next line that is not ends it.
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| rest[i..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
#[ignore = "over 15 s: an endless compilation runs into its 15 s limit, then two exercises are checked; .ci/run runs it"]
fn an_endless_const_evaluation_is_stopped_and_the_other_exercises_still_pass() {
    let copy = tempfile::tempdir().expect("temporary directory");
    copy_with(
        copy.path(),
        &[
            ("01_raw_pipe", read(&solution("01_raw_pipe"))),
            ("02_duplex_pipe", ENDLESS_CONST.into()),
            ("06_pipe_capacity", read(&solution("06_pipe_capacity"))),
        ],
    );
    let ran = run_checker(
        &[
            "--exercises".as_ref(),
            copy.path().as_os_str(),
            "1".as_ref(),
            "2".as_ref(),
            "6".as_ref(),
        ],
        &[("PIPES_LAB_BUILD_SECS", "15")],
        Duration::from_secs(240),
    );
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    let endless = section(&ran.stdout, "02_duplex_pipe");
    assert!(
        endless.contains(": does not compile")
            && endless.contains("the compiler ran longer than 15 s on this exercise"),
        "{endless}"
    );
    for passing in ["01_raw_pipe", "06_pipe_capacity"] {
        assert!(
            section(&ran.stdout, passing).contains(": passed"),
            "{}",
            ran.stdout
        );
    }
    // The limit, then the two honest exercises' build and check, with a margin for a busy
    // machine: never the endless compilation itself.
    assert!(
        ran.elapsed < Duration::from_secs(15 + 60),
        "took {:?}",
        ran.elapsed
    );
}

#[test]
#[ignore = "about 30 s: grades an honest copy alone, then beside an endless compilation; .ci/run runs it"]
fn grading_an_endless_compilation_beside_an_honest_copy_costs_only_the_limit() {
    let class = tempfile::tempdir().expect("temporary directory");
    let honest = class.path().join("honest");
    let names = exercise_names();
    let honest_files: Vec<(&str, String)> = names
        .iter()
        .map(|n| (n.as_str(), read(&solution(n))))
        .collect();
    copy_with(&honest.join("exercises"), &honest_files);
    let endless = class.path().join("endless");
    copy_with(
        &endless.join("exercises"),
        &[
            ("01_raw_pipe", read(&solution("01_raw_pipe"))),
            ("02_duplex_pipe", ENDLESS_CONST.into()),
        ],
    );
    let grade = |out: &Path, submissions: &[&Path]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "grade".as_ref(),
            "--seed".as_ref(),
            "5".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        args.extend(submissions.iter().map(|s| s.as_os_str()));
        run_checker(
            &args,
            &[("PIPES_LAB_BUILD_SECS", "15")],
            Duration::from_secs(600),
        )
    };
    let alone = grade(&class.path().join("alone"), &[&honest]);
    assert_eq!(alone.code, Some(0), "{}{}", alone.stdout, alone.stderr);
    let out = class.path().join("both");
    let both = grade(&out, &[&endless, &honest]);
    assert_eq!(both.code, Some(0), "{}{}", both.stdout, both.stderr);
    let csv = read(&out.join("gradebook.csv"));
    let row = |name: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("{name},")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{csv}"))
            .to_string()
    };
    assert!(row("honest").contains(",185,185,graded,"), "{csv}");
    assert!(row("endless").starts_with("endless,20,0,"), "{csv}");
    let report = read(&out.join("endless.txt"));
    assert!(
        report.contains("the compiler ran longer than 15 s on this exercise"),
        "{report}"
    );
    // The endless copy costs its limit, and a margin for a busy machine.
    assert!(
        both.elapsed < alone.elapsed + Duration::from_secs(15 + 45),
        "alone {:?}, both {:?}",
        alone.elapsed,
        both.elapsed
    );
}

#[test]
fn the_whole_build_stops_at_the_submission_s_limit() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let endless: Vec<(&str, String)> = ["01_raw_pipe", "02_duplex_pipe", "06_pipe_capacity"]
        .into_iter()
        .map(|n| (n, ENDLESS_CONST.to_string()))
        .collect();
    copy_with(copy.path(), &endless);
    // Each exercise could run 60 s, but the three together only 4.
    let ran = run_checker(
        &[
            "--exercises".as_ref(),
            copy.path().as_os_str(),
            "1".as_ref(),
            "2".as_ref(),
            "6".as_ref(),
        ],
        &[("PIPES_LAB_BUILD_SECS", "60,4")],
        Duration::from_secs(120),
    );
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    for (name, _) in &endless {
        let report = section(&ran.stdout, name);
        assert!(
            report.contains(": does not compile")
                && report.contains("the build of this submission ran longer than 4 s in all"),
            "{report}"
        );
    }
    assert!(
        ran.elapsed < Duration::from_secs(4 + 30),
        "took {:?}",
        ran.elapsed
    );
}

/// Processes below `pid`, with their command lines (zombies aside).
fn descendants(pid: i32) -> Vec<(i32, String)> {
    let all: Vec<(i32, i32, String)> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let parent: i32 = fields.next()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (state != "Z").then_some((p, parent, cmdline))
        })
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for (p, _, cmdline) in all.iter().filter(|(_, pp, _)| *pp == parent) {
            found.push((*p, cmdline.clone()));
            frontier.push(*p);
        }
    }
    found
}

/// Whether a process is still there, running the same command line.
fn still_running(pid: i32, cmdline: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    let now = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default();
    !zombie && now == cmdline
}

#[test]
fn ctrl_c_during_a_build_stops_cargo_and_every_compiler_at_once() {
    let copy = tempfile::tempdir().expect("temporary directory");
    copy_with(copy.path(), &[("01_raw_pipe", ENDLESS_CONST.into())]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("checker"))
        .arg("--exercises")
        .arg(copy.path())
        .arg("1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the checker");
    let pid = child.id() as i32;
    // Wait for the exercise's compiler, deep in its endless evaluation.
    let deadline = Instant::now() + Duration::from_secs(180);
    let compiling = |family: &[(i32, String)]| {
        family
            .iter()
            .any(|(_, c)| c.contains("--crate-name 01_raw_pipe "))
    };
    let mut family = descendants(pid);
    while !compiling(&family) {
        assert!(Instant::now() < deadline, "no compiler started");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the checker ended"
        );
        std::thread::sleep(Duration::from_millis(100));
        family = descendants(pid);
    }
    std::thread::sleep(Duration::from_millis(500));
    let family = descendants(pid);
    assert!(
        family
            .iter()
            .any(|(_, c)| c.contains("cargo") && c.contains(" build "))
            && compiling(&family),
        "{family:?}"
    );
    // SAFETY: a signal to the checker this test started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the checker did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stopped_in = sent.elapsed();
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
    }
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stopped_in < Duration::from_secs(3), "took {stopped_in:?}");
    let left: Vec<&(i32, String)> = family
        .iter()
        .filter(|(p, c)| still_running(*p, c))
        .collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

#[test]
fn a_flood_of_compiler_errors_gives_a_bounded_report() {
    let copy = tempfile::tempdir().expect("temporary directory");
    // 3,000 functions, each with a type error: 3,000 messages (some 5 MB).
    let mut flood = String::new();
    for i in 0..3000 {
        flood.push_str(&format!("fn f{i}() -> u8 {{ \"\" }}\n"));
    }
    flood.push_str("fn main() {}\n");
    copy_with(copy.path(), &[("01_raw_pipe", flood)]);
    let ran = run_checker(
        &[
            "--exercises".as_ref(),
            copy.path().as_os_str(),
            "1".as_ref(),
        ],
        &[],
        Duration::from_secs(180),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let report = section(&ran.stdout, "01_raw_pipe");
    assert!(report.contains("mismatched types"), "{report}");
    assert!(report.contains("more messages not shown"), "{report}");
    assert!(report.len() < 24 << 10, "{} bytes", report.len());
    assert!(ran.stdout.len() < 32 << 10, "{} bytes", ran.stdout.len());
}

#[test]
#[ignore = "some seconds: a compiler runs up to its memory cap; .ci/run runs it"]
fn a_compiler_that_runs_out_of_memory_gets_a_message_not_the_oom_killer() {
    let copy = tempfile::tempdir().expect("temporary directory");
    copy_with(
        copy.path(),
        &[
            // rustc reads /dev/zero until its allocation fails, and says so.
            (
                "01_raw_pipe",
                "static ZEROS: &[u8] = include_bytes!(\"/dev/zero\");\nfn main() {\n    println!(\"{}\", ZEROS.len());\n}\n".into(),
            ),
            // 1 GiB of constant data: the compiler's copies of it run past the limit and abort
            // rustc.
            (
                "02_duplex_pipe",
                "static ONES: [u8; 1 << 30] = [1; 1 << 30];\nfn main() {\n    println!(\"{}\", ONES[12345]);\n}\n".into(),
            ),
        ],
    );
    let ran = run_checker(
        &[
            "--exercises".as_ref(),
            copy.path().as_os_str(),
            "1".as_ref(),
            "2".as_ref(),
        ],
        &[],
        Duration::from_secs(180),
    );
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    for name in ["01_raw_pipe", "02_duplex_pipe"] {
        let report = section(&ran.stdout, name);
        assert!(
            report.contains(": does not compile")
                && report.contains("the compiler ran out of the 2 GiB a build may use"),
            "{report}"
        );
    }
}

#[test]
fn a_rerun_command_quotes_an_odd_folder_name_for_the_shell() {
    let class = tempfile::tempdir().expect("temporary directory");
    let copy = class.path().join("it's a, \"copy\"");
    // A program that deadlocks: its report gives the command that reproduces it.
    copy_with(
        &copy,
        &[(
            "01_raw_pipe",
            read(&root().join("checker/tests/corpus/01_raw_pipe/forgotten_close.rs")),
        )],
    );
    let ran = run_checker(
        &["--exercises".as_ref(), copy.as_os_str(), "1".as_ref()],
        &[],
        Duration::from_secs(180),
    );
    let command = ran
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("reproduce: "))
        .unwrap_or_else(|| panic!("no command to reproduce:\n{}", ran.stdout));
    // The shell must see the words the checker meant: print them instead of running cargo.
    let words = command.strip_prefix("cargo ").expect("a cargo command");
    let printed = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\n' {words}"))
        .output()
        .expect("run sh");
    let printed = String::from_utf8_lossy(&printed.stdout);
    let manifest = copy.join("Cargo.toml").display().to_string();
    assert!(
        printed.lines().any(|l| l == manifest),
        "{command}\nbecame:\n{printed}"
    );
}

#[test]
fn a_symbolic_link_in_place_of_an_exercise_is_not_followed() {
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    std::os::unix::fs::symlink(solution("01_raw_pipe"), bin.join("01_raw_pipe.rs"))
        .expect("a link");
    let ran = run_checker(
        &[
            "--exercises".as_ref(),
            copy.path().as_os_str(),
            "1".as_ref(),
        ],
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let report = section(&ran.stdout, "01_raw_pipe");
    assert!(
        report.contains("is missing from the copy being checked")
            && report.contains("symbolic link"),
        "{report}"
    );
}

#[test]
fn grade_explains_an_empty_upload_and_refuses_two_copies() {
    let class = tempfile::tempdir().expect("temporary directory");
    let empty = class.path().join("empty");
    std::fs::create_dir_all(empty.join("notes")).expect("an empty upload");
    std::fs::write(empty.join("notes/readme.txt"), "hello\n").expect("write");
    let twins = class.path().join("twins");
    for copy in ["first", "second"] {
        copy_with(
            &twins.join(copy).join("exercises"),
            &[("01_raw_pipe", read(&solution("01_raw_pipe")))],
        );
    }
    let out = class.path().join("grades");
    let ran = run_checker(
        &[
            "grade".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            empty.as_os_str(),
            twins.as_os_str(),
        ],
        &[],
        Duration::from_secs(120),
    );
    // Neither could be checked, through the submissions' fault: `no files` rows with the
    // reason, and the run itself went well.
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let csv = read(&out.join("gradebook.csv"));
    let zeros = vec!["0"; exercise_names().len()].join(",");
    for name in ["empty", "twins"] {
        assert!(
            csv.lines()
                .any(|l| l.starts_with(&format!("{name},{zeros},0,185,no files,"))),
            "{csv}"
        );
    }
    for file in ["empty.txt", "empty.json"] {
        let text = read(&out.join(file));
        assert!(text.contains("no exercise files found"), "{file}: {text}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&read(&out.join("twins.json"))).expect("JSON");
    let error = json["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("two exercises/ folders")
            && error.contains("first/exercises")
            && error.contains("second/exercises"),
        "{json}"
    );
    assert!(
        ran.stdout.contains("no exercise files found"),
        "{}",
        ran.stdout
    );
}

#[test]
#[ignore = "about 10 s: grades a whole copy of the solutions; .ci/run runs it"]
fn grade_finds_loose_exercise_files_and_gives_full_marks() {
    let class = tempfile::tempdir().expect("temporary directory");
    let loose = class.path().join("loose");
    // The files alone, in folders of the student's own making.
    for (i, name) in exercise_names().iter().enumerate() {
        let folder = loose.join(format!("week {}", i / 3 + 1));
        std::fs::create_dir_all(&folder).expect("a folder");
        std::fs::copy(solution(name), folder.join(format!("{name}.rs"))).expect("copy");
    }
    let out = class.path().join("grades");
    let ran = run_checker(
        &[
            "grade".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            loose.as_os_str(),
        ],
        &[],
        Duration::from_secs(400),
    );
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let csv = read(&out.join("gradebook.csv"));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("loose,") && l.contains(",185,185,graded,")),
        "{csv}"
    );
}

/// A program whose compilation fails with `value` (a `&str` expression) as its message: what
/// it read at compile time would be in the report.
fn revealing(value: &str) -> String {
    format!("const READ: &str = {value};\nconst _: () = panic!(\"{{}}\", READ);\nfn main() {{}}\n")
}

/// Checks `copy` with the secrets in the checker's environment and cargo home; the text
/// report, and the JSON report it also wrote.
fn check_with_secrets(copy: &Path, secrets: &Secrets) -> (Ran, String) {
    let json = tempfile::NamedTempFile::new().expect("a temporary file");
    let ran = run_checker(
        &[
            "--seed".as_ref(),
            "3".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--output".as_ref(),
            json.path().as_os_str(),
            "--exercises".as_ref(),
            copy.as_os_str(),
        ],
        &secrets.envs().each_ref().map(|(k, v)| (*k, v.as_str())),
        Duration::from_secs(180),
    );
    (ran, read(json.path()))
}

/// Nothing the checker showed or wrote holds the secret.
fn assert_no_leak(ran: &Ran, json: &str) {
    for (what, text) in [
        ("stdout", &ran.stdout),
        ("stderr", &ran.stderr),
        ("JSON", &json.to_string()),
    ] {
        if let Some(secret) = leaked(text) {
            panic!("{secret} is in the {what}:\n{text}");
        }
    }
}

/// The score a JSON report gives an exercise.
fn json_score(json: &str, exercise: &str) -> f64 {
    let report: serde_json::Value = serde_json::from_str(json).expect("a JSON report");
    report["exercises"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["name"] == exercise))
        .and_then(|e| e["score"].as_f64())
        .unwrap_or_else(|| panic!("no score for {exercise}: {json}"))
}

#[test]
fn what_a_build_reads_at_compile_time_stays_behind_its_wall() {
    let secrets = Secrets::new();
    // The previous submission: an honest 01, and an assembler that includes /etc/shadow into
    // the program (which would print it).
    let previous = tempfile::tempdir().expect("temporary directory");
    let incbin = r#"std::arch::global_asm!(".section .rodata", ".globl leaked", "leaked:", ".incbin \"/etc/shadow\"", ".byte 0");
unsafe extern "C" {
    static leaked: u8;
}
fn main() {
    let text = unsafe { std::ffi::CStr::from_ptr(&raw const leaked as *const std::ffi::c_char) };
    println!("{}", text.to_string_lossy());
}
"#;
    // And a reference solution, included by its path in the workbook.
    let reference = solution("03_producer_consumer").display().to_string();
    copy_with(
        previous.path(),
        &[
            ("01_raw_pipe", read(&solution("01_raw_pipe"))),
            ("02_duplex_pipe", incbin.into()),
            (
                "03_producer_consumer",
                revealing(&format!("include_str!({reference:?})")),
            ),
        ],
    );
    let (ran, json) = check_with_secrets(previous.path(), &secrets);
    assert_no_leak(&ran, &json);
    assert!(
        section(&ran.stdout, "01_raw_pipe").contains(": passed"),
        "{}",
        ran.stdout
    );
    let asm = section(&ran.stdout, "02_duplex_pipe");
    assert!(
        asm.contains(": does not compile") && asm.contains("/etc/shadow"),
        "{asm}"
    );
    let included = section(&ran.stdout, "03_producer_consumer");
    assert!(
        included.contains(&format!("couldn't read `{reference}`")),
        "{included}"
    );

    // Its program is gone from the copies' target directory, and its stage with it. Looked at
    // with the build lock held: the other tests' checks build copies at the same time, and a
    // stage or a program is only left behind if it is still there once its build let go.
    let work = work_dir();
    let lock = std::fs::File::create(target_dir().join("pipes-lab/build.lock")).expect("the lock");
    let held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .expect("the build lock");
    let previous_program = work.join("copies/debug/01_raw_pipe");
    assert!(
        !previous_program.exists(),
        "{} is left",
        previous_program.display()
    );
    let stages: Vec<_> = std::fs::read_dir(work.join("stages"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(stages.is_empty(), "stages left: {stages:?}");
    drop(held);

    let copy = tempfile::tempdir().expect("temporary directory");
    let secret = secrets.file.display().to_string();
    let credentials = secrets.credentials();
    let option_env = format!(
        "match option_env!(\"{TOKEN_VARIABLE}\") {{ Some(s) => s, None => concat!(\"no secret; package \", env!(\"CARGO_PKG_NAME\")) }}"
    );
    copy_with(
        copy.path(),
        &[
            ("01_raw_pipe", revealing("include_str!(\"/etc/shadow\")")),
            (
                "02_duplex_pipe",
                revealing(&format!("include_str!({secret:?})")),
            ),
            (
                "03_producer_consumer",
                revealing("include_str!(\"/proc/self/environ\")"),
            ),
            (
                "04_three_stage_chain",
                revealing("include_str!(\"/proc/1/environ\")"),
            ),
            ("05_queue", revealing(&option_env)),
            (
                "06_pipe_capacity",
                revealing(&format!(
                    "include_str!({:?})",
                    credentials.display().to_string()
                )),
            ),
            (
                "09_poll",
                format!(
                    "const PROGRAM: &[u8] = include_bytes!({:?});\nfn main() {{\n    println!(\"{{}}\", PROGRAM.len());\n}}\n",
                    previous_program.display().to_string()
                ),
            ),
        ],
    );
    let bin = copy.path().join("src/bin");
    std::fs::hard_link(&secrets.file, bin.join("07_broken_pipe.rs")).expect("a hard link");
    std::os::unix::fs::symlink("/etc/shadow", bin.join("08_named_pipe.rs")).expect("a link");
    let (ran, json) = check_with_secrets(copy.path(), &secrets);
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    assert_no_leak(&ran, &json);
    let denied = |exercise: &str, path: &str| {
        let report = section(&ran.stdout, exercise);
        assert!(
            report.contains(": does not compile")
                && report.contains(&format!("couldn't read `{path}`")),
            "{report}"
        );
    };
    denied("01_raw_pipe", "/etc/shadow");
    denied("02_duplex_pipe", &secret);
    denied("03_producer_consumer", "/proc/self/environ");
    denied("04_three_stage_chain", "/proc/1/environ");
    denied("06_pipe_capacity", &credentials.display().to_string());
    denied("09_poll", &previous_program.display().to_string());
    // What the compiler saw of the environment reaches the report: cargo's own variables,
    // never the checker's.
    let variables = section(&ran.stdout, "05_queue");
    assert!(
        variables.contains("no secret; package exercises-copy"),
        "{variables}"
    );
    for (exercise, why) in [
        ("07_broken_pipe", "hard link"),
        ("08_named_pipe", "symbolic link"),
    ] {
        let report = section(&ran.stdout, exercise);
        assert!(
            report.contains(": does not compile") && report.contains(why),
            "{report}"
        );
    }
    for name in exercise_names() {
        assert_eq!(json_score(&json, &name), 0.0, "{name}: {json}");
    }
}

#[test]
fn a_submission_that_links_to_the_solutions_earns_nothing() {
    let class = tempfile::tempdir().expect("temporary directory");
    // The whole submission a link to the workbook's solutions, which hold src/bin/.
    let linked = class.path().join("linked");
    std::os::unix::fs::symlink(root().join("solutions"), &linked).expect("a link");
    // A submission whose exercises/ folder is that link.
    let inner = class.path().join("inner");
    std::fs::create_dir_all(&inner).expect("a folder");
    std::os::unix::fs::symlink(root().join("solutions"), inner.join("exercises")).expect("a link");
    // A FIFO in place of an exercise file: refused, never opened (it would block).
    let fifo = class.path().join("fifo");
    std::fs::create_dir_all(fifo.join("src/bin")).expect("a folder");
    nix::unistd::mkfifo(
        &fifo.join("src/bin/01_raw_pipe.rs"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .expect("a FIFO");
    let out = class.path().join("grades");
    let ran = run_checker(
        &[
            "grade".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            linked.as_os_str(),
            inner.as_os_str(),
            fifo.as_os_str(),
        ],
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let csv = read(&out.join("gradebook.csv"));
    let zeros = vec!["0"; exercise_names().len()].join(",");
    for name in ["linked", "inner", "fifo"] {
        assert!(
            csv.lines()
                .any(|l| l.starts_with(&format!("{name},{zeros},0,185,no files,"))),
            "{csv}"
        );
    }
    assert!(read(&out.join("linked.txt")).contains("is a symbolic link"));
    assert!(read(&out.join("fifo.txt")).contains("FIFO"));

    // The same link checked on its own.
    let ran = run_checker(
        &["--exercises".as_ref(), linked.as_os_str()],
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(ran.code, Some(2), "{}{}", ran.stdout, ran.stderr);
    assert!(
        format!("{}{}", ran.stdout, ran.stderr)
            .contains("is a symbolic link, which the checker does not follow"),
        "{}{}",
        ran.stdout,
        ran.stderr
    );
}

#[test]
fn export_hands_out_the_stubs_not_the_exercises_as_worked_here() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let workbook = tmp.path().join("workbook");
    copy_workbook(&workbook);
    // An instructor tried the first exercise in the workbook itself.
    std::fs::copy(
        solution("01_raw_pipe"),
        workbook.join("exercises/src/bin/01_raw_pipe.rs"),
    )
    .expect("solve an exercise");
    let handout = tmp.path().join("handout");
    let output = common::checker()
        .env_remove("CARGO_MANIFEST_DIR")
        .current_dir(&workbook)
        .arg("export")
        .arg(&handout)
        .output()
        .expect("run export");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names = exercise_names();
    for name in &names {
        let handed_out = read(&handout.join(format!("exercises/src/bin/{name}.rs")));
        assert_eq!(
            handed_out,
            read(&root().join(format!("checker/stubs/{name}.rs"))),
            "{name}"
        );
    }
    let files = std::fs::read_dir(handout.join("exercises/src/bin"))
        .expect("the handout's exercises")
        .count();
    assert_eq!(files, names.len());
}
