//! The wiring of a run, built from its trace: processes with names a student recognises,
//! channels named in order (pipe A, pipe B...), and for each direction of each channel who
//! wrote into it and who read from it.

use crate::sandbox::procfs::{Fd, Object};
use crate::sandbox::trace::{Exit, Io, Trace};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Wiring {
    pub nodes: Vec<Node>,
    pub channels: Vec<Channel>,
    pub links: Vec<Link>,
    /// Pipe or socket ends a process started a new program with, besides stdin and stdout.
    pub leaks: Vec<Leak>,
    pub trace: Trace,
}

/// One process of the run.
#[derive(Debug, Clone)]
pub struct Node {
    pub pid: i32,
    /// Index of the process that created it.
    pub parent: Option<usize>,
    /// The program it ran last: the exercise itself, or what it exec'd (cat, grep...).
    pub program: String,
    /// It started a program of its own after it was created (exec).
    pub execed: bool,
    pub exit: Option<Exit>,
    pub waits: u32,
    pub polls: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    Pipe,
    Fifo(String),
    SocketPair,
    /// The checker's capture of stdout or stderr.
    Output(&'static str),
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// The objects of its ends: one for a pipe, two for a socketpair.
    pub objects: Vec<Object>,
    /// The process that made it, when the trace saw it made.
    pub made_by: Option<usize>,
}

/// One direction of a channel.
#[derive(Debug, Clone)]
pub struct Link {
    pub channel: usize,
    /// The object written into, and the one read from (the same for a pipe).
    pub write_end: Object,
    pub read_end: Object,
    pub writers: Vec<Use>,
    pub readers: Vec<Use>,
    /// Bytes read from it that no traced write put in: one-byte writes, which the X-ray does
    /// not stop at.
    pub untraced: u64,
}

/// How one process used one end.
#[derive(Debug, Clone)]
pub struct Use {
    pub node: usize,
    pub fd: i32,
    pub calls: u64,
    pub bytes: u64,
    pub errors: BTreeMap<String, u64>,
    /// What it held at its first use of this end.
    pub held: Vec<Fd>,
    /// Not seen writing: it held the write end of a link that carried bytes no traced write
    /// put in (one-byte writes go untraced), so it may have written them.
    pub untraced: bool,
}

/// A process that began reading a pipe while it still held a write end of that pipe, or
/// writing into one while it held a read end.
#[derive(Debug, Clone)]
pub struct HeldEnd {
    pub node: usize,
    pub link: usize,
    /// The descriptor of the other end.
    pub fd: i32,
}

#[derive(Debug, Clone)]
pub struct Leak {
    pub node: usize,
    pub fd: i32,
    /// "the write end of pipe A".
    pub what: String,
}

impl Wiring {
    pub fn build(trace: Trace) -> Wiring {
        let nodes: Vec<Node> = trace
            .procs
            .iter()
            .map(|p| Node {
                pid: p.pid,
                parent: p
                    .parent
                    .and_then(|pp| trace.procs.iter().position(|q| q.pid == pp)),
                program: p.program().unwrap_or("?").to_string(),
                execed: p.execs.len() > 1 || (p.parent.is_some() && !p.execs.is_empty()),
                exit: p.exit,
                waits: p.waits,
                polls: p.polls,
            })
            .collect();
        let mut wiring = Wiring {
            nodes,
            channels: Vec::new(),
            links: Vec::new(),
            leaks: Vec::new(),
            trace,
        };
        wiring.find_channels();
        wiring.find_links();
        wiring.find_leaks();
        wiring
    }

    pub fn node_of(&self, pid: i32) -> Option<usize> {
        self.nodes.iter().position(|n| n.pid == pid)
    }

    /// "P2 (child of P1)" or "P3 (cat)": how a process is named in reports.
    pub fn who(&self, node: usize) -> String {
        let n = &self.nodes[node];
        match n.parent {
            None => format!("P{} (the program)", node + 1),
            Some(_) if n.execed => format!("P{} ({})", node + 1, n.program),
            Some(p) => format!("P{} (child of P{})", node + 1, p + 1),
        }
    }

    /// Readers that still held their pipe's write end at their first read: they never see
    /// end-of-file. A process that also writes into the pipe it reads (a lock's token) needs
    /// both ends and is left out, also when it writes a byte at a time (untraced: it then
    /// counts as a writer through `add_untraced_writers`).
    pub fn readers_holding_write_end(&self) -> Vec<HeldEnd> {
        let mut found = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            if !matches!(l.read_end, Object::Pipe(_) | Object::Fifo(..)) {
                continue;
            }
            for r in &l.readers {
                if l.writers.iter().any(|w| w.node == r.node) {
                    continue;
                }
                if let Some(f) = r
                    .held
                    .iter()
                    .find(|f| f.object == l.write_end && f.writes && !f.reads)
                {
                    found.push(HeldEnd {
                        node: r.node,
                        link: i,
                        fd: f.fd,
                    });
                }
            }
        }
        found
    }

    /// Writers that still held their pipe's read end at their first write: their writes never
    /// fail with EPIPE. A process that also reads the pipe (a lock's token) is left out.
    pub fn writers_holding_read_end(&self) -> Vec<HeldEnd> {
        let mut found = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            if !matches!(l.write_end, Object::Pipe(_) | Object::Fifo(..)) {
                continue;
            }
            for u in l
                .writers
                .iter()
                .filter(|u| u.bytes > 0 || !u.errors.is_empty())
            {
                if l.readers.iter().any(|r| r.node == u.node) {
                    continue;
                }
                if let Some(f) = u
                    .held
                    .iter()
                    .find(|f| f.object == l.read_end && f.reads && !f.writes)
                {
                    found.push(HeldEnd {
                        node: u.node,
                        link: i,
                        fd: f.fd,
                    });
                }
            }
        }
        found
    }

    /// Users of one socket of a socket pair that still held the other socket at their first
    /// use: the other side's end, which they never use (02's child then never sees the parent
    /// hang up).
    pub fn users_holding_other_socket(&self) -> Vec<HeldEnd> {
        let mut found = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            if l.write_end == l.read_end || !matches!(l.write_end, Object::Socket(_)) {
                continue;
            }
            let writers = l.writers.iter().map(|u| (u, &l.read_end));
            let readers = l.readers.iter().map(|u| (u, &l.write_end));
            for (u, other) in writers.chain(readers).filter(|(u, _)| u.bytes > 0) {
                if let Some(f) = u.held.iter().find(|f| f.object == *other) {
                    found.push(HeldEnd {
                        node: u.node,
                        link: i,
                        fd: f.fd,
                    });
                }
            }
        }
        found.sort_by_key(|h| (h.node, h.link));
        found.dedup_by_key(|h| h.node);
        found
    }

    /// The channel an object belongs to.
    pub fn channel_of(&self, object: &Object) -> Option<usize> {
        self.channels
            .iter()
            .position(|c| c.objects.contains(object))
    }

    /// "the write end of pipe A", "end 1 of socketpair A".
    pub fn describe(&self, object: &Object, writes: bool) -> String {
        let Some(c) = self.channel_of(object) else {
            return object.to_string();
        };
        let channel = &self.channels[c];
        match channel.kind {
            ChannelKind::SocketPair => {
                let end = channel
                    .objects
                    .iter()
                    .position(|o| o == object)
                    .unwrap_or(0)
                    + 1;
                format!("end {end} of {}", channel.name)
            }
            _ if writes => format!("the write end of {}", channel.name),
            _ => format!("the read end of {}", channel.name),
        }
    }

    fn find_channels(&mut self) {
        let trace = &self.trace;
        // Every object seen anywhere, in the order it first appeared.
        let mut seen: Vec<(Object, Option<i32>)> = Vec::new();
        let mut add = |o: &Object, maker: Option<i32>| {
            if !matches!(o, Object::Other(_)) && !seen.iter().any(|(s, _)| s == o) {
                seen.push((o.clone(), maker));
            }
        };
        for o in &trace.output {
            add(o, None);
        }
        for p in &trace.procs {
            for i in &p.made {
                add(&Object::Pipe(*i), Some(p.pid));
            }
            for e in &p.execs {
                e.fds.iter().for_each(|f| add(&f.object, None));
            }
            p.closed.iter().for_each(|f| add(&f.object, None));
            p.held_at_exit.iter().for_each(|f| add(&f.object, None));
        }
        trace.io.iter().for_each(|io| add(&io.object, None));

        let (mut pipes, mut pairs) = (0u8, 0u8);
        let mut channels: Vec<Channel> = Vec::new();
        for (object, maker) in seen {
            if channels.iter().any(|c| c.objects.contains(&object)) {
                continue;
            }
            let made_by = maker.and_then(|m| self.node_of(m));
            let output = trace.output.iter().position(|o| *o == object);
            let (name, kind, objects) = match (&object, output) {
                (_, Some(k)) => {
                    let which = if k == 0 { "stdout" } else { "stderr" };
                    (which.to_string(), ChannelKind::Output(which), vec![object])
                }
                (Object::Pipe(_), _) => {
                    let name = format!("pipe {}", (b'A' + pipes % 26) as char);
                    pipes += 1;
                    (name, ChannelKind::Pipe, vec![object])
                }
                (Object::Fifo(_, path), _) => {
                    let short = path.rsplit('/').next().unwrap_or(path).to_string();
                    (
                        format!("FIFO {short}"),
                        ChannelKind::Fifo(path.clone()),
                        vec![object],
                    )
                }
                (Object::Socket(i), _) => {
                    let peer = trace
                        .socket_pairs
                        .iter()
                        .find_map(|(a, b)| (a == i).then_some(*b).or((b == i).then_some(*a)));
                    let name = format!("socketpair {}", (b'A' + pairs % 26) as char);
                    pairs += 1;
                    let mut objects = vec![object.clone()];
                    objects.extend(peer.map(Object::Socket));
                    (name, ChannelKind::SocketPair, objects)
                }
                (Object::Other(_), _) => continue,
            };
            channels.push(Channel {
                name,
                kind,
                objects,
                made_by,
            });
        }
        self.channels = channels;
    }

    fn find_links(&mut self) {
        let mut links = Vec::new();
        for (c, channel) in self.channels.iter().enumerate() {
            let directions: Vec<(Object, Object)> = match channel.kind {
                ChannelKind::SocketPair if channel.objects.len() == 2 => vec![
                    (channel.objects[0].clone(), channel.objects[1].clone()),
                    (channel.objects[1].clone(), channel.objects[0].clone()),
                ],
                _ => vec![(channel.objects[0].clone(), channel.objects[0].clone())],
            };
            for (write_end, read_end) in directions {
                let uses = |object: &Object, writes: bool| -> Vec<Use> {
                    self.trace
                        .io
                        .iter()
                        .filter(|io| io.object == *object && io.writes == writes)
                        .filter_map(|io| self.use_of(io))
                        .collect()
                };
                let mut link = Link {
                    channel: c,
                    writers: uses(&write_end, true),
                    readers: uses(&read_end, false),
                    write_end,
                    read_end,
                    untraced: 0,
                };
                self.add_untraced_writers(&mut link);
                links.push(link);
            }
        }
        self.links = links;
    }

    /// Where more bytes were read than the traced writes put in, who may have written the
    /// rest: readers that held the write end when they began reading (a lock's token goes
    /// back that way) and processes still holding it at their exit; failing those, the
    /// processes that closed it.
    fn add_untraced_writers(&self, link: &mut Link) {
        if matches!(link.write_end, Object::Other(_)) {
            return;
        }
        link.untraced = self.trace.unseen_bytes(&link.write_end, &link.read_end);
        if link.untraced == 0 {
            return;
        }
        // A socket's descriptor both reads and writes; a pipe's write end only writes.
        let socket = matches!(link.write_end, Object::Socket(_));
        let held = |f: &&Fd| f.object == link.write_end && f.writes && (socket || !f.reads);
        let candidates = |closers: bool| -> Vec<(usize, i32)> {
            (0..self.trace.procs.len())
                .filter(|n| !link.writers.iter().any(|u| u.node == *n))
                .filter_map(|node| {
                    let p = &self.trace.procs[node];
                    let reader = link.readers.iter().find(|u| u.node == node);
                    let kept = if closers {
                        p.closed.iter().find(held)
                    } else {
                        reader
                            .and_then(|r| r.held.iter().find(held))
                            .or_else(|| p.held_at_exit.iter().find(held))
                    };
                    // A reader that let go of the write end before reading did not write.
                    let let_go = reader.is_some_and(|r| !r.held.iter().any(|f| held(&f)));
                    kept.filter(|_| !let_go).map(|f| (node, f.fd))
                })
                .collect()
        };
        let mut found = candidates(false);
        if found.is_empty() {
            found = candidates(true);
        }
        for (node, fd) in found {
            link.writers.push(Use {
                node,
                fd,
                calls: 0,
                bytes: 0,
                errors: BTreeMap::new(),
                held: Vec::new(),
                untraced: true,
            });
        }
    }

    fn use_of(&self, io: &Io) -> Option<Use> {
        Some(Use {
            node: self.node_of(io.pid)?,
            fd: io.fd,
            calls: io.calls,
            bytes: io.bytes,
            errors: io.errors.clone(),
            held: io.held.clone(),
            untraced: false,
        })
    }

    fn find_leaks(&mut self) {
        let mut leaks = Vec::new();
        for (node, p) in self.trace.procs.iter().enumerate() {
            if !self.nodes[node].execed {
                continue;
            }
            let Some(exec) = p.execs.last() else { continue };
            for f in exec.fds.iter().filter(|f| f.fd > 2) {
                if self.channel_of(&f.object).is_some() {
                    leaks.push(Leak {
                        node,
                        fd: f.fd,
                        what: self.describe(&f.object, f.writes && !f.reads),
                    });
                }
            }
        }
        self.leaks = leaks;
    }
}
