//! Reading what a stopped call points to: arrays a word at a time through ptrace, a buffer
//! or a string with process_vm_readv.

use nix::sys::ptrace;
use nix::unistd::Pid;

/// The descriptors of a `struct pollfd` array with their `revents` (at most 64 are looked at).
pub fn poll_fds(tid: i32, addr: u64, count: u64) -> Vec<(i32, i16)> {
    // struct pollfd { int fd; short events; short revents; }: one 8-byte word each.
    (0..count.min(64))
        .map_while(|i| ptrace::read(Pid::from_raw(tid), (addr + 8 * i) as ptrace::AddressType).ok())
        .filter_map(|word| {
            let bytes = word.to_ne_bytes();
            let fd = i32::from_ne_bytes(bytes[0..4].try_into().ok()?);
            let revents = i16::from_ne_bytes(bytes[6..8].try_into().ok()?);
            Some((fd, revents))
        })
        .collect()
}

/// The descriptors of a select read set (`fd_set`, one bit per descriptor below `count`).
pub fn read_set(tid: i32, count: u64, addr: u64) -> Vec<i32> {
    if addr == 0 {
        return Vec::new();
    }
    let bits = usize::BITS as u64;
    let words = count.min(1024).div_ceil(bits);
    (0..words)
        .map_while(|k| {
            let at = addr + k * (bits / 8);
            ptrace::read(Pid::from_raw(tid), at as ptrace::AddressType)
                .ok()
                .map(|w| (k, w))
        })
        .flat_map(|(k, word)| {
            (0..bits)
                .filter(move |b| (word as u64) >> b & 1 == 1)
                .map(move |b| (k * bits + b) as i32)
        })
        .filter(|fd| (*fd as u64) < count)
        .collect()
}

/// The `int[2]` a pipe or socketpair call filled in.
pub fn read_fd_pair(tid: i32, addr: u64) -> Option<(i32, i32)> {
    let word = ptrace::read(Pid::from_raw(tid), addr as ptrace::AddressType).ok()?;
    let bytes = word.to_ne_bytes();
    let a = i32::from_ne_bytes(bytes[0..4].try_into().ok()?);
    let b = i32::from_ne_bytes(bytes[4..8].try_into().ok()?);
    Some((a, b))
}

/// Up to `len` bytes of a buffer the stopped task `tid` passed to a call (fewer, or none, where
/// the memory cannot be read).
pub fn read_bytes(tid: i32, addr: u64, len: usize) -> Vec<u8> {
    use nix::sys::uio::{RemoteIoVec, process_vm_readv};
    let mut buf = vec![0u8; len];
    let remote = [RemoteIoVec {
        base: addr as usize,
        len,
    }];
    let got = process_vm_readv(
        Pid::from_raw(tid),
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &remote,
    )
    .unwrap_or(0);
    buf.truncate(got);
    buf
}

/// Writes `bytes` at `addr` in the stopped task `tid`; whether all of them went in.
pub fn write_bytes(tid: i32, addr: u64, bytes: &[u8]) -> bool {
    use nix::sys::uio::{RemoteIoVec, process_vm_writev};
    let remote = [RemoteIoVec {
        base: addr as usize,
        len: bytes.len(),
    }];
    process_vm_writev(Pid::from_raw(tid), &[std::io::IoSlice::new(bytes)], &remote)
        .is_ok_and(|n| n == bytes.len())
}

/// The NUL-terminated string at `addr` in the stopped task `tid` (at most PATH_MAX bytes),
/// read up to a page's end at a time: a string at the top of the stack ends right before
/// memory that cannot be read.
pub fn read_c_string(tid: i32, addr: u64) -> Option<String> {
    const PAGE: u64 = 4096;
    const MAX: usize = libc::PATH_MAX as usize;
    let mut bytes = Vec::new();
    let mut at = addr;
    while bytes.len() < MAX {
        let room = ((PAGE - at % PAGE) as usize).min(MAX - bytes.len());
        let chunk = read_bytes(tid, at, room);
        if let Some(end) = chunk.iter().position(|b| *b == 0) {
            bytes.extend_from_slice(&chunk[..end]);
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        if chunk.len() < room {
            return None;
        }
        bytes.extend_from_slice(&chunk);
        at += room as u64;
    }
    None
}

/// The signal a `struct sigevent` at `addr` asks for: SIGALRM where there is none (the
/// default), none where it asks for no signal (SIGEV_NONE, SIGEV_THREAD).
pub fn sigevent_signal(tid: i32, addr: u64) -> Option<i32> {
    if addr == 0 {
        return Some(libc::SIGALRM);
    }
    // sigev_value (8 bytes), then sigev_signo and sigev_notify, each an int.
    let bytes = read_bytes(tid, addr, 16);
    let int = |at: usize| Some(i32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    match int(12)? {
        libc::SIGEV_SIGNAL | libc::SIGEV_THREAD_ID => int(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_is_read_up_to_its_nul_across_pages() {
        // Laid across a page boundary, with nothing but zeroes after its NUL.
        let page = 4096;
        let mut buffer = vec![b'x'; 3 * page];
        let start = page - (buffer.as_ptr() as usize % page) + page - 3;
        buffer[start..start + 6].copy_from_slice(b"/grep\0");
        let me = std::process::id() as i32;
        let at = buffer[start..].as_ptr() as u64;
        assert_eq!(read_c_string(me, at).as_deref(), Some("/grep"));
        assert_eq!(read_c_string(me, 0), None);
    }

    #[test]
    fn the_path_this_process_was_exec_d_by_is_read_from_its_memory() {
        let me = std::process::id() as i32;
        let at = crate::sandbox::procfs::exec_fn_address(me).expect("AT_EXECFN");
        let path = read_c_string(me, at).expect("the path");
        let exe = std::env::current_exe().expect("this test's program");
        assert_eq!(std::path::Path::new(&path).file_name(), exe.file_name());
    }
}
