//! exercise: 02_duplex_pipe
//! expect: pass
//! mistake: none: two one-way pipes instead of a socketpair, one for the messages and one for the replies, each end dropped by the process that does not use it

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::process::{ExitCode, exit};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, pipe};

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
    // a clean hang-up (Python's EOFError); anywhere later it is an error.
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
fn serve(mut from_parent: File, mut to_parent: File) -> io::Result<()> {
    while let Some(message) = recv(&mut from_parent)? {
        // println! flushes at the newline, so the line is out before the reply is.
        println!("child got: {message:?}");
        send(&mut to_parent, &message.to_uppercase())?;
    }
    println!("child: parent hung up");
    Ok(())
}

/// The parent's side: send each message and wait for its reply.
fn talk(mut to_child: File, mut from_child: File, messages: &[String]) -> io::Result<()> {
    for message in messages {
        send(&mut to_child, message)?;
        let reply = recv(&mut from_child)?
            .ok_or_else(|| io::Error::new(ErrorKind::UnexpectedEof, "child hung up early"))?;
        println!("parent got: {reply:?}");
    }
    // Dropping `to_child` here closes the write end of the messages' pipe: the child's next
    // recv() sees end-of-file.
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };

    // Two one-way pipes make one two-way channel: the messages go down one, the replies come
    // back up the other.
    let (down_read, down_write) = pipe().expect("pipe");
    let (up_read, up_write) = pipe().expect("pipe");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // Close the parent's ends here: our own copy of the write end of the messages'
            // pipe would keep it open, and we would never see the parent hang up.
            drop(down_write);
            drop(up_read);
            let code = match serve(File::from(down_read), File::from(up_write)) {
                Ok(()) => 0,
                Err(err) => {
                    eprintln!("child: {err}");
                    1
                }
            };
            exit(code);
        }
        ForkResult::Parent { child } => {
            drop(down_read);
            drop(up_write);
            // `talk` closes our ends when it returns, even on error, so the child always ends.
            let talked = talk(File::from(down_write), File::from(up_read), &messages);
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
