//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program waits for its messages on stdin (reading it to the end) instead of sending them through a pipe, and prints what it found there
//! diagnosis: +EOF after 0 messages

use std::io::Read;

fn main() {
    let mut input = String::new();
    // MISTAKE: stdin is not where the messages come from; it is read to the end and used.
    std::io::stdin()
        .read_to_string(&mut input)
        .expect("read stdin");
    let mut count = 0;
    for line in input.lines() {
        println!("received: {line}");
        count += 1;
    }
    println!("EOF after {count} messages");
}
