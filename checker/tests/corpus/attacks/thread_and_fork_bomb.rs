//! attack: starts threads and processes without end (bounded: 10 generations of 32 threads)

fn main() {
    for _ in 0..10 {
        for _ in 0..32 {
            if std::thread::Builder::new()
                .spawn(|| std::thread::sleep(std::time::Duration::from_secs(30)))
                .is_err()
            {
                break;
            }
        }
        // SAFETY: the child goes on with the same loop; no lock is held across the fork.
        let _ = unsafe { nix::unistd::fork() };
    }
    std::thread::sleep(std::time::Duration::from_secs(30));
}
