//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: each frame's length goes as 4 little-endian bytes, not big-endian as the contract (and Python's `send`) has it; both sides agree, so the messages arrive, but these are not the contract's frames
//! diagnosis: big-endian

// Two one-way pipes (parent -> child and child -> parent), each message framed by a 4-byte
// length. MISTAKE: the length is little-endian (to_le_bytes); the contract's is big-endian
// (to_be_bytes), the byte order Python's `send` uses. Everything else is right.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::process::exit;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

fn send_frame(out: &mut File, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).expect("message shorter than 4 GiB");
    out.write_all(&len.to_le_bytes())?;
    out.write_all(payload)
}

/// Ok(None) only for end-of-file at a frame boundary; end-of-file inside a frame is an error.
fn recv_frame(input: &mut File) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "end-of-file inside a length",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let mut payload = vec![0u8; u32::from_le_bytes(header) as usize];
    input.read_exact(&mut payload)?;
    Ok(Some(payload))
}

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = vec!["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    }

    let (down_rx, down_tx) = pipe().expect("pipe");
    let (up_rx, up_tx) = pipe().expect("pipe");

    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(down_tx);
            drop(up_rx);
            let mut from_parent = File::from(down_rx);
            let mut to_parent = File::from(up_tx);
            while let Some(payload) = recv_frame(&mut from_parent).expect("child: receive") {
                let message = String::from_utf8(payload).expect("child: message is UTF-8");
                println!("child got: {message:?}");
                send_frame(&mut to_parent, message.to_uppercase().as_bytes())
                    .expect("child: reply");
            }
            println!("child: parent hung up");
            exit(0);
        }
        ForkResult::Parent { child } => child,
    };

    drop(down_rx);
    drop(up_tx);
    let mut to_child = File::from(down_tx);
    let mut from_child = File::from(up_rx);
    for message in &messages {
        send_frame(&mut to_child, message.as_bytes()).expect("parent: send");
        let payload = recv_frame(&mut from_child)
            .expect("parent: receive")
            .expect("child closed its end before replying");
        let reply = String::from_utf8(payload).expect("parent: reply is UTF-8");
        println!("parent got: {reply:?}");
    }
    drop(to_child);
    drop(from_child);

    match waitpid(child, None).expect("waitpid") {
        WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
        other => {
            eprintln!("child did not exit normally: {other:?}");
            exit(1);
        }
    }
}
