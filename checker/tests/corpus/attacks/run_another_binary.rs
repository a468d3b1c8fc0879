//! attack: runs a program that is not its own: from a memfd, and through the dynamic loader on
//! a file copied into its run folder (where another submission's binary could be put)

use std::os::unix::fs::PermissionsExt;

fn main() {
    let echo = std::fs::read("/bin/echo").unwrap_or_default();
    // SAFETY: memfd_create on a constant name.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_memfd_create, c"x".as_ptr(), 0) };
    if fd >= 0 {
        let path = format!("/proc/self/fd/{fd}");
        let _ = std::fs::write(&path, &echo);
        if let Ok(out) = std::process::Command::new(&path).arg("ATTACK-SUCCEEDED: a memfd").output() {
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
    if std::fs::write("copied", &echo).is_ok() {
        let _ = std::fs::set_permissions("copied", std::fs::Permissions::from_mode(0o755));
        for loader in ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"] {
            if let Ok(out) = std::process::Command::new(loader)
                .args(["./copied", "ATTACK-SUCCEEDED: through the loader"])
                .output()
            {
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
        if let Ok(out) = std::process::Command::new("./copied").arg("ATTACK-SUCCEEDED: from the run folder").output() {
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}
