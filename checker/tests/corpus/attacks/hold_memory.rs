//! attack: holds memory without end: three processes at once, each taking up to 1.5 GiB,
//! written a byte at a time so that every page is really held

fn grab() -> usize {
    let mut held: Vec<Vec<u8>> = Vec::new();
    for _ in 0..24 {
        let mut chunk: Vec<u8> = Vec::new();
        if chunk.try_reserve_exact(64 << 20).is_err() {
            break;
        }
        // SAFETY: the capacity was just reserved; u8 has no invalid values.
        unsafe {
            chunk.as_mut_ptr().write_bytes(1, 64 << 20);
            chunk.set_len(64 << 20);
        }
        held.push(chunk);
    }
    held.len() * 64
}

fn main() {
    for _ in 0..2 {
        // SAFETY: the program has a single thread; the child only allocates and exits.
        if let Ok(nix::unistd::ForkResult::Child) = unsafe { nix::unistd::fork() } {
            eprintln!("a child held {} MiB", grab());
            std::process::exit(0);
        }
    }
    eprintln!("the parent held {} MiB", grab());
    while nix::sys::wait::wait().is_ok() {}
}
