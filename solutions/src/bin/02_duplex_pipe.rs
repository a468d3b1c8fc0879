//! Reference solution of exercise 02: a two-way channel (Python's duplex `multiprocessing.Pipe()`).
//!
//! A Unix socketpair carries frames both ways, each a 4-byte big-endian length followed by the
//! message's bytes, as Python's `Connection.send_bytes` does. The child echoes every message
//! upper-cased until the parent hangs up.

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{ExitCode, exit};

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// The lecture's messages, sent when the command line gives none.
const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

/// Sends one frame: the length as 4 big-endian bytes, then the bytes themselves.
fn send(conn: &mut impl Write, message: &str) -> io::Result<()> {
    let len = u32::try_from(message.len()).map_err(|_| io::Error::other("message over 4 GiB"))?;
    conn.write_all(&len.to_be_bytes())?;
    conn.write_all(message.as_bytes())
}

/// Receives one frame; `Ok(None)` when the other side hung up between two frames.
fn recv(conn: &mut impl Read) -> io::Result<Option<String>> {
    let mut len = [0u8; 4];
    // A stream has no message boundaries and a read() may return fewer bytes than asked:
    // read_exact loops until it has them all. End-of-file before the first byte of a frame is
    // a clean hang-up (Python's EOFError); anywhere later it is an error. So the first byte is
    // read on its own: for one byte, UnexpectedEof can only mean that none came, whereas for
    // a longer buffer read_exact leaves unspecified how many bytes it read before failing.
    match conn.read_exact(&mut len[..1]) {
        Err(err) if err.kind() == ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    conn.read_exact(&mut len[1..])?;
    let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
    conn.read_exact(&mut bytes)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|err| io::Error::new(ErrorKind::InvalidData, err))
}

/// The child's side: answer every message upper-cased until the parent hangs up.
fn serve(mut conn: UnixStream) -> io::Result<()> {
    while let Some(message) = recv(&mut conn)? {
        // println! flushes at the newline, so the line is out before the reply is.
        println!("child got: {message:?}");
        send(&mut conn, &message.to_uppercase())?;
    }
    println!("child: parent hung up");
    Ok(())
}

/// The parent's side: send each message and wait for its reply.
fn talk(mut conn: UnixStream, messages: &[String]) -> io::Result<()> {
    for message in messages {
        send(&mut conn, message)?;
        let reply = recv(&mut conn)?
            .ok_or_else(|| io::Error::new(ErrorKind::UnexpectedEof, "child hung up early"))?;
        println!("parent got: {reply:?}");
    }
    // Dropping `conn` here closes our end: the child's next recv() sees end-of-file.
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };

    // Two connected ends, each readable and writable: one for the parent, one for the child.
    let (parent_end, child_end) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::empty(),
    )
    .expect("socketpair");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // Close the parent's end here, or our own copy would keep the channel open and
            // we would never see the parent hang up.
            drop(parent_end);
            let code = match serve(UnixStream::from(child_end)) {
                Ok(()) => 0,
                Err(err) => {
                    eprintln!("child: {err}");
                    1
                }
            };
            exit(code);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            // `talk` closes our end when it returns, even on error, so the child always ends.
            let talked = talk(UnixStream::from(parent_end), &messages);
            let status = waitpid(child, None).expect("waitpid");
            if let Err(err) = talked {
                eprintln!("parent: {err}");
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
