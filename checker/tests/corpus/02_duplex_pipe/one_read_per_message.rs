//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the length header is read with read_exact but the body with a single read() into a buffer of the announced length, with no loop; a stream read may return fewer bytes, and then the rest of the body is taken for the next header, so the two sides fall out of step.
//! diagnosis: the messages fell out of step after reads the X-ray cut short
//! diagnosis: read_exact

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

fn send_frame(sock: &mut UnixStream, text: &str) {
    let len = text.len() as u32;
    sock.write_all(&len.to_be_bytes()).expect("send length");
    sock.write_all(text.as_bytes()).expect("send body");
}

/// None when the other side has hung up.
fn recv_frame(sock: &mut UnixStream) -> Option<String> {
    let mut header = [0u8; 4];
    match sock.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return None,
        Err(e) => panic!("read length: {e}"),
    }
    let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
    // The buffer is exactly the right size, so one read fills it.
    sock.read(&mut body).expect("read body");
    Some(String::from_utf8(body).expect("utf-8 message"))
}

fn main() {
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages = vec!["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .into_iter()
            .map(String::from)
            .collect();
    }

    let (mine, theirs) =
        socketpair(AddressFamily::Unix, SockType::Stream, None, SockFlag::empty()).expect("socketpair");

    // SAFETY: one thread only.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(mine);
            let mut sock = UnixStream::from(theirs);
            while let Some(msg) = recv_frame(&mut sock) {
                println!("child got: {msg:?}");
                send_frame(&mut sock, &msg.to_uppercase());
            }
            println!("child: parent hung up");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(theirs);
            let mut sock = UnixStream::from(mine);
            for msg in &messages {
                send_frame(&mut sock, msg);
                let reply = recv_frame(&mut sock).expect("child hung up too early");
                println!("parent got: {reply:?}");
            }
            drop(sock); // hang up: the child's next read sees end-of-file
            match waitpid(child, None).expect("waitpid") {
                WaitStatus::Exited(_, code) => println!("child exited with status {code}"),
                other => {
                    eprintln!("child did not exit: {other:?}");
                    std::process::exit(1);
                }
            }
        }
    }
}
