//! What an epoll wait answered. Its events name no descriptor, only the data each one was
//! registered with (often the descriptor, but any number a program likes); the instance's
//! registrations, as the kernel lists them in /proc, turn them back into descriptors, so that
//! an epoll answer is recorded as a poll's is.

use super::memory::read_bytes;
use crate::sandbox::procfs::{self, EpollTarget};

/// The events looked at in one answer (as many as in one poll array).
const MOST: u64 = 64;

/// `struct epoll_event` is its event bits, then its data: packed on x86_64 (12 bytes), the
/// data aligned elsewhere (16 bytes).
const EVENT_SIZE: usize = std::mem::size_of::<libc::epoll_event>();

/// The descriptors that an epoll wait of `tid` on the instance `epfd` reported ready, each with
/// its events as poll's revents: the `count` events the call wrote at `addr`.
pub fn ready(tid: i32, epfd: i32, addr: u64, count: u64) -> Vec<(i32, i16)> {
    let bytes = read_bytes(tid, addr, count.min(MOST) as usize * EVENT_SIZE);
    named(&events(&bytes), &procfs::epoll_targets(tid, epfd))
}

/// The (event bits, data) of each `struct epoll_event` in `bytes`.
fn events(bytes: &[u8]) -> Vec<(u32, u64)> {
    bytes
        .chunks_exact(EVENT_SIZE)
        .filter_map(|e| {
            let bits = u32::from_ne_bytes(e.get(..4)?.try_into().ok()?);
            let data = u64::from_ne_bytes(e.get(EVENT_SIZE - 8..)?.try_into().ok()?);
            Some((bits, data))
        })
        .collect()
}

/// The descriptor each event stands for: the one registered with its data. Data that no
/// registration carries, or several do, names none: such an answer does not tell the program
/// which end is ready either. epoll's low bits are poll's (EPOLLIN is POLLIN, EPOLLHUP is
/// POLLHUP), so they serve as revents.
fn named(events: &[(u32, u64)], targets: &[EpollTarget]) -> Vec<(i32, i16)> {
    events
        .iter()
        .filter_map(|&(bits, data)| {
            let mut carrying = targets.iter().filter(|t| t.data == data);
            match (carrying.next(), carrying.next()) {
                (Some(t), None) => Some((t.fd, bits as u16 as i16)),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of `struct epoll_event`s, laid out as this architecture lays them out.
    fn bytes_of(events: &[(u32, u64)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (bits, data) in events {
            bytes.extend(bits.to_ne_bytes());
            bytes.resize(bytes.len() + EVENT_SIZE - 12, 0);
            bytes.extend(data.to_ne_bytes());
        }
        bytes
    }

    #[test]
    fn an_epoll_event_is_laid_out_as_the_kernel_writes_it() {
        let size = if cfg!(target_arch = "x86_64") { 12 } else { 16 };
        assert_eq!(EVENT_SIZE, size);
        let answer = [(0x1, 7), (0x11, u64::MAX - 1)];
        assert_eq!(events(&bytes_of(&answer)), answer);
        // A piece of an event, where the memory ran out, is no event.
        let cut = bytes_of(&answer);
        assert_eq!(events(&cut[..EVENT_SIZE + 5]), [(0x1, 7)]);
    }

    #[test]
    fn each_event_is_the_descriptor_registered_with_its_data() {
        let (pollin, pollhup) = (libc::POLLIN, libc::POLLHUP);
        // The program registered fds 3, 5 and 6 with the numbers of its children.
        let targets = [(3, 0), (5, 1), (6, 2)].map(|(fd, data)| EpollTarget { fd, data });
        let answer = [(libc::EPOLLIN as u32, 2), (libc::EPOLLHUP as u32, 0)];
        assert_eq!(named(&answer, &targets), [(6, pollin), (3, pollhup)]);
        // Data nobody registered, or that two descriptors share, says nothing.
        let shared = [(3, 9), (5, 9)].map(|(fd, data)| EpollTarget { fd, data });
        assert_eq!(named(&[(libc::EPOLLIN as u32, 9)], &shared), []);
        assert_eq!(named(&[(libc::EPOLLIN as u32, 4)], &targets), []);
    }
}
