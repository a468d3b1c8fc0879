//! Reading what a stopped call points to: arrays a word at a time through ptrace, a buffer
//! with process_vm_readv.

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
