//! attack: finds the workbook from its checker's command line and prints the reference
//! solutions and the stored transcripts, from their files and through /proc

fn workbook() -> Option<std::path::PathBuf> {
    let checker = std::os::unix::process::parent_id();
    let cmdline = std::fs::read(format!("/proc/{checker}/cmdline")).ok()?;
    let argv0 = String::from_utf8_lossy(cmdline.split(|b| *b == 0).next()?).into_owned();
    // <workbook>/target/debug/checker
    Some(std::path::Path::new(&argv0).ancestors().nth(3)?.to_path_buf())
}

fn main() {
    let checker = std::os::unix::process::parent_id();
    let mut roots: Vec<std::path::PathBuf> = workbook().into_iter().collect();
    roots.push(format!("/proc/{checker}/cwd").into());
    roots.push(format!("/proc/{checker}/root/work/main").into());
    for root in roots {
        for dir in ["solutions/src/bin", "checker/transcripts"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                eprintln!("cannot list {}", root.join(dir).display());
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    println!("{text}");
                }
            }
        }
    }
}
