//! Exercise 03: a producer and a consumer joined by a one-way pipe.
//!
//! Three processes: the parent forks a producer that only writes and a consumer that only
//! reads, and keeps no end of the pipe for itself. The consumer has nothing to do but wait:
//! a read() on an empty pipe blocks until the producer writes something.
//!
//! ```text
//! In Python                                The same idea in Rust
//! a, b = Pipe()   # two-way, the default   let (read_end, write_end) = nix::unistd::pipe()?;
//!                                          (one way is enough: only the producer writes)
//! Process(target=producer).start()         fork(); the child runs the producer and exits
//! Process(target=consumer).start()         fork(); the child runs the consumer and exits
//! time.sleep(random.uniform(1, 2))         sleep(Duration::from_secs_f64(
//!                                              rand::rng().random_range(1.0..2.0) * scale))
//! p.join(); c.join()                       nix::sys::wait::waitpid(pid, None) for each
//! ```
//!
//! Contract: `03_producer_consumer [MESSAGE]...`
//! - No MESSAGE given: the lecture's "hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!".
//!   Messages never contain a newline: send each one as a line.
//! - Who holds which end: the parent closes both; the producer keeps only the write end; the
//!   consumer keeps only the read end, and has closed the write end before its first read.
//! - Before EACH send the producer sleeps a random delay, uniform in [1, 2) seconds, times the
//!   number in the environment variable PIPES_LAB_TIME_SCALE (default 1; a value that is not a
//!   finite number of at least 0: a message on stderr, nothing on stdout, exit status 2, before any
//!   fork). It sends every message, then `END`.
//! - The consumer prints `Message Received: <message>` for each one the moment it arrives,
//!   `END` included, and stops after `END`.
//! - The parent waits for both children, prints `done` and exits with status 0.
//!
//! ```text
//! $ PIPES_LAB_TIME_SCALE=0.01 03_producer_consumer hello
//! Message Received: hello
//! Message Received: END
//! done
//! ```

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. The messages (`std::env::args().skip(1)`, or the lecture's seven) and the time scale
    //    (`std::env::var("PIPES_LAB_TIME_SCALE")`, parsed as f64), both before any fork.
    // 2. `nix::unistd::pipe()`, then `unsafe { nix::unistd::fork() }` twice. Each child drops
    //    the end it does not use and ends with `std::process::exit`.
    // 3. Producer: `use rand::RngExt;` gives `random_range`; `std::thread::sleep` before each
    //    write. Send one message per line (they contain no newline), END last.
    // 4. Consumer: read lines (`BufReader::new(File::from(read_end)).lines()`) and print each
    //    one at once; stop after END.
    // 5. Parent: drop both ends, `waitpid` each child, print `done`.
    todo!()
}
