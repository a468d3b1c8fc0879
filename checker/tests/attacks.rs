//! The sandbox against student code with bad intent: every program of `corpus/attacks/`, and
//! submissions laid out as links, are graded in one class with an honest submission, then
//! checked the way Gradescope checks a submission, with a secret in the checker's environment,
//! in a private file and in cargo's home. Each attack must earn nothing, reveal no secret,
//! change nothing outside its run folder, reach nothing on the network and leave nothing
//! running; the honest submission keeps its marks.

mod common;

use common::secrets::{Secrets, TOKEN_VARIABLE, leaked};
use common::{checker, copy_workbook, exercise_names, root, work_dir};
use std::collections::BTreeMap;
use std::os::linux::net::SocketAddrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The marker every attack writes into what it forges or leaves behind.
const MARK: &str = "pipes-lab-attack";

/// The attacks, those that last until their time limit first: the copies give them the
/// exercises whose limit is shortest.
fn attacks() -> Vec<PathBuf> {
    let dir = root().join("checker/tests/corpus/attacks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the attacks")
        .map(|e| e.expect("an entry").path())
        .collect();
    let lasts = |p: &PathBuf| {
        std::fs::read_to_string(p).is_ok_and(|t| t.contains("\n//! ends: only when the time limit"))
    };
    files.sort_by_key(|p| (!lasts(p), p.clone()));
    files
}

/// Every plain file below `paths` (links not followed), with a hash of its bytes.
fn snapshot(paths: &[PathBuf]) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    let mut stack = paths.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(&p).expect("read a folder") {
                stack.push(entry.expect("an entry").path());
            }
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&p)
        {
            let hash = bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ *b as u64).wrapping_mul(0x100000001b3)
            });
            files.insert(p, hash);
        }
    }
    files
}

/// Where an attack tries to leave a file.
fn canaries() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["/tmp", "/var/tmp", "/dev/shm", "/root"]
        .iter()
        .map(PathBuf::from)
        .collect();
    dirs.push(root());
    dirs.extend(std::env::var_os("HOME").map(PathBuf::from));
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    dirs.extend(
        passwd
            .lines()
            .filter_map(|l| l.split(':').nth(5))
            .map(PathBuf::from),
    );
    dirs.into_iter().map(|d| d.join(MARK)).collect()
}

/// Live processes started from a program this checker built for a run (not another
/// workbook's, which may be checking on the same machine).
fn programs_left() -> Vec<String> {
    let ours = work_dir().join("bin").to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let argv0 = String::from_utf8_lossy(cmdline.split(|b| *b == 0).next()?).into_owned();
            argv0
                .starts_with(&ours)
                .then(|| format!("pid {pid} {argv0}"))
        })
        .collect()
}

/// Lines of the reference solutions long enough to be theirs alone.
fn solution_lines() -> Vec<String> {
    let dir = root().join("solutions/src/bin");
    std::fs::read_dir(&dir)
        .expect("the solutions")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .flat_map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| l.len() > 50)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
#[ignore = "the attacks, about a minute: .ci/run runs it"]
fn attacks_earn_nothing_change_nothing_and_leave_nothing_running() {
    for canary in canaries() {
        let _ = std::fs::remove_file(canary);
    }
    let class = tempfile::tempdir().expect("temporary directory");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a TCP listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener
        .local_addr()
        .expect("its address")
        .port()
        .to_string();
    let name = format!("{MARK}-{}", std::process::id());
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
        .expect("an abstract name");
    let unix = std::os::unix::net::UnixListener::bind_addr(&address).expect("a Unix listener");
    unix.set_nonblocking(true).expect("non-blocking");

    // The attacks, nine to a copy (one per exercise), and an honest copy of the solutions.
    let secrets = Secrets::new();
    let words = placeholders(&port, &name, &secrets);
    let names = exercise_names();
    // The last exercise stays free in every attacker's copy: its program is the one an attack
    // reaches for as another submission's (a copy's own programs are its own to read).
    let free = &names[..names.len() - 1];
    let all = attacks();
    let count = all.len().div_ceil(free.len());
    let mut copies = Vec::new();
    for i in 0..count {
        let bin = class.path().join(format!("attacker{i}/exercises/src/bin"));
        std::fs::create_dir_all(&bin).expect("create a copy");
        let chunk = all.iter().skip(i).step_by(count);
        for (program, exercise) in chunk.zip(free) {
            let text = std::fs::read_to_string(program).expect("an attack");
            let text = words
                .iter()
                .fold(text, |text, (word, value)| text.replace(word, value));
            std::fs::write(bin.join(format!("{exercise}.rs")), text).expect("write");
        }
        copies.push(class.path().join(format!("attacker{i}")));
    }
    let honest = class.path().join("honest/exercises/src/bin");
    std::fs::create_dir_all(&honest).expect("create the honest copy");
    for exercise in &names {
        let solution = root().join(format!("solutions/src/bin/{exercise}.rs"));
        std::fs::copy(solution, honest.join(format!("{exercise}.rs"))).expect("copy");
    }
    copies.extend(links_as_submissions(class.path(), &secrets));
    let checker_binary = PathBuf::from(assert_cmd::cargo::cargo_bin!("checker"));
    // The workbook's own files. Not its exercises/ folder, which the student may be editing
    // while the tests run: the walls that keep an attack from these keep it from that too.
    let mut guarded: Vec<PathBuf> = [
        "checker/transcripts",
        "checker/stubs",
        "checker/exercises.toml",
        "solutions",
        ".cargo",
        "Cargo.toml",
        "Cargo.lock",
    ]
    .iter()
    .map(|p| root().join(p))
    .collect();
    guarded.push(checker_binary);
    guarded.push(class.path().to_path_buf());
    let before = snapshot(&guarded);

    // Only behind the whole wall (cgroups aside): where part of it is missing, the attacks
    // would do real harm to this machine.
    let probe = checker()
        .arg("--exercises")
        .arg(class.path().join("honest/exercises"))
        .arg("1")
        .output()
        .expect("run the check");
    let summary = String::from_utf8_lossy(&probe.stdout).into_owned();
    let lacking = summary
        .lines()
        .find_map(|l| l.strip_prefix("sandbox without: "))
        .map(|l| {
            l.replace("(INSTRUCTORS.md: The sandbox)", "")
                .replace("a pids cgroup", "")
                .replace("a memory cgroup", "")
                .replace("a cpu cgroup", "")
        })
        .filter(|l| l.chars().any(char::is_alphabetic));
    if let Some(lacking) = lacking {
        eprintln!("this machine lacks part of the sandbox ({lacking}); the attacks are not run");
        return;
    }

    let segments_before = shared_memory_segments();
    // Graded as a class, on a terminal of its own when `script` can give it one (an attack
    // writes on the terminal of whoever grades)...
    let out = tempfile::tempdir().expect("an output folder");
    let terminal_log = tempfile::tempdir().expect("a folder for the terminal's log");
    let typescript = terminal_log.path().join("terminal");
    let (honest, out_dir) = (class.path().join("honest"), out.path().to_path_buf());
    let mut args: Vec<&std::ffi::OsStr> = ["grade", "--seed", "5", "--out"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    args.push(out_dir.as_os_str());
    args.push(honest.as_os_str());
    args.extend(copies.iter().map(|c| c.as_os_str()));
    // From the workbook, as the handout says: a link through /proc/self/cwd leads there.
    let graded = on_a_terminal(&typescript, &args)
        .envs(secrets.envs())
        .current_dir(root())
        .output()
        .expect("run grade");
    let said = String::from_utf8_lossy(&graded.stdout).into_owned();
    // ...and one submission at a time, the way Gradescope checks one.
    // (The copies at once: they take turns to build, then run side by side.)
    let envs = &secrets.envs();
    let results: Vec<(PathBuf, std::process::Output)> = std::thread::scope(|scope| {
        let checks: Vec<_> = copies
            .iter()
            .enumerate()
            .map(|(i, copy)| {
                let file = out.path().join(format!("results{i}.json"));
                scope.spawn(move || {
                    let checked = checker()
                        .arg("--exercises")
                        .arg(copy)
                        .args(["--format", "gradescope", "--seed", "5", "--output"])
                        .arg(&file)
                        .envs(envs.clone())
                        .current_dir(root())
                        .output()
                        .expect("run the check");
                    (file, checked)
                })
            })
            .collect();
        checks
            .into_iter()
            .map(|c| c.join().expect("a check"))
            .collect()
    });
    // A report read on a terminal, colours on, passes on no escape sequence of a program's but
    // its colours (print_escape_sequences.rs).
    let escapes = copies
        .iter()
        .find(|c| {
            let bin = c.join("exercises/src/bin");
            std::fs::read_dir(bin)
                .into_iter()
                .flatten()
                .flatten()
                .any(|f| std::fs::read_to_string(f.path()).is_ok_and(|t| t.contains("OSC 52")))
        })
        .expect("the copy that prints escape sequences");
    let screen = terminal_log.path().join("check");
    let checked = on_a_terminal(&screen, &["--exercises".as_ref(), escapes.as_os_str()])
        .env_remove("NO_COLOR")
        .output()
        .expect("run a check on a terminal");
    let shown = std::fs::read(&screen).unwrap_or_default();
    let shown = String::from_utf8_lossy(&shown);
    for sequence in ["\x1b]", "\x1b[2J", "\x1b[H"] {
        assert!(
            !shown.contains(sequence),
            "{sequence:?} reached the terminal ({:?}):\n{shown}",
            checked.status
        );
    }
    // A process that outlived its run would make itself known by now.
    std::thread::sleep(Duration::from_millis(1500));

    let csv = std::fs::read_to_string(out.path().join("gradebook.csv")).expect("a gradebook");
    let header: Vec<&str> = csv.lines().next().expect("a header").split(',').collect();
    let at = |column: &str| {
        header
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column}: {csv}"))
    };
    let (total, max, status) = (at("total"), at("max"), at("status"));
    for line in csv.lines().skip(1) {
        // The columns up to `status` hold no comma (the reason, after them, may).
        let cells: Vec<&str> = line.split(',').collect();
        if line.starts_with("honest,") {
            assert_eq!(
                (cells[total], cells[status]),
                (cells[max], "graded"),
                "the honest submission lost points:\n{said}"
            );
        } else {
            assert_eq!(cells[total], "0", "an attack earned points: {line}\n{said}");
        }
    }
    assert!(
        graded.status.code() == Some(0),
        "grade: {:?}\n{said}\n{}",
        graded.status,
        String::from_utf8_lossy(&graded.stderr)
    );
    for (file, checked) in &results {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let results: serde_json::Value = serde_json::from_str(&text).expect("results.json");
        assert_eq!(
            results["score"].as_f64(),
            Some(0.0),
            "an attack earned points on its own: {}",
            String::from_utf8_lossy(&checked.stdout)
        );
    }

    let solutions = solution_lines();
    let mut reports: Vec<PathBuf> = std::fs::read_dir(out.path())
        .expect("the reports")
        .map(|e| e.expect("an entry").path())
        .collect();
    reports.sort();
    let shown = [(&graded, "grade")]
        .into_iter()
        .chain(results.iter().map(|(_, checked)| (checked, "a check")));
    for (output, what) in shown {
        for text in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(text);
            if let Some(secret) = leaked(&text) {
                panic!("{what} showed {secret}:\n{text}");
            }
        }
    }
    for report in &reports {
        let text = String::from_utf8_lossy(&std::fs::read(report).unwrap_or_default()).into_owned();
        if let Some(secret) = leaked(&text) {
            panic!("{} holds {secret}:\n{text}", report.display());
        }
    }
    for report in &reports {
        let text = std::fs::read_to_string(report).unwrap_or_default();
        assert!(
            !text.contains("forged"),
            "{} holds a forged report",
            report.display()
        );
        if let Some(line) = solutions.iter().find(|l| text.contains(l.as_str())) {
            panic!("{} quotes a reference solution: {line}", report.display());
        }
        assert!(
            !text.contains("rewrites the output blocks from the reference solution"),
            "{} quotes a stored transcript",
            report.display()
        );
    }

    let after = snapshot(&guarded);
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(changed.is_empty(), "changed by an attack: {changed:?}");
    let left: Vec<PathBuf> = canaries().into_iter().filter(|c| c.exists()).collect();
    assert!(left.is_empty(), "files made outside a run folder: {left:?}");
    assert!(
        listener
            .accept()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "an attack connected over TCP"
    );
    assert!(
        unix.accept()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "an attack connected to an abstract socket"
    );
    let running = programs_left();
    assert!(
        running.is_empty(),
        "still running after grading: {running:?}"
    );
    assert!(
        shared_memory_segments() <= segments_before,
        "System V shared memory outlived its run"
    );
    let terminal = std::fs::read(&typescript).unwrap_or_default();
    let terminal = String::from_utf8_lossy(&terminal);
    assert!(leaked(&terminal).is_none(), "a secret is on the terminal");
    assert!(
        !terminal.contains("FORGED"),
        "an attack wrote on the grader's terminal:\n{terminal}"
    );
    for report in &reports {
        let text = std::fs::read_to_string(report).unwrap_or_default();
        assert!(
            !text.contains("ATTACK-SUCCEEDED"),
            "{} shows an attack that got through: {text}",
            report.display()
        );
    }
    // A call through the 32-bit entry kills the run, and the report says why.
    #[cfg(target_arch = "x86_64")]
    let stopped = reports.iter().any(|r| {
        std::fs::read_to_string(r)
            .is_ok_and(|t| t.contains("killed by SIGSYS: the sandbox stopped it"))
    });
    #[cfg(target_arch = "x86_64")]
    assert!(stopped, "no report says that a 32-bit call was stopped");
    let leftovers = left_in_run_folders();
    assert!(
        leftovers.is_empty(),
        "run folders left behind: {leftovers:?}"
    );
}

/// The words the attacks name what they reach for by, with what they stand for here.
fn placeholders(port: &str, name: &str, secrets: &Secrets) -> Vec<(&'static str, String)> {
    let path = |p: PathBuf| p.to_str().expect("a UTF-8 path").to_string();
    // The honest copy is graded first, and only it builds the last exercise: its program is
    // the one built just before the attacks', which no attacker builds itself.
    let names = exercise_names();
    let previous = work_dir()
        .join("copies/debug")
        .join(&names[names.len() - 1]);
    vec![
        ("PORT", port.to_string()),
        ("NAME", name.to_string()),
        ("SECRET_FILE", path(secrets.file.clone())),
        ("SECRET_VARIABLE", TOKEN_VARIABLE.to_string()),
        ("CARGO_CREDENTIALS", path(secrets.credentials())),
        ("PREVIOUS_PROGRAM", path(previous)),
    ]
}

/// Submissions made of links, as git, tar and unzip keep them: one whose `exercises` folder
/// leads to the solutions through the checker's working folder, and one whose exercise files
/// lead to secrets, a reference solution, the honest copy's file, a hard link and a FIFO.
fn links_as_submissions(class: &Path, secrets: &Secrets) -> [PathBuf; 2] {
    use std::os::unix::fs::symlink;
    let to_solutions = class.join("linked_folder");
    std::fs::create_dir_all(&to_solutions).expect("a folder");
    symlink("/proc/self/cwd/solutions", to_solutions.join("exercises")).expect("a link");

    let to_files = class.join("linked_files");
    let bin = to_files.join("exercises/src/bin");
    std::fs::create_dir_all(&bin).expect("a folder");
    let names = exercise_names();
    let file = |i: usize| bin.join(format!("{}.rs", names[i]));
    let solution = |i: usize| root().join(format!("solutions/src/bin/{}.rs", names[i]));
    let theirs = |i: usize| format!("../../../../honest/exercises/src/bin/{}.rs", names[i]);
    symlink("/etc/shadow", file(0)).expect("a link");
    symlink(&secrets.file, file(1)).expect("a link");
    symlink("/proc/self/environ", file(2)).expect("a link");
    symlink(solution(3), file(3)).expect("a link");
    std::fs::hard_link(&secrets.file, file(4)).expect("a hard link");
    nix::unistd::mkfifo(&file(5), nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("a FIFO");
    symlink(secrets.credentials(), file(6)).expect("a link");
    symlink(theirs(7), file(7)).expect("a link");
    symlink(theirs(8), file(8)).expect("a link");
    [to_solutions, to_files]
}

/// The System V shared memory segments of this machine.
fn shared_memory_segments() -> usize {
    std::fs::read_to_string("/proc/sysvipc/shm").map_or(0, |t| t.lines().skip(1).count())
}

/// The checker with `args`, started through `script` so that it has a terminal whose output
/// lands in `typescript`; without `script`, started as it is (and nothing lands there).
fn on_a_terminal(typescript: &Path, args: &[&std::ffi::OsStr]) -> std::process::Command {
    let checker = assert_cmd::cargo::cargo_bin!("checker");
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let mut command = match script {
        Some(script) => {
            let words: Vec<String> = std::iter::once(checker.as_os_str())
                .chain(args.iter().copied())
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let mut command = std::process::Command::new(script);
            command
                .args(["-q", "-e", "-O"])
                .arg(typescript)
                .arg("-c")
                .arg(shell_words::join(&words));
            command
        }
        None => {
            eprintln!("no `script` here: the terminal is not checked");
            let mut command = std::process::Command::new(checker);
            command.args(args);
            command
        }
    };
    command
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    command
}

/// Folders the attacks left in the checker's run folders (`locked*` from
/// lock_the_run_folder.rs, or any run folder at all).
fn left_in_run_folders() -> Vec<PathBuf> {
    let tmp = root().join("target/pipes-lab/tmp");
    std::fs::read_dir(tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
#[ignore = "about a minute: builds the dependencies for a workbook copied into /opt; .ci/run runs it"]
fn a_workbook_in_a_system_folder_stays_out_of_reach() {
    // Runs and builds may read the system's folders, /opt among them: a workbook installed
    // there, with its solutions and target directory, must stay shut all the same.
    // SAFETY: geteuid cannot fail.
    let root_user = unsafe { nix::libc::geteuid() } == 0;
    let Some(tmp) = root_user
        .then(|| tempfile::tempdir_in("/opt").ok())
        .flatten()
    else {
        eprintln!("not run: needs root and /opt");
        return;
    };
    let workbook = tmp.path().join("pipes-lab");
    copy_workbook(&workbook);
    let solution = workbook.join("solutions/src/bin/01_raw_pipe.rs");
    let target = tmp.path().join("target");
    let copy = tempfile::tempdir().expect("temporary directory");
    let bin = copy.path().join("src/bin");
    std::fs::create_dir_all(&bin).expect("create src/bin");
    let names = exercise_names();
    std::fs::write(
        bin.join(format!("{}.rs", names[0])),
        format!(
            "fn main() {{\n    for path in [{:?}, {:?}] {{\n        match std::fs::read_dir(path) {{\n            Ok(_) => println!(\"ATTACK-SUCCEEDED: {{path}}\"),\n            Err(e) => println!(\"refused: {{e}}\"),\n        }}\n    }}\n    if std::fs::read({:?}).is_ok() {{\n        println!(\"ATTACK-SUCCEEDED: a solution\");\n    }}\n}}\n",
            workbook.join("solutions"),
            target,
            solution
        ),
    )
    .expect("write the program");
    std::fs::write(
        bin.join(format!("{}.rs", names[1])),
        format!(
            "const SOLUTION: &str = include_str!({solution:?});\nfn main() {{\n    println!(\"ATTACK-SUCCEEDED: {{}}\", SOLUTION.len());\n}}\n"
        ),
    )
    .expect("write the program");
    let output = checker()
        .current_dir(&workbook)
        .env_remove("CARGO_MANIFEST_DIR")
        .env("CARGO_TARGET_DIR", &target)
        .timeout(Duration::from_secs(400))
        .arg("--exercises")
        .arg(copy.path())
        .args(["1", "2", "--seed", "3"])
        .output()
        .expect("run the check");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(!report.contains("ATTACK-SUCCEEDED"), "{report}");
    assert!(
        report.matches("refused: Permission denied").count() == 2,
        "{report}"
    );
    assert!(
        report.contains(&format!("couldn't read `{}`", solution.display())),
        "{report}"
    );
}

#[test]
#[ignore = "the attacks, about a minute: .ci/run runs it"]
fn the_attacks_are_real_programs_for_real_exercises() {
    let names = exercise_names();
    assert!(
        attacks().len() <= 4 * (names.len() - 1),
        "the test spreads them over four copies at most"
    );
    for attack in attacks() {
        let text = std::fs::read_to_string(&attack).expect("an attack");
        assert!(
            text.starts_with("//! attack: "),
            "{} says what it attempts in its first line",
            attack.display()
        );
        assert!(Path::new(&attack).extension().is_some_and(|x| x == "rs"));
    }
}
