//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the child receives exactly as many messages as it knows there are and exits, never waiting for the parent to hang up or printing `child: parent hung up`
//! diagnosis: -child: parent hung up
//! diagnosis: at a frame boundary

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::exit;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn send(stream: &mut UnixStream, message: &str) {
    stream
        .write_all(&(message.len() as u32).to_be_bytes())
        .expect("send length");
    stream.write_all(message.as_bytes()).expect("send body");
}

fn recv(stream: &mut UnixStream) -> String {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).expect("receive length");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).expect("receive body");
    String::from_utf8(body).expect("message is UTF-8")
}

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
            // MISTAKE: a fixed count of receives (the child peeks at `messages`, its copy of the
            // parent's data) instead of receiving until end-of-file; it never notices the hang-up.
            for _ in 0..messages.len() {
                let message = recv(&mut stream);
                println!("child got: {message:?}");
                send(&mut stream, &message.to_uppercase());
            }
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut stream = UnixStream::from(parent_end);
            for message in &messages {
                send(&mut stream, message);
                let reply = recv(&mut stream);
                println!("parent got: {reply:?}");
            }
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
