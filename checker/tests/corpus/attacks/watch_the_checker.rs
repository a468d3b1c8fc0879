//! attack: watches /tmp and the workbook with inotify and fanotify, to learn what the checker
//! and other submissions do

fn main() {
    // SAFETY: plain inotify calls on constant paths.
    unsafe {
        let fd = nix::libc::inotify_init1(0);
        if fd >= 0 {
            for path in [c"/tmp", c"/", c"/proc"] {
                if nix::libc::inotify_add_watch(fd, path.as_ptr(), nix::libc::IN_ALL_EVENTS) >= 0 {
                    println!("ATTACK-SUCCEEDED: watching {path:?}");
                }
            }
        }
        if nix::libc::syscall(nix::libc::SYS_fanotify_init, 0, 0) >= 0 {
            println!("ATTACK-SUCCEEDED: fanotify");
        }
    }
}
