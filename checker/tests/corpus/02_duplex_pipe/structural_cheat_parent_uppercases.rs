//! exercise: 02_duplex_pipe
//! expect: fail
//! mistake: the child sends each message back unchanged and the parent upper-cases it itself before printing: the output is right, but the answers never came from the child
//! diagnosis: the child sent 0x68 ('h') as byte 4 of its stream
//! diagnosis: seen by the X-ray

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};
use std::io::{ErrorKind, Read, Write};
fn send(w: &mut impl Write, s: &str) {
    let mut f = (s.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(s.as_bytes());
    w.write_all(&f).expect("send");
}
fn recv(r: &mut impl Read) -> Option<String> {
    let mut h = [0u8; 4];
    match r.read_exact(&mut h) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return None,
        Err(e) => panic!("recv: {e}"),
    }
    let mut body = vec![0u8; u32::from_be_bytes(h) as usize];
    r.read_exact(&mut body).expect("body");
    Some(String::from_utf8(body).expect("utf8"))
}
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let msgs: Vec<String> = if args.is_empty() {
        ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        args
    };
    let (down_r, down_w) = std::io::pipe().unwrap();
    let (up_r, up_w) = std::io::pipe().unwrap();
    // SAFETY: this program has a single thread.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(down_w);
            drop(up_r);
            let (mut r, mut w) = (down_r, up_w);
            while let Some(m) = recv(&mut r) {
                println!("child got: {m:?}");
                send(&mut w, &m);
            }
            println!("child: parent hung up");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(down_r);
            drop(up_w);
            let (mut r, mut w) = (up_r, down_w);
            for m in &msgs {
                send(&mut w, m);
                let reply = recv(&mut r).expect("reply");
                println!("parent got: {:?}", reply.to_uppercase());
            }
            drop(w);
            drop(r);
            if let WaitStatus::Exited(_, c) = waitpid(child, None).unwrap() {
                println!("child exited with status {c}");
            }
        }
    }
}
