//! Pictures of a wiring, as text for the terminal or as mermaid for notes: what a run built,
//! what the exercise expects, and the structural checks between the two.

use crate::judging::wiring::model::{ChannelKind, Link, Use, Wiring};
use crate::judging::wiring::rules;
use crate::sandbox::procfs::{Fd, Object};
use crate::sandbox::trace::Exit;
use crate::workbook::manifest::{Exercise, WiringSpec};
use std::fmt::Write;

/// What each check said about the run: its words, and what was missing when it failed.
pub fn verdicts(
    wiring: &Wiring,
    exercise: &Exercise,
    args: &[String],
) -> Vec<(String, Option<String>)> {
    exercise
        .wiring
        .checks
        .iter()
        .filter_map(|name| rules::find(name))
        .map(|(_, asks, rule)| {
            let context = rules::Context {
                args,
                printed_by_readers: &exercise.wiring.printed_by_readers,
                quoted_by_readers: &exercise.wiring.quoted_by_readers,
            };
            (
                asks.to_string(),
                rule(wiring, &context).err().map(|m| m.problem),
            )
        })
        .collect()
}

/// What a run built, in a few lines for a failure report: each process, each channel that
/// carried data, and what is marked; at most `max` lines.
pub fn brief(wiring: &Wiring, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = (0..wiring.nodes.len())
        .map(|i| {
            format!(
                "P{} {}: {}",
                i + 1,
                cut(&command(wiring, i), 40),
                about(wiring, i)
            )
        })
        .collect();
    lines.extend(
        wiring
            .links
            .iter()
            .filter(|l| !matches!(wiring.channels[l.channel].kind, ChannelKind::Output(_)))
            .filter_map(|l| link_text(wiring, l)),
    );
    lines.extend(marks(wiring).into_iter().map(|m| format!("! {m}")));
    if lines.len() > max {
        let more = lines.len() - max + 1;
        lines.truncate(max - 1);
        lines.push(format!("... and {more} more lines"));
    }
    lines
}

/// The observed wiring, the expected one and the checks, as text.
pub fn text(wiring: &Wiring, exercise: &Exercise, args: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "What your program built");
    let _ = writeln!(out, "  processes");
    for i in 0..wiring.nodes.len() {
        let _ = writeln!(
            out,
            "    {:<4} {}\n         {}",
            format!("P{}", i + 1),
            cut(&command(wiring, i), 70),
            about(wiring, i)
        );
    }
    let _ = writeln!(
        out,
        "  pipes and sockets (writer --fd--> channel --fd--> reader)"
    );
    let mut any = false;
    // The checker's stdout and stderr last: the program's own pipes are the picture.
    let mut links: Vec<&Link> = wiring.links.iter().collect();
    links.sort_by_key(|l| matches!(wiring.channels[l.channel].kind, ChannelKind::Output(_)));
    for l in links {
        if let Some(line) = link_text(wiring, l) {
            let _ = writeln!(out, "    {line}");
            any = true;
        }
    }
    if !any {
        let _ = writeln!(out, "    (none: no process wrote into or read from a pipe)");
    }
    let _ = writeln!(
        out,
        "  pipe ends over time (made, inherited at fork, closed, still open at exit)"
    );
    let mut none = true;
    for i in 0..wiring.nodes.len() {
        let line = ends_over_time(wiring, i);
        if !line.is_empty() {
            let _ = writeln!(out, "    P{:<3} {}", i + 1, line.join("; "));
            none = false;
        }
    }
    if none {
        let _ = writeln!(
            out,
            "    (none: no process held a pipe or socket of its own)"
        );
    }
    let marks = marks(wiring);
    if !marks.is_empty() {
        let _ = writeln!(out, "  marked");
        for m in marks {
            let _ = writeln!(out, "    ! {m}");
        }
    }
    let _ = writeln!(out, "\nWhat {} expects", exercise.name);
    expected_text(&mut out, &exercise.wiring);
    let _ = writeln!(out, "\nStructural checks");
    for (asks, missed) in verdicts(wiring, exercise, args) {
        let _ = match missed {
            None => writeln!(out, "  ok    {asks}"),
            Some(problem) => writeln!(out, "  DIFF  {asks}\n        {problem}"),
        };
    }
    out
}

fn expected_text(out: &mut String, spec: &WiringSpec) {
    let _ = writeln!(out, "  processes");
    for p in &spec.processes {
        let (id, what) = p.split_once(": ").unwrap_or(("", p));
        let _ = writeln!(out, "    {id:<4} {what}");
    }
    let _ = writeln!(out, "  links");
    for line in expected_links(spec) {
        let _ = writeln!(out, "    {line}");
    }
}

/// The links the exercise expects, one line each (`P2 --> P1  the messages`): the plain-text
/// form of the handout's picture, for a terminal, which shows no mermaid.
pub fn expected_links(spec: &WiringSpec) -> Vec<String> {
    spec.links
        .iter()
        .map(|l| {
            let (ends, what) = l.split_once(": ").unwrap_or((l, ""));
            let (from, to) = ends.split_once(" -> ").unwrap_or((ends, ""));
            format!("{from} --> {to}  {what}")
        })
        .collect()
}

/// `cat file.txt` for an exec'd process, the program's own command line for the others.
fn command(w: &Wiring, node: usize) -> String {
    let p = &w.trace.procs[node];
    let own = p.execs.last().map(|e| e.argv.clone());
    let argv = own.or_else(|| {
        // A forked child runs its parent's program.
        let mut up = w.nodes[node].parent;
        while let Some(i) = up {
            if let Some(e) = w.trace.procs[i].execs.last() {
                return Some(e.argv.clone());
            }
            up = w.nodes[i].parent;
        }
        None
    });
    let argv = argv.unwrap_or_default();
    let mut words: Vec<String> = argv
        .iter()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .take(1)
        .collect();
    words.extend(argv.iter().skip(1).cloned());
    words.join(" ")
}

/// A process's pipe and socket ends: what it made or opened, inherited, closed, and still held
/// when it exited (or exec'd, for a program it started).
fn ends_over_time(w: &Wiring, node: usize) -> Vec<String> {
    let p = &w.trace.procs[node];
    let list = |fds: &mut dyn Iterator<Item = &Fd>| -> String {
        let mut items: Vec<String> = fds
            .filter(|f| w.channel_of(&f.object).is_some())
            .filter(|f| {
                !matches!(
                    w.channels[w.channel_of(&f.object).unwrap_or(0)].kind,
                    ChannelKind::Output(_)
                )
            })
            .map(|f| {
                format!(
                    "fd {} {}",
                    f.fd,
                    w.describe(&f.object, f.writes && !f.reads)
                )
            })
            .collect();
        items.dedup();
        items.join(", ")
    };
    let mut parts = Vec::new();
    let made: Vec<&str> = w
        .channels
        .iter()
        .filter(|c| c.made_by == Some(node))
        .map(|c| c.name.as_str())
        .collect();
    if !made.is_empty() {
        parts.push(format!("made {}", made.join(", ")));
    }
    let cloexec: Vec<String> = p.cloexec.iter().map(|fd| format!("fd {fd}")).collect();
    if !cloexec.is_empty() {
        parts.push(format!("marked close-on-exec {}", cloexec.join(", ")));
    }
    for (what, fds) in [
        ("inherited", list(&mut p.inherited.iter())),
        (
            "got",
            list(
                &mut p
                    .gained
                    .iter()
                    .filter(|f| !matches!(f.object, Object::Pipe(i) if p.made.contains(&i))),
            ),
        ),
        ("closed", list(&mut p.closed.iter())),
        ("still open at exit", list(&mut p.held_at_exit.iter())),
    ] {
        if !fds.is_empty() {
            parts.push(format!("{what} {fds}"));
        }
    }
    parts
}

fn about(w: &Wiring, node: usize) -> String {
    let n = &w.nodes[node];
    let mut parts = vec![match n.parent {
        None => "the program".to_string(),
        Some(p) if n.execed => format!("child of P{}, exec'd {}", p + 1, n.program),
        Some(p) => format!("child of P{}", p + 1),
    }];
    let times = |n: u32| {
        if n == 1 {
            "once".to_string()
        } else {
            format!("{n} times")
        }
    };
    if n.polls > 0 {
        parts.push(format!("polled {}", times(n.polls)));
    }
    let waited: Vec<String> = w.trace.procs[node]
        .waited_for
        .iter()
        .filter_map(|pid| w.node_of(*pid))
        .map(|i| format!("P{}", i + 1))
        .collect();
    if !waited.is_empty() {
        parts.push(format!("waited for {}", waited.join(", ")));
    } else if n.waits > 0 {
        parts.push(format!("waited {}", times(n.waits)));
    }
    parts.push(match n.exit {
        Some(Exit::Code(c)) => format!("exit {c}"),
        Some(Exit::Signal(s)) => format!("killed by {}", s.as_str()),
        None => "still running".into(),
    });
    parts.join("; ")
}

fn uses(uses: &[Use]) -> String {
    if uses.is_empty() {
        return "nobody".into();
    }
    let names: Vec<String> = uses
        .iter()
        .map(|u| {
            let maybe = if u.untraced { "?" } else { "" };
            format!("P{}{maybe} (fd {})", u.node + 1, u.fd)
        })
        .collect();
    names.join(", ")
}

fn link_text(w: &Wiring, l: &Link) -> Option<String> {
    if l.writers.is_empty() && l.readers.is_empty() {
        return None;
    }
    let channel = &w.channels[l.channel];
    let bytes: u64 = l.writers.iter().map(|u| u.bytes).sum();
    let writes: u64 = l.writers.iter().map(|u| u.calls).sum();
    let mut errors: Vec<String> = l
        .writers
        .iter()
        .flat_map(|u| u.errors.iter().map(|(e, n)| format!("{e} x{n}")))
        .collect();
    errors.dedup();
    let mut line = format!(
        "{} --> [{}] --> {}",
        uses(&l.writers),
        channel.name,
        if matches!(channel.kind, ChannelKind::Output(_)) {
            "the checker".to_string()
        } else {
            uses(&l.readers)
        }
    );
    if bytes > 0 {
        let _ = write!(line, "   {bytes} B in {writes} write(s)");
    }
    if l.untraced > 0 {
        let _ = write!(line, "   {} B in one-byte writes (not traced)", l.untraced);
    }
    if !errors.is_empty() {
        let _ = write!(line, "   failed writes: {}", errors.join(", "));
    }
    Some(line)
}

/// What the picture marks: leaked descriptors, readers holding their own pipe's write end.
pub fn marks(w: &Wiring) -> Vec<String> {
    let mut marks: Vec<String> = w
        .leaks
        .iter()
        .map(|l| {
            format!(
                "P{} started {} with fd {}: {} (leaked)",
                l.node + 1,
                w.nodes[l.node].program,
                l.fd,
                l.what
            )
        })
        .collect();
    for h in w.readers_holding_write_end() {
        let link = &w.links[h.link];
        marks.push(format!(
            "P{} began reading {} while it still held {} as fd {}",
            h.node + 1,
            w.channels[link.channel].name,
            w.describe(&link.write_end, true),
            h.fd
        ));
    }
    marks
}

/// The same three parts as mermaid flowcharts in markdown, to paste into notes.
pub fn mermaid(wiring: &Wiring, exercise: &Exercise, args: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### What my program built\n\n```mermaid\nflowchart LR");
    let mut leaked: Vec<usize> = wiring.leaks.iter().map(|l| l.node).collect();
    leaked.dedup();
    for (i, n) in wiring.nodes.iter().enumerate() {
        let mut label = format!("P{} {}", i + 1, quote(&cut(&command(wiring, i), 40)));
        for l in wiring.leaks.iter().filter(|l| l.node == i) {
            let _ = write!(label, "<br/>! fd {}: {} (leaked)", l.fd, quote(&l.what));
        }
        let _ = writeln!(out, "  P{}[\"{label}\"]", i + 1);
        if let Some(p) = n.parent {
            let _ = writeln!(out, "  P{} -. fork .-> P{}", p + 1, i + 1);
        }
    }
    for l in &wiring.links {
        let channel = &wiring.channels[l.channel];
        let label = quote(&channel.name);
        if let ChannelKind::Output(name) = channel.kind {
            if !l.writers.is_empty() {
                let _ = writeln!(out, "  {name}((\"{name}\"))");
            }
            for wtr in &l.writers {
                let _ = writeln!(out, "  P{} -- \"fd {}\" --> {name}", wtr.node + 1, wtr.fd);
            }
            continue;
        }
        for wtr in &l.writers {
            for r in &l.readers {
                let _ = writeln!(
                    out,
                    "  P{} -- \"{label}: fd {} to fd {}\" --> P{}",
                    wtr.node + 1,
                    wtr.fd,
                    r.fd,
                    r.node + 1
                );
            }
        }
    }
    for node in leaked {
        let _ = writeln!(out, "  style P{} stroke:#d00,stroke-width:3px", node + 1);
    }
    let _ = writeln!(
        out,
        "```\n\n### What {} expects\n\n```mermaid\nflowchart LR",
        exercise.name
    );
    expected_mermaid(&mut out, &exercise.wiring);
    let _ = writeln!(out, "```\n\n### Structural checks\n");
    for (asks, missed) in verdicts(wiring, exercise, args) {
        let _ = match missed {
            None => writeln!(out, "- [x] {asks}"),
            Some(problem) => writeln!(out, "- [ ] {asks}: **{problem}**"),
        };
    }
    out
}

/// The expected wiring of an exercise as a mermaid flowchart's body (also for the handout).
pub fn expected_mermaid(out: &mut String, spec: &WiringSpec) {
    for p in &spec.processes {
        let (id, what) = p.split_once(": ").unwrap_or((p, ""));
        let _ = writeln!(out, "  {id}[\"{id} {}\"]", quote(what));
        for parent in spec
            .processes
            .iter()
            .filter_map(|q| q.split_once(": ").map(|(i, _)| i))
        {
            let by = [format!("of {parent}"), format!("by {parent}")];
            if parent != id
                && by
                    .iter()
                    .any(|b| what.contains(&format!("{b},")) || what.ends_with(b.as_str()))
            {
                let _ = writeln!(out, "  {parent} -. fork .-> {id}");
            }
        }
    }
    for l in &spec.links {
        let (ends, what) = l.split_once(": ").unwrap_or((l, ""));
        let (from, to) = ends.split_once(" -> ").unwrap_or((ends, ""));
        let _ = writeln!(out, "  {from} -- \"{}\" --> {to}", quote(what));
    }
}

/// Text safe inside a quoted mermaid label.
fn quote(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max - 3).collect();
    format!("{kept}...")
}
