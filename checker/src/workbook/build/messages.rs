//! What cargo says during a build, read as it comes (`--message-format json`): which
//! exercises were built, each one's compiler messages cut to a bounded report, and cargo's own
//! errors; never more than a bounded line of it in memory at once.

use super::cargo::{BUILD_MEMORY_GIB, Limits};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc;

/// How much of the compiler's messages an exercise's report shows.
const MESSAGES_SHOWN: usize = 20;
const BYTES_SHOWN: usize = 16 << 10;
/// How much of cargo's own error output is kept.
const CARGO_ERRORS_KEPT: usize = 16 << 10;
/// The longest line of cargo's output read whole (a message quotes whole source lines).
const LONGEST_LINE: usize = 4 << 20;

/// What one cargo call left: the programs built, each bin's messages, and what stopped it.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) built: HashMap<String, PathBuf>,
    pub(super) messages: HashMap<String, Messages>,
    /// Bins whose compiler the watchdog stopped at the per-exercise limit.
    pub(super) timed_out: HashSet<String>,
    /// The whole build stopped at the per-submission limit.
    pub(super) submission_stopped: bool,
    /// Bins whose compiler died of a signal, with the signal as cargo named it.
    pub(super) crashed: HashMap<String, String>,
    /// Cargo's own error output, bounded: what went wrong when no exercise says.
    pub(super) cargo_errors: String,
}

impl Outcome {
    /// Why a bin was not built, for its report.
    pub(super) fn report(&self, bin: &str, limits: Limits) -> String {
        let memory = format!(
            "the compiler ran out of the {BUILD_MEMORY_GIB} GiB a build may use (a huge `const` or `static`, or `include_bytes!` of an endless file, for instance)"
        );
        let messages = self.messages.get(bin).filter(|m| !m.is_empty());
        let mut parts = Vec::new();
        if self.timed_out.contains(bin) {
            parts.push(format!(
                "the compiler ran longer than {} s on this exercise and was stopped (an endless `const` evaluation, for instance)",
                limits.exercise.as_secs()
            ));
        } else if let Some(signal) = self.crashed.get(bin) {
            parts.push(if signal.contains("SIGABRT") {
                memory
            } else if signal.contains("SIGXCPU") {
                format!(
                    "the compiler used more than {} s of CPU on this exercise and was stopped",
                    limits.cpu_secs()
                )
            } else {
                format!("the compiler stopped on {signal} (perhaps the machine ran out of memory)")
            });
        } else if messages.is_some_and(|m| m.out_of_memory) {
            parts.push(memory);
        } else if self.submission_stopped {
            parts.push(format!(
                "the build of this submission ran longer than {} s in all and was stopped before this exercise compiled",
                limits.submission.as_secs()
            ));
        }
        match messages {
            Some(m) => parts.push(m.text()),
            None if parts.is_empty() => parts.push(if self.cargo_errors.trim().is_empty() {
                "cargo stopped without a word about this exercise".into()
            } else {
                self.cargo_errors.clone()
            }),
            None => {}
        }
        parts.join("\n\n")
    }
}

/// One exercise's compiler messages, as many as a report shows, and how many more there were.
#[derive(Default, Debug)]
pub(super) struct Messages {
    shown: String,
    count: usize,
    more: usize,
    /// The compiler said it ran out of memory.
    out_of_memory: bool,
}

impl Messages {
    fn is_empty(&self) -> bool {
        self.count == 0 && self.more == 0
    }

    fn add(&mut self, rendered: &str) {
        if self.count >= MESSAGES_SHOWN || self.shown.len() >= BYTES_SHOWN {
            self.more += 1;
            return;
        }
        let room = BYTES_SHOWN - self.shown.len();
        if rendered.len() <= room {
            self.shown.push_str(rendered);
        } else {
            // Whole lines where there are some, so no line ends half-way.
            let mut end = room;
            while !rendered.is_char_boundary(end) {
                end -= 1;
            }
            let cut = rendered[..end].rfind('\n').map_or(end, |n| n + 1);
            self.shown.push_str(&rendered[..cut]);
            self.shown
                .push_str("[the rest of this message is not shown]\n");
        }
        self.count += 1;
    }

    fn text(&self) -> String {
        let mut text = self.shown.trim_end().to_string();
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            text.push_str(&format!("\n\n... {} more message{s} not shown", self.more));
        }
        text
    }
}

/// What cargo's JSON messages said, by bin.
#[derive(Default)]
pub(super) struct Said {
    pub(super) built: HashMap<String, PathBuf>,
    pub(super) by_bin: HashMap<String, Messages>,
}

/// One line of cargo's JSON output (only the fields used).
#[derive(serde::Deserialize)]
struct CargoLine {
    reason: String,
    target: Option<Target>,
    message: Option<Diagnostic>,
    executable: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Diagnostic {
    message: String,
    level: String,
    rendered: Option<String>,
}

pub(super) fn read_messages(out: impl Read, wanted: &HashSet<String>) -> Said {
    let mut read = Said::default();
    let mut lines = BoundedLines::new(out);
    while let Some((line, whole)) = lines.next_line() {
        if !whole {
            // Too long to parse: still one more message of its bin.
            if let Some(bin) = target_name(&line).filter(|b| wanted.contains(b)) {
                read.by_bin.entry(bin).or_default().more += 1;
            }
            continue;
        }
        let Ok(parsed) = serde_json::from_slice::<CargoLine>(&line) else {
            continue;
        };
        let Some(target) = parsed
            .target
            .filter(|t| t.kind.iter().any(|k| k == "bin") && wanted.contains(&t.name))
        else {
            continue;
        };
        match (parsed.reason.as_str(), parsed.message, parsed.executable) {
            ("compiler-artifact", _, Some(executable)) => {
                read.built.insert(target.name, executable);
            }
            ("compiler-message", Some(diagnostic), _) => {
                let messages = read.by_bin.entry(target.name).or_default();
                messages.out_of_memory |= diagnostic.level == "error"
                    && (diagnostic.message.ends_with(": out of memory")
                        || diagnostic.message.contains("more memory than available"));
                messages.add(
                    diagnostic
                        .rendered
                        .as_deref()
                        .unwrap_or(&diagnostic.message),
                );
            }
            _ => {}
        }
    }
    read
}

/// The target's name in the beginning of a JSON line too long to parse (cargo writes
/// `"target":{...,"name":"..."` before the message).
fn target_name(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&line[..line.len().min(64 << 10)]);
    let after = &text[text.find("\"target\":")?..];
    let name = &after[after.find("\"name\":\"")? + 8..];
    Some(name[..name.find('"')?].to_string())
}

/// What cargo's own error output said.
#[derive(Default)]
pub(super) struct Errors {
    pub(super) kept: String,
    pub(super) crashed: HashMap<String, String>,
}

/// Keeps the beginning of cargo's error output, and notes each compiler that died of a signal:
/// `process didn't exit successfully: `rustc --crate-name NAME ...` (signal: 6, SIGABRT: ...)`.
pub(super) fn read_errors(err: impl Read) -> Errors {
    let mut errors = Errors::default();
    let mut lines = BoundedLines::new(err);
    let mut cut = false;
    while let Some((line, _)) = lines.next_line() {
        let text = String::from_utf8_lossy(&line);
        if let Some((name, signal)) = crashed_compiler(&text) {
            errors.crashed.insert(name, signal);
        }
        if errors.kept.len() + text.len() <= CARGO_ERRORS_KEPT {
            errors.kept.push_str(&text);
        } else if !cut {
            cut = true;
            errors
                .kept
                .push_str("[cargo's other messages are not shown]\n");
        }
    }
    errors
}

fn crashed_compiler(line: &str) -> Option<(String, String)> {
    let at = line.find("process didn't exit successfully: ")?;
    let rest = &line[at..];
    let name = rest[rest.find("--crate-name ")? + 13..]
        .split_whitespace()
        .next()?
        .to_string();
    let signal = &rest[rest.rfind("(signal: ")? + 1..];
    let signal = signal[..signal.find(')')?].to_string();
    Some((name, signal))
}

/// Lines of a stream, each kept up to `LONGEST_LINE` bytes (the rest skipped): with whether it
/// was whole.
struct BoundedLines<R> {
    reader: BufReader<R>,
}

impl<R: Read> BoundedLines<R> {
    fn new(inner: R) -> Self {
        BoundedLines {
            reader: BufReader::with_capacity(64 << 10, inner),
        }
    }

    fn next_line(&mut self) -> Option<(Vec<u8>, bool)> {
        let mut line = Vec::new();
        let mut whole = true;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return (!line.is_empty()).then_some((line, whole)),
            };
            if buffer.is_empty() {
                return (!line.is_empty() || !whole).then_some((line, whole));
            }
            let (chunk, done) = match buffer.iter().position(|b| *b == b'\n') {
                Some(n) => (&buffer[..=n], true),
                None => (buffer, false),
            };
            let used = chunk.len();
            let room = LONGEST_LINE.saturating_sub(line.len());
            if chunk.len() > room {
                whole = false;
            }
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.reader.consume(used);
            if done {
                return Some((line, whole));
            }
        }
    }
}

/// Reads a child's stream in a thread of its own; the result comes back over the channel.
pub(super) fn read_in_thread<R: Read + Send + 'static, T: Send + 'static>(
    stream: Option<R>,
    read: impl FnOnce(R) -> T + Send + 'static,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    if let Some(stream) = stream {
        std::thread::spawn(move || {
            let _ = tx.send(read(stream));
        });
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_messages_is_cut_to_a_bounded_report() {
        let mut messages = Messages::default();
        for i in 0..20_000 {
            messages.add(&format!("error[E0308]: mismatched types number {i}\n\n"));
        }
        let text = messages.text();
        assert!(text.len() <= BYTES_SHOWN + 100, "{}", text.len());
        assert!(text.contains("number 19\n"), "{text}");
        assert!(!text.contains("number 20\n"), "{text}");
        assert!(
            text.ends_with("... 19980 more messages not shown"),
            "{text}"
        );

        let mut huge = Messages::default();
        huge.add(&"a line of an error\n".repeat(10_000));
        huge.add("error: the second\n");
        let text = huge.text();
        assert!(text.len() <= BYTES_SHOWN + 100, "{}", text.len());
        assert!(text.contains("[the rest of this message is not shown]"));
        assert!(text.ends_with("... 1 more message not shown"), "{text}");
    }

    #[test]
    fn cargo_lines_are_read_within_bounds() {
        let long = format!(
            "{{\"reason\":\"compiler-message\",\"target\":{{\"kind\":[\"bin\"],\"name\":\"01_raw_pipe\"}},\"message\":{{\"rendered\":\"{}\"}}}}\n",
            "x".repeat(LONGEST_LINE)
        );
        let ok = r#"{"reason":"compiler-message","target":{"kind":["bin"],"name":"01_raw_pipe"},"message":{"message":"couldn't read `/dev/zero`: out of memory","level":"error","rendered":"error: couldn't read\n\n"}}"#;
        let artifact = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"02_duplex_pipe"},"executable":"/t/02"}"#;
        let other = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"nix"},"executable":null}"#;
        let stream = format!("{long}{ok}\nnot json\n{artifact}\n{other}");
        let wanted: HashSet<String> = ["01_raw_pipe", "02_duplex_pipe"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let read = read_messages(stream.as_bytes(), &wanted);
        let one = &read.by_bin["01_raw_pipe"];
        assert_eq!((one.count, one.more, one.out_of_memory), (1, 1, true));
        assert_eq!(
            read.built.get("02_duplex_pipe"),
            Some(&PathBuf::from("/t/02"))
        );
        assert_eq!(read.built.len(), 1);
    }

    #[test]
    fn a_compiler_that_died_of_a_signal_is_named() {
        let stderr = "rustc-LLVM ERROR: out of memory\nAllocation failed\nerror: could not compile `exercises-copy` (bin \"01_raw_pipe\")\n\nCaused by:\n  process didn't exit successfully: `/x/rustc --crate-name 01_raw_pipe --edition=2024 copy/src/bin/01_raw_pipe.rs` (signal: 6, SIGABRT: process abort signal)\n";
        let errors = read_errors(stderr.as_bytes());
        assert_eq!(
            errors.crashed.get("01_raw_pipe").map(String::as_str),
            Some("signal: 6, SIGABRT: process abort signal")
        );
        assert!(errors.kept.starts_with("rustc-LLVM ERROR"));
        let flood = "error: something\n".repeat(10_000);
        assert!(read_errors(flood.as_bytes()).kept.len() <= CARGO_ERRORS_KEPT + 100);
        let outcome = Outcome {
            crashed: errors.crashed,
            ..Outcome::default()
        };
        let limits = Limits::parse(None).expect("the defaults");
        assert!(
            outcome
                .report("01_raw_pipe", limits)
                .starts_with("the compiler ran out of the 2 GiB a build may use")
        );
        assert!(
            outcome
                .report("02_duplex_pipe", limits)
                .contains("without a word")
        );
    }
}
