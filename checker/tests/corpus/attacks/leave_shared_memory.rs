//! attack: leaves System V shared memory behind, 256 MiB a run, which outlives the run where
//! the run has no IPC namespace of its own

fn main() {
    for _ in 0..4 {
        // SAFETY: plain System V calls; the segment is touched a page at a time and left.
        unsafe {
            let id = nix::libc::shmget(nix::libc::IPC_PRIVATE, 64 << 20, nix::libc::IPC_CREAT | 0o600);
            if id < 0 {
                continue;
            }
            let at = nix::libc::shmat(id, std::ptr::null(), 0);
            if at as isize != -1 {
                for page in (0..64 << 20).step_by(4096) {
                    *(at as *mut u8).add(page) = 1;
                }
            }
        }
    }
}
