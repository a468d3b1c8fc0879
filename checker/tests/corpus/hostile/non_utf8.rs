//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program writes bytes that are not valid UTF-8 on stdout
//! diagnosis: +received: hel�

use std::io::Write;

fn main() {
    let mut out = std::io::stdout().lock();
    // MISTAKE: 0xff, 0xfe and a lone continuation byte 0x80 are invalid UTF-8.
    out.write_all(b"received: hel\xff\xfelo\n").expect("stdout");
    out.write_all(b"received: \x80\n").expect("stdout");
    out.write_all(b"EOF after 2 messages\n").expect("stdout");
    out.write_all(b"child exited with status 0\n")
        .expect("stdout");
}
