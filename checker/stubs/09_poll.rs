//! Exercise 09: one process waiting on several pipes at once.
//!
//! Three children write lines into pipes of their own, each at its own pace. The parent polls
//! the three read ends and prints each line the moment it arrives, until all three hang up.
//!
//! Usage: `09_poll [LINES]`. LINES: a whole number from 1 to 4, 3 when not given. The
//! environment variable PIPES_LAB_TIME_SCALE multiplies the times: a finite number above 0, 1
//! when not set. Run it from the workbook's top folder:
//!     PIPES_LAB_TIME_SCALE=0.5 cargo run -q -p exercises --bin 09_poll -- 2
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 09.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. LINES (`std::env::args().skip(1)`) and the time scale
    //    (`std::env::var("PIPES_LAB_TIME_SCALE")`, parsed as f64), both before any fork.
    //    `"inf"` and `"1e400"` parse as infinity: check `is_finite()` too.
    // 2. For k in 0..3: `nix::unistd::pipe()`, then `unsafe { nix::unistd::fork() }`. Make each
    //    pipe just before its fork, and drop the write end in the parent right after it: a
    //    child that inherited another pipe's write end would keep that pipe from hanging up.
    // 3. Child k: `let start = std::time::Instant::now();` then for each line sleep until
    //    `start + Duration::from_secs_f64(...)` (`Instant::saturating_duration_since` gives
    //    how long is left) and write the line with its `\n` into a `File` made from the write
    //    end. End with `std::process::exit(0)`.
    // 4. Parent: loop while some pipe is open. Build `nix::poll::PollFd::new(fd.as_fd(),
    //    PollFlags::POLLIN)` for each open read end and call `poll(&mut fds, PollTimeout::NONE)`.
    //    (`use std::os::fd::AsFd;` for `as_fd`.) `revents()` is an `Option<PollFlags>`:
    //    for each PollFd where it holds POLLIN or POLLHUP, `nix::unistd::read` once
    //    (it will not block). One read may bring half a line or several lines: keep a buffer
    //    per pipe and print only complete lines. A read that returns 0 is the hang-up.
    // 5. Then `nix::sys::wait::waitpid` each child and print `done`.
    todo!()
}
