//! Exercise 03: a producer and a consumer joined by a one-way pipe.
//!
//! The parent forks a producer and a consumer and keeps no end of the pipe. The producer sends
//! each message after a random pause, then `END`; the consumer prints each message as it
//! arrives. The parent waits for both.
//!
//! Usage: `03_producer_consumer [MESSAGE]...`. With no MESSAGE, the lecture's seven: "hello",
//! "are you there?", "hey", "LOL", "K", "THX", "Bye!". The environment variable
//! PIPES_LAB_TIME_SCALE multiplies the pauses: a finite number of at least 0, 1 when not set.
//! Run it from the workbook's top folder:
//!     PIPES_LAB_TIME_SCALE=0.01 cargo run -q -p exercises --bin 03_producer_consumer -- hello
//!
//! The contract (what to print, which process keeps which end) is in labs.md, Exercise 03.

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. The messages (`std::env::args().skip(1)`, or the lecture's seven) and the time scale
    //    (`std::env::var("PIPES_LAB_TIME_SCALE")`, parsed as f64), both before any fork.
    //    `"inf"` and `"1e400"` parse as infinity: check `is_finite()` too.
    // 2. `nix::unistd::pipe()`, then `unsafe { nix::unistd::fork() }` twice. Each child drops
    //    the end it does not use and ends with `std::process::exit`.
    // 3. Producer: `use rand::RngExt;` gives `random_range`; before each write, sleep
    //    `std::time::Duration::from_secs_f64(rand::rng().random_range(1.0..2.0) * scale)`
    //    with `std::thread::sleep`. Send one message per line (they contain no newline), END
    //    last.
    // 4. Consumer: read lines (`BufReader::new(File::from(read_end)).lines()`) and print each
    //    one at once; stop after END.
    // 5. Parent: drop both ends, `waitpid` each child, print `done`.
    todo!()
}
