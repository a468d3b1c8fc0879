//! Exercise 09: one process waiting on several pipes at once.
//!
//! Three children each write into their own pipe, at their own pace. If the parent reads pipe
//! 0, it is stuck there while children 1 and 2 have lines waiting; whichever pipe it reads
//! first, it may be the wrong one. poll(2) answers the real question: "which of these pipes
//! has something for me?". The parent sleeps in poll until at least one pipe is ready, reads
//! only those, and goes back to poll. A pipe whose writers have all closed their ends reports
//! a hang-up (POLLHUP); once it is empty, read() returns 0.
//!
//! ```text
//! In Python                                The same idea in Rust (`use std::os::fd::AsFd;`)
//! ready, _, _ = select.select(             let mut fds = [
//!     [r0, r1, r2], [], [])                    PollFd::new(r0.as_fd(), PollFlags::POLLIN), ...];
//!                                          nix::poll::poll(&mut fds, PollTimeout::NONE)?;
//! sel = selectors.DefaultSelector()        the same in a loop (selectors uses poll or epoll
//! sel.register(r0, EVENT_READ, 0)          underneath)
//! for key, _ in sel.select(): ...          fds[i].revents(), an Option<PollFlags>, holds
//!                                          POLLIN or POLLHUP
//! data = os.read(r0, 4096)                 nix::unistd::read(&r0, &mut buf)?
//! if not data: sel.unregister(r0)          Ok(0): the hang-up; leave r0 out of the next poll
//! ```
//!
//! Contract: `09_poll [LINES]`
//! - LINES is a whole number from 1 to 4, default 3. Anything else (or more than one argument):
//!   a usage line on stderr and exit status 2.
//! - Three children k = 0, 1, 2, each with its own pipe. Child k writes LINES lines
//!   `child {k} line {j}` (j from 1): line j at j × (2k + 3) / 10 seconds after the child
//!   started, times the number in the environment variable PIPES_LAB_TIME_SCALE (default 1;
//!   a value that is not a finite number above 0: a message on stderr and exit status 2). Sleep
//!   until each deadline, measured from the child's start, rather than a fixed time before
//!   each line, so that delays do not add up. Then the child exits with status 0.
//! - The parent closes the write ends, then polls the three read ends (`nix::poll::poll`) and
//!   prints each line the moment it arrives as `[{k}] {line}`. When a pipe reports a hang-up
//!   with no data left, it prints `[{k}] hang-up` and stops polling that pipe. After the three
//!   hang-ups it waits for the three children, prints `done` and exits with status 0.
//! - After each poll, read only the pipes it reported ready: a blocking read of another pipe
//!   fails the check. Poll with PollTimeout::NONE or a timeout of 100 ms or more: more than
//!   50 polls that find nothing ready, or a pipe reported hung up more than 3 times (left in
//!   the poll set after its hang-up), fail. `man 2 poll`.
//! - Child k holds no write end but its own: make each pipe just before its fork.
//!
//! The times fix the order. With LINES=2 (in tenths of a second: child 0 writes at 3 and 6,
//! child 1 at 5 and 10, child 2 at 7 and 14), at any time scale:
//!
//! ```text
//! $ PIPES_LAB_TIME_SCALE=0.5 09_poll 2
//! [0] child 0 line 1
//! [1] child 1 line 1
//! [0] child 0 line 2
//! [0] hang-up
//! [2] child 2 line 1
//! [1] child 1 line 2
//! [1] hang-up
//! [2] child 2 line 2
//! [2] hang-up
//! done
//! ```

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. LINES (`std::env::args().skip(1)`) and the time scale
    //    (`std::env::var("PIPES_LAB_TIME_SCALE")`, parsed as f64), both before any fork.
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
