//! attack: leaves files outside its run folder: in the home folders, /tmp, /var/tmp, /dev/shm
//! and the workbook

fn main() {
    let checker = std::os::unix::process::parent_id();
    let cmdline = std::fs::read(format!("/proc/{checker}/cmdline")).unwrap_or_default();
    let argv0 = String::from_utf8_lossy(cmdline.split(|b| *b == 0).next().unwrap_or_default())
        .into_owned();
    let mut dirs: Vec<std::path::PathBuf> =
        ["/tmp", "/var/tmp", "/dev/shm", "/root"].iter().map(Into::into).collect();
    dirs.extend(std::path::Path::new(&argv0).ancestors().nth(3).map(|r| r.to_path_buf()));
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    dirs.extend(passwd.lines().filter_map(|l| l.split(':').nth(5)).map(Into::into));
    for dir in dirs {
        let file = dir.join("pipes-lab-attack");
        let made = std::fs::write(&file, "escaped\n");
        if made.is_ok() {
            eprintln!("made {}", file.display());
        }
    }
}
