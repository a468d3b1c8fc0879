//! exercise: 01_raw_pipe
//! expect: fail
//! mistake: the program prints the lines straight from its arguments, with no pipe and no child, and makes up the child's exit status (the output is right for every case)
//! diagnosis: seen by the X-ray
//! diagnosis: no child process was created
//! diagnosis: the X-ray saw:
//! diagnosis: P1 01_raw_pipe: the program; exit 0
//! diagnosis: see the wiring: cargo lab xray 1

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.map(String::from).to_vec();
    }

    // MISTAKE: nothing goes through a pipe and there is no child: the program prints what
    // the child would have sent, counts it, and invents the child's exit status. The output
    // is exactly right, but the lesson (two processes, one pipe, end-of-file) never happens.
    for message in &messages {
        println!("received: {message}");
    }
    println!("EOF after {} messages", messages.len());
    println!("child exited with status 0");
}
