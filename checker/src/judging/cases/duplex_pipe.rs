//! 02_duplex_pipe: a two-way channel with length-framed messages.

use super::super::cause::Cause;
use super::{Case, Failure, Kind, NON_ASCII_WORDS, PLAIN_WORDS, random_word, random_words};
use crate::sandbox::runner::RunOutcome;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "02_duplex_pipe",
    random_cases: cases,
    require: super::nothing_more,
    cause,
    evidence,
    inputs: &[],
    refuses_before_forking: false,
};

pub fn oracle(messages: &[String]) -> String {
    let mut out = String::new();
    for m in messages {
        out.push_str(&format!(
            "child got: {m:?}\nparent got: {:?}\n",
            m.to_uppercase()
        ));
    }
    out.push_str("child: parent hung up\nchild exited with status 0\n");
    out
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let mut newlines: Vec<String> = [
        "two\nlines",
        "a\n\nb",
        "ends with a newline\n",
        "\nstarts with one",
    ]
    .map(String::from)
    .to_vec();
    // Each case tries one thing, whatever the seed: the newlines in plain ASCII, the bytes
    // beyond ASCII without a newline or a character `{:?}` escapes.
    newlines.insert(
        rng.random_range(0..=newlines.len()),
        random_words(rng, &PLAIN_WORDS, "\n"),
    );
    let mut non_ascii: Vec<String> = ["straße", "naïve café", "日本語", "ǆemal", "ﬁne"]
        .map(String::from)
        .to_vec();
    non_ascii.push(random_words(rng, &NON_ASCII_WORDS, " "));
    // 8 KiB with newlines, then 120 KiB, close to the largest single argument Linux accepts
    // (128 KiB): more than one read() returns from a pipe. Letters drawn thirteen at a time
    // (`random_word`): one draw per letter took 30 ms in a debug build.
    let every = |letters: String, n: usize, separator: char| -> String {
        let mark = |(i, c)| if i % n == n - 1 { separator } else { c };
        letters.chars().enumerate().map(mark).collect()
    };
    let several_kib = every(random_word(rng, 8 * 1024), 64, '\n');
    let large = every(random_word(rng, 120 * 1024), 8, ' ');
    vec![
        case("messages containing newlines", Kind::Newlines, newlines),
        case("non-ASCII messages", Kind::NonAscii, non_ascii),
        case(
            "messages of 8 KiB and 120 KiB",
            Kind::Big,
            vec![several_kib, large],
        ),
    ]
}

fn case(name: &str, kind: Kind, messages: Vec<String>) -> Case {
    let expected = oracle(&messages);
    Case::with_messages(name, kind, messages, expected)
}

/// How the first wrong message came out.
#[derive(Clone, Copy, PartialEq)]
enum Came {
    /// Its text up to its first newline, as if newlines framed the messages.
    SplitAtNewline,
    /// The start of it, cut short.
    Cut,
    Otherwise,
}

/// The first message whose lines came out wrong, by the lines of `actual` against the oracle,
/// and how its wrong line came out.
/// The messages a case sends: its arguments, or the lecture's when it gives none.
fn messages_of(case: &Case) -> Vec<String> {
    if case.args.is_empty() {
        super::raw_pipe::DEFAULTS.map(String::from).to_vec()
    } else {
        case.args.clone()
    }
}

fn first_wrong_message(case: &Case, actual: &str) -> Option<(String, Came)> {
    let messages = messages_of(case);
    let expected = oracle(&messages);
    let (line, (e, a)) = expected
        .lines()
        .zip(actual.lines().chain(std::iter::repeat("")))
        .enumerate()
        .find(|(_, (e, a))| e != a)?;
    let open = |l: &str| l.trim_end_matches('"').to_string();
    let message = messages.get(line / 2)?;
    let first_line = message.split('\n').next().unwrap_or("");
    let came = if message.contains('\n') && a == format!("child got: {first_line:?}") {
        Came::SplitAtNewline
    } else if !a.is_empty() && e.starts_with(&open(a)) && a.len() < e.len() {
        Came::Cut
    } else {
        Came::Otherwise
    };
    Some((message.clone(), came))
}

/// A hang the output explains: frames that count characters. The first message that went
/// wrong is the first with non-ASCII text and came out cut short, so the rest of it was taken
/// for the next length, and both sides wait for bytes the other never sends.
fn evidence(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    match failure {
        Failure::Hang(_) => first_non_ascii(case, run, true).map(|c| Cause::on(Topic::Framing, c)),
        _ => None,
    }
}

/// The output's own proof that frames count characters: the first message that went wrong
/// is the first with non-ASCII text (every message before it came out right), `cut` short.
fn first_non_ascii(case: &Case, run: &RunOutcome, cut: bool) -> Option<String> {
    let (m, came) = first_wrong_message(case, &run.stdout_text())?;
    let first = case
        .args
        .iter()
        .take_while(|a| **a != m)
        .all(|a| a.is_ascii());
    (!m.is_ascii() && first && (!cut || came == Came::Cut)).then(|| format!(
        "the first message that went wrong, {m:?}, is the first with non-ASCII characters: it has {} bytes but {} characters. A frame's length counts bytes (message.len(), the length of as_bytes()), not characters (chars().count()); the other side reads exactly that many bytes",
        m.len(),
        m.chars().count()
    ))
}

/// The messages the program itself framed and sent, from the X-ray's sample of its writes:
/// none where it sent no whole frame or the sample ends inside one.
fn sent_by_program(run: &RunOutcome) -> Option<Vec<String>> {
    let trace = run.trace.as_ref()?.as_ref().ok()?;
    let root = trace.procs.first()?.pid;
    let io = trace.io.iter().find(|io| {
        io.pid == root && io.writes && io.bytes > 0 && !trace.output.contains(&io.object)
    })?;
    if io.bytes as usize != io.sample.len() {
        return None;
    }
    let mut rest = io.sample.as_slice();
    let mut sent = Vec::new();
    while !rest.is_empty() {
        let (head, tail) = rest.split_at_checked(4)?;
        let len = u32::from_be_bytes(head.try_into().ok()?) as usize;
        let (body, tail) = tail.split_at_checked(len)?;
        sent.push(String::from_utf8(body.to_vec()).ok()?);
        rest = tail;
    }
    Some(sent)
}

/// Whether `actual` holds the lines of `expected`, each as often, in any order.
fn same_lines(expected: &str, actual: &str) -> bool {
    fn sorted(text: &str) -> Vec<&str> {
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        lines
    }
    sorted(expected) == sorted(actual)
}

pub fn cause(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    let framed = |text: String| Some(Cause::on(Topic::Framing, text));
    let framing = "a socket or pipe carries a stream of bytes, not messages: frame each one with its length (4 bytes, then the bytes), and read exactly that many (read_exact), however many read() calls it takes";
    let found = first_wrong_message(case, &run.stdout_text());
    let wrong = found.as_ref().map(|(m, _)| m.as_str());
    let cut_reads = run
        .trace
        .as_ref()
        .and_then(|t| t.as_ref().ok())
        .map_or(0, |t| t.injected.reads_cut);
    // The evidence first: the first message that went wrong is the first with non-ASCII text
    // (the ASCII ones before it were right), or reads were cut short and a message came out cut.
    // A message that arrived whole but was printed raw, not with {:?} (its newline, tab or
    // quote shows as itself): the framing is fine, the format is not.
    let stdout = run.stdout_text();
    let raw = messages_of(case).into_iter().find(|m| {
        format!("{m:?}") != format!("\"{m}\"")
            && (stdout.contains(&format!("got: \"{m}\""))
                || stdout.contains(&format!("got: \"{}\"", m.to_uppercase())))
    });
    if let Some(m) = raw
        && matches!(failure, Failure::Output { .. })
    {
        return Some(Cause::from(format!(
            "the message {m:?} arrived whole but was printed as it is, not escaped: the contract prints each message with {{:?}} (Rust's Debug format, `child got: {{message:?}}`), so that a newline shows as \\n and the line stays one line"
        )));
    }
    let came = found.as_ref().map_or(Came::Otherwise, |(_, c)| *c);
    if came == Came::SplitAtNewline && matches!(failure, Failure::Output { .. }) {
        return framed(format!(
            "the first message that went wrong came out cut at its first newline, so the messages are framed by newlines: {framing}"
        ));
    }
    // A reply upper-cased by ASCII rules only: the framing is fine, the mapping is not.
    let ascii_only = messages_of(case).into_iter().find(|m| {
        m.to_ascii_uppercase() != m.to_uppercase()
            && stdout.contains(&format!("parent got: {:?}\n", m.to_ascii_uppercase()))
    });
    if let (Some(m), Failure::Output { .. }) = (ascii_only, failure) {
        return Some(Cause::from(format!(
            "the reply to {m:?} came back as {:?}, upper-cased by ASCII rules only (to_ascii_uppercase changes a to z and nothing else): use to_uppercase(), which maps every letter ({:?})",
            m.to_ascii_uppercase(),
            m.to_uppercase()
        )));
    }
    // Lines in another order: the X-ray's timeline says who sent or printed too early, or
    // that the child announced the hang-up before any end-of-file (a race it may win or lose).
    // Only where the lines are the expected ones: a message cut or garbled has its own cause.
    if let (Failure::Output { expected, actual }, Some(Ok(trace))) = (failure, &run.trace)
        && same_lines(expected, actual)
        && let Some((problem, cause)) = super::super::wiring::first_miss(
            trace,
            &["waits_for_each_reply", "hang_up_found"],
            &case.args,
        )
    {
        return Some(Cause {
            text: format!("the X-ray saw that {problem}: {cause}"),
            topic: cause.topic,
        });
    }
    if !matches!(failure, Failure::Hang(_))
        && let Some(first_non_ascii) = first_non_ascii(case, run, false)
    {
        return framed(first_non_ascii);
    }
    if cut_reads > 0 && came == Came::Cut {
        return framed(format!(
            "a message came out cut short: the X-ray made some reads return fewer bytes than asked, as the kernel may at any time, and one read() was taken for a whole message: {framing}"
        ));
    }
    // A garbage length (the rest of a body read as a header) sends the stream into printing
    // or allocating without end.
    if cut_reads > 0
        && matches!(
            failure,
            Failure::OutputLimit
                | Failure::MemoryLimit
                | Failure::Signal(_)
                | Failure::Status { .. }
        )
    {
        return framed(format!(
            "the messages fell out of step after reads the X-ray cut short, as the kernel may: the rest of a message was then taken for the next length; {framing}"
        ));
    }
    // The child printed exactly what the program sent, frame for frame: the channel is right,
    // the messages are not the contract's.
    let got: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("child got: "))
        .map(String::from)
        .collect();
    if let (Failure::Output { .. }, Some(sent)) = (failure, sent_by_program(run))
        && !sent.is_empty()
        && got == sent.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>()
        && sent != messages_of(case)
    {
        return Some(Cause::from(
            "the child got exactly the messages the parent sent, so the channel works; the parent sent other messages than the contract's: with no MESSAGE, the lecture's seven (hello, are you there?, hey, LOL, K, THX, Bye!), else each argument, in order",
        ));
    }
    Some(match (case.kind, failure) {
        (Kind::Newlines, Failure::Output { .. }) => Cause::on(
            Topic::Framing,
            format!(
                "a message with a newline came apart, so the messages are framed by newlines: {framing}"
            ),
        ),
        (
            Kind::Big,
            Failure::Output { .. } | Failure::Hang(_) | Failure::Signal(_) | Failure::Status { .. },
        ) => Cause::on(
            Topic::Framing,
            format!(
                "a long message did not arrive whole: one read() returns at most what is buffered at that moment: {framing}"
            ),
        ),
        (Kind::NonAscii, Failure::Output { .. }) => Cause::on(
            Topic::Framing,
            "non-ASCII text came out different: send the message's bytes (`as_bytes()`), frame by byte length (not by chars), and upper-case with `to_uppercase()` (ß becomes SS)",
        ),
        (_, Failure::Hang(_)) => Cause::on(
            Topic::Eof,
            "one side waits for something that never comes: the child learns that the parent is done only when the parent closes (drops) its end, and then its next read of a length sees end-of-file. Check that the parent closes its end after the last reply, and that each side reads exactly as many bytes as the other wrote",
        ),
        (_, Failure::Output { actual, .. })
            if !actual.contains("child: parent hung up") && wrong.is_none() =>
        {
            Cause::on(
                Topic::HangUp,
                "the child must notice end-of-file at a frame boundary (read_exact of the length fails with UnexpectedEof) and print `child: parent hung up` before it exits",
            )
        }
        (_, Failure::Output { .. }) if cut_reads > 0 => Cause::on(
            Topic::Framing,
            format!(
                "the messages fell out of step after reads the X-ray cut short, as the kernel may: {framing}"
            ),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::procfs::Object;
    use crate::sandbox::trace::{Io, Printed, Trace, TracedProcess};

    /// A child that announced the hang-up after counting the messages, and won the race with
    /// the parent's last line: the order is wrong by chance, the cause is the count.
    #[test]
    fn a_hang_up_announced_without_end_of_file_is_the_cause_of_a_reordered_output() {
        let messages = vec!["Bye!".to_string()];
        let case = case("one message", Kind::Random, messages.clone());
        let expected = oracle(&messages);
        let mut lines: Vec<&str> = expected.lines().collect();
        let hung_up = lines
            .iter()
            .position(|l| l.starts_with("child: parent hung up"))
            .expect("the oracle announces the hang-up");
        let line = lines.remove(hung_up);
        lines.insert(1, line);
        let actual = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        let run = run_of(&actual, announced(read_of_child(2, &[])));
        let failure = Failure::Output { expected, actual };
        let cause = cause(&case, &failure, &run).expect("a cause");
        assert!(
            cause
                .text
                .contains("none of its reads of the channel returned end-of-file"),
            "{}",
            cause.text
        );
        assert_eq!(cause.topic, Some(Topic::HangUp));
    }

    /// A message cut short, the stream out of step, and the child's last read reset by a
    /// parent that left with replies unread: the cut is the cause, not the hang-up line.
    #[test]
    fn a_message_cut_short_is_the_cause_though_the_child_announced_a_hang_up() {
        let messages = vec!["hello".to_string(), "are you there?".to_string()];
        let case = case("two messages", Kind::Random, messages.clone());
        let expected = oracle(&messages);
        let actual = "child got: \"hell\"\nparent got: \"HEL\"\nchild: parent hung up\n\
                      child exited with status 0\n"
            .to_string();
        let mut trace = announced(read_of_child(3, &[("ECONNRESET", 1)]));
        trace.injected.reads_cut = 2;
        let run = run_of(&actual, trace);
        let failure = Failure::Output { expected, actual };
        let cause = cause(&case, &failure, &run).expect("a cause");
        assert!(cause.text.contains("came out cut short"), "{}", cause.text);
        assert_eq!(cause.topic, Some(Topic::Framing));
    }

    /// A child whose last read failed (the parent left with replies unread) ended its loop
    /// from the channel: the hang-up rule does not call that counting.
    #[test]
    fn a_failed_read_is_not_taken_for_a_count() {
        let miss = |t: &Trace| super::super::super::wiring::first_miss(t, &["hang_up_found"], &[]);
        assert!(miss(&announced(read_of_child(3, &[]))).is_some());
        assert!(miss(&announced(read_of_child(3, &[("ECONNRESET", 1)]))).is_none());
    }

    /// The child's reads of its socket: `calls` of them, 8 bytes in all, none at end-of-file.
    fn read_of_child(calls: u64, errors: &[(&str, u64)]) -> Io {
        Io {
            pid: 2,
            object: Object::Socket(9),
            calls,
            bytes: 8,
            errors: errors.iter().map(|(e, n)| (e.to_string(), *n)).collect(),
            ..Io::default()
        }
    }

    /// A parent (pid 1) and a child (pid 2) that printed `child: parent hung up` after `read`.
    fn announced(read: Io) -> Trace {
        let child = TracedProcess {
            pid: 2,
            parent: Some(1),
            printed: vec![Printed {
                line: "child: parent hung up".into(),
                had_read: true,
            }],
            ..TracedProcess::default()
        };
        let parent = TracedProcess {
            pid: 1,
            ..TracedProcess::default()
        };
        Trace {
            procs: vec![parent, child],
            io: vec![read],
            ..Trace::default()
        }
    }

    /// A run that exited with 0, printed `stdout` and was traced as `trace` says.
    fn run_of(stdout: &str, trace: Trace) -> RunOutcome {
        let mut run = RunOutcome::empty(String::new());
        run.end = crate::sandbox::runner::End::Exited(0);
        run.stdout = stdout.as_bytes().to_vec();
        run.trace = Some(Ok(trace));
        run
    }
}
