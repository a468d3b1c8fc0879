//! exercise: 02_duplex_pipe
//! expect: pass
//! mistake: none: each message goes as a 4-byte length and its bytes, and the child sends its replies one byte per write(), which is slow but right

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::exit;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, write};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// A message with its length in front, so that any bytes (newlines too) can be sent.
fn frame(message: &str) -> Vec<u8> {
    let mut bytes = (message.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(message.as_bytes());
    bytes
}

/// The next message, or None when the other side hung up between messages.
fn receive(stream: &mut UnixStream) -> Option<String> {
    let mut length = [0u8; 4];
    match stream.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return None,
        Err(e) => panic!("receive: {e}"),
    }
    let mut body = vec![0u8; u32::from_be_bytes(length) as usize];
    stream.read_exact(&mut body).expect("receive");
    Some(String::from_utf8_lossy(&body).into_owned())
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
    // SAFETY: single-threaded program.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(parent_end);
            let mut stream = UnixStream::from(child_end);
            while let Some(message) = receive(&mut stream) {
                println!("child got: {message:?}");
                // The reply, a byte at a time: each write(2) moves one byte (a write of one
                // byte into a socket moves it whole, or blocks until it can).
                for byte in frame(&message.to_uppercase()) {
                    write(&stream, &[byte]).expect("reply");
                }
            }
            println!("child: parent hung up");
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut stream = UnixStream::from(parent_end);
            for message in &messages {
                stream.write_all(&frame(message)).expect("send");
                let reply = receive(&mut stream).expect("the child hung up");
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
