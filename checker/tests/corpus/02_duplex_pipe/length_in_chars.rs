//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the frame's length is counted in characters (chars().count()) instead of bytes: a non-ASCII message's frame is shorter than its bytes and the stream falls out of step
//! diagnosis: is the first with non-ASCII characters
//! diagnosis: counts bytes (message.len()

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{ExitCode, exit};

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const DEFAULT_MESSAGES: [&str; 7] = ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"];

fn send(conn: &mut impl Write, message: &str) -> io::Result<()> {
    let len = u32::try_from(message.chars().count())
        .map_err(|_| io::Error::other("message over 4 GiB"))?;
    conn.write_all(&len.to_be_bytes())?;
    conn.write_all(message.as_bytes())
}

fn recv(conn: &mut impl Read) -> io::Result<Option<String>> {
    let mut len = [0u8; 4];
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

fn serve(mut conn: UnixStream) -> io::Result<()> {
    while let Some(message) = recv(&mut conn)? {
        println!("child got: {message:?}");
        send(&mut conn, &message.to_uppercase())?;
    }
    println!("child: parent hung up");
    Ok(())
}

fn talk(mut conn: UnixStream, messages: &[String]) -> io::Result<()> {
    for message in messages {
        send(&mut conn, message)?;
        let reply = recv(&mut conn)?
            .ok_or_else(|| io::Error::new(ErrorKind::UnexpectedEof, "child hung up early"))?;
        println!("parent got: {reply:?}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let messages = if args.is_empty() {
        DEFAULT_MESSAGES.map(String::from).to_vec()
    } else {
        args
    };

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
