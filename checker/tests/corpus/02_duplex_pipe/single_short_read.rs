//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: after the 4-byte length, the body is taken from ONE read() call as if read() always filled the buffer; it returns fewer bytes for a long message, which is cut short, and the stream falls out of step
//! diagnosis: came out cut short
//! diagnosis: read_exact

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::exit;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// One frame: a 4-byte big-endian length, then the bytes, written in one go.
fn send(stream: &mut UnixStream, message: &str) {
    let mut frame = (message.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(message.as_bytes());
    stream.write_all(&frame).expect("send");
}

/// `None` when the other side hung up before a new message.
fn recv(reader: &mut BufReader<UnixStream>) -> Option<String> {
    let mut len = [0u8; 4];
    if reader.read_exact(&mut len).is_err() {
        return None;
    }
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    // MISTAKE: a single read() for the whole body. It returns what is at hand (here at most
    // the 8 KiB the BufReader holds), not `body.len()` bytes: a long message is cut short, and
    // its unread rest is later taken for the next length and the next messages.
    let n = reader.read(&mut body).expect("receive body");
    body.truncate(n);
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
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(parent_end);
            let mut stream = UnixStream::from(child_end);
            let mut reader = BufReader::new(stream.try_clone().expect("clone socket"));
            while let Some(message) = recv(&mut reader) {
                println!("child got: {message:?}");
                send(&mut stream, &message.to_uppercase());
            }
            println!("child: parent hung up");
            exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut stream = UnixStream::from(parent_end);
            let mut reader = BufReader::new(stream.try_clone().expect("clone socket"));
            for message in &messages {
                send(&mut stream, message);
                let reply = recv(&mut reader).expect("the child hung up");
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
