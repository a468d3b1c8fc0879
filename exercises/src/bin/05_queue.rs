//! Exercise 05: a queue for many producers and many consumers, made of one pipe and a lock.
//!
//! Python's `multiprocessing.Queue` lets any number of processes put and get whole items. On
//! Unix it is a pipe plus locks, and here you build one. With several processes on each end of
//! one pipe, two things can break a record, and each has its cure:
//! - Two producers' bytes get mixed. The kernel keeps a write into a pipe in one piece only if
//!   it is made with ONE write() call of at most PIPE_BUF bytes (4096 on Linux). So each record
//!   travels as one frame of at most 4096 bytes, written with a single call.
//! - Two consumers split one record: one reads the header, the other reads the body. Reading
//!   is never atomic, so a consumer holds a lock from the first header byte to the last body
//!   byte. The lock is a second pipe holding one byte, the token: read it to take the lock
//!   (a read on the empty pipe waits until the holder gives it back), write it back to release.
//!
//! ```text
//! In Python                              The same idea in Rust (crate `nix`)
//! q = multiprocessing.Queue()            let (queue_read, queue_write) = pipe()?;
//!                                        let (lock_read, lock_write) = pipe()?; + 1 token byte
//! q.put(record)                          nix::unistd::write(&queue_write, &frame)  (ONE call)
//! record = q.get()                       read the token from lock_read; read the header and
//!                                        the body from queue_read; write the token back
//! Process(target=f).start(), many        unsafe { fork() } in a loop; each child exits
//! p.join() for each                      nix::sys::wait::waitpid(pid, None) for each child
//! ```
//!
//! Contract: `05_queue PRODUCERS CONSUMERS RECORDS`
//! - PRODUCERS and CONSUMERS: each a whole number from 1 to 16; RECORDS (records per
//!   producer): a whole number from 1 to 1000. Anything else, no arguments included: a
//!   usage line on stderr, exit status 2.
//! - ONE pipe, the queue, is shared by all producers and all consumers.
//! - Producer p (from 0) sends records i = 0..RECORDS. Record id: `p{p}-{i}` (e.g. `p3-17`).
//!   Body length n = 4092 - ((37*i + 11*p) % 600) bytes (3493..=4092). Body: the bytes of
//!   `{id}:` repeated and cut to n bytes (`p3-17:p3-17:p3-1...`). Frame: n as 4 big-endian
//!   bytes, then the body: at most 4096 bytes = PIPE_BUF, written with ONE write() call, so
//!   frames never interleave.
//! - Consumer c (from 0) loops: take the lock; read the 4-byte header (end-of-file before any
//!   header byte: release the lock and stop); read exactly n body bytes; release the lock.
//!   Then print `consumer {c}: {id}`, where id is the body's text before its first ':', if the
//!   body is exactly the pattern of that id at that length; otherwise print
//!   `consumer {c}: corrupt record`.
//! - The lock: a second pipe holding one token byte, or flock on a file that EACH consumer
//!   opens itself, after the fork. (A file opened before the fork is one open file shared by
//!   every consumer: all of them hold its flock at once, and it excludes nothing.)
//! - Read the queue with read_exact on the pipe itself, never through a BufReader: it reads
//!   ahead and takes the start of the next record with it. A writev of the header and the
//!   body (one call, at most 4096 bytes) counts as one write.
//! - The parent forks every consumer and producer, closes every pipe end it holds, waits for
//!   all the children, then prints `done` (the last line) and exits with status 0.
//! - The consumer lines may come in any order, from any consumer.
//!
//! ```text
//! $ 05_queue 1 1 3
//! consumer 0: p0-0
//! consumer 0: p0-1
//! consumer 0: p0-2
//! done
//! ```

fn main() {
    // Your program goes here, in place of the todo!() below.
    //
    // 1. Arguments: `std::env::args().skip(1)`, exactly three, each parsed and range-checked.
    //    Otherwise `eprintln!` a usage line and `std::process::exit(2)`.
    // 2. Two pipes with `nix::unistd::pipe()`: the queue, and the lock. Put the token into the
    //    lock: write one byte into its write end (`nix::unistd::write(&lock_write, b"T")`).
    // 3. Fork the consumers in a loop (`unsafe { nix::unistd::fork() }`), keeping each `Pid`.
    //    A consumer drops the queue's write end first: end-of-file only comes once EVERY write
    //    end is closed. Then it loops: take the token (`nix::unistd::read` of 1 byte from the
    //    lock's read end), read the header (`read` returning 0 is end-of-file) and the body
    //    (`File::from(queue_read)` and `read_exact` are handy), give the token back, check the
    //    body, `println!` its line. It ends with `std::process::exit`.
    // 4. Fork the producers in a loop. A producer drops the queue's read end and the lock,
    //    builds each frame in one `Vec<u8>` (`u32::to_be_bytes`, then the body) and sends it
    //    with ONE `nix::unistd::write(&queue_write, &frame)`; then `std::process::exit`.
    // 5. Parent: drop every pipe end, `nix::sys::wait::waitpid` each child, print `done`.
    todo!()
}
