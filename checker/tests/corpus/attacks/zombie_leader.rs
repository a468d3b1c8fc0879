//! attack: leaves its session and ends its main thread with the raw exit call while another
//! thread runs on, then tries to forge the reports once grading is over
//! ends: only when the time limit stops it

fn main() {
    let _ = nix::unistd::setsid();
    let checker = std::os::unix::process::parent_id();
    let cmdline = std::fs::read(format!("/proc/{checker}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let output = args
        .iter()
        .position(|a| a == "--output")
        .and_then(|i| args.get(i + 1).cloned());
    std::thread::spawn(move || {
        for _ in 0..40 {
            std::thread::sleep(std::time::Duration::from_millis(500));
            let _ = std::fs::write("/tmp/pipes-lab-attack", "outlived the run\n");
            if let Some(file) = &output {
                let _ = std::fs::write(file, r#"{"score": 185.0, "pipes-lab-attack": "forged"}"#);
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    // SAFETY: the exit system call ends only this thread; the other one runs on.
    unsafe { nix::libc::syscall(nix::libc::SYS_exit, 0) };
}
