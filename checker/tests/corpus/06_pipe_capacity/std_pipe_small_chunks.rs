//! exercise: 06_pipe_capacity
//! expect: pass
//! mistake: none

// A correct solution with the standard library's pipe (std::io::pipe) and its Write trait:
// a full non-blocking pipe shows up as io::ErrorKind::WouldBlock. The chunks are 512 bytes,
// which divides 4096, and O_NONBLOCK is added to the flags the write end already has.

use std::io::{self, ErrorKind, PipeWriter, Write};
use std::os::fd::AsFd;

use nix::fcntl::{FcntlArg, OFlag, fcntl};

fn bytes_until_full(writer: &mut PipeWriter) -> io::Result<u64> {
    let chunk = [0x55u8; 512];
    let mut total: u64 = 0;
    loop {
        match writer.write(&chunk) {
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let size = match (args.next(), args.next()) {
        (None, _) => Some(1 << 20),
        (Some(text), None) => text.parse::<i32>().ok().filter(|&n| n > 0),
        _ => None,
    };
    let Some(size) = size else {
        eprintln!("usage: 06_pipe_capacity [SIZE]");
        std::process::exit(2);
    };

    let (reader, mut writer) = io::pipe()?;
    let flags = fcntl(writer.as_fd(), FcntlArg::F_GETFL)?;
    let flags = OFlag::from_bits_retain(flags) | OFlag::O_NONBLOCK;
    fcntl(writer.as_fd(), FcntlArg::F_SETFL(flags))?;

    let before = bytes_until_full(&mut writer)?;
    let reported = fcntl(writer.as_fd(), FcntlArg::F_GETPIPE_SZ)?;
    let resized = fcntl(writer.as_fd(), FcntlArg::F_SETPIPE_SZ(size));
    let after = before + bytes_until_full(&mut writer)?;

    let mut out = io::stdout().lock();
    writeln!(out, "capacity by writing: {before} bytes")?;
    writeln!(out, "F_GETPIPE_SZ: {reported} bytes")?;
    match resized {
        Ok(bytes) => writeln!(out, "F_SETPIPE_SZ {size}: {bytes} bytes")?,
        Err(errno) => writeln!(out, "F_SETPIPE_SZ {size}: refused ({errno:?})")?,
    }
    writeln!(out, "capacity by writing: {after} bytes")?;
    drop(reader);
    Ok(())
}
