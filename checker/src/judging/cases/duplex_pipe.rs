//! 02_duplex_pipe: a two-way channel with length-framed messages.

use super::{Case, Failure, Kind, random_message};
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "02_duplex_pipe",
    random_cases: cases,
    require: super::nothing_more,
    cause,
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
    newlines.insert(
        rng.random_range(0..=newlines.len()),
        random_message(rng).replace(' ', "\n"),
    );
    let mut non_ascii: Vec<String> = ["straße", "naïve café", "日本語", "ǆemal", "ﬁne"]
        .map(String::from)
        .to_vec();
    non_ascii.push(random_message(rng));
    // 8 KiB with newlines, then 120 KiB, close to the largest single argument Linux accepts
    // (128 KiB): more than one read() returns from a pipe.
    let several_kib: String = (0..8 * 1024)
        .map(|i| {
            if i % 64 == 63 {
                '\n'
            } else {
                rng.random_range('a'..='z')
            }
        })
        .collect();
    let large: String = (0..120 * 1024)
        .map(|i| {
            if i % 8 == 7 {
                ' '
            } else {
                rng.random_range('a'..='z')
            }
        })
        .collect();
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

pub fn cause(case: &Case, failure: &Failure) -> Option<String> {
    let framing = "a socket or pipe carries a stream of bytes, not messages: frame each one with its length (4 bytes, then the bytes), and read exactly that many (read_exact), however many read() calls it takes";
    Some(match (case.kind, failure) {
        (Kind::Newlines, Failure::Output { .. }) => format!("a message with a newline came apart, so the messages are framed by newlines. {framing}"),
        (Kind::Big, Failure::Output { .. } | Failure::Hang(_) | Failure::Signal(_) | Failure::Status { .. }) => {
            format!("a long message did not arrive whole: one read() returns at most what is buffered at that moment. {framing}")
        }
        (Kind::NonAscii, Failure::Output { .. }) => "non-ASCII text came out different: send the message's bytes (`as_bytes()`), frame by byte length (not by chars), and upper-case with `to_uppercase()` (ß becomes SS)".into(),
        (_, Failure::Hang(_)) => "one side waits for something that never comes: the child learns that the parent is done only when the parent closes (drops) its end, and then its next read of a length sees end-of-file. Check that the parent closes its end after the last reply, and that each side reads exactly as many bytes as the other wrote".into(),
        (_, Failure::Output { actual, .. }) if !actual.contains("child: parent hung up") => "the child must notice end-of-file at a frame boundary (read_exact of the length fails with UnexpectedEof) and print `child: parent hung up` before it exits".into(),
        _ => return None,
    })
}
