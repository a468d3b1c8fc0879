//! Faults the X-ray injects, all of them legal: a read from a pipe, FIFO or socket returns
//! fewer bytes than it asked for and than were waiting, and a write of more than PIPE_BUF bytes
//! is cut short. A correct program loops until it has what it needs; one that assumes a read
//! per message, a read per line or a write per buffer fails on every run, not by luck.
//!
//! A read is cut where a wrong program breaks, when the bytes waiting show such a place: inside
//! a multi-byte character, just before or just after a newline, inside a 4-byte length header;
//! the draw picks the kind of place, and a random length where the head has none of that kind.
//!
//! A stopped call's byte count is changed before the kernel runs it (at its seccomp or entry
//! stop), so injecting costs no stop of its own. Each end of each process gets its first
//! `CUTS` cuts and no more: a program that takes one read for one message fails at its first
//! messages, and a long transfer (05's 14 MB) is not made ten times as many calls.

use super::peek::Peek;
use crate::sandbox::procfs::Object;
use crate::sandbox::trace::Injected;
use std::collections::HashMap;

/// Writes up to this many bytes are atomic on a pipe and are never cut (pipe(7)).
const PIPE_BUF: u64 = 4096;
/// Cuts per process, end and direction.
const CUTS: u32 = 16;

/// The injector of one run: its seed and the number of draws per process.
pub struct Faults {
    seed: u64,
    draws: HashMap<usize, u64>,
    /// Cuts made so far per process, end and direction.
    made: HashMap<(i32, Object, bool), u32>,
    pub injected: Injected,
}

impl Faults {
    pub fn new(seed: u64) -> Faults {
        Faults {
            seed,
            draws: HashMap::new(),
            made: HashMap::new(),
            injected: Injected {
                seed: Some(seed),
                ..Injected::default()
            },
        }
    }

    /// A read of `asked` bytes from `fd` by the stopped task `tid` of process `process`, the
    /// `index`-th process of the run: cuts it when it can and says whether it did.
    pub fn read(
        &mut self,
        peek: &mut Peek,
        (tid, process, index): (i32, i32, usize),
        (fd, object): (i32, &Object),
        asked: u64,
    ) -> bool {
        if !self.may_cut(process, object, false) {
            return false;
        }
        let waiting = peek.waiting(process, fd);
        let most = waiting.map_or(asked, |w| w.min(asked)).min(HEAD) as usize;
        let head = peek.head(process, fd, most).unwrap_or_default();
        let draw = self.draw(index);
        match cut_read(asked, waiting, draw, &head) {
            Some(n) if set_count(tid, n) => {
                self.injected.reads_cut += 1;
                self.count(process, object, false);
                true
            }
            _ => false,
        }
    }

    /// A write of `asked` bytes into `object` by the stopped task `tid`: cut when it is over
    /// PIPE_BUF.
    pub fn write(
        &mut self,
        (tid, process, index): (i32, i32, usize),
        object: &Object,
        asked: u64,
    ) -> bool {
        if asked <= PIPE_BUF || !self.may_cut(process, object, true) {
            return false;
        }
        let draw = self.draw(index);
        match cut_write(asked, draw) {
            Some(n) if set_count(tid, n) => {
                self.injected.writes_cut += 1;
                self.count(process, object, true);
                true
            }
            _ => false,
        }
    }

    /// The channels some read of which was cut.
    pub fn cut_reads_of(&self) -> Vec<Object> {
        let mut objects: Vec<Object> = self
            .made
            .keys()
            .filter(|(_, _, writes)| !writes)
            .map(|(_, object, _)| object.clone())
            .collect();
        objects.sort_by_key(ToString::to_string);
        objects.dedup();
        objects
    }

    fn may_cut(&self, process: i32, object: &Object, writes: bool) -> bool {
        self.made
            .get(&(process, object.clone(), writes))
            .is_none_or(|n| *n < CUTS)
    }

    fn count(&mut self, process: i32, object: &Object, writes: bool) {
        *self
            .made
            .entry((process, object.clone(), writes))
            .or_default() += 1;
    }

    /// The next draw of the `index`-th process: the same seed gives each process the same
    /// draws in the same order, whatever the other processes do meanwhile.
    fn draw(&mut self, index: usize) -> u64 {
        let k = self.draws.entry(index).or_default();
        *k += 1;
        mix(self.seed ^ mix(index as u64 + 1) ^ mix(*k).rotate_left(17))
    }
}

/// The waiting bytes looked at for a place to cut.
const HEAD: u64 = 4096;

/// The byte count a read of `asked` bytes is cut to, when `waiting` bytes are in the channel
/// (none: unknown), `head` being the first of them: fewer than both and at least one. An empty
/// channel's read waits for its first byte only. None when there is nothing to cut.
pub fn cut_read(asked: u64, waiting: Option<u64>, draw: u64, head: &[u8]) -> Option<u64> {
    let most = match waiting {
        Some(w) => asked.min(w),
        None => asked,
    };
    if asked < 2 || (most == 1 && waiting == Some(1)) {
        return None;
    }
    if most < 2 {
        return Some(1);
    }
    Some(where_it_breaks(head, most, draw).unwrap_or(1 + draw % (most - 1)))
}

/// A length to cut a read to, below `most`, at a place of the kind the draw picks in `head`:
/// inside a multi-byte UTF-8 character, just before a newline, just after one, or inside a
/// 4-byte length header. None when `head` holds no such place.
fn where_it_breaks(head: &[u8], most: u64, draw: u64) -> Option<u64> {
    let below = (most as usize).min(head.len());
    let places: Vec<usize> = (1..below)
        .filter(|&p| match draw % 4 {
            0 => head[p] & 0xC0 == 0x80,
            1 => head[p] == b'\n',
            2 => head[p - 1] == b'\n',
            _ => p < 4,
        })
        .collect();
    let pick = (draw / 4) as usize % places.len().max(1);
    places.get(pick).map(|&p| p as u64)
}

/// The byte count a write of `asked` bytes is cut to: writes of at most PIPE_BUF bytes are
/// left whole, longer ones are cut to between one byte and one short of all.
pub fn cut_write(asked: u64, draw: u64) -> Option<u64> {
    (asked > PIPE_BUF).then(|| 1 + draw % (asked - 1))
}

/// splitmix64's finaliser: a well-spread 64-bit hash of a counter.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Sets the third argument (the byte count of read, write, recvfrom, sendto, pread64 and
/// pwrite64) of the call `tid` is stopped at; false where the registers cannot be changed.
fn set_count(tid: i32, count: u64) -> bool {
    super::regs::set_arg(tid, 2, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_cut_below_what_it_asks_and_what_waits() {
        for draw in 0..200 {
            let n = cut_read(1000, Some(30), draw, &[]).expect("a cut");
            assert!((1..30).contains(&n), "{n}");
            let n = cut_read(20, Some(500), draw, &[]).expect("a cut");
            assert!((1..20).contains(&n), "{n}");
            let n = cut_read(8192, None, draw, &[]).expect("a cut");
            assert!((1..8192).contains(&n), "{n}");
        }
        // An empty channel: the read gets its first byte only.
        assert_eq!(cut_read(8192, Some(0), 5, &[]), Some(1));
        // Nothing shorter exists.
        assert_eq!(cut_read(1, Some(100), 5, &[]), None);
        assert_eq!(cut_read(100, Some(1), 5, &[]), None);
    }

    #[test]
    fn a_read_is_cut_where_a_wrong_program_breaks() {
        let head = "ab\ncafé\n".as_bytes();
        let most = head.len() as u64;
        // Inside é (its second byte is at 7), before and after a newline, inside a header.
        assert_eq!(where_it_breaks(head, most, 0), Some(7));
        let before: Vec<u64> = (0..40)
            .filter_map(|k| where_it_breaks(head, most, 4 * k + 1))
            .collect();
        assert!(before.iter().all(|&p| head[p as usize] == b'\n') && before.contains(&2));
        let after: Vec<u64> = (0..40)
            .filter_map(|k| where_it_breaks(head, most, 4 * k + 2))
            .collect();
        assert!(after.iter().all(|&p| head[p as usize - 1] == b'\n') && after.contains(&3));
        assert!((0..40).all(|k| where_it_breaks(head, most, 4 * k + 3).is_some_and(|p| p < 4)));
        // No such place: the random cut.
        assert_eq!(where_it_breaks(b"plain", 5, 0), None);
        assert_eq!(cut_read(5, Some(5), 0, b"plain"), Some(1));
        // Every cut stays below what waits.
        for draw in 0..200 {
            let n = cut_read(100, Some(9), draw, head).expect("a cut");
            assert!((1..9).contains(&n), "{n}");
        }
    }

    #[test]
    fn only_writes_over_pipe_buf_are_cut() {
        assert_eq!(cut_write(4096, 7), None);
        for draw in 0..200 {
            let n = cut_write(4097, draw).expect("a cut");
            assert!((1..4097).contains(&n), "{n}");
        }
    }

    #[test]
    fn each_end_gets_its_first_cuts_and_no_more() {
        let mut f = Faults::new(1);
        let (a, b) = (Object::Pipe(7), Object::Pipe(8));
        for _ in 0..CUTS {
            assert!(f.may_cut(10, &a, false));
            f.count(10, &a, false);
        }
        assert!(!f.may_cut(10, &a, false));
        assert!(f.may_cut(10, &a, true) && f.may_cut(10, &b, false) && f.may_cut(11, &a, false));
    }

    #[test]
    fn the_same_seed_draws_the_same_cuts() {
        let draws = |seed| {
            let mut f = Faults::new(seed);
            (0..5).map(|_| f.draw(1)).collect::<Vec<_>>()
        };
        assert_eq!(draws(3), draws(3));
        assert_ne!(draws(3), draws(4));
    }
}
