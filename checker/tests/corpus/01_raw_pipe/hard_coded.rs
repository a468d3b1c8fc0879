//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program prints the example transcript word for word, with no pipe and no child
//! diagnosis: case: random messages
//! diagnosis: not for the messages given

// MISTAKE: the output is copied from the handout instead of coming through a pipe, so it
// matches the stored transcript of the default messages and nothing else.
fn main() {
    for message in ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"] {
        println!("received: {message}");
    }
    println!("EOF after 7 messages");
    println!("child exited with status 0");
}
