//! attack: sets up an io_uring, whose reads and writes happen outside system calls where no
//! tracer sees them

fn main() {
    let mut params = [0u8; 120];
    // SAFETY: io_uring_setup(4, params) on a zeroed parameter block.
    let ring = unsafe {
        nix::libc::syscall(nix::libc::SYS_io_uring_setup, 4, params.as_mut_ptr())
    };
    if ring >= 0 {
        println!("ATTACK-SUCCEEDED: an io_uring");
    }
}
