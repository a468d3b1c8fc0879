//! The precise fault behind a hang, from the hang doctor's snapshot and the X-ray's trace, or
//! behind lines that never came, from the trace alone: the one thing to change, said as the
//! likely cause. Nothing here guesses: where the evidence
//! points nowhere in particular, there is no diagnosis and the exercise's words are used.

use super::cause::Cause;
use crate::sandbox::hang::{Doing, ProcessAtHang, Snapshot};
use crate::sandbox::procfs::Object;
use crate::sandbox::syscalls::Call;
use crate::sandbox::trace::Trace;
use crate::workbook::manifest::Topic;

/// Lines missing from stdout, when the trace shows why: a child that held the write end of a
/// pipe (or FIFO) that someone read, and exited without writing a byte into it, while its
/// readers got nothing. Its lines stayed in a buffer, or were never written.
pub fn silent_writer(trace: &Trace, missing_lines: bool) -> Option<Cause> {
    if !missing_lines {
        return None;
    }
    let data =
        |o: &Object| matches!(o, Object::Pipe(_) | Object::Fifo(..)) && !trace.output.contains(o);
    for (n, p) in trace.procs.iter().enumerate().skip(1) {
        let wrote = trace
            .io
            .iter()
            .any(|io| io.pid == p.pid && io.writes && io.bytes > 0 && data(&io.object));
        if wrote || p.exit.is_none() {
            continue;
        }
        let silent = p.inherited.iter().chain(&p.gained).find(|f| {
            let reads: Vec<_> = trace
                .io
                .iter()
                .filter(|io| !io.writes && io.object == f.object)
                .collect();
            f.writes && data(&f.object) && !reads.is_empty() && reads.iter().all(|io| io.bytes == 0)
        });
        if let Some(end) = silent {
            return Some(Cause::on(
                Topic::Buffering,
                format!(
                    "P{} exited without writing a byte into {}, whose write end it held, and its reader got nothing: lines written through a BufWriter stay in its buffer until it is flushed, and std::process::exit runs no destructor, so flush it (or drop it) before exit; if it never wrote, write each message there",
                    n + 1,
                    end.object
                ),
            ));
        }
    }
    None
}

/// The likely cause of a hang, when the evidence names its fault. The first fault found in
/// this order wins, so the same program gets the same words on every run: a FIFO open that
/// waits, a lock token nobody gives back, a process holding the other end of the pipe it
/// waits on, a holder that never uses its end, two processes that each wait for the other.
pub fn hang_cause(s: &Snapshot, trace: Option<&Trace>, contract: Contract) -> Option<Cause> {
    fifo_open(s)
        .or_else(|| token_never_returned(s, trace))
        .or_else(|| holds_its_own_other_end(s, trace, contract))
        .or_else(|| idle_holder(s, trace, contract))
        .or_else(|| readers_wait_for_each_other(s))
}

/// What the exercise's expected wiring says, where the evidence alone cannot tell.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// The program itself reads a pipe: a parent that waits while holding a full pipe's read
    /// end should read first, not close it.
    pub parent_reads: bool,
    /// The program fills a pipe nobody else reads (06): holding its read end is right.
    pub pipe_of_its_own: bool,
    /// The program itself writes into a pipe another process reads (07's round 1, 08): a
    /// parent that waits for its reader holding the write end may mean to write after.
    pub parent_writes: bool,
    /// Children pass a token through a pipe of their own (05's lock): a reader holding that
    /// pipe's write end is right, and only the trace tells that pipe from the others.
    pub token_pipes: bool,
}

/// The process is blocked reading (or writing) this object, with the descriptor it uses.
fn blocked_on(s: &Snapshot, p: &ProcessAtHang, writes: bool) -> Option<Object> {
    let fd = match (&p.doing, writes) {
        (Doing::Blocked(Call::Read(fd)), false) | (Doing::Blocked(Call::Write(fd)), true) => *fd,
        _ => return None,
    };
    let end = s.object_of(p, fd, writes)?;
    Some(end.object)
}

/// The other end: a pipe's is itself, a socket's its peer.
fn other_end(s: &Snapshot, object: &Object) -> Option<Object> {
    match object {
        Object::Socket(i) => s.peer(*i),
        o => Some(o.clone()),
    }
}

/// Whether `pid` read from (or wrote into) `object` at any time, as the X-ray saw it.
fn used(trace: Option<&Trace>, pid: i32, object: &Object, writes: bool) -> Option<bool> {
    let trace = trace?;
    Some(
        trace
            .io
            .iter()
            .any(|io| io.pid == pid && io.object == *object && io.writes == writes),
    )
}

fn name(object: &Object) -> String {
    match object {
        Object::Fifo(_, path) => format!("the FIFO {}", path.rsplit('/').next().unwrap_or(path)),
        Object::Socket(_) => "the socket pair".into(),
        _ => "the pipe".into(),
    }
}

fn fifo_open(s: &Snapshot) -> Option<Cause> {
    let p = s
        .procs
        .iter()
        .find(|p| p.doing == Doing::Blocked(Call::Open))?;
    Some(Cause::on(
        Topic::Fifo,
        format!(
            "{} is blocked opening a file, which for a FIFO means no process has opened its other end yet: opening a FIFO waits for both sides. Start the reader (the second program) before the writer opens the FIFO, and make sure the reader opens it",
            s.who(p.pid)
        ),
    ))
}

/// A pipe that passes a token: a process both took bytes out of it and put bytes in, or bytes
/// went in that no traced write put in (a token passed a byte at a time).
fn token_pipe(trace: Option<&Trace>, object: &Object) -> bool {
    let Some(t) = trace else { return false };
    let used = |pid: i32, writes: bool| {
        t.io.iter()
            .any(|io| io.pid == pid && io.object == *object && io.writes == writes && io.bytes > 0)
    };
    t.untraced_bytes(object) > 0
        || t.io
            .iter()
            .any(|io| used(io.pid, false) && used(io.pid, true))
}

fn token_never_returned(s: &Snapshot, trace: Option<&Trace>) -> Option<Cause> {
    // Readers blocked on one pipe whose every write end is held by readers blocked on it too:
    // whatever should come back into it (a lock's token) can only come from them.
    for p in &s.procs {
        let Some(object) = blocked_on(s, p, false).filter(|o| matches!(o, Object::Pipe(_))) else {
            continue;
        };
        let writers = s.holders(&object, true);
        let waiting: Vec<i32> = s
            .procs
            .iter()
            .filter(|q| blocked_on(s, q, false).as_ref() == Some(&object))
            .map(|q| q.pid)
            .collect();
        let all_wait = !writers.is_empty() && writers.iter().all(|(w, _)| waiting.contains(w));
        if all_wait && (waiting.len() >= 2 || token_pipe(trace, &object)) {
            // How many still wait depends on how far the others got: not said, so the words
            // are the same on every run (the hang section lists them).
            return Some(Cause::on(
                Topic::Lock,
                "the processes blocked reading a pipe whose only writers are those same processes wait for ever (the hang section lists them): it is a pipe filled a byte at a time, and the byte they wait for (a lock's token) was taken and never put back. Every process that takes the token must write it back, also on its way out (at end-of-file, or after an error)",
            ));
        }
    }
    None
}

fn holds_its_own_other_end(
    s: &Snapshot,
    trace: Option<&Trace>,
    contract: Contract,
) -> Option<Cause> {
    for p in &s.procs {
        for writes in [false, true] {
            let Some(object) = blocked_on(s, p, writes) else {
                continue;
            };
            let Some(other) = other_end(s, &object) else {
                continue;
            };
            let socket = matches!(other, Object::Socket(_));
            if !socket && !matches!(other, Object::Pipe(_) | Object::Fifo(..)) {
                continue;
            }
            // A process that uses both ends (a lock's token) needs both; a socket is used both
            // ways by design, so only this process's own use of the other end counts.
            if used(trace, p.pid, &other, !writes) == Some(true)
                || (!socket && token_pipe(trace, &other))
            {
                continue;
            }
            let fd = match p.doing {
                Doing::Blocked(Call::Read(fd) | Call::Write(fd)) => fd,
                _ => continue,
            };
            // The descriptor it uses was opened both ways (O_RDWR): it holds the other end
            // through that very descriptor.
            if !socket
                && let Some(own) = p
                    .fds
                    .iter()
                    .find(|f| f.fd == fd && f.object == other && f.reads && f.writes)
            {
                return Some(Cause::on(
                    if writes { Topic::Ends } else { Topic::Eof },
                    format!(
                        "{who} is blocked {doing} {thing} through fd {fd}, which it opened for reading and writing, so it holds the other end itself: {why} Open {thing} for {only} only ({how})",
                        who = s.who(p.pid),
                        doing = if writes { "writing into" } else { "reading" },
                        thing = name(&object),
                        fd = own.fd,
                        why = if writes {
                            "with a read end open, the full pipe never empties and no EPIPE comes."
                        } else {
                            "end-of-file comes only when every write end is closed, its own included."
                        },
                        only = if writes { "writing" } else { "reading" },
                        how = if writes {
                            "OpenOptions::new().write(true)"
                        } else {
                            "File::open"
                        },
                    ),
                ));
            }
            let own = p.fds.iter().find(|f| {
                f.object == other
                    && if socket {
                        true
                    } else if writes {
                        f.reads && !f.writes
                    } else {
                        f.writes && !f.reads
                    }
            });
            let Some(own) = own else { continue };
            // A writer's own read end matters only where another process reads (or read)
            // the pipe; a process alone with its pipe (exercise 06) must keep it open.
            let others_read = !contract.pipe_of_its_own || others_read(s, trace, p, &other);
            if writes && !others_read {
                continue;
            }
            let who = s.who(p.pid);
            if !writes && trace.is_none() && contract.token_pipes {
                return Some(Cause::on(
                    Topic::Eof,
                    format!(
                        "{who} is blocked reading a pipe while it holds a write end of it itself (fd {}). If that pipe is the queue, close the write end before reading, or end-of-file never comes; if it is the lock's pipe, the token was taken and never put back: write it back after every use, also at end-of-file (with the X-ray on, the report tells which)",
                        own.fd
                    ),
                ));
            }
            if socket && !writes {
                return Some(Cause::on(
                    Topic::Eof,
                    format!(
                        "{who} is blocked reading its end of the socket pair while it holds the other end itself (fd {fd}): the other process's close hangs up only when every copy of its end is closed, this one included, so end-of-file never comes. Each process keeps one end: close (drop) the other end in {who} right after the fork",
                        fd = own.fd
                    ),
                ));
            }
            return Some(if writes {
                Cause::on(
                    Topic::Ends,
                    format!(
                        "{who} is blocked writing into {thing} while it holds the read end itself (fd {fd}): with a read end open, a write never fails with EPIPE and the full pipe never empties. A writer keeps only its write end: close the read end it inherited before writing",
                        thing = name(&object),
                        fd = own.fd
                    ),
                )
            } else {
                Cause::on(
                    Topic::Eof,
                    format!(
                        "{who} is blocked reading {thing} while it holds a write end of it itself (fd {fd}): end-of-file comes only when every write end is closed, its own included. Close (or drop) that write end before reading{exec}",
                        thing = name(&object),
                        fd = own.fd,
                        exec = if s.get(s.main).is_some_and(|m| m.name != p.name) {
                            " (in a stage that runs another program: close every pipe descriptor after dup2, before exec)"
                        } else {
                            ""
                        }
                    ),
                )
            });
        }
    }
    None
}

/// Another process holds, or read through, the read end of `other`.
fn others_read(s: &Snapshot, trace: Option<&Trace>, p: &ProcessAtHang, other: &Object) -> bool {
    s.holders(other, false).iter().any(|(pid, _)| *pid != p.pid)
        || trace.is_some_and(|t| {
            t.io.iter()
                .any(|io| io.pid != p.pid && io.object == *other && !io.writes)
        })
}

/// A process that holds an end it never uses while it waits for something else (a child, a
/// timer) or has nothing to do.
fn idle(p: &ProcessAtHang) -> bool {
    !matches!(
        p.doing,
        Doing::Running | Doing::Blocked(Call::Read(_) | Call::Write(_) | Call::Poll)
    )
}

fn idle_holder(s: &Snapshot, trace: Option<&Trace>, contract: Contract) -> Option<Cause> {
    for p in &s.procs {
        for writes in [false, true] {
            let Some(object) = blocked_on(s, p, writes) else {
                continue;
            };
            let Some(other) = other_end(s, &object) else {
                continue;
            };
            // Blocked reading: the write ends held elsewhere; blocked writing: the read ends.
            for (pid, fd) in s.holders(&other, !writes) {
                let Some(holder) = s.get(pid).filter(|h| h.pid != p.pid && idle(h)) else {
                    continue;
                };
                let who = s.who(holder.pid);
                let waits = matches!(holder.doing, Doing::Blocked(Call::Wait(_)));
                if writes {
                    // It read from this pipe before, or the contract makes it the reader: it
                    // should read before it waits. Otherwise it should not hold it at all.
                    let reader = used(trace, pid, &other, false) == Some(true)
                        || (pid == s.main && contract.parent_reads);
                    return Some(if reader {
                        Cause::on(
                            Topic::Order,
                            format!(
                                "{} is blocked writing into {}, which is full, and {who}, its reader, {} instead of reading: read everything first, then wait",
                                s.who(p.pid),
                                name(&object),
                                if waits {
                                    "waits for a child"
                                } else {
                                    "does something else"
                                }
                            ),
                        )
                    } else {
                        Cause::on(
                            Topic::Ends,
                            format!(
                                "{who} holds the read end of {} (fd {fd}) and never reads it, so the writer {} is not told the reader is gone (no EPIPE, no SIGPIPE) and blocks once the pipe is full: close that read end in {who} as soon as it has forked",
                                name(&object),
                                s.who(p.pid)
                            ),
                        )
                    });
                }
                let thing = if matches!(other, Object::Socket(_)) {
                    format!("its end of {}", name(&object))
                } else {
                    format!("a write end of {}", name(&object))
                };
                let reader = s.who(p.pid);
                // It wrote before: it is done sending but never said so. It never wrote: it
                // has no use for the end at all.
                return Some(if used(trace, pid, &other, true) == Some(true) {
                    Cause::on(
                        Topic::Eof,
                        format!(
                            "{who} has sent its data but still holds {thing} (fd {fd}){}, so {reader} never sees end-of-file: close (drop) that end as soon as the last message is sent, before waiting",
                            if waits {
                                " while it waits for a child"
                            } else {
                                ""
                            },
                        ),
                    )
                } else if pid == s.main
                    && contract.parent_writes
                    && waits
                    && waits_for(holder, p.pid)
                {
                    // It waits for the very reader it holds back, in an exercise where the
                    // parent writes: it may have meant to write after the wait, or hold an end
                    // it does not use. The evidence cannot tell which; both fixes end it.
                    Cause::on(
                        Topic::Order,
                        format!(
                            "{who} waits for {reader} while it holds {thing} (fd {fd}), into which it has not written, so {reader} waits for data or end-of-file and the two wait for each other. If the parent is the one to write into that pipe, write everything first, then close (drop) the end, and only then wait; if it is not, close the end right after the fork, before waiting"
                        ),
                    )
                } else {
                    Cause::on(
                        Topic::Eof,
                        format!(
                            "{who} holds {thing} (fd {fd}) and never writes into it{}, so {reader} never sees end-of-file: close it in {who} (right after the fork, or before exec){}",
                            if waits {
                                " while it waits for a child"
                            } else {
                                ""
                            },
                            if pid == s.main {
                                ", before the parent reads or waits"
                            } else {
                                ""
                            }
                        ),
                    )
                });
            }
        }
    }
    None
}

/// `p` is blocked waiting for `child` (or for any child, `child` among them).
fn waits_for(p: &ProcessAtHang, child: i32) -> bool {
    matches!(p.doing, Doing::Blocked(Call::Wait(t)) if t == child || t == -1 || t == 0)
}

fn readers_wait_for_each_other(s: &Snapshot) -> Option<Cause> {
    let readers: Vec<(&ProcessAtHang, Object)> = s
        .procs
        .iter()
        .filter_map(|p| Some((p, blocked_on(s, p, false)?)))
        .collect();
    for (p, object) in &readers {
        let Some(other) = other_end(s, object) else {
            continue;
        };
        let holders = s.holders(&other, true);
        let each_other = !holders.is_empty()
            && holders
                .iter()
                .all(|(pid, _)| *pid != p.pid && readers.iter().any(|(q, _)| q.pid == *pid));
        if each_other {
            let (pid, _) = holders[0];
            return Some(Cause::on(
                Topic::Framing,
                format!(
                    "{} and {} both wait to read, each for bytes the other should send: their protocol is out of step. One side reads more than the other wrote (a length that counts characters instead of bytes, a frame read as a line, a message the other side never sends): make both sides agree byte for byte",
                    s.who(p.pid),
                    s.who(pid)
                ),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::procfs::Fd;

    fn end(fd: i32, inode: u64, writes: bool) -> Fd {
        Fd {
            fd,
            object: Object::Pipe(inode),
            reads: !writes,
            writes,
        }
    }

    fn process(pid: i32, name: &str, doing: Doing, fds: Vec<Fd>) -> ProcessAtHang {
        ProcessAtHang {
            pid,
            ppid: if pid == 10 { 1 } else { 10 },
            name: name.into(),
            doing,
            fds,
        }
    }

    const ALONE: Contract = Contract {
        parent_reads: false,
        pipe_of_its_own: true,
        parent_writes: false,
        token_pipes: false,
    };
    const CHAIN: Contract = Contract {
        parent_reads: false,
        pipe_of_its_own: false,
        parent_writes: false,
        token_pipes: false,
    };

    #[test]
    fn a_fifo_open_that_waits_is_named() {
        let s = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![process(
                10,
                "08_named_pipe",
                Doing::Blocked(Call::Open),
                vec![],
            )],
        };
        let cause = hang_cause(&s, None, CHAIN).expect("a cause").text;
        assert!(
            cause.contains("opening a FIFO waits for both sides"),
            "{cause}"
        );
    }

    #[test]
    fn a_writer_alone_with_its_pipe_keeps_the_read_end() {
        let s = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![process(
                10,
                "06_pipe_capacity",
                Doing::Blocked(Call::Write(4)),
                vec![end(3, 7, false), end(4, 7, true)],
            )],
        };
        assert_eq!(hang_cause(&s, None, ALONE), None);
        let cause = hang_cause(&s, None, CHAIN).expect("a cause").text;
        assert!(
            cause.contains("holds the read end itself (fd 3)"),
            "{cause}"
        );
    }

    #[test]
    fn a_stage_waiting_for_its_own_input_is_not_blamed_for_the_next_stage() {
        // grep waits on pipe 7 while holding its write end (fd 4); wc waits on pipe 8, whose
        // write end is grep's stdout: grep is the fault, not `close fd 1 in grep`.
        let s = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                process(
                    10,
                    "04_three_stage_chain",
                    Doing::Blocked(Call::Wait(-1)),
                    vec![],
                ),
                process(
                    12,
                    "wc",
                    Doing::Blocked(Call::Read(0)),
                    vec![end(0, 8, false)],
                ),
                process(
                    11,
                    "grep",
                    Doing::Blocked(Call::Read(0)),
                    vec![end(0, 7, false), end(1, 8, true), end(4, 7, true)],
                ),
            ],
        };
        let cause = hang_cause(&s, None, CHAIN).expect("a cause").text;
        assert!(cause.starts_with("pid 11 grep"), "{cause}");
        assert!(
            cause.contains("(fd 4)") && !cause.contains("fd 1"),
            "{cause}"
        );
    }
    #[test]
    fn a_child_holding_the_parents_socket_end_is_told_to_close_it() {
        // 02: the child reads its end (fd 4) and still holds the parent's (fd 3); the parent
        // waits for it. The child is the fault, and the fix is a close, not a read.
        let socket = |fd: i32, inode: u64| Fd {
            fd,
            object: Object::Socket(inode),
            reads: true,
            writes: true,
        };
        let s = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                process(10, "02_duplex_pipe", Doing::Blocked(Call::Wait(11)), vec![]),
                process(
                    11,
                    "02_duplex_pipe",
                    Doing::Blocked(Call::Read(4)),
                    vec![socket(3, 1), socket(4, 2)],
                ),
            ],
        };
        let cause = hang_cause(&s, None, CHAIN).expect("a cause").text;
        assert!(cause.starts_with("pid 11 02_duplex_pipe"), "{cause}");
        assert!(
            cause.contains("holds the other end itself (fd 3)") && cause.contains("close (drop)"),
            "{cause}"
        );
    }
    #[test]
    fn a_writing_parent_that_waits_for_its_reader_is_told_to_write_first() {
        // 07's round 1: the parent waits for its reader before writing a line.
        let s = Snapshot {
            main: 10,
            deadlock: None,
            procs: vec![
                process(
                    10,
                    "07_broken_pipe",
                    Doing::Blocked(Call::Wait(11)),
                    vec![end(4, 7, true)],
                ),
                process(
                    11,
                    "07_broken_pipe",
                    Doing::Blocked(Call::Read(3)),
                    vec![end(3, 7, false)],
                ),
            ],
        };
        let writes = Contract {
            parent_writes: true,
            ..CHAIN
        };
        let cause = hang_cause(&s, None, writes).expect("a cause").text;
        assert!(
            cause.contains("write everything first, then close (drop) the end, and only then wait"),
            "{cause}"
        );
        // Where the parent never writes (04), holding the end is the whole fault.
        let cause = hang_cause(&s, None, CHAIN).expect("a cause").text;
        assert!(
            cause.contains("before the parent reads or waits")
                && !cause.contains("write everything first"),
            "{cause}"
        );
    }
}
