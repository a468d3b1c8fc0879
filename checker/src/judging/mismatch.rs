//! What kind of difference a wrong stdout shows, read from the diff itself (and from stderr
//! for a panic): a line missing at the end, lines of one source missing, wrong labels on the
//! right lines, lines in another order, another case mapping, another escaping, characters
//! replaced by U+FFFD, lines that come again. Each kind has its own likely cause, so a
//! student reads the fault the diff shows instead of a general word about stdout.

use super::cause::Cause;
use crate::wording::cut;
use crate::workbook::manifest::Topic;
use std::collections::BTreeMap;

/// The kind of a wrong stdout, with the lines that show it.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// A process panicked: where, and its message.
    Panicked { at: String, message: String },
    /// A line holds U+FFFD where the expected text has a real character.
    Replaced { line: String },
    /// The same letters in another case: `expected` became `actual`.
    CaseMapped { expected: String, actual: String },
    /// The same text quoted or escaped otherwise; `debug_expected`: the contract prints it
    /// with `{:?}`, the program without.
    Escaped {
        expected: String,
        actual: String,
        debug_expected: bool,
    },
    /// Earlier text printed again: a buffer that grows.
    Repeated { text: String },
    /// The first lines are right and the last `count` never came, from `first` on.
    MissingAtEnd { count: usize, first: String },
    /// Lines missing, each one of the last its source sent (labelled lines).
    LastWordsLost { first: String },
    /// Lines missing here and there.
    Missing { count: usize, first: String },
    /// Lines that are not in the contract, the first of them.
    Extra { count: usize, first: String },
    /// The right texts in the right order, labelled otherwise.
    Relabelled { expected: String, actual: String },
    /// The right lines in another order: the first line out of place, and what was there.
    Reordered { expected: String, actual: String },
}

/// The kind of difference between `expected` and `actual` stdout, when one is clear.
pub fn classify(expected: &str, actual: &str, stderr: &str) -> Option<Mismatch> {
    if expected == actual {
        return None;
    }
    if let Some(panic) = panicked(stderr) {
        return Some(panic);
    }
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    if let Some(line) = a
        .iter()
        .find(|l| l.contains('\u{FFFD}'))
        .filter(|_| !expected.contains('\u{FFFD}'))
    {
        return Some(Mismatch::Replaced {
            line: line.to_string(),
        });
    }
    if a.len() == e.len() {
        let pairs: Vec<(&str, &str)> = e
            .iter()
            .zip(&a)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (*x, *y))
            .collect();
        let &(first_e, first_a) = pairs.first()?;
        if pairs
            .iter()
            .all(|(x, y)| x.to_uppercase() == y.to_uppercase())
        {
            return Some(Mismatch::CaseMapped {
                expected: first_e.into(),
                actual: first_a.into(),
            });
        }
        if pairs.iter().all(|(x, y)| plain(x) == plain(y)) {
            return Some(Mismatch::Escaped {
                expected: first_e.into(),
                actual: first_a.into(),
                debug_expected: escapes(first_e) > escapes(first_a),
            });
        }
        if pairs.iter().all(|(x, y)| {
            let (lx, tx) = label(x);
            let (ly, ty) = label(y);
            !lx.is_empty() && tx == ty && lx != ly
        }) {
            return Some(Mismatch::Relabelled {
                expected: first_e.into(),
                actual: first_a.into(),
            });
        }
        if counts(&e) == counts(&a) {
            return Some(Mismatch::Reordered {
                expected: first_e.into(),
                actual: first_a.into(),
            });
        }
        return None;
    }
    if a.len() > e.len() {
        if let Some(text) = repeated(&e, &a) {
            return Some(Mismatch::Repeated { text });
        }
        let extra = left_over(&a, &e)?;
        return Some(Mismatch::Extra {
            count: extra.len(),
            first: a[extra[0]].into(),
        });
    }
    if a.is_empty() {
        return None;
    }
    if e.starts_with(&a) {
        return Some(Mismatch::MissingAtEnd {
            count: e.len() - a.len(),
            first: e[a.len()].into(),
        });
    }
    let gone = left_over(&e, &a)?;
    // Each missing line is the last before its source's closing line (`[k] hang-up`), which
    // came: the sources' last words were lost on the way to the end.
    let last_words = gone.iter().all(|&i| {
        let (l, _) = label(e[i]);
        !l.is_empty()
            && e[i + 1..]
                .iter()
                .enumerate()
                .filter(|(j, x)| label(x).0 == l && !gone.contains(&(i + 1 + j)))
                .count()
                == 1
    });
    if last_words {
        return Some(Mismatch::LastWordsLost {
            first: e[gone[0]].into(),
        });
    }
    Some(Mismatch::Missing {
        count: gone.len(),
        first: e[gone[0]].into(),
    })
}

impl Mismatch {
    /// A kind that tells its fault alone, whatever the exercise: said before the exercise's
    /// own words. The others (a line missing at the end, another order, another case...)
    /// have several causes, and the exercise's evidence may know which.
    pub fn is_telling(&self) -> bool {
        matches!(
            self,
            Mismatch::Repeated { .. } | Mismatch::Relabelled { .. }
        )
    }

    /// The likely cause, in the diff's own lines, with what it is about.
    pub fn cause(&self) -> Cause {
        let topic = match self {
            Mismatch::Replaced { .. } => Some(Topic::Framing),
            Mismatch::LastWordsLost { .. } => Some(Topic::HangUp),
            _ => None,
        };
        Cause {
            text: self.words(),
            topic,
        }
    }

    fn words(&self) -> String {
        let q = |s: &str| format!("`{}`", cut(s));
        match self {
            Mismatch::Panicked { at, message } => format!(
                "a process panicked{}{}, so it stopped before printing the rest: an unwrap() or expect() on something that failed, or an index out of range. Its whole message is on stderr, in the case's folder",
                if at.is_empty() { String::new() } else { format!(" at {at}") },
                if message.is_empty() { String::new() } else { format!(" with `{}`", cut(message)) },
            ),
            Mismatch::Replaced { line } => format!(
                "{} holds the replacement character U+FFFD: bytes that are not UTF-8 on their own were decoded, which happens when a character's bytes are split between two reads and each read is decoded apart (String::from_utf8_lossy on each chunk). Collect the bytes first and decode whole lines (BufReader::lines, or read_to_end then from_utf8)",
                q(line)
            ),
            Mismatch::CaseMapped { expected, actual } => format!(
                "{} came out as {}: the same letters in another case. to_ascii_uppercase() changes only a to z; to_uppercase() maps every letter (ß becomes SS), and the contract says which the output uses",
                q(expected),
                q(actual)
            ),
            Mismatch::Escaped {
                expected,
                actual,
                debug_expected: true,
            } => format!(
                "{} was printed as {}: the same text, not quoted and escaped as the contract prints it, with {{:?}} (Debug), which adds the quotes and writes a newline as \\n",
                q(expected),
                q(actual)
            ),
            Mismatch::Escaped { expected, actual, .. } => format!(
                "{} was printed as {}: the same text, quoted or escaped where the contract prints it as it is, with {{}} (Display), not {{:?}}",
                q(expected),
                q(actual)
            ),
            Mismatch::Repeated { text } => format!(
                "{} comes more often than it was sent: text read earlier is printed again, as from a buffer that is never cleared (read_line and read_to_string append to the String they are given: clear() it before each read, or use lines())",
                q(text)
            ),
            Mismatch::MissingAtEnd { count, first } => format!(
                "every line up to {} is right, then the output stops: the last {} never came. Look at what ends the read loop (it must stop only when read() returns 0, end-of-file), and at the last message: was it written, flushed and read before the end?",
                q(first),
                if *count == 1 { "line".to_string() } else { format!("{count} lines") }
            ),
            Mismatch::LastWordsLost { .. } => "the last line of a source never came, though the line that closes it did (the diff shows which): its pipe was dropped with that line still in it. A pipe still holds what was written before its writer hung up, and poll reports POLLHUP with that data or after it: read until read() returns 0, and only then drop the pipe".into(),
            Mismatch::Missing { count, first } => format!(
                "{} expected line(s) never came, the first {}: the others came in order, so something read or printed only part of what was sent",
                count,
                q(first)
            ),
            Mismatch::Extra { count, first } => format!(
                "{} line(s) the contract does not have, the first {}: stdout is compared exactly, so debugging output belongs on stderr (eprintln!)",
                count,
                q(first)
            ),
            Mismatch::Relabelled { expected, actual } => format!(
                "the right lines in the right order, but labelled otherwise: {} came as {}. A label names its source for good: keep it with the source (in the same struct as its pipe), not as its place in a list that shrinks when a source is removed",
                q(expected),
                q(actual)
            ),
            Mismatch::Reordered { expected, actual } => format!(
                "the right lines in another order: where {} belongs came {}",
                q(expected),
                q(actual)
            ),
        }
    }
}

/// The panic a process reported on stderr: `thread 'main' panicked at FILE:LINE:COL:` and its
/// message on the next line.
fn panicked(stderr: &str) -> Option<Mismatch> {
    let mut lines = stderr.lines();
    let head = lines.by_ref().find(|l| l.contains("panicked at "))?;
    let at = head
        .split_once("panicked at ")
        .map(|(_, rest)| rest.trim_end_matches(':').to_string())
        .unwrap_or_default();
    let message = lines
        .next()
        .filter(|l| !l.starts_with("note:"))
        .unwrap_or("")
        .to_string();
    Some(Mismatch::Panicked { at, message })
}

/// A line's label, the part that names its source (`[2]`, `consumer 1:`, `reader:`), and the
/// rest; no label: an empty one.
fn label(line: &str) -> (&str, &str) {
    if line.starts_with('[')
        && let Some(end) = line.find("] ")
    {
        return (&line[..=end], &line[end + 2..]);
    }
    match line.split_once(": ") {
        Some((l, rest)) if l.len() <= 24 => (&line[..=l.len()], rest),
        _ => ("", line),
    }
}

/// The text without quotes and escapes: what `{}` and `{:?}` of one string share.
fn plain(line: &str) -> String {
    line.replace("\\\\", "\u{0}")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\"", "\"")
        .replace("\\'", "'")
        .replace('\u{0}', "\\")
        .replace('"', "")
}

fn escapes(line: &str) -> usize {
    line.matches('"').count() + line.matches('\\').count()
}

fn counts<'a>(lines: &[&'a str]) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for l in lines {
        *m.entry(*l).or_insert(0) += 1;
    }
    m
}

/// The places in `long` of the lines left over when `short` is taken out of it in order; None
/// when `short` is not a subsequence of `long`, or nothing is left over.
fn left_over(long: &[&str], short: &[&str]) -> Option<Vec<usize>> {
    let mut rest = short.iter().peekable();
    let mut over = Vec::new();
    for (i, l) in long.iter().enumerate() {
        if rest.peek() == Some(&l) {
            rest.next();
        } else {
            over.push(i);
        }
    }
    (rest.next().is_none() && !over.is_empty()).then_some(over)
}

/// An expected line's text (its label taken off) that comes more often in `actual` than in
/// `expected`, anywhere in a line.
fn repeated(expected: &[&str], actual: &[&str]) -> Option<String> {
    let all_e = expected.join("\n");
    let all_a = actual.join("\n");
    expected.iter().find_map(|l| {
        let text = label(l).1;
        (text.len() >= 2 && all_a.matches(text).count() > all_e.matches(text).count())
            .then(|| text.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(expected: &str, actual: &str) -> Mismatch {
        classify(expected, actual, "").expect("a kind")
    }

    #[test]
    fn a_missing_last_line() {
        let m = kind("a: 1\na: 2\nEOF\n", "a: 1\na: 2\n");
        assert_eq!(
            m,
            Mismatch::MissingAtEnd {
                count: 1,
                first: "EOF".into()
            }
        );
        assert!(m.cause().text.contains("the last line never came"));
    }

    #[test]
    fn the_last_lines_of_one_source() {
        let e = "[0] child 0 line 1\n[1] child 1 line 1\n[0] child 0 line 2\n[0] hang-up\n[1] hang-up\n";
        let a = "[0] child 0 line 1\n[1] child 1 line 1\n[0] hang-up\n[1] hang-up\n";
        let m = kind(e, a);
        assert_eq!(
            m,
            Mismatch::LastWordsLost {
                first: "[0] child 0 line 2".into()
            }
        );
        assert!(m.cause().text.contains("read until read() returns 0"));
        // Two sources' last lines: the same kind, the same words.
        let e2 = "[0] a 1\n[1] b 1\n[0] a 2\n[1] b 2\n[0] hang-up\n[1] hang-up\n";
        let a2 = "[0] a 1\n[1] b 1\n[0] hang-up\n[1] hang-up\n";
        assert_eq!(kind(e2, a2).cause(), m.cause());
        // A line from the middle of a source is not its last word.
        let a3 = "[1] b 1\n[0] a 2\n[1] b 2\n[0] hang-up\n[1] hang-up\n";
        assert!(matches!(kind(e2, a3), Mismatch::Missing { .. }));
    }

    #[test]
    fn shifted_labels() {
        let e = "[0] child 0 line 1\n[0] hang-up\n[1] child 1 line 1\n[2] child 2 line 1\n";
        let a = "[0] child 0 line 1\n[0] hang-up\n[0] child 1 line 1\n[1] child 2 line 1\n";
        assert!(matches!(kind(e, a), Mismatch::Relabelled { .. }));
    }

    #[test]
    fn another_order() {
        let m = kind("x\ny\nz\n", "x\nz\ny\n");
        assert_eq!(
            m,
            Mismatch::Reordered {
                expected: "y".into(),
                actual: "z".into()
            }
        );
    }

    #[test]
    fn ascii_upper_casing() {
        let m = kind("parent got: \"STRASSE\"\n", "parent got: \"STRAßE\"\n");
        assert!(matches!(m, Mismatch::CaseMapped { .. }));
        assert!(m.cause().text.contains("to_uppercase()"));
    }

    #[test]
    fn display_instead_of_debug_and_back() {
        // Printed raw, the message's newline splits the line: no kind is sure.
        assert_eq!(
            classify("child got: \"a\\nb\"\n", "child got: a\nb\n", ""),
            None
        );
        let m = kind("child got: \"a b\"\n", "child got: a b\n");
        assert!(matches!(
            m,
            Mismatch::Escaped {
                debug_expected: true,
                ..
            }
        ));
        let m = kind("reader: a b\n", "reader: \"a b\"\n");
        assert!(matches!(
            m,
            Mismatch::Escaped {
                debug_expected: false,
                ..
            }
        ));
    }

    #[test]
    fn replacement_characters() {
        let m = kind("received: née\n", "received: n\u{FFFD}\u{FFFD}e\n");
        assert!(matches!(m, Mismatch::Replaced { .. }));
        assert!(m.cause().text.contains("from_utf8_lossy"));
    }

    #[test]
    fn a_buffer_never_cleared() {
        let e = "received: hello\nreceived: hey\nEOF after 2 messages\n";
        let a = "received: hello\nreceived: hello\nhey\nEOF after 2 messages\n";
        let m = kind(e, a);
        assert_eq!(
            m,
            Mismatch::Repeated {
                text: "hello".into()
            }
        );
        assert!(m.cause().text.contains("clear()"));
    }

    #[test]
    fn extra_lines() {
        let m = kind("a\nb\n", "a\ndebug: 3\nb\n");
        assert_eq!(
            m,
            Mismatch::Extra {
                count: 1,
                first: "debug: 3".into()
            }
        );
    }

    #[test]
    fn a_panic_is_said_with_its_place_and_message() {
        let stderr = "thread 'main' panicked at src/bin/04_three_stage_chain.rs:12:5:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1`\n";
        let m = classify("3\n", "", stderr).expect("a kind");
        assert_eq!(
            m,
            Mismatch::Panicked {
                at: "src/bin/04_three_stage_chain.rs:12:5".into(),
                message: "called `Option::unwrap()` on a `None` value".into()
            }
        );
        assert!(
            m.cause()
                .text
                .contains("at src/bin/04_three_stage_chain.rs:12:5")
        );
    }

    #[test]
    fn unrelated_lines_have_no_kind() {
        assert_eq!(classify("a\nb\n", "c\nd\n", ""), None);
        assert_eq!(classify("a\n", "a\n", ""), None);
    }
}
