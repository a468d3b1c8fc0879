//! attack: makes its system calls through the 32-bit entry (`int 0x80`), which a filter keyed to
//! the native calls lets through unseen: the X-ray would draw no write at all

fn main() {
    let message = b"ATTACK-SUCCEEDED: an unseen write\n";
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a page below 4 GiB (the 32-bit entry truncates pointers) holds the message for
    // i386's write(1, message, len); ebx is saved around the call.
    unsafe {
        use nix::libc;
        let page = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
            -1,
            0,
        );
        if page == libc::MAP_FAILED {
            return;
        }
        std::ptr::copy_nonoverlapping(message.as_ptr(), page.cast(), message.len());
        let _written: i64;
        std::arch::asm!(
            "push rbx",
            "mov ebx, 1",
            "int 0x80",
            "pop rbx",
            inlateout("rax") 4i64 => _written,
            in("rcx") page,
            in("rdx") message.len(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("{}", String::from_utf8_lossy(message).trim_end());
}
