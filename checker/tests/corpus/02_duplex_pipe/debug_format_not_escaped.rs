//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the child prints each message between quotes with {} instead of {:?}, so a newline inside a message comes out raw and splits the line; the framing itself is right
//! diagnosis: case: messages containing newlines
//! diagnosis: arrived whole but was printed as it is, not escaped

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, read, write};
use std::os::fd::OwnedFd;
fn write_all(fd: &OwnedFd, mut b: &[u8]) {
    while !b.is_empty() {
        let k = b.len().min(5);
        let n = write(fd, &b[..k]).expect("write");
        b = &b[n..];
    }
}
// Ok(true) filled, Ok(false) EOF before any byte
fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        let n = read(fd, &mut buf[got..]).expect("read");
        if n == 0 {
            if got == 0 {
                return false;
            }
            panic!("eof inside a frame");
        }
        got += n;
    }
    true
}
fn send(fd: &OwnedFd, s: &str) {
    write_all(fd, &(s.len() as u32).to_be_bytes());
    write_all(fd, s.as_bytes());
}
fn recv(fd: &OwnedFd) -> Option<String> {
    let mut h = [0u8; 4];
    if !read_full(fd, &mut h) {
        return None;
    }
    let mut b = vec![0u8; u32::from_be_bytes(h) as usize];
    if !b.is_empty() && !read_full(fd, &mut b) {
        panic!("eof");
    }
    Some(String::from_utf8(b).unwrap())
}
fn main() {
    let mut msgs: Vec<String> = std::env::args().skip(1).collect();
    if msgs.is_empty() {
        msgs = "hello|are you there?|hey|LOL|K|THX|Bye!"
            .split('|')
            .map(String::from)
            .collect();
    }
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::empty(),
    )
    .unwrap();
    // SAFETY: this program has a single thread.
    match unsafe { fork() }.unwrap() {
        ForkResult::Child => {
            drop(a);
            while let Some(m) = recv(&b) {
                println!("child got: \"{}\"", m);
                send(&b, &m.to_uppercase());
            }
            println!("child: parent hung up");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(b);
            for m in &msgs {
                send(&a, m);
                let r = recv(&a).unwrap();
                println!("parent got: {:?}", r);
            }
            drop(a);
            match waitpid(child, None).unwrap() {
                WaitStatus::Exited(_, c) => println!("child exited with status {c}"),
                s => println!("{s:?}"),
            }
        }
    }
}
