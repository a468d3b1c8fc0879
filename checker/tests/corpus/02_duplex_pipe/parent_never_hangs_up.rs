//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the parent keeps its end of the socket open while it waits for the child, so the child never sees end-of-file and both wait forever
//! diagnosis: so it hangs
//! diagnosis: close (drop) that end as soon as the last message is sent
//! diagnosis: (child) is blocked reading socket:[
//! diagnosis: the other end (socket:[
//! diagnosis: deadlock

use std::io::{ErrorKind, Read, Write};
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

/// `None` when the other side hung up before a new message.
fn recv(stream: &mut UnixStream) -> Option<String> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return None,
        Err(e) => panic!("receive length: {e}"),
    }
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).expect("receive body");
    Some(String::from_utf8(body).expect("message is UTF-8"))
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
            while let Some(message) = recv(&mut stream) {
                println!("child got: {message:?}");
                send(&mut stream, &message.to_uppercase());
            }
            println!("child: parent hung up");
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut stream = UnixStream::from(parent_end);
            for message in &messages {
                send(&mut stream, message);
                let reply = recv(&mut stream).expect("the child hung up");
                println!("parent got: {reply:?}");
            }
            // MISTAKE: no `drop(stream)` before waiting. The child blocks in read() for a next
            // message that never comes, and waitpid() blocks for a child that never exits.
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
