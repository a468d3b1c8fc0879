//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: messages are sent as lines over the socket, so a message that contains a newline arrives as two messages
//! diagnosis: the message went without its length

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::exit;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect();
    }

    let (parent_end, child_end) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::empty(),
    )
    .expect("socketpair");
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(parent_end);
            let mut stream = UnixStream::from(child_end);
            let reader = BufReader::new(stream.try_clone().expect("clone socket"));
            // MISTAKE: one line = one message. "two\nlines" is read as "two" and then "lines",
            // and the replies no longer match the messages the parent sent.
            for line in reader.lines() {
                let message = line.expect("receive");
                println!("child got: {message:?}");
                writeln!(stream, "{}", message.to_uppercase()).expect("reply");
            }
            println!("child: parent hung up");
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut stream = UnixStream::from(parent_end);
            let mut reader = BufReader::new(stream.try_clone().expect("clone socket"));
            for message in &messages {
                // MISTAKE (continued): the message is framed by the newline that ends it.
                writeln!(stream, "{message}").expect("send");
                let mut reply = String::new();
                reader.read_line(&mut reply).expect("receive");
                let reply = reply.strip_suffix('\n').unwrap_or(&reply);
                println!("parent got: {reply:?}");
            }
            drop(reader);
            drop(stream);
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit normally: {other:?}");
                    exit(1);
                }
            }
        }
    }
}
