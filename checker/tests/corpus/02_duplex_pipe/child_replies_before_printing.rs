//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the child sends each upper-cased reply before it prints its `child got:` line, so the parent's `parent got:` line comes out before the `child got:` line it answers (texts right, order wrong)
//! diagnosis: the child began its reply to message
//! diagnosis: the child prints `child got: ...` first and only then replies

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{ExitCode, exit};
use std::thread;
use std::time::Duration;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// One frame: the length in bytes as 4 big-endian bytes, then the bytes.
fn send_frame(stream: &mut UnixStream, text: &str) -> io::Result<()> {
    let mut frame = (text.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(text.as_bytes());
    stream.write_all(&frame)
}

/// The next frame, or None if the other side hung up before its first byte.
fn recv_frame(stream: &mut UnixStream) -> io::Result<Option<String>> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < header.len() {
        match stream.read(&mut header[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
    stream.read_exact(&mut body)?;
    String::from_utf8(body)
        .map(Some)
        .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))
}

fn child_loop(mut stream: UnixStream) -> io::Result<()> {
    while let Some(message) = recv_frame(&mut stream)? {
        // MISTAKE: the reply goes out first, so the parent prints `parent got:` before this
        // `child got:` line (the pause, harmless by itself, makes that happen every run);
        // the contract prints first, then replies.
        send_frame(&mut stream, &message.to_uppercase())?;
        thread::sleep(Duration::from_millis(20));
        println!("child got: {message:?}");
    }
    println!("child: parent hung up");
    Ok(())
}

fn parent_loop(mut stream: UnixStream, messages: &[String]) -> io::Result<()> {
    for message in messages {
        send_frame(&mut stream, message)?;
        let reply = recv_frame(&mut stream)?.ok_or(io::Error::from(ErrorKind::UnexpectedEof))?;
        println!("parent got: {reply:?}");
    }
    Ok(())
}

fn main() -> ExitCode {
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

    // SAFETY: single-threaded program, the child may do anything.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(parent_end);
            match child_loop(UnixStream::from(child_end)) {
                Ok(()) => exit(0),
                Err(e) => {
                    eprintln!("child: {e}");
                    exit(1);
                }
            }
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            // parent_loop drops our end when it returns: that is the hang-up.
            let talked = parent_loop(UnixStream::from(parent_end), &messages);
            let status = waitpid(child, None).expect("waitpid");
            if let Err(e) = talked {
                eprintln!("parent: {e}");
                return ExitCode::FAILURE;
            }
            match status {
                WaitStatus::Exited(_, code) => {
                    println!("child exited with status {code}");
                    ExitCode::SUCCESS
                }
                other => {
                    eprintln!("child did not exit normally: {other:?}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
