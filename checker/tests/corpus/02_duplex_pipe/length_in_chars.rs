//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the frame's length counts characters (`chars().count()`) instead of bytes, so for non-ASCII text the receiver reads too few bytes and takes the rest of the message for the next length: the stream is out of step.
//! diagnosis: is the first with non-ASCII characters
//! diagnosis: counts bytes (message.len()

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULTS: &[&str] = &["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

// A frame: the length as 4 big-endian bytes, then the text.
fn send(conn: &mut UnixStream, text: &str) -> io::Result<()> {
    let len = text.chars().count() as u32;
    conn.write_all(&len.to_be_bytes())?;
    conn.write_all(text.as_bytes())
}

// Ok(None) means the other side closed its end between two frames.
fn recv(conn: &mut UnixStream) -> io::Result<Option<String>> {
    let mut len = [0u8; 4];
    if let Err(e) = conn.read_exact(&mut len) {
        return if e.kind() == ErrorKind::UnexpectedEof { Ok(None) } else { Err(e) };
    }
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    conn.read_exact(&mut buf)?;
    String::from_utf8(buf)
        .map(Some)
        .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))
}

fn child_loop(mut conn: UnixStream) -> io::Result<()> {
    while let Some(msg) = recv(&mut conn)? {
        println!("child got: {msg:?}");
        send(&mut conn, &msg.to_uppercase())?;
    }
    println!("child: parent hung up");
    Ok(())
}

fn parent_loop(mut conn: UnixStream, messages: &[String]) -> io::Result<()> {
    for msg in messages {
        send(&mut conn, msg)?;
        match recv(&mut conn)? {
            Some(reply) => println!("parent got: {reply:?}"),
            None => return Err(io::Error::new(ErrorKind::UnexpectedEof, "child went away")),
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages: Vec<String> = if args.is_empty() {
        DEFAULTS.iter().map(|m| m.to_string()).collect()
    } else {
        args
    };

    let (a, b) = socketpair(AddressFamily::Unix, SockType::Stream, None, SockFlag::empty())
        .expect("socketpair");

    // SAFETY: this program is single-threaded.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(a);
            let code = match child_loop(UnixStream::from(b)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("child: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            drop(b);
            // parent_loop takes the stream and drops it on return: that is the hang-up.
            let result = parent_loop(UnixStream::from(a), &messages);
            let status = waitpid(child, None).expect("waitpid");
            if let Err(e) = result {
                eprintln!("parent: {e}");
                std::process::exit(1);
            }
            match status {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit: {other:?}");
                    std::process::exit(1);
                }
            }
        }
    }
}
