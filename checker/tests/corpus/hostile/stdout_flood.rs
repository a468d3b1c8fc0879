//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program writes to stdout without end
//! diagnosis: more than 1024 KiB on one stream

use std::io::Write;

fn main() {
    let mut out = std::io::stdout().lock();
    let line = "received: hello ".repeat(64) + "\n";
    // MISTAKE: an endless stream of output; only a write error (the reader gone) stops it.
    loop {
        if out.write_all(line.as_bytes()).is_err() {
            std::process::exit(1);
        }
    }
}
