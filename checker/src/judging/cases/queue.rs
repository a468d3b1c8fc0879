//! 05_queue: producers and consumers sharing one pipe, with a lock around each read.

use super::super::cause::Cause;
use super::{Case, Expected, Failure, Kind};
use crate::sandbox::procfs::Object;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;
use std::collections::BTreeMap;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "05_queue",
    random_cases: cases,
    require,
    cause,
    evidence: super::no_evidence,
    inputs: INPUTS,
    refuses_before_forking: false,
};

/// PRODUCERS, CONSUMERS and RECORDS, in that order.
const INPUTS: &[super::Input] = &[
    super::Input {
        name: "PRODUCERS",
        place: super::Place::Argument(0),
        domain: super::Domain::Whole { min: 1, max: 16 },
        fine: "2",
    },
    super::Input {
        name: "CONSUMERS",
        place: super::Place::Argument(1),
        domain: super::Domain::Whole { min: 1, max: 16 },
        fine: "2",
    },
    super::Input {
        name: "RECORDS",
        place: super::Place::Argument(2),
        domain: super::Domain::Whole { min: 1, max: 1000 },
        fine: "5",
    },
];

/// The shape of a run: how many producers, consumers and records per producer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    pub producers: usize,
    pub consumers: usize,
    pub records: usize,
    /// The record the X-ray corrupts on its way (`Mishap::CorruptsFirstRecord`): it must be
    /// reported as `corrupt record`, once.
    pub corrupt: Option<&'static str>,
}

impl Queue {
    fn ids(&self) -> Vec<String> {
        (0..self.producers)
            .flat_map(|p| (0..self.records).map(move |i| format!("p{p}-{i}")))
            .collect()
    }

    fn args(&self) -> Vec<String> {
        vec![
            self.producers.to_string(),
            self.consumers.to_string(),
            self.records.to_string(),
        ]
    }
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let random = Queue {
        producers: rng.random_range(2..=5),
        consumers: rng.random_range(2..=4),
        records: rng.random_range(10..=30),
        corrupt: None,
    };
    // Many producers with records close to PIPE_BUF keep the pipe full, and 3600 records
    // (about 14 MB) give consumers racing without a lock every chance to collide.
    let many = Queue {
        producers: 12,
        consumers: 4,
        records: 300,
        corrupt: None,
    };
    // One producer writes p0-0 first: the X-ray changes its last byte on the way.
    let corrupt = Queue {
        producers: 1,
        consumers: 2,
        records: rng.random_range(3..=10),
        corrupt: Some("p0-0"),
    };
    let mut corrupted = case(
        "a corrupt record: the X-ray changes the last byte of p0-0 on its way",
        Kind::Random,
        corrupt,
    );
    corrupted.mishap = Some(Mishap::CorruptsFirstRecord);
    vec![
        case("random producers and consumers", Kind::Random, random),
        case(
            "12 producers, 4 consumers, 300 records each",
            Kind::Many,
            many,
        ),
        corrupted,
    ]
}

fn case(name: &str, kind: Kind, q: Queue) -> Case {
    // Shown as the expected output: one consumer's view, in order; any order and any
    // consumer index (below the number of consumers) is right.
    let mut listing: String = q
        .ids()
        .iter()
        .map(|id| format!("consumer [..]: {id}\n"))
        .collect();
    listing.push_str("done\n");
    let mut case = Case::new(name, kind, q.args(), Expected::Pattern(listing));
    case.queue = Some(q);
    case
}

/// Every case, the transcript's included, is judged as a multiset.
pub fn require(case: &mut Case) {
    let n: Vec<usize> = case.args.iter().filter_map(|a| a.parse().ok()).collect();
    if let [producers, consumers, records] = n[..] {
        let corrupt = case.queue.as_ref().and_then(|q| q.corrupt);
        case.queue = Some(Queue {
            producers,
            consumers,
            records,
            corrupt,
        });
    }
}

/// Compares the consumers' lines with the records sent: every record exactly once, intact,
/// by a consumer that exists, and `done` last. Returns what was expected and what happened.
pub fn check(q: &Queue, stdout: &str) -> Result<(), (String, String)> {
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = match q.corrupt {
        None => format!(
            "each of the {} records exactly once, as `consumer C: pP-I` with C below {}, then `done`",
            q.producers * q.records,
            q.consumers
        ),
        Some(id) => format!(
            "each of the {} records exactly once, as `consumer C: pP-I` with C below {}, but {id} (changed on its way) as `consumer C: corrupt record`, then `done`",
            q.producers * q.records,
            q.consumers
        ),
    };
    let fail = |what: String| Err((expected.clone(), what));
    if lines.last() != Some(&"done") {
        return fail("the last line is not `done`".into());
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut corrupt_lines = 0;
    for line in &lines[..lines.len() - 1] {
        let Some((consumer, what)) = line
            .strip_prefix("consumer ")
            .and_then(|l| l.split_once(": "))
        else {
            return fail(format!("a line that is not a consumer's: `{line}`"));
        };
        match consumer.parse::<usize>() {
            Ok(c) if c < q.consumers => {}
            _ => return fail(format!("`{line}` names a consumer that does not exist")),
        }
        if what == "corrupt record" && q.corrupt.is_some() && corrupt_lines == 0 {
            corrupt_lines += 1;
            continue;
        }
        if what == "corrupt record" {
            return fail(format!(
                "`{line}`: a consumer received a record that was not whole"
            ));
        }
        if q.corrupt == Some(what) {
            return fail(format!(
                "`{line}`: {what} arrived with its last byte changed (the X-ray did it), yet it was printed as whole: the body must be exactly the pattern of its id, or the line is `corrupt record`"
            ));
        }
        *seen.entry(what.to_string()).or_default() += 1;
    }
    if let (Some(id), 0) = (&q.corrupt, corrupt_lines) {
        return fail(format!(
            "no consumer printed `corrupt record`, though {id} arrived with its last byte changed (the X-ray did it)"
        ));
    }
    let ids: Vec<String> = q
        .ids()
        .into_iter()
        .filter(|id| q.corrupt != Some(id.as_str()))
        .collect();
    let missing: Vec<&String> = ids.iter().filter(|id| !seen.contains_key(*id)).collect();
    let twice: Vec<&String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    let unknown: Vec<&String> = seen.keys().filter(|id| !ids.contains(id)).collect();
    let some = |v: &[&String]| {
        v.iter()
            .take(5)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !missing.is_empty() {
        return fail(format!(
            "{} of the {} records never arrived ({}...)",
            missing.len(),
            ids.len(),
            some(&missing)
        ));
    }
    if !twice.is_empty() {
        return fail(format!(
            "{} records arrived more than once ({}...)",
            twice.len(),
            some(&twice)
        ));
    }
    if !unknown.is_empty() {
        return fail(format!(
            "records that were never sent arrived ({}...)",
            some(&unknown)
        ));
    }
    Ok(())
}

/// What the X-ray saw of the producers' writes that breaks records, whatever the symptom was
/// this time: a record over PIPE_BUF in one write (the X-ray cut it), or a record in several.
fn producer_writes(case: &Case, run: &RunOutcome) -> Option<String> {
    let trace = run.trace.as_ref()?.as_ref().ok()?;
    if trace.injected.writes_cut > 0 {
        return Some("a write of more than 4096 bytes (PIPE_BUF) went into the queue, and the kernel may write such a write only in part (the X-ray cut some, as it may) or mix it with another producer's: keep each record, header and body together, at most 4096 bytes, and send it with ONE write".into());
    }
    let records = case.queue.as_ref()?.records as u64;
    let children: Vec<i32> = trace
        .procs
        .iter()
        .filter(|p| p.parent.is_some())
        .map(|p| p.pid)
        .collect();
    let busy: Vec<&crate::sandbox::trace::Io> = trace
        .io
        .iter()
        .filter(|io| {
            io.writes
                && children.contains(&io.pid)
                && matches!(io.object, Object::Pipe(_))
                && !trace.output.contains(&io.object)
                && io.bytes >= records * SMALLEST_FRAME
                && io.calls > records
        })
        .collect();
    // Writes smaller than a frame, on average: frames sent in pieces. Whole frames, more of
    // them than RECORDS: one producer wrote the others' records.
    if busy.iter().any(|io| io.bytes < io.calls * SMALLEST_FRAME) {
        return Some("a producer sent its records in more writes than records (a header and a body apart, say): only ONE write of at most 4096 bytes is atomic, so another producer's bytes can land between the two. Build the whole frame in one buffer and write it with one call".into());
    }
    (!busy.is_empty()).then(|| "a producer wrote more whole records than RECORDS (the X-ray counted its writes, each a whole frame): each of the PRODUCERS children writes its own RECORDS records, with its own index in their ids (p{p}-0, p{p}-1...), and nothing more".into())
}

/// The fewest bytes a record's frame has: a body of 3493 bytes and its 4-byte length. A
/// process that wrote fewer per record is no producer (a consumer's lock tokens, say).
const SMALLEST_FRAME: u64 = 3497;

pub fn cause(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    // The X-ray's rules give their own cause, from what they saw.
    if matches!(failure, Failure::Wiring { .. }) {
        return None;
    }
    if let Failure::Contract { happened, .. } = failure
        && case.mishap.is_some()
        && (happened.contains("printed as whole") || happened.contains("no consumer printed"))
    {
        return Some(Cause::from(
            "compare each body with the pattern of its id at its length (the bytes of `{id}:` repeated and cut to n bytes): print `consumer {c}: corrupt record` when they differ, the id only when the body is exactly the pattern",
        ));
    }
    if !matches!(failure, Failure::Hang(_) | Failure::Usage { .. })
        && let Some(cause) = producer_writes(case, run)
    {
        return Some(Cause::on(Topic::Atomic, cause));
    }
    let Failure::Contract { happened, .. } = failure else {
        return match failure {
            Failure::Hang(_) => Some(Cause::on(
                Topic::Eof,
                "a consumer waits for end-of-file that never comes: every write end of the queue must be closed once the producers are done, the parent's and the consumers' own copies included; or the lock token was never given back",
            )),
            _ => None,
        };
    };
    // Split, mixed, lost or doubled: which one shows depends on how the processes met this
    // time, so one cause names every way a record goes wrong.
    Some(
        if ["not whole", "never sent", "never arrived", "more than once"]
            .iter()
            .any(|w| happened.contains(w))
        {
            Cause::on(
                Topic::Atomic,
                "records went wrong on the way (split, mixed, lost or read twice: which one shows depends on how the processes met this time): write each record (header and body together) with ONE write of at most 4096 bytes (PIPE_BUF), so records never interleave; let a consumer hold the lock from the first header byte to the last body byte, so no other consumer reads in between; read exactly the record's bytes, no more (a BufReader reads ahead, taking the start of the next record with it); and let every producer send all its records before it exits",
            )
        } else if happened.contains("last line") {
            Cause::on(
                Topic::Processes,
                "print `done` only after waiting for every producer and consumer",
            )
        } else {
            "each consumer line is `consumer C: ID`, C being the consumer's index from 0".into()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Queue = Queue {
        producers: 2,
        consumers: 2,
        records: 2,
        corrupt: None,
    };

    #[test]
    fn a_record_corrupted_on_its_way_is_reported_once_and_only_as_corrupt() {
        let q = Queue {
            producers: 1,
            consumers: 2,
            records: 2,
            corrupt: Some("p0-0"),
        };
        let right = "consumer 1: corrupt record\nconsumer 0: p0-1\ndone\n";
        assert_eq!(check(&q, right), Ok(()));
        let err = |out: &str| check(&q, out).unwrap_err().1;
        assert!(err("consumer 1: p0-0\nconsumer 0: p0-1\ndone\n").contains("printed as whole"));
        assert!(err("consumer 0: p0-1\ndone\n").contains("no consumer printed `corrupt record`"));
        let twice =
            "consumer 1: corrupt record\nconsumer 0: corrupt record\nconsumer 0: p0-1\ndone\n";
        assert!(err(twice).contains("not whole"));
    }

    #[test]
    fn any_order_and_any_consumer_is_right() {
        let out = "consumer 1: p1-0\nconsumer 0: p0-1\nconsumer 1: p0-0\nconsumer 0: p1-1\ndone\n";
        assert_eq!(check(&Q, out), Ok(()));
    }

    #[test]
    fn missing_duplicate_corrupt_and_late_done_are_named() {
        let err = |out: &str| check(&Q, out).unwrap_err().1;
        assert!(
            err("consumer 0: p0-0\nconsumer 0: p0-1\nconsumer 0: p1-0\ndone\n")
                .contains("1 of the 4 records never arrived (p1-1")
        );
        assert!(err("consumer 0: p0-0\nconsumer 0: p0-0\nconsumer 0: p0-1\nconsumer 0: p1-0\nconsumer 0: p1-1\ndone\n").contains("more than once"));
        assert!(err("consumer 0: corrupt record\ndone\n").contains("not whole"));
        assert!(err("done\nconsumer 0: p0-0\n").contains("last line"));
        assert!(err("consumer 2: p0-0\ndone\n").contains("does not exist"));
    }
}
