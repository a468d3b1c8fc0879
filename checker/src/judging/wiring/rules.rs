//! Structural checks: one small function per rule, named in the manifest's `wiring.checks`.
//! Each says, when the wiring misses it, what is missing and the likely cause.

use super::model::{ChannelKind, Link, Use, Wiring};
use crate::sandbox::procfs::Object;
use crate::sandbox::trace::{Exit, Happened, Io, Mishap, SAMPLE_BYTES};
use crate::workbook::manifest::Topic;
use nix::sys::signal::Signal;
use std::collections::BTreeSet;
use std::time::Duration;

/// What a rule found missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub problem: String,
    pub cause: String,
    /// What the cause is about, where it is not the rule's own topic (`topic`).
    pub topic: Option<Topic>,
}

fn miss(problem: impl Into<String>, cause: impl Into<String>) -> Result<(), Miss> {
    Err(Miss {
        problem: problem.into(),
        cause: cause.into(),
        topic: None,
    })
}

/// A miss whose cause is about another topic than its rule's.
fn miss_on(topic: Topic, problem: impl Into<String>, cause: impl Into<String>) -> Result<(), Miss> {
    Err(Miss {
        problem: problem.into(),
        cause: cause.into(),
        topic: Some(topic),
    })
}

/// What a rule may need besides the wiring: the run's arguments and the manifest's words.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub args: &'a [String],
    /// The beginnings of the lines that report data received (`wiring.printed_by_readers`).
    pub printed_by_readers: &'a [String],
    /// Those whose rest is the bytes read (`wiring.quoted_by_readers`).
    pub quoted_by_readers: &'a [String],
}

type Rule = fn(&Wiring, &Context) -> Result<(), Miss>;

/// Every rule, by the name the manifest uses, with what it asks for in a few words.
pub const RULES: [(&str, &str, Rule); 42] = [
    (
        "child_process",
        "the program creates a child process",
        child_process,
    ),
    (
        "child_writes_parent_reads",
        "a child writes into a pipe that the program reads",
        child_writes_parent_reads,
    ),
    (
        "reader_closed_write_end",
        "each reader has closed its copy of the write end before it reads",
        reader_closed_write_end,
    ),
    (
        "two_way_channel",
        "data flows both ways between the program and a child",
        two_way_channel,
    ),
    (
        "producer_consumer",
        "a producer child writes into a pipe that a different consumer child reads; the program itself uses neither end",
        producer_consumer,
    ),
    (
        "three_stages",
        "three child processes exec cat, grep and wc",
        three_stages,
    ),
    (
        "stages_chained",
        "cat's stdout is the write end of one pipe whose read end is grep's stdin, and grep's stdout feeds wc's stdin through a second pipe",
        stages_chained,
    ),
    (
        "own_socket_only",
        "each process holds only its own end of a socket pair when it uses it",
        own_socket_only,
    ),
    (
        "framed_both_ways",
        "each message and each reply goes through the channel as a frame (its length in bytes as 4 big-endian bytes, then its bytes), and nothing else does",
        framed_both_ways,
    ),
    (
        "waits_for_each_reply",
        "each side waits for the other: the program sends a message only after it began reading the reply to the one before, and the child replies only after it printed what it got",
        waits_for_each_reply,
    ),
    (
        "closes_before_waiting",
        "the program holds no end of its children's pipes when it waits for them",
        closes_before_waiting,
    ),
    (
        "closes_before_waiting_round_two",
        "the program holds no end of round 2's pipe when it waits for round 2's children",
        closes_before_waiting_round_two,
    ),
    (
        "counts_its_writes",
        "round 1's writer writes one line per write, and the count it prints is the number of writes that succeeded",
        counts_its_writes,
    ),
    (
        "readers_are_children",
        "the program reads none of the pipes: a child of it reads each one",
        readers_are_children,
    ),
    (
        "reader_then_writer",
        "the program waits for round 2's reader before its writer",
        reader_then_writer,
    ),
    (
        "records_framed",
        "each record goes into the queue as its frame: its length n as 4 big-endian bytes, then `{id}:` repeated and cut to n bytes",
        records_framed,
    ),
    (
        "asks_pipe_size",
        "the program asks F_GETPIPE_SZ, prints what the kernel answered, and fills the pipe again until EAGAIN after trying F_SETPIPE_SZ",
        asks_pipe_size,
    ),
    (
        "producers_hold_one_end",
        "each producer holds only the queue's write end when it first writes into it",
        producers_hold_one_end,
    ),
    (
        "closes_inherited_read_ends",
        "each child writing into its pipe holds no read end of another child's pipe",
        closes_inherited_read_ends,
    ),
    (
        "hang_up_found",
        "the child reports the hang-up only after a read of the channel found end-of-file",
        hang_up_found,
    ),
    (
        "stops_after_end",
        "the consumer stops reading at END: none of its reads returns end-of-file",
        stops_after_end,
    ),
    (
        "pauses_before_each_send",
        "the producer pauses before each line it sends, each pause drawn afresh",
        pauses_before_each_send,
    ),
    (
        "sleeps_until_deadlines",
        "each child sleeps until each line's deadline, not for the same length before every line",
        sleeps_until_deadlines,
    ),
    (
        "reader_started_as_told",
        "the FIFO is pipes-lab.fifo, made with mode 0o600, and the reader is this very program started with the arguments --reader pipes-lab.fifo",
        reader_started_as_told,
    ),
    (
        "children_exit_zero",
        "every child of the program exits with status 0",
        children_exit_zero,
    ),
    (
        "waits_for_children",
        "the program waits for each child it started",
        waits_for_children,
    ),
    (
        "waits_for_stages",
        "the program waits for each of its three children",
        waits_for_stages,
    ),
    (
        "lock_per_record",
        "each record is read in its own turn of the lock: the consumers take the lock's token once per record",
        lock_per_record,
    ),
    (
        "no_leaked_ends",
        "every exec'd program starts with no pipe end besides its stdin and stdout",
        no_leaked_ends,
    ),
    (
        "shared_queue",
        "PRODUCERS children write into one pipe that CONSUMERS other children read",
        shared_queue,
    ),
    (
        "fills_pipe",
        "a non-blocking write into a full pipe fails with EAGAIN",
        fills_pipe,
    ),
    (
        "resizes_pipe",
        "the program asks for a new pipe size with F_SETPIPE_SZ",
        resizes_pipe,
    ),
    (
        "broken_pipe",
        "a write fails with EPIPE, and a writer is killed by SIGPIPE",
        broken_pipe,
    ),
    (
        "fifo_between_programs",
        "two programs, one started by the other, share a FIFO opened by its name: one writes, the other reads",
        fifo_between_programs,
    ),
    (
        "started_programs_print_on_stdout",
        "every program the run starts prints on the run's own stdout, inherited",
        started_programs_print_on_stdout,
    ),
    (
        "children_polled",
        "three children each write into their own pipe, which the program reads after asking poll() (or select) which is ready",
        children_polled,
    ),
    (
        "writer_closed_read_end",
        "each writer has closed its copy of the read end before it writes",
        writer_closed_read_end,
    ),
    (
        "readers_print",
        "the lines that report data received are printed by the process that read it",
        readers_print,
    ),
    (
        "refills_after_resize",
        "after F_SETPIPE_SZ the program fills the same pipe again, to its new size",
        refills_after_resize,
    ),
    (
        "poll_blocks",
        "poll() waits until a pipe is ready (no zero timeout in a loop) and hung-up pipes leave the poll set",
        poll_blocks,
    ),
    (
        "child_answers",
        "the child sends back each message upper-cased; the program prints the answer it reads",
        child_answers,
    ),
    (
        "own_pipe_only",
        "each child holds the write end of its own pipe and of no other child's",
        own_pipe_only,
    ),
];

pub fn find(name: &str) -> Option<(&'static str, &'static str, Rule)> {
    RULES.iter().find(|(n, _, _)| *n == name).copied()
}

/// What a rule's miss is about: the fix its cause calls for, which picks the hint.
pub fn topic(name: &str) -> Option<Topic> {
    Some(match name {
        "child_process"
        | "child_writes_parent_reads"
        | "two_way_channel"
        | "producer_consumer"
        | "three_stages"
        | "readers_are_children"
        | "reader_started_as_told"
        | "children_exit_zero"
        | "waits_for_children"
        | "waits_for_stages"
        | "shared_queue"
        | "fifo_between_programs"
        | "started_programs_print_on_stdout"
        | "child_answers" => Topic::Processes,
        "reader_closed_write_end" | "closes_before_waiting" | "closes_before_waiting_round_two" => {
            Topic::Eof
        }
        "own_socket_only"
        | "producers_hold_one_end"
        | "closes_inherited_read_ends"
        | "no_leaked_ends"
        | "own_pipe_only" => Topic::Ends,
        "stages_chained" => Topic::Exec,
        "framed_both_ways" => Topic::Framing,
        "waits_for_each_reply" => Topic::Order,
        "broken_pipe" => Topic::Epipe,
        "counts_its_writes" => Topic::Counting,
        "writer_closed_read_end" => Topic::Sigpipe,
        "reader_then_writer" => Topic::Fifo,
        "records_framed" => Topic::Atomic,
        "lock_per_record" => Topic::Lock,
        "asks_pipe_size" | "resizes_pipe" => Topic::Resize,
        "fills_pipe" => Topic::NonBlocking,
        "refills_after_resize" => Topic::Counting,
        "hang_up_found" => Topic::HangUp,
        "stops_after_end" => Topic::Streaming,
        "pauses_before_each_send" => Topic::Pauses,
        "children_polled" | "poll_blocks" => Topic::Poll,
        _ => return None,
    })
}

/// 02's messages: the arguments, or the lecture's when there are none.
fn messages(c: &Context) -> Vec<String> {
    match c.args.is_empty() {
        true => crate::judging::cases::LECTURE_MESSAGES
            .map(String::from)
            .to_vec(),
        false => c.args.to_vec(),
    }
}

/// Checks `names` in order; the first miss, with what its rule asks for.
pub fn check(
    wiring: &Wiring,
    names: &[String],
    context: &Context,
) -> Result<(), (&'static str, Miss)> {
    for name in names {
        if let Some((_, asks, rule)) = find(name) {
            rule(wiring, context).map_err(|m| {
                let topic = m.topic.or_else(|| topic(name));
                (asks, Miss { topic, ..m })
            })?;
        }
    }
    Ok(())
}

fn children(w: &Wiring) -> Vec<usize> {
    (1..w.nodes.len()).collect()
}

/// Links through pipes, FIFOs or sockets (not the checker's stdout).
fn data_links(w: &Wiring) -> impl Iterator<Item = &Link> {
    w.links
        .iter()
        .filter(|l| !matches!(w.channels[l.channel].kind, ChannelKind::Output(_)))
}

/// The processes that put bytes into a link (a write of nothing does not count), or may have
/// with one-byte writes the X-ray does not stop at.
fn writers(l: &Link) -> BTreeSet<usize> {
    l.writers
        .iter()
        .filter(|u| u.bytes > 0 || u.untraced)
        .map(|u| u.node)
        .collect()
}

/// The processes that got bytes out of a link (end-of-file alone does not count).
fn readers(l: &Link) -> BTreeSet<usize> {
    l.readers
        .iter()
        .filter(|u| u.bytes > 0)
        .map(|u| u.node)
        .collect()
}

fn no_pipe_at_all(w: &Wiring) -> bool {
    !w.channels
        .iter()
        .any(|c| !matches!(c.kind, ChannelKind::Output(_)))
}

fn child_process(w: &Wiring, _: &Context) -> Result<(), Miss> {
    if children(w).is_empty() {
        return miss(
            "no child process was created: the program did all the work in one process",
            "fork() (unsafe { nix::unistd::fork() }) creates the child; the lesson is two processes talking through a pipe",
        );
    }
    Ok(())
}

fn child_writes_parent_reads(w: &Wiring, a: &Context) -> Result<(), Miss> {
    child_process(w, a)?;
    if no_pipe_at_all(w) {
        return miss(
            "no pipe was created: the messages never went through a pipe",
            "create the pipe with nix::unistd::pipe() before fork(), so that both processes get its two ends",
        );
    }
    let found =
        data_links(w).any(|l| readers(l).contains(&0) && writers(l).iter().any(|n| *n != 0));
    if found {
        return Ok(());
    }
    let parent_reads = data_links(w).any(|l| readers(l).contains(&0));
    if !parent_reads {
        return miss(
            "the program never read from a pipe: whatever it printed did not come from its child",
            "the parent keeps the read end and reads the child's messages from it",
        );
    }
    miss(
        "no child wrote into the pipe the program read",
        "the child keeps the write end and writes the messages into it; the parent reads them",
    )
}

fn reader_closed_write_end(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(h) = w.readers_holding_write_end().into_iter().next() else {
        return Ok(());
    };
    miss(
        format!(
            "{} still held {}, fd {}, when it began reading {}",
            w.who(h.node),
            w.describe(&w.links[h.link].write_end, true),
            h.fd,
            w.channels[w.links[h.link].channel].name
        ),
        "a reader sees end-of-file only once every write end is closed, its own copy included: drop (or close) the write end before the read loop",
    )
}

fn two_way_channel(w: &Wiring, a: &Context) -> Result<(), Miss> {
    child_process(w, a)?;
    if no_pipe_at_all(w) {
        return miss(
            "no pipe or socket pair was created: the messages never went between two processes",
            "socketpair() gives two connected ends that both read and write, like Python's duplex Pipe()",
        );
    }
    let flows: BTreeSet<(usize, usize)> = data_links(w)
        .flat_map(|l| {
            let rs = readers(l);
            writers(l)
                .into_iter()
                .flat_map(move |x| rs.clone().into_iter().map(move |y| (x, y)))
        })
        .filter(|(x, y)| x != y)
        .collect();
    if flows.iter().any(|(x, y)| flows.contains(&(*y, *x))) {
        return Ok(());
    }
    miss(
        "data went only one way: no two processes both wrote to and read from each other",
        "the parent sends each message to the child and reads the child's answer back through the same channel",
    )
}

fn producer_consumer(w: &Wiring, a: &Context) -> Result<(), Miss> {
    child_process(w, a)?;
    if no_pipe_at_all(w) {
        return miss(
            "no pipe was created: the producer and the consumer never talked through a pipe",
            "create the pipe before forking the two children",
        );
    }
    for l in data_links(w) {
        let (ws, rs) = (writers(l), readers(l));
        let pair = ws
            .iter()
            .any(|p| *p != 0 && rs.iter().any(|c| *c != 0 && c != p));
        if !pair {
            continue;
        }
        if ws.contains(&0) || rs.contains(&0) {
            let what = if ws.contains(&0) {
                "wrote into"
            } else {
                "read from"
            };
            return miss(
                format!("the program itself {what} {}", w.channels[l.channel].name),
                "the parent only starts the two children, closes both pipe ends and waits; the producer writes and the consumer reads",
            );
        }
        if !matches!(w.channels[l.channel].kind, ChannelKind::Pipe) {
            return miss(
                format!(
                    "the messages went through {}, not through a pipe",
                    w.channels[l.channel].name
                ),
                "make the channel with pipe(): one pipe, a read end for the consumer and a write end for the producer",
            );
        }
        // One way only: the producer reads no channel, the consumer writes into none.
        let (producer, consumer) = (
            *ws.iter().find(|p| **p != 0).unwrap_or(&0),
            *rs.iter().find(|c| **c != 0).unwrap_or(&0),
        );
        for other in data_links(w).filter(|o| o.channel != l.channel) {
            let backwards = [
                (
                    producer,
                    readers(other).contains(&producer),
                    "the producer, read from",
                ),
                (
                    consumer,
                    writers(other).contains(&consumer),
                    "the consumer, wrote into",
                ),
            ];
            if let Some((node, _, did)) = backwards.into_iter().find(|b| b.1) {
                return miss(
                    format!(
                        "{}, {did} {} as well",
                        w.who(node),
                        w.channels[other.channel].name
                    ),
                    "the producer only writes and the consumer only reads: nothing goes back from the consumer to the producer",
                );
            }
        }
        return messages_through(w, l, a.args);
    }
    if let Some(l) =
        data_links(w).find(|l| readers(l).contains(&0) && writers(l).iter().any(|n| *n != 0))
    {
        return miss(
            format!(
                "the program itself read {} from its producer child: there was no consumer child",
                w.channels[l.channel].name
            ),
            "fork a second child, the consumer, that reads and prints; the parent only closes both pipe ends and waits for the two children",
        );
    }
    miss(
        "no producer child wrote into a pipe that a different consumer child read",
        "fork two children: one that only writes (the producer) and one that only reads and prints (the consumer)",
    )
}

/// Each message went through the link, as the X-ray kept what its writers put in: a pipe that
/// carries only doorbells while the messages take another way (shared memory, a file) fails.
/// Where some bytes were not kept (past the sample, or not by plain writes), it says nothing.
fn messages_through(w: &Wiring, l: &Link, messages: &[String]) -> Result<(), Miss> {
    let sent: Vec<&Io> = w
        .trace
        .io
        .iter()
        .filter(|io| io.writes && io.object == l.write_end)
        .collect();
    let all_kept = sent
        .iter()
        .all(|io| (io.sample.len() as u64) == io.bytes && io.sample.len() < SAMPLE_BYTES);
    if l.untraced > 0 || !all_kept {
        return Ok(());
    }
    let carried = |m: &String| {
        let m = m.as_bytes();
        m.is_empty()
            || sent
                .iter()
                .any(|io| io.sample.windows(m.len()).any(|b| b == m))
    };
    match messages.iter().find(|m| !carried(m)) {
        None => Ok(()),
        Some(m) => miss(
            format!(
                "the message {m:?} never went through {}: the consumer printed it, but the producer did not write it into the pipe",
                w.channels[l.channel].name
            ),
            "the producer writes each message itself into the pipe, and the consumer prints what it reads from there",
        ),
    }
}

/// The child of the program itself that exec'd `name`.
fn stage(w: &Wiring, name: &str) -> Option<usize> {
    w.nodes
        .iter()
        .position(|n| n.execed && n.parent == Some(0) && n.program == name)
}

fn three_stages(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let missing: Vec<&str> = ["cat", "grep", "wc"]
        .into_iter()
        .filter(|s| stage(w, s).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let elsewhere: Vec<String> = missing
        .iter()
        .filter_map(|name| {
            let n = w
                .nodes
                .iter()
                .position(|n| n.execed && n.program == *name)?;
            Some(match w.nodes[n].parent {
                Some(parent) => format!("{name} was started by {}", w.who(parent)),
                None => format!("the program itself became {name}"),
            })
        })
        .collect();
    let elsewhere = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(" ({})", elsewhere.join(", "))
    };
    miss(
        format!(
            "no child of the program exec'd {}{elsewhere}",
            missing.join(" or ")
        ),
        "the program does the shell's work: it forks each stage itself, and each child replaces itself with the real program (execvp, or Command::new(\"cat\")...); no `sh -c`, and the program does not become a stage",
    )
}

fn stages_chained(w: &Wiring, a: &Context) -> Result<(), Miss> {
    three_stages(w, a)?;
    let fd_of = |node: usize, fd: i32| {
        w.trace.procs[node]
            .execs
            .last()
            .and_then(|e| e.fds.iter().find(|f| f.fd == fd))
            .cloned()
    };
    let [cat, grep, wc] = ["cat", "grep", "wc"].map(|s| stage(w, s).unwrap_or(0));
    let joined = |from: usize, to: usize| match (fd_of(from, 1), fd_of(to, 0)) {
        (Some(out), Some(inp)) => {
            out.object == inp.object
                && matches!(out.object, Object::Pipe(_))
                && out.writes
                && inp.reads
        }
        _ => false,
    };
    for (from, to, a, b) in [(cat, grep, "cat", "grep"), (grep, wc, "grep", "wc")] {
        if !joined(from, to) {
            let shown = |node: usize, fd: i32| {
                fd_of(node, fd).map_or("nothing".to_string(), |f| w.describe(&f.object, fd == 1))
            };
            return miss(
                format!(
                    "{a}'s stdout was {} and {b}'s stdin was {}: not the two ends of one pipe",
                    shown(from, 1),
                    shown(to, 0)
                ),
                "in each child, dup2 the pipe's write end onto 1 (stdout) before exec'ing the writer stage, and the read end onto 0 (stdin) before exec'ing the reader stage",
            );
        }
    }
    Ok(())
}

fn waits_for_stages(w: &Wiring, a: &Context) -> Result<(), Miss> {
    three_stages(w, a)?;
    let waited = &w.trace.procs[0].waited_for;
    let missed: Vec<String> = ["cat", "grep", "wc"]
        .into_iter()
        .filter_map(|name| {
            let node = stage(w, name)?;
            (!waited.contains(&w.nodes[node].pid)).then(|| w.who(node))
        })
        .collect();
    if missed.is_empty() {
        return Ok(());
    }
    miss(
        format!(
            "the program ended without waiting for {}",
            missed.join(" or ")
        ),
        "after closing its four pipe ends, wait for each child (waitpid on each pid it forked, or Child::wait): a child nobody waits for stays a zombie, and the program cannot know wc's status",
    )
}

fn closes_before_waiting(w: &Wiring, _: &Context) -> Result<(), Miss> {
    held_while_waiting(w, 0)
}

/// 07: round 1's parent may wait for its reader still holding round 1's write end (the
/// contract does not ask it to close it); from the second wait on, it holds nothing.
fn closes_before_waiting_round_two(w: &Wiring, _: &Context) -> Result<(), Miss> {
    held_while_waiting(w, 1)
}

/// The first end of a channel its children used that the program still held when a wait of
/// its (from the `skip`-th on) returned a child.
fn held_while_waiting(w: &Wiring, skip: usize) -> Result<(), Miss> {
    let p = &w.trace.procs[0];
    for (pid, held) in p.waited_for.iter().zip(&p.waited_holding).skip(skip) {
        for f in held {
            let Some(l) = data_links(w).find(|l| {
                (l.write_end == f.object || l.read_end == f.object)
                    && l.writers.iter().chain(&l.readers).any(|u| u.node != 0)
            }) else {
                continue;
            };
            let end = w.describe(&f.object, f.writes && !f.reads);
            let child = w.node_of(*pid).map_or(format!("pid {pid}"), |n| w.who(n));
            return miss(
                format!(
                    "P1 (the program) still held {end}, fd {}, when it waited for {child}",
                    f.fd
                ),
                format!(
                    "the parent closes every end of {} before it waits: while it holds a write end, the reader never sees end-of-file; while it holds a read end, a writer whose reader is gone is not told",
                    w.channels[l.channel].name
                ),
            );
        }
    }
    Ok(())
}

fn counts_its_writes(w: &Wiring, _: &Context) -> Result<(), Miss> {
    const SAID: &str = "writer: EPIPE after ";
    let printed = w.trace.procs.iter().enumerate().find_map(|(node, p)| {
        let said = p.printed.iter().find_map(|l| {
            l.line
                .strip_prefix(SAID)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })?;
        Some((node, said))
    });
    let Some((node, said)) = printed else {
        return Ok(());
    };
    if node != 0 {
        return miss(
            format!(
                "`{SAID}{said} lines` was printed by {}, not by the program",
                w.who(node)
            ),
            "in round 1 the parent itself is the writer: it writes the lines into the pipe until a write fails with EPIPE, and reports it",
        );
    }
    let p = &w.trace.procs[0];
    // Round 1's pipe: the one the program wrote into until a write failed with EPIPE.
    let Some(io) = w
        .trace
        .io
        .iter()
        .find(|io| io.writes && io.pid == p.pid && io.errors.contains_key("EPIPE"))
    else {
        return miss(
            format!(
                "P1 (the program) printed `{SAID}{said} lines`, but none of its own writes failed with EPIPE"
            ),
            "in round 1 the parent itself is the writer: it writes the lines into the pipe until a write fails with EPIPE",
        );
    };
    let failed: u64 = io.errors.values().sum();
    let succeeded = io.calls.saturating_sub(failed);
    let complete = io.sample.len() as u64 == io.bytes && io.sample.len() < SAMPLE_BYTES;
    let lines = io.sample.iter().filter(|b| **b == b'\n').count() as u64;
    let name = w
        .channel_of(&io.object)
        .map_or("the pipe".to_string(), |c| w.channels[c].name.clone());
    if complete && lines != succeeded {
        return miss(
            format!("P1 (the program) wrote {lines} lines into {name} in {succeeded} writes"),
            "write each line with one call (build `line N\\n` first, then one write_all of it): the count you print is the number of writes that succeeded",
        );
    }
    if said != succeeded {
        return miss(
            format!(
                "P1 (the program) printed `{SAID}{said} lines`, but {succeeded} of its writes into {name} succeeded"
            ),
            "count a line only once its write succeeded, and stop at the first EPIPE without counting it",
        );
    }
    Ok(())
}

fn readers_are_children(w: &Wiring, _: &Context) -> Result<(), Miss> {
    match data_links(w).find(|l| readers(l).contains(&0)) {
        None => Ok(()),
        Some(l) => miss(
            format!(
                "P1 (the program) read {} itself",
                w.channels[l.channel].name
            ),
            "fork a reader child for each round: the child reads and prints the lines, the parent only writes (round 1) or waits (round 2)",
        ),
    }
}

fn reader_then_writer(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let waited = &w.trace.procs[0].waited_for;
    let at = |node: usize| waited.iter().position(|pid| *pid == w.nodes[node].pid);
    for l in data_links(w) {
        let (ws, rs) = (writers(l), readers(l));
        for writer in ws.iter().filter(|n| **n != 0) {
            for reader in rs.iter().filter(|n| **n != 0 && *n != writer) {
                if let (Some(r), Some(x)) = (at(*reader), at(*writer))
                    && x < r
                {
                    return miss(
                        format!(
                            "the program waited for {} before {}",
                            w.who(*writer),
                            w.who(*reader)
                        ),
                        "round 2: wait for the reader first (it ends once it has its lines, and its exit is what breaks the pipe), then for the writer",
                    );
                }
            }
        }
    }
    Ok(())
}

/// 05's queue: the channel that carried the most bytes (the lock's carries one a turn).
fn busiest_link(w: &Wiring) -> Option<&Link> {
    data_links(w).max_by_key(|l| l.writers.iter().map(|u| u.bytes).sum::<u64>())
}

/// 05: record `i` of producer `p` as its frame: its length, 4 bytes big-endian, then its body.
fn record_frame(p: u64, i: u64) -> Vec<u8> {
    let n = 4092 - ((37 * i + 11 * p) % 600);
    let id = format!("p{p}-{i}:");
    let body = id.bytes().cycle().take(n as usize);
    (n as u32).to_be_bytes().into_iter().chain(body).collect()
}

fn records_framed(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(queue) = busiest_link(w) else {
        return Ok(());
    };
    let sent = w.trace.io.iter().filter(|io| {
        io.writes && io.object == queue.write_end && w.node_of(io.pid).is_some_and(|n| n != 0)
    });
    for io in sent {
        let who = w
            .node_of(io.pid)
            .map_or(format!("pid {}", io.pid), |n| w.who(n));
        let mut at = 0;
        // Record by record, as far as the X-ray kept what this producer wrote.
        while at + 4 <= io.sample.len() {
            let header = [
                io.sample[at],
                io.sample[at + 1],
                io.sample[at + 2],
                io.sample[at + 3],
            ];
            let n = u32::from_be_bytes(header) as usize;
            let body = &io.sample[at + 4..io.sample.len().min(at + 4 + n)];
            let id = body.split(|b| *b == b':').next().unwrap_or_default();
            let parsed = std::str::from_utf8(id).ok().and_then(|id| {
                let (p, i) = id.strip_prefix('p')?.split_once('-')?;
                Some((p.parse::<u64>().ok()?, i.parse::<u64>().ok()?))
            });
            let Some((p, i)) = parsed.filter(|_| (1..=4096).contains(&n)) else {
                let little = u32::from_le_bytes(header) as usize;
                if parsed.is_some() && (1..=4096).contains(&little) {
                    return miss(
                        format!(
                            "{who} wrote the length of a frame at byte {at} of what it sent as {little} little-endian: read big-endian, as the consumers read it, it is {n}"
                        ),
                        "write the length as 4 big-endian bytes: (n as u32).to_be_bytes()",
                    );
                }
                return miss(
                    format!(
                        "{who} wrote a frame at byte {at} of what it sent whose header reads {n} and whose body does not begin with an id `p{{p}}-{{i}}:`"
                    ),
                    "each frame is the body's length n as 4 big-endian bytes (u32::to_be_bytes), then the body: `{id}:` repeated and cut to n bytes",
                );
            };
            let expected = record_frame(p, i);
            let got = &io.sample[at..io.sample.len().min(at + expected.len())];
            if let Some(k) = got.iter().zip(&expected).position(|(a, b)| a != b) {
                let place = if k < 4 { "length" } else { "body" };
                return miss(
                    format!(
                        "{who} sent record p{p}-{i} with a wrong {place}: byte {k} of its frame is 0x{:02x}, where the contract's frame has 0x{:02x} (n = {})",
                        got[k],
                        expected[k],
                        expected.len() - 4
                    ),
                    "the body of record i of producer p is n = 4092 - ((37*i + 11*p) % 600) bytes: `p{p}-{i}:` repeated and cut to n bytes, after n as 4 big-endian bytes",
                );
            }
            at += expected.len();
        }
    }
    Ok(())
}

fn asks_pipe_size(w: &Wiring, _: &Context) -> Result<(), Miss> {
    const SAID: &str = "F_GETPIPE_SZ: ";
    let answers: Vec<i64> = w.trace.pipe_size_answers.iter().map(|(_, a)| *a).collect();
    if answers.is_empty() {
        return miss(
            "the program never asked the kernel for the pipe's size (fcntl F_GETPIPE_SZ)",
            "call fcntl(&write_end, FcntlArg::F_GETPIPE_SZ) on the full pipe and print what it returns: the second line reports the kernel's answer, not a number you know",
        );
    }
    let printed = w.trace.procs[0].printed.iter().find_map(|l| {
        l.line
            .strip_prefix(SAID)?
            .split(' ')
            .next()?
            .parse::<i64>()
            .ok()
    });
    if let Some(said) = printed.filter(|n| !answers.contains(n)) {
        return miss(
            format!(
                "the program printed `{SAID}{said} bytes`, but F_GETPIPE_SZ answered {}",
                answers
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "print the number F_GETPIPE_SZ returned, as it returned it",
        );
    }
    // Two fills, each until EAGAIN, the second after F_SETPIPE_SZ was tried, granted or not
    // (a fill a byte at a time shows no EAGAIN: those runs are judged by the pipe's fill).
    let untraced = filled_untraced(w);
    let eagains: u64 = w
        .trace
        .io
        .iter()
        .filter(|io| io.writes)
        .filter_map(|io| io.errors.get("EAGAIN"))
        .sum();
    if !untraced && !w.trace.pipe_resizes.is_empty() && eagains < 2 {
        return miss(
            format!(
                "writes into the pipe failed with EAGAIN {eagains} time(s): it was not filled again after F_SETPIPE_SZ"
            ),
            "after trying F_SETPIPE_SZ, granted or refused, write into the same pipe again until a write fails with EAGAIN, and print the total",
        );
    }
    Ok(())
}

fn producers_hold_one_end(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(queue) = busiest_link(w) else {
        return Ok(());
    };
    let channel_ends: Vec<&Object> = data_links(w)
        .flat_map(|l| [&l.write_end, &l.read_end])
        .collect();
    for u in queue.writers.iter().filter(|u| u.node != 0 && u.bytes > 0) {
        let other = u.held.iter().find(|f| {
            channel_ends.contains(&&f.object)
                && !(f.object == queue.write_end && f.writes && !f.reads)
        });
        if let Some(f) = other {
            return miss(
                format!(
                    "{}, a producer, still held {}, fd {}, when it first wrote into {}",
                    w.who(u.node),
                    w.describe(&f.object, f.writes && !f.reads),
                    f.fd,
                    w.channels[queue.channel].name
                ),
                "a producer keeps only the queue's write end: close the queue's read end and both ends of the lock pipe before it writes (a read end held by a producer keeps the queue readable after the consumers are gone; a lock end lets it take part in the lock)",
            );
        }
    }
    Ok(())
}

/// 02: the child learns that the parent hung up from a read that returns end-of-file (the
/// X-ray waits for every read's result here: `WiringSpec::awaits_reads`), not from a count it
/// knew beforehand.
fn hang_up_found(w: &Wiring, _: &Context) -> Result<(), Miss> {
    const HUNG_UP: &str = "child: parent hung up";
    for (node, p) in w.trace.procs.iter().enumerate() {
        if !p.printed.iter().any(|l| l.line.starts_with(HUNG_UP)) {
            continue;
        }
        // A read that failed (ECONNRESET: the parent left with replies unread) also ended
        // the loop from the channel, not from a count; the output shows what went wrong.
        let found = w.trace.io.iter().any(|io| {
            io.pid == p.pid
                && !io.writes
                && (io.ends_of_file > 0 || !io.errors.is_empty())
                && !w.trace.output.contains(&io.object)
        });
        if !found {
            return miss(
                format!(
                    "{} printed `{HUNG_UP}`, but none of its reads of the channel returned end-of-file",
                    w.who(node)
                ),
                "print it when the receive of a frame's first byte finds end-of-file (read returns 0): that is the parent hanging up. Counting the messages instead stops at a number the parent never sent",
            );
        }
    }
    Ok(())
}

/// 03: END is the last message, so a consumer that stops at it never sees end-of-file, which
/// only comes once the producer has closed its write end. (The X-ray waits for every read's
/// result in this exercise: `WiringSpec::awaits_reads`.)
fn stops_after_end(w: &Wiring, _: &Context) -> Result<(), Miss> {
    // Where the X-ray made the producer die before END, end-of-file is where the consumer
    // must stop.
    if matches!(w.trace.mishap, Some(Mishap::ExitsInstead { .. })) {
        return Ok(());
    }
    let past = w
        .trace
        .io
        .iter()
        .find(|io| !io.writes && io.ends_of_file > 0 && !w.trace.output.contains(&io.object));
    let Some(node) = past.and_then(|io| w.node_of(io.pid)) else {
        return Ok(());
    };
    miss(
        format!(
            "{} read on after END: one of its reads of the pipe returned end-of-file (0 bytes), which only comes once every write end is closed",
            w.who(node)
        ),
        "the consumer stops at the END line: leave the loop when the line is END, instead of reading on until end-of-file",
    )
}

fn pauses_before_each_send(w: &Wiring, _: &Context) -> Result<(), Miss> {
    if w.trace.timeline_full {
        return Ok(());
    }
    // The producer: a child writing into a pipe another child reads.
    let found = data_links(w).find_map(|l| {
        let (ws, rs) = (writers(l), readers(l));
        let producer = *ws
            .iter()
            .find(|p| **p != 0 && rs.iter().any(|c| *c != 0 && c != *p))?;
        let io = w.trace.io.iter().find(|io| {
            io.writes && io.object == l.write_end && w.node_of(io.pid) == Some(producer)
        })?;
        Some((producer, io))
    });
    let Some((producer, io)) = found else {
        return Ok(());
    };
    let events: Vec<&Happened> = w.trace.events_of(io.pid).map(|m| &m.what).collect();
    // With the scale unset the pauses last seconds: the X-ray notes the lengths asked for and
    // lets the program sleep a fraction of them.
    let unscaled = matches!(w.trace.mishap, Some(Mishap::PausesShortened { .. }));
    // No pause at all is a scale of 0 (std makes no call for a sleep of nothing), or a
    // producer the timing of the lines judges.
    if !events.iter().any(|e| matches!(e, Happened::Slept { .. })) {
        if unscaled {
            return miss(
                format!(
                    "{}, the producer, never paused (the X-ray saw no sleep) with PIPES_LAB_TIME_SCALE unset",
                    w.who(producer)
                ),
                "when PIPES_LAB_TIME_SCALE is not set the scale is 1: each pause lasts 1-2 s",
            );
        }
        return Ok(());
    }
    let (mut written, mut paused, mut pause) = (0u64, false, Duration::ZERO);
    let mut pauses: Vec<Duration> = Vec::new();
    let mut line = 0;
    for moment in w.trace.events_of(io.pid) {
        match &moment.what {
            Happened::Slept { until, asked } => {
                paused = true;
                pause += asked.unwrap_or_else(|| until.saturating_sub(moment.at));
            }
            Happened::Wrote { object, total, .. } if *object == io.object => {
                let start = written as usize;
                let end = (*total as usize).min(io.sample.len());
                written = *total;
                if start >= end {
                    continue;
                }
                let begins_line = start == 0 || io.sample.get(start - 1) == Some(&b'\n');
                let lines = io.sample[start..end]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                if begins_line {
                    line += 1;
                    if !paused {
                        return miss(
                            format!(
                                "{}, the producer, sent line {line} with no pause before it",
                                w.who(producer)
                            ),
                            "sleep before each send, END included: draw the pause, sleep, then write that one line at once",
                        );
                    }
                    pauses.push(pause);
                    (paused, pause) = (false, Duration::ZERO);
                }
                if lines > 1 {
                    return miss_on(
                        Topic::Buffering,
                        format!(
                            "{}, the producer, sent {lines} lines in one write",
                            w.who(producer)
                        ),
                        "write each message on its own, right after its own pause: a BufWriter (or one write of several lines) holds lines back and sends them together",
                    );
                }
            }
            _ => {}
        }
    }
    // Unscaled, each pause asks for 1-2 s (a millisecond either side for rounding).
    let unscaled_pause = Duration::from_millis(999)..=Duration::from_millis(2001);
    if let Some(p) = pauses
        .iter()
        .find(|p| unscaled && !unscaled_pause.contains(p))
    {
        return miss(
            format!(
                "{}, the producer, paused {:.3} s before a line with PIPES_LAB_TIME_SCALE unset",
                w.who(producer),
                p.as_secs_f64()
            ),
            "when PIPES_LAB_TIME_SCALE is not set the scale is 1: each pause is uniform in [1, 2) seconds",
        );
    }
    // Pauses drawn at random are never all the same length.
    let shortest = pauses.iter().min().copied().unwrap_or_default();
    let longest = pauses.iter().max().copied().unwrap_or_default();
    if pauses.len() >= 3 && !shortest.is_zero() && (longest - shortest) * 50 < shortest {
        return miss(
            format!(
                "the {} pauses of {}, the producer, all lasted {:.3} s",
                pauses.len(),
                w.who(producer),
                shortest.as_secs_f64()
            ),
            "draw each pause afresh: rand::rng().random_range(1.0..2.0) seconds (a float range; 1..2 is a range of whole numbers, always 1) times the scale",
        );
    }
    Ok(())
}

fn sleeps_until_deadlines(w: &Wiring, _: &Context) -> Result<(), Miss> {
    for node in (1..w.nodes.len()).filter(|&n| w.nodes[n].parent == Some(0)) {
        // The lengths it asked for: a sleep until a deadline asks for what is left of it,
        // which the time spent writing shortens by a little, never twice the same.
        let asked: Vec<Duration> = w
            .trace
            .events_of(w.nodes[node].pid)
            .filter_map(|m| match m.what {
                Happened::Slept { asked, .. } => asked,
                _ => None,
            })
            .filter(|d| !d.is_zero())
            .collect();
        if asked.len() >= 2 && asked.iter().all(|d| *d == asked[0]) {
            return miss(
                format!(
                    "{} slept {} times for exactly {:.3} s each",
                    w.who(node),
                    asked.len(),
                    asked[0].as_secs_f64()
                ),
                "sleep until each line's deadline, counted from the child's start (start + j x period, minus Instant::now()), not for the period before each line: the small delays of writing add up",
            );
        }
    }
    Ok(())
}

fn reader_started_as_told(w: &Wiring, _: &Context) -> Result<(), Miss> {
    const FIFO: &str = "pipes-lab.fifo";
    let named = w
        .channels
        .iter()
        .flat_map(|c| &c.objects)
        .find_map(|o| match o {
            Object::Fifo(_, path) => Some(path.rsplit('/').next().unwrap_or(path)),
            _ => None,
        });
    if let Some(name) = named.filter(|n| *n != FIFO) {
        return miss(
            format!("the FIFO was called {name}, not {FIFO}"),
            format!(
                "make the FIFO {FIFO} in the current directory, with that name exactly: the checker looks for it there"
            ),
        );
    }
    if let Some((pid, path, mode)) = w.trace.fifos_made.iter().find(|(_, _, m)| *m != 0o600) {
        let who = w.node_of(*pid).map_or(format!("pid {pid}"), |n| w.who(n));
        return miss(
            format!("{who} made the FIFO {path} with mode {mode:#o}, not 0o600"),
            "make the FIFO readable and writable by its owner alone: mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR), which is 0o600",
        );
    }
    let own = w.trace.procs[0].program();
    for node in (1..w.nodes.len()).filter(|&n| w.nodes[n].execed) {
        let p = &w.trace.procs[node];
        let Some(exec) = p.execs.last() else {
            continue;
        };
        if p.program() != own {
            return miss(
                format!(
                    "{} ran {}, not this program again",
                    w.who(node),
                    p.program().unwrap_or("another program")
                ),
                "start the reader as a second copy of this very program: Command::new(std::env::current_exe()?)",
            );
        }
        if exec.argv.get(1..) != Some(&["--reader".to_string(), FIFO.to_string()][..]) {
            return miss(
                format!(
                    "{} was started with the arguments {:?}, not [\"--reader\", \"{FIFO}\"]",
                    w.who(node),
                    exec.argv.get(1..).unwrap_or_default()
                ),
                format!(
                    "give the reader two arguments, `--reader` and `{FIFO}`: .args([\"--reader\", \"{FIFO}\"])"
                ),
            );
        }
    }
    Ok(())
}

fn children_exit_zero(w: &Wiring, _: &Context) -> Result<(), Miss> {
    for node in (1..w.nodes.len()).filter(|&n| w.nodes[n].parent == Some(0)) {
        match w.nodes[node].exit {
            Some(Exit::Code(0)) | None => {}
            Some(Exit::Code(code)) => {
                return miss(
                    format!("{} exited with status {code}", w.who(node)),
                    "each child ends with status 0 once its work is done: std::process::exit(0)",
                );
            }
            Some(Exit::Signal(sig)) => {
                return miss(
                    format!("{} was killed by {}", w.who(node), sig.as_str()),
                    "each child ends with status 0 once its work is done: std::process::exit(0)",
                );
            }
        }
    }
    Ok(())
}

fn waits_for_children(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let waited = &w.trace.procs[0].waited_for;
    let missed: Vec<String> = (1..w.nodes.len())
        .filter(|&i| w.nodes[i].parent == Some(0) && !waited.contains(&w.nodes[i].pid))
        .map(|i| w.who(i))
        .collect();
    if missed.is_empty() {
        return Ok(());
    }
    miss(
        format!(
            "the program ended without waiting for {}",
            missed.join(" or ")
        ),
        "wait for each child it started (waitpid on the pid fork returned, or Child::wait) before it ends: the status it reports must come from that wait, and a child nobody waits for stays a zombie",
    )
}

fn started_programs_print_on_stdout(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(stdout) = w.trace.output.first() else {
        return Ok(());
    };
    for node in (1..w.nodes.len()).filter(|&i| w.nodes[i].execed) {
        let Some(out) = w.trace.procs[node]
            .execs
            .last()
            .and_then(|e| e.fds.iter().find(|f| f.fd == 1))
        else {
            continue;
        };
        if out.object != *stdout {
            return miss(
                format!(
                    "{} started with {} as its stdout, not the run's stdout",
                    w.who(node),
                    w.describe(&out.object, true)
                ),
                "start the second program with its stdout inherited (Command's default): it prints its own lines on the run's stdout; the writer must not take them and print them itself",
            );
        }
    }
    Ok(())
}

fn no_leaked_ends(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(leak) = w.leaks.first() else {
        return Ok(());
    };
    let more = match w.leaks.len() - 1 {
        0 => String::new(),
        n => format!("; {n} more pipe end(s) leaked into the stages"),
    };
    miss(
        format!(
            "{} started {} with fd {}, {}, which it has no use for{more}",
            w.who(leak.node),
            w.nodes[leak.node].program,
            leak.fd,
            leak.what,
        ),
        "after dup2, close every pipe descriptor before exec (or create the pipes with O_CLOEXEC): a stage holding a write end of its own input never sees end-of-file",
    )
}

fn shared_queue(w: &Wiring, args: &Context) -> Result<(), Miss> {
    child_process(w, args)?;
    let number = |i: usize| {
        args.args
            .get(i)
            .and_then(|a| a.parse::<usize>().ok())
            .unwrap_or(1)
    };
    let (producers, consumers) = (number(0), number(1));
    let best = data_links(w)
        .map(|l| {
            let ws: BTreeSet<usize> = writers(l).into_iter().filter(|n| *n != 0).collect();
            // A consumer that found the queue empty got no bytes, but it read: it counts.
            let rs: BTreeSet<usize> = l
                .readers
                .iter()
                .map(|u| u.node)
                .filter(|n| *n != 0)
                .collect();
            (ws.difference(&rs).count(), rs.difference(&ws).count(), l)
        })
        .max_by_key(|(p, c, _)| p.min(&producers) + c.min(&consumers));
    match best {
        Some((p, c, _)) if p >= producers && c >= consumers => Ok(()),
        Some((p, c, l)) => miss(
            format!(
                "the busiest pipe, {}, had {p} producer child(ren) writing and {c} consumer child(ren) reading; {producers} and {consumers} were asked for",
                w.channels[l.channel].name
            ),
            "fork PRODUCERS children that only write records into the one queue pipe and CONSUMERS other children that only read from it",
        ),
        None => miss(
            "no pipe carried data between the children",
            "make one pipe (the queue) before forking; producers write into it, consumers read from it",
        ),
    }
}

/// 05: a turn of the lock for each record. The lock is the pipe besides the queue that a
/// consumer both takes bytes out of and puts back into; each turn takes its token byte out.
/// A program with a lock of another kind (a file lock, say) is not judged here.
fn lock_per_record(w: &Wiring, args: &Context) -> Result<(), Miss> {
    let number = |i: usize| {
        args.args
            .get(i)
            .and_then(|a| a.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let records = number(0) * number(2);
    let Some(queue) = busiest_link(w) else {
        return Ok(());
    };
    let lock = data_links(w)
        .filter(|l| l.channel != queue.channel)
        .find(|l| {
            let takers = readers(l);
            writers(l).iter().any(|n| *n != 0 && takers.contains(n))
        });
    let Some(lock) = lock else {
        return Ok(());
    };
    // A turn ends with the token written back; the reads that take it may go unseen (one
    // byte at a time), so the count is the larger of the two.
    let by_children =
        |uses: &[Use]| -> u64 { uses.iter().filter(|u| u.node != 0).map(|u| u.bytes).sum() };
    let turns = by_children(&lock.readers).max(by_children(&lock.writers) + lock.untraced);
    if turns >= records {
        return Ok(());
    }
    miss(
        format!(
            "the consumers took the lock ({}) {turns} time(s) for {records} records: a consumer read several records in one turn",
            w.channels[lock.channel].name
        ),
        "take the lock before each record's header and release it (write the token back) right after that record's body, then take it again for the next: a consumer that keeps it until end-of-file leaves the others nothing to do",
    )
}

fn errors_on_writes(w: &Wiring, errno: &str) -> bool {
    data_links(w).any(|l| l.writers.iter().any(|u| u.errors.contains_key(errno)))
}

/// A pipe held more bytes when it was resized than the traced writes had put in: the program
/// filled it a byte at a time, with writes the X-ray lets through unseen (`fill_loop`).
fn filled_untraced(w: &Wiring) -> bool {
    w.trace.pipe_resizes.iter().any(|r| {
        let Some(((_, held), object)) = r.before.zip(r.object.as_ref()) else {
            return false;
        };
        let traced: u64 = w
            .trace
            .io
            .iter()
            .filter(|io| io.writes && io.object == *object)
            .map(|io| io.bytes)
            .sum();
        traced < held
    })
}

fn fills_pipe(w: &Wiring, _: &Context) -> Result<(), Miss> {
    if no_pipe_at_all(w) {
        return miss(
            "no pipe was created: the sizes printed were not measured",
            "make a pipe with nix::unistd::pipe() and fill it",
        );
    }
    // A pipe filled a byte at a time shows no EAGAIN (one-byte writes go untraced), but the
    // kernel said it was full when it was resized, with its write end non-blocking. Only for
    // such a fill: a program that stops at the size it knows never learns it by a failed write.
    let untraced = filled_untraced(w);
    if errors_on_writes(w, "EAGAIN")
        || (untraced
            && w.trace
                .pipe_resizes
                .iter()
                .any(|r| r.nonblocking && r.full_before() == Some(true)))
    {
        return Ok(());
    }
    miss(
        "no write into a pipe failed with EAGAIN: the program never found out by itself how much the pipe holds",
        "set O_NONBLOCK on the write end and write until a write fails with EAGAIN; the bytes written until then are the capacity",
    )
}

fn resizes_pipe(w: &Wiring, _: &Context) -> Result<(), Miss> {
    if !w.trace.pipe_resizes.is_empty() {
        return Ok(());
    }
    miss(
        "the program never asked for a new pipe size (fcntl F_SETPIPE_SZ)",
        "call fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) and print the size the kernel returns",
    )
}

fn broken_pipe(w: &Wiring, a: &Context) -> Result<(), Miss> {
    child_process(w, a)?;
    // The write that SIGPIPE kills fails with EPIPE too: round 1's must come from a writer
    // that lived on.
    let survived_epipe = data_links(w).any(|l| {
        l.writers.iter().any(|u| {
            u.errors.contains_key("EPIPE")
                && w.nodes[u.node].exit != Some(Exit::Signal(Signal::SIGPIPE))
        })
    });
    if !survived_epipe {
        return miss(
            "no writer saw a write fail with EPIPE and lived on: round 1's writer never met a pipe whose readers were all gone",
            "round 1: the writer keeps writing after the reader exits (and after the parent closed its read end) until write fails with EPIPE",
        );
    }
    let killed: Vec<usize> = (0..w.nodes.len())
        .filter(|n| w.nodes[*n].exit == Some(Exit::Signal(Signal::SIGPIPE)))
        .collect();
    if w.trace.injected.mishaps > 0 {
        // The X-ray made round 2's writer exit before its fatal write: the other cases judge
        // its SIGPIPE.
        return Ok(());
    }
    if killed.is_empty() {
        return miss(
            "no process was killed by SIGPIPE",
            "round 2: the writer child restores the default SIGPIPE action before writing, so the failing write kills it",
        );
    }
    // The kernel sends SIGPIPE at the write that finds no reader: a SIGPIPE that a process of
    // the program sent (kill, raise) or arranged (a timer, F_SETSIG, a death signal) did not
    // come from a broken pipe. Judged by the senders, not by whether the failing write was seen.
    for n in killed {
        let senders = w.trace.senders_of(Signal::SIGPIPE, w.trace.procs[n].pid);
        let Some(sender) = senders.first().and_then(|pid| w.node_of(*pid)) else {
            continue;
        };
        let by = match sender == n {
            true => "it sent itself".to_string(),
            false => format!("{} sent it", w.who(sender)),
        };
        return miss(
            format!(
                "{} was killed by a SIGPIPE {by} (kill, raise, or a timer or other signal it arranged): the signal did not come from a broken pipe",
                w.who(n)
            ),
            "round 2: keep writing until a write meets the closed pipe; with SIGPIPE's default action restored, the kernel kills the writer at that write (do not send the signal yourself)",
        );
    }
    Ok(())
}

fn fifo_between_programs(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let fifos: Vec<&Object> = w
        .channels
        .iter()
        .filter(|c| matches!(c.kind, ChannelKind::Fifo(_)))
        .flat_map(|c| &c.objects)
        .collect();
    if fifos.is_empty() {
        return miss(
            "no FIFO was opened: the messages did not go through a named pipe",
            "mkfifo makes the FIFO; the writer opens it for writing, the reader (a second copy of the program) for reading",
        );
    }
    for object in fifos {
        let held = |writes: bool| -> BTreeSet<usize> {
            w.trace
                .procs
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.gained
                        .iter()
                        .any(|f| f.object == *object && f.writes == writes && f.reads != writes)
                })
                .map(|(i, _)| i)
                .collect()
        };
        let (ws, rs) = (held(true), held(false));
        let opened_apart = ws.iter().any(|x| rs.iter().any(|y| x != y));
        let second_program = rs.iter().chain(&ws).any(|n| w.nodes[*n].execed);
        if opened_apart && second_program {
            // Opened is not used: the messages must go through it. A reader that failed
            // (exit status not 0) may have read nothing, and the writer then meets EPIPE.
            let reader_failed = rs
                .iter()
                .any(|n| !matches!(w.nodes[*n].exit, Some(Exit::Code(0)) | None));
            let through = data_links(w).filter(|l| l.read_end == *object).any(|l| {
                let written = !writers(l).is_empty();
                (written && (!readers(l).is_empty() || reader_failed))
                    || l.writers.iter().any(|u| u.errors.contains_key("EPIPE"))
            });
            if through {
                return Ok(());
            }
            return miss(
                "the FIFO was opened at both ends, but no bytes went through it: the messages took another way",
                "the writer writes each message into the FIFO and the reader reads them from it; nothing else carries them (no arguments, no environment, no file)",
            );
        }
        if opened_apart {
            return miss(
                "the FIFO's two ends were opened by processes of one program, not by a second program",
                "start the reader as a second program (Command::new(std::env::current_exe()?) with --reader): the two share only the FIFO's name",
            );
        }
    }
    miss(
        "no two different processes opened the FIFO, one for writing and one for reading",
        "the writer opens the FIFO for writing, the reader (a second program) opens it for reading",
    )
}

fn children_polled(w: &Wiring, a: &Context) -> Result<(), Miss> {
    child_process(w, a)?;
    let feeding: BTreeSet<usize> = data_links(w)
        .filter(|l| readers(l).contains(&0))
        .filter_map(|l| {
            let ws: Vec<usize> = writers(l).into_iter().filter(|n| *n != 0).collect();
            (ws.len() == 1).then(|| ws[0])
        })
        .collect();
    // Three children wrote, each into a pipe of its own, but the program took bytes out of
    // fewer: the pipes are right, the reads are not.
    let written = data_links(w)
        .filter(|l| writers(l).iter().filter(|n| **n != 0).count() == 1)
        .count();
    if feeding.len() < 3 && written >= 3 {
        return miss(
            format!(
                "each child wrote into a pipe of its own, but the program read bytes from only {} of them",
                feeding.len()
            ),
            "read every pipe that poll reports ready (POLLIN or POLLHUP), until read() returns 0: a pipe can still hold a child's last lines when it hangs up",
        );
    }
    if feeding.len() < 3 {
        return miss(
            format!(
                "{} pipe(s) carried a child's lines to the program; three were expected, one per child",
                feeding.len()
            ),
            "make one pipe per child; each child writes only into its own pipe, and the program reads all three",
        );
    }
    let watched = &w.trace.procs[0].watched;
    let unwatched: Vec<&str> = data_links(w)
        .filter(|l| readers(l).contains(&0) && !watched.contains(&l.read_end))
        .map(|l| w.channels[l.channel].name.as_str())
        .collect();
    if w.nodes[0].polls == 0 || !unwatched.is_empty() {
        let which = if w.nodes[0].polls == 0 {
            "the program never called poll() (or select)".to_string()
        } else {
            format!(
                "the program's poll() (or select) never watched {}",
                unwatched.join(", ")
            )
        };
        return miss(
            format!("{which}: it cannot know which pipe is ready"),
            "put the read ends of all three pipes in one poll() call and read only those that are ready",
        );
    }
    // Polling is half of it: a blocking read of a pipe that poll did not report ready waits
    // for that one child, and the lines of the others wait behind it.
    let blind = w.trace.procs[0].unpolled_reads.iter().find(|r| {
        !r.nonblocking && data_links(w).any(|l| l.read_end == r.object && readers(l).contains(&0))
    });
    if let Some(r) = blind {
        let name = data_links(w)
            .find(|l| l.read_end == r.object)
            .map_or("a pipe", |l| w.channels[l.channel].name.as_str());
        let when = if r.before_first_poll {
            "before its first poll() (or select)"
        } else {
            "although its last poll() (or select) had not reported it ready"
        };
        return miss(
            format!(
                "the program read {name} (fd {}) {when}: that read waits for one child while the lines of the others wait behind it",
                r.fd
            ),
            "after poll() returns, read only the pipes whose revents is set (POLLIN or POLLHUP), then poll again",
        );
    }
    Ok(())
}

fn writer_closed_read_end(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(h) = w.writers_holding_read_end().into_iter().next() else {
        return Ok(());
    };
    miss(
        format!(
            "{} still held {}, fd {}, when it began writing into {}",
            w.who(h.node),
            w.describe(&w.links[h.link].read_end, false),
            h.fd,
            w.channels[w.links[h.link].channel].name
        ),
        "a writer keeps only the write end: close (or drop) the read end it inherited before writing. While any read end is open, a write into a pipe whose reader is gone does not fail with EPIPE, and it blocks once the pipe is full",
    )
}

fn readers_print(w: &Wiring, c: &Context) -> Result<(), Miss> {
    for (node, p) in w.trace.procs.iter().enumerate() {
        let stray = p.printed.iter().find(|printed| {
            !printed.had_read
                && c.printed_by_readers
                    .iter()
                    .any(|prefix| printed.line.starts_with(prefix.as_str()))
        });
        if let Some(printed) = stray {
            return miss(
                format!(
                    "`{}` was printed by {}, which had read nothing from a pipe by then: the line did not come through a pipe",
                    printed.line,
                    w.who(node)
                ),
                "print each received line in the process that reads it from the pipe (see the contract in labs.md): the writer only sends, the reader prints what it read",
            );
        }
    }
    quoted_lines_came_through(w, c)
}

/// Each line of `quoted_by_readers` carries, after its prefix, bytes that were written into a
/// channel its printer read. Where the X-ray did not see all of those bytes (more than its
/// sample, or one-byte writes it does not stop at), the line is not judged.
fn quoted_lines_came_through(w: &Wiring, c: &Context) -> Result<(), Miss> {
    for (node, p) in w.trace.procs.iter().enumerate() {
        let quoted = p.printed.iter().filter_map(|printed| {
            c.quoted_by_readers
                .iter()
                .find_map(|prefix| printed.line.strip_prefix(prefix.as_str()))
                .map(|rest| (printed, rest))
        });
        let mut came = None;
        for (printed, rest) in quoted {
            let Some(came) = came.get_or_insert_with(|| came_through(w, node)) else {
                return Ok(());
            };
            // 02 prints its messages as Rust quotes them ({:?}): the bytes are inside. Others
            // print them as they came, which may begin and end with a quote of their own.
            let seen = |text: &str| {
                text.is_empty()
                    || came
                        .windows(text.len())
                        .any(|bytes| bytes == text.as_bytes())
            };
            let found = seen(rest) || unquoted(rest).is_some_and(|text| seen(&text));
            if !found {
                return miss(
                    format!(
                        "`{}` was printed by {}, but `{rest}` never came through a channel it read",
                        printed.line,
                        w.who(node)
                    ),
                    "print what you read, as you read it: a received line reports the bytes that came out of the pipe, not a message the printer already knew",
                );
            }
        }
    }
    Ok(())
}

/// The text of a string as `{:?}` prints it (`"tab\there"`), or None when `quoted` is not one.
fn unquoted(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut text = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        text.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            'u' => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            other => other,
        });
    }
    Some(text)
}

/// Every byte written into the links `node` read from, when the X-ray saw them all.
fn came_through(w: &Wiring, node: usize) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    for link in w
        .links
        .iter()
        .filter(|l| l.readers.iter().any(|u| u.node == node && u.bytes > 0))
    {
        if link.untraced > 0 {
            return None;
        }
        for io in w
            .trace
            .io
            .iter()
            .filter(|io| io.writes && io.object == link.write_end)
        {
            if io.sample.len() as u64 != io.bytes {
                return None;
            }
            bytes.extend_from_slice(&io.sample);
        }
    }
    Some(bytes)
}

fn refills_after_resize(w: &Wiring, _: &Context) -> Result<(), Miss> {
    for r in &w.trace.pipe_resizes {
        if r.full_after() != Some(false) {
            continue;
        }
        let (size, most) = r.after.unwrap_or_default();
        let name = r
            .object
            .as_ref()
            .and_then(|o| w.channel_of(o))
            .map_or("the pipe", |c| w.channels[c].name.as_str());
        return miss(
            format!(
                "after F_SETPIPE_SZ, {name} could hold {size} bytes, but it never held more than {most}: the program did not fill it again"
            ),
            "after the resize, write into the same pipe again until a write fails with EAGAIN, and print the bytes of both fills: the new capacity is measured, not taken from F_SETPIPE_SZ's answer",
        );
    }
    Ok(())
}

/// Polls that found nothing ready, beyond which a loop spins instead of waiting. A blocking
/// poll (no timeout) never returns empty; a timeout of a tenth of a second, a few times.
const EMPTY_POLLS: u32 = 50;
/// Times one end may be reported hung up with nothing left in it before a loop that keeps it
/// in its poll set counts as spinning on it (the first report is read as end-of-file).
const HANGUPS: u32 = 3;

fn poll_blocks(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let p = &w.trace.procs[0];
    if p.empty_polls > EMPTY_POLLS {
        return miss(
            format!(
                "{} of the program's {} polls returned with nothing ready: it spins in a loop instead of waiting",
                p.empty_polls, w.nodes[0].polls
            ),
            // No count: the cause reads the same on every run, whichever failure shows first.
            "poll() returned with nothing ready: it spins in a loop instead of waiting. Let poll() wait: PollTimeout::NONE (or a timeout long enough to matter), never a zero timeout in a loop; poll returns when a pipe is ready",
        );
    }
    if let Some((object, n)) = p.hangups.iter().find(|(_, n)| *n > HANGUPS) {
        let name = w
            .channel_of(object)
            .map_or("a pipe", |c| w.channels[c].name.as_str());
        return miss(
            format!(
                "poll() reported {name} hung up {n} times: the program kept a pipe with nothing left to read in its poll set, so each poll returned at once"
            ),
            "once a pipe has hung up (POLLHUP, and read returns 0), leave it out of the next poll() call; stop when no pipe is left",
        );
    }
    Ok(())
}

fn own_pipe_only(w: &Wiring, _: &Context) -> Result<(), Miss> {
    // The pipes the program reads, each with its one writing child.
    let fed: Vec<(usize, usize)> = data_links(w)
        .enumerate()
        .filter(|(_, l)| readers(l).contains(&0))
        .filter_map(|(i, l)| {
            let ws: Vec<usize> = writers(l).into_iter().filter(|n| *n != 0).collect();
            (ws.len() == 1).then(|| (i, ws[0]))
        })
        .collect();
    let links: Vec<&Link> = data_links(w).collect();
    for (i, child) in &fed {
        let Some(first) = links[*i].writers.iter().find(|u| u.node == *child) else {
            continue;
        };
        for (j, other) in &fed {
            if other == child {
                continue;
            }
            if let Some(f) = first
                .held
                .iter()
                .find(|f| f.object == links[*j].write_end && f.writes && !f.reads)
            {
                return miss(
                    format!(
                        "{} held {}, fd {}, the pipe of {}: that pipe cannot hang up before this child exits",
                        w.who(*child),
                        w.describe(&links[*j].write_end, true),
                        f.fd,
                        w.who(*other)
                    ),
                    "make each pipe just before forking its child, and close the write end in the parent right after that fork: a pipe made earlier is inherited by every later child, which holds it open",
                );
            }
        }
    }
    Ok(())
}

fn closes_inherited_read_ends(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let links: Vec<&Link> = data_links(w).collect();
    for l in &links {
        for u in l.writers.iter().filter(|u| u.node != 0 && u.bytes > 0) {
            let other = links.iter().find_map(|o| {
                let f = u.held.iter().find(|f| {
                    o.read_end != l.read_end && f.object == o.read_end && f.reads && !f.writes
                })?;
                Some((o, f))
            });
            if let Some((o, f)) = other {
                return miss(
                    format!(
                        "{} still held {}, fd {}, when it began writing into its own pipe",
                        w.who(u.node),
                        w.describe(&o.read_end, false),
                        f.fd
                    ),
                    "a child keeps only the write end of its own pipe: close the read ends it inherited too (they do no harm here, but the contract asks for each process to hold only what it uses)",
                );
            }
        }
    }
    Ok(())
}

/// What a frame may add to a message: a length of up to 8 bytes, a separator, with room to
/// spare.
const FRAME_BYTES: u64 = 16;

fn own_socket_only(w: &Wiring, _: &Context) -> Result<(), Miss> {
    let Some(h) = w.users_holding_other_socket().into_iter().next() else {
        return Ok(());
    };
    let l = &w.links[h.link];
    let other = w
        .trace
        .procs
        .get(h.node)
        .and_then(|_| {
            [&l.write_end, &l.read_end].into_iter().find(|o| {
                l.writers.iter().chain(&l.readers).any(|u| {
                    u.node == h.node && u.held.iter().any(|f| f.fd == h.fd && f.object == **o)
                })
            })
        })
        .unwrap_or(&l.read_end);
    miss(
        format!(
            "{} still held {}, fd {}, the other side's end, when it began using its own",
            w.who(h.node),
            w.describe(other, true),
            h.fd
        ),
        "after the fork each process drops the end it does not use: a process that still holds the other side's end keeps that side open, so its own reads never see the other side hang up",
    )
}

/// What the program (node 0) wrote into its channels, and what the others wrote into the
/// channels it reads: each as one stream, where the X-ray saw all of it.
fn streams<'a>(w: &'a Wiring) -> [Option<(&'a Io, u64)>; 2] {
    let unseen = |io: &Io| -> u64 {
        data_links(w)
            .filter(|l| l.write_end == io.object)
            .map(|l| l.untraced)
            .sum()
    };
    fn only<'a>(ios: &[&'a Io]) -> Option<&'a Io> {
        match ios {
            [io] => Some(*io),
            _ => None,
        }
    }
    let one = |ios: Vec<&'a Io>| only(&ios).map(|io| (io, unseen(io)));
    let sent = w
        .trace
        .io
        .iter()
        .filter(|io| io.writes && w.node_of(io.pid) == Some(0))
        .filter(|io| data_links(w).any(|l| l.write_end == io.object))
        .collect();
    let answered = data_links(w)
        .filter(|l| readers(l).contains(&0))
        .flat_map(|l| {
            w.trace.io.iter().filter(move |io| {
                io.writes && io.object == l.write_end && w.node_of(io.pid).is_some_and(|n| n != 0)
            })
        })
        .collect();
    [one(sent), one(answered)]
}

/// Texts framed as 02 frames them: each one's length in bytes (4 bytes, big-endian), then it.
fn framed<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u8> {
    texts
        .flat_map(|t| {
            let length = (t.len() as u32).to_be_bytes();
            length.into_iter().chain(t.bytes())
        })
        .collect()
}

fn framed_both_ways(w: &Wiring, c: &Context) -> Result<(), Miss> {
    let messages = messages(c);
    let replies: Vec<String> = messages.iter().map(|m| m.to_uppercase()).collect();
    let [sent, answered] = streams(w);
    let sides = [
        ("the program", "message", sent, &messages),
        ("the child", "reply", answered, &replies),
    ];
    for (who, what, stream, texts) in sides {
        // One stream each way, every byte seen: otherwise there is nothing exact to compare
        // (the rules on the channel itself speak of those runs).
        let Some((io, 0)) = stream else {
            continue;
        };
        let expected = framed(texts.iter().map(String::as_str));
        let sample = &io.sample;
        let differs = sample
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .or_else(|| (sample.len() > expected.len()).then_some(expected.len()));
        let (problem, cause) = match differs {
            Some(at) => frame_difference(what, texts, sample, at),
            None if io.bytes != expected.len() as u64 => (
                format!(
                    "sent {} bytes into the channel where its {}s and their frames take {}",
                    io.bytes,
                    what,
                    expected.len()
                ),
                format!(
                    "send each {what} as one frame, its length in bytes then its bytes, and nothing else"
                ),
            ),
            None => continue,
        };
        return miss(format!("{who} {problem}"), cause);
    }
    Ok(())
}

/// Where a stream first differs from the frames of `texts`, in words, with the likely cause.
fn frame_difference(what: &str, texts: &[String], sent: &[u8], at: usize) -> (String, String) {
    let byte = |b: Option<&u8>| match b {
        Some(b) if b.is_ascii_graphic() => format!("0x{b:02x} ({:?})", *b as char),
        Some(b) => format!("0x{b:02x}"),
        None => "nothing".into(),
    };
    let mut start = 0;
    for (k, text) in texts.iter().enumerate() {
        let frame = framed(std::iter::once(text.as_str()));
        let end = start + frame.len();
        if at >= end {
            start = end;
            continue;
        }
        let here = &sent[start.min(sent.len())..];
        let length =
            |read: fn([u8; 4]) -> u32| here.get(..4).and_then(|h| h.try_into().ok()).map(read);
        let in_length = at < start + 4;
        let cause = if in_length && here.starts_with(text.as_bytes()) && !text.is_empty() {
            format!(
                "the {what} went without its length: send its length in bytes first, as 4 big-endian bytes, then its bytes (lines would break on a newline inside a message)"
            )
        } else if in_length && at == start && sent.get(at) == Some(&b'\n') {
            "a newline went between two frames: nothing goes between them".into()
        } else if in_length && length(u32::from_le_bytes) == Some(text.len() as u32) {
            "the length goes first as 4 big-endian bytes (u32::to_be_bytes), not little-endian"
                .into()
        } else if in_length && length(u32::from_be_bytes) == Some(text.chars().count() as u32) {
            "the length counts bytes (text.len()), not characters (chars().count())".into()
        } else if in_length {
            "each frame begins with its text's length in bytes, as 4 big-endian bytes".into()
        } else if what == "reply"
            && sent
                .get(start + 4..)
                .is_some_and(|b| b.starts_with(texts_message(text).as_bytes()))
        {
            "the child sent something else before its reply, or the message as it came: it replies with message.to_uppercase() and nothing else".into()
        } else {
            format!("after its 4-byte length a frame holds exactly the {what}'s bytes")
        };
        let place = if in_length { "length" } else { "text" };
        return (
            format!(
                "sent {} as byte {at} of its stream, in the {place} of {what} {} ({text:?}), where the frame has {}",
                byte(sent.get(at)),
                k + 1,
                byte(frame.get(at - start)),
            ),
            cause,
        );
    }
    (
        format!("sent more after its last {what}'s frame (from byte {at} on)"),
        format!(
            "send each {what} as one frame and nothing else: no newline, no count, no end marker"
        ),
    )
}

/// A reply's text as its message might have been sent back unchanged: the same letters in
/// lower case (what the child received, for the lecture's and most random messages).
fn texts_message(reply: &str) -> String {
    reply.to_lowercase()
}

fn waits_for_each_reply(w: &Wiring, c: &Context) -> Result<(), Miss> {
    let messages = messages(c);
    let [Some((sent, _)), Some((answered, _))] = streams(w) else {
        return Ok(());
    };
    if w.trace.timeline_full {
        return Ok(());
    }
    // Where each message's frame ends in the program's stream.
    let mut ends = Vec::new();
    let mut total = 0u64;
    for m in &messages {
        total += 4 + m.len() as u64;
        ends.push(total);
    }
    // The reply to message k comes through the channel the child answers on: the program must
    // begin reading it between the end of frame k and the first byte of frame k + 1.
    let reply_end = w
        .links
        .iter()
        .find(|l| l.write_end == answered.object)
        .map(|l| &l.read_end);
    let Some(reply_end) = reply_end else {
        return Ok(());
    };
    let mut written = 0u64;
    let mut read_since = true;
    for moment in w.trace.events_of(sent.pid) {
        match &moment.what {
            Happened::ReadBegan { object, .. } if object == reply_end => read_since = true,
            Happened::Wrote { object, total, .. } if *object == sent.object => {
                let done = ends.iter().filter(|&&e| e <= written).count();
                if *total > written && done > 0 && !read_since {
                    return miss(
                        format!(
                            "the program sent message {} before it read anything of the reply to message {}",
                            done + 1,
                            done
                        ),
                        "send one message, then read its whole reply (and print it), and only then send the next: each side waits for the other",
                    );
                }
                if ends.contains(total) || ends.iter().any(|&e| e > written && e <= *total) {
                    read_since = false;
                }
                written = *total;
            }
            _ => {}
        }
    }
    // The child prints `child got: ...` for message k before the first byte of reply k.
    let mut ends = Vec::new();
    let mut total = 0u64;
    for m in &messages {
        total += 4 + m.to_uppercase().len() as u64;
        ends.push(total);
    }
    let (mut written, mut printed) = (0u64, 0usize);
    for moment in w.trace.events_of(answered.pid) {
        match &moment.what {
            Happened::Printed { line } if line.starts_with("child got: ") => printed += 1,
            Happened::Wrote { object, total, .. } if *object == answered.object => {
                let reply = ends.iter().filter(|&&e| e <= written).count();
                if *total > written && reply < ends.len() && printed <= reply {
                    return miss(
                        format!(
                            "the child began its reply to message {} before it printed `child got: ...` for it",
                            reply + 1
                        ),
                        "the child prints `child got: ...` first and only then replies: once the reply is sent, the parent may print its own line before the child's",
                    );
                }
                written = *total;
            }
            _ => {}
        }
    }
    Ok(())
}

fn child_answers(w: &Wiring, c: &Context) -> Result<(), Miss> {
    // What the children wrote into the channels the program reads, as far as the X-ray kept.
    let writes: Vec<&Io> = data_links(w)
        .filter(|l| readers(l).contains(&0))
        .flat_map(|l| {
            w.trace.io.iter().filter(move |io| {
                io.writes && io.object == l.write_end && w.node_of(io.pid).is_some_and(|n| n != 0)
            })
        })
        .collect();
    // The answers and a frame each: a child that sends more sends something else besides
    // (a block to fill what the X-ray keeps, say), and its answers cannot be told apart.
    let answers: u64 = c.args.iter().map(|m| m.to_uppercase().len() as u64).sum();
    let most = answers + FRAME_BYTES * (c.args.len() as u64 + 1);
    let sent_bytes: u64 = writes.iter().map(|io| io.bytes).sum();
    if !c.args.is_empty() && sent_bytes > most {
        return miss(
            format!(
                "the child sent {sent_bytes} bytes where its {} answers take {answers}, at most {most} with their frames",
                c.args.len()
            ),
            "send back each message upper-cased, in a frame of its own (its length, then its bytes), and nothing else",
        );
    }
    let sent: Vec<&Vec<u8>> = writes.iter().map(|io| &io.sample).collect();
    if sent.is_empty() || sent.iter().any(|s| s.len() >= SAMPLE_BYTES) {
        return Ok(());
    }
    // In order, not necessarily side by side, and most of it: one-byte writes are not traced,
    // so a child that writes a byte at a time leaves holes in what the X-ray kept.
    let contains = |hay: &[u8], needle: &[u8]| {
        let mut at = 0;
        let found = needle
            .iter()
            .filter(|b| match hay[at..].iter().position(|h| h == *b) {
                Some(k) => {
                    at += k + 1;
                    true
                }
                None => false,
            })
            .count();
        found * 5 >= needle.len() * 4
    };
    let missing =
        c.args.iter().map(|m| m.to_uppercase()).find(|answer| {
            !answer.is_empty() && !sent.iter().any(|s| contains(s, answer.as_bytes()))
        });
    match missing {
        None => Ok(()),
        Some(answer) => miss(
            format!(
                "no child sent {answer:?} back: the answers the program printed did not come from its child"
            ),
            "the child upper-cases each message it reads (to_uppercase) and sends that back; the parent prints the answer it reads, as it is",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Context = Context {
        args: &[],
        printed_by_readers: &[],
        quoted_by_readers: &[],
    };
    use crate::sandbox::procfs::Fd;
    use crate::sandbox::trace::{Io, Printed, Resize, Trace, TracedProcess, UnpolledRead};

    fn end(fd: i32, inode: u64, writes: bool) -> Fd {
        Fd {
            fd,
            object: Object::Pipe(inode),
            reads: !writes,
            writes,
        }
    }

    fn io(pid: i32, inode: u64, writes: bool, fd: i32, held: Vec<Fd>) -> Io {
        Io {
            pid,
            object: Object::Pipe(inode),
            writes,
            fd,
            calls: 1,
            bytes: 10,
            held,
            ..Io::default()
        }
    }

    /// 01's shape: P1 makes pipe 7 and forks P2, which writes into it; P1 reads it, holding
    /// `parent_holds` when it starts.
    fn raw_pipe(parent_holds: Vec<Fd>) -> Wiring {
        let trace = Trace {
            procs: vec![
                TracedProcess {
                    pid: 10,
                    made: vec![7],
                    ..TracedProcess::default()
                },
                TracedProcess {
                    pid: 11,
                    parent: Some(10),
                    ..TracedProcess::default()
                },
            ],
            io: vec![
                io(11, 7, true, 4, vec![end(4, 7, true)]),
                io(10, 7, false, 3, parent_holds),
            ],
            ..Trace::default()
        };
        Wiring::build(trace)
    }

    #[test]
    fn a_parent_reading_with_its_write_end_open_is_named_with_the_descriptor() {
        let w = raw_pipe(vec![end(3, 7, false), end(4, 7, true)]);
        assert_eq!(child_writes_parent_reads(&w, &NONE), Ok(()));
        let miss = reader_closed_write_end(&w, &NONE).unwrap_err();
        assert_eq!(
            miss.problem,
            "P1 (the program) still held the write end of pipe A, fd 4, when it began reading pipe A"
        );
        assert!(reader_closed_write_end(&raw_pipe(vec![end(3, 7, false)]), &NONE).is_ok());
    }

    #[test]
    fn a_process_using_both_ends_of_a_lock_pipe_is_not_blamed() {
        let mut w = raw_pipe(vec![end(3, 7, false), end(4, 7, true)]);
        // P1 also writes into pipe A, as a consumer puts a lock's token back.
        w.trace.io.push(io(10, 7, true, 4, vec![]));
        let w = Wiring::build(w.trace);
        assert_eq!(reader_closed_write_end(&w, &NONE), Ok(()));
    }

    #[test]
    fn a_pipe_size_printed_without_asking_the_kernel_is_caught() {
        let mut w = raw_pipe(vec![end(3, 7, false)]);
        let miss = resizes_pipe(&w, &NONE).unwrap_err();
        assert!(miss.problem.contains("F_SETPIPE_SZ"));
        // A refusal (EBUSY) still counts: the program asked.
        w.trace.pipe_resizes.push(crate::sandbox::trace::Resize {
            pid: 10,
            result: -16,
            ..Default::default()
        });
        assert_eq!(resizes_pipe(&w, &NONE), Ok(()));
    }

    /// 09's shape: P1 makes pipes 7, 8 and 9, one per child, polls them all and reads them.
    fn polled(unpolled_reads: Vec<UnpolledRead>) -> Wiring {
        let pipes = [7, 8, 9];
        let mut procs = vec![TracedProcess {
            pid: 10,
            made: pipes.to_vec(),
            polls: 4,
            watched: pipes.iter().map(|i| Object::Pipe(*i)).collect(),
            unpolled_reads,
            ..TracedProcess::default()
        }];
        let mut ios = Vec::new();
        for (k, inode) in pipes.into_iter().enumerate() {
            let pid = 11 + k as i32;
            procs.push(TracedProcess {
                pid,
                parent: Some(10),
                ..TracedProcess::default()
            });
            ios.push(io(pid, inode, true, 4, vec![end(4, inode, true)]));
            ios.push(io(10, inode, false, 3 + k as i32, vec![]));
        }
        Wiring::build(Trace {
            procs,
            io: ios,
            ..Trace::default()
        })
    }

    #[test]
    fn a_blocking_read_that_poll_had_not_reported_ready_is_caught() {
        assert_eq!(children_polled(&polled(vec![]), &NONE), Ok(()));
        let blind = |nonblocking| UnpolledRead {
            object: Object::Pipe(8),
            fd: 4,
            before_first_poll: false,
            nonblocking,
        };
        let miss = children_polled(&polled(vec![blind(false)]), &NONE).unwrap_err();
        assert!(
            miss.problem.starts_with(
                "the program read pipe B (fd 4) although its last poll() (or select) had not reported it ready"
            ),
            "{}",
            miss.problem
        );
        // A non-blocking read cannot wait: at worst it finds the pipe empty (EAGAIN).
        assert_eq!(children_polled(&polled(vec![blind(true)]), &NONE), Ok(()));
    }

    #[test]
    fn one_process_and_no_pipe_are_told_apart() {
        let alone = Wiring::build(Trace {
            procs: vec![TracedProcess {
                pid: 10,
                ..TracedProcess::default()
            }],
            ..Trace::default()
        });
        let miss = child_writes_parent_reads(&alone, &NONE).unwrap_err();
        assert!(miss.problem.starts_with("no child process was created"));
        let two = Wiring::build(Trace {
            procs: vec![
                TracedProcess {
                    pid: 10,
                    ..TracedProcess::default()
                },
                TracedProcess {
                    pid: 11,
                    parent: Some(10),
                    ..TracedProcess::default()
                },
            ],
            ..Trace::default()
        });
        let miss = child_writes_parent_reads(&two, &NONE).unwrap_err();
        assert!(miss.problem.starts_with("no pipe was created"));
    }

    #[test]
    fn a_quoted_message_is_read_back_as_its_text() {
        assert_eq!(
            unquoted(r#""tab\there \"q\" \\ \u{1f980}""#).as_deref(),
            Some("tab\there \"q\" \\ \u{1f980}")
        );
        assert_eq!(unquoted("plain"), None);
    }

    #[test]
    fn a_received_line_printed_by_a_process_that_read_nothing_is_caught() {
        let mut w = raw_pipe(vec![end(3, 7, false)]);
        let prefixes = ["received: ".to_string()];
        let c = Context {
            args: &[],
            printed_by_readers: &prefixes,
            quoted_by_readers: &[],
        };
        let line = |had_read| Printed {
            line: "received: hello".into(),
            had_read,
        };
        w.trace.procs[0].printed.push(line(true));
        assert_eq!(readers_print(&w, &c), Ok(()));
        w.trace.procs[1].printed.push(line(false));
        let miss = readers_print(&w, &c).unwrap_err();
        assert!(
            miss.problem.contains("printed by P2 (child of P1)"),
            "{}",
            miss.problem
        );
    }

    #[test]
    fn a_pipe_not_filled_again_after_its_resize_is_caught() {
        let mut w = raw_pipe(vec![end(3, 7, false)]);
        let resize = |after| Resize {
            pid: 10,
            object: Some(Object::Pipe(7)),
            result: 1 << 20,
            before: Some((65536, 65536)),
            after: Some(after),
            nonblocking: true,
        };
        w.trace.pipe_resizes = vec![resize((1 << 20, 1 << 20))];
        assert_eq!(refills_after_resize(&w, &NONE), Ok(()));
        w.trace.pipe_resizes = vec![resize((1 << 20, 65536))];
        let miss = refills_after_resize(&w, &NONE).unwrap_err();
        assert!(
            miss.problem.contains("never held more than 65536"),
            "{}",
            miss.problem
        );
    }

    #[test]
    fn a_poll_loop_that_spins_is_caught() {
        let mut w = polled(vec![]);
        assert_eq!(poll_blocks(&w, &NONE), Ok(()));
        w.trace.procs[0].empty_polls = EMPTY_POLLS + 1;
        assert!(poll_blocks(&w, &NONE).is_err());
        w.trace.procs[0].empty_polls = 0;
        w.trace.procs[0].hangups = vec![(Object::Pipe(7), HANGUPS + 1)];
        let miss = poll_blocks(&w, &NONE).unwrap_err();
        assert!(miss.problem.contains("pipe A hung up"), "{}", miss.problem);
    }
    #[test]
    fn children_that_wrote_into_pipes_the_parent_never_read_are_told_apart() {
        let w = polled(Vec::new());
        assert_eq!(children_polled(&w, &NONE), Ok(()));
        // The parent's reads of pipe 9 are gone: child 3 wrote, nobody took its bytes.
        let mut trace = w.trace.clone();
        trace
            .io
            .retain(|io| io.writes || io.object != Object::Pipe(9));
        let miss = children_polled(&Wiring::build(trace), &NONE).unwrap_err();
        assert_eq!(
            miss.problem,
            "each child wrote into a pipe of its own, but the program read bytes from only 2 of them"
        );
        assert!(miss.cause.contains("until read() returns 0"));
    }
}
