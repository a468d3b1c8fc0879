//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program prints the example transcript word for word, with no pipe and no child
//! diagnosis: seen by the X-ray
//! diagnosis: no child process was created

// MISTAKE: the output is copied from the handout instead of coming through a pipe. It matches
// the stored transcript of the default messages, but the X-ray sees a single process and no
// pipe, so even that case fails.
fn main() {
    for message in ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"] {
        println!("received: {message}");
    }
    println!("EOF after 7 messages");
    println!("child exited with status 0");
}
