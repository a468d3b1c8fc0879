//! The exercise manifest (`checker/exercises.toml`): the one list of exercises that the checker,
//! the handout and the tests share.

use serde::Deserialize;
use std::time::Duration;

/// The manifest, compiled into the checker so that it cannot drift from the checker's code.
const MANIFEST: &str = include_str!("../../exercises.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub name: String,
    pub title: String,
    pub points: u32,
    pub timeout_secs: u64,
    pub usage: String,
    pub hints: Vec<String>,
    /// What each hint is about: a failure's report shows the first hint on its cause's topic.
    pub hint_topics: Vec<Vec<Topic>>,
    /// Points per kind of case (see `cases::Kind::name`).
    pub case_points: std::collections::BTreeMap<String, f64>,
    /// How the exercise's processes and pipes must be wired (see the X-ray).
    pub wiring: WiringSpec,
    /// The contract of labs.md, clause by clause, with what enforces each one.
    #[serde(default)]
    pub clauses: Vec<Clause>,
}

/// What a likely cause (and a hint) is about, in the handout's terms: the fix it calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Who forks whom and what each process does.
    Processes,
    /// Each process keeps only the ends it uses.
    Ends,
    /// A reader sees end-of-file only once every write end is closed.
    Eof,
    /// Read (or write) before waiting, or both sides wait for each other.
    Order,
    /// dup2 onto stdin and stdout, close the rest, then exec.
    Exec,
    /// Lines held back in a writer's buffer.
    Buffering,
    /// Message boundaries in a byte stream: lengths, short reads, bytes against characters.
    Framing,
    /// The producer's random pauses.
    Pauses,
    /// Each line printed the moment it arrives.
    Streaming,
    /// One write of at most PIPE_BUF bytes per record.
    Atomic,
    /// The consumers' lock around a whole record.
    Lock,
    /// A write end made non-blocking, and EAGAIN.
    NonBlocking,
    /// Counting what went through: the bytes a full pipe holds, the writes that succeeded.
    Counting,
    /// F_SETPIPE_SZ and what it returns.
    Resize,
    /// A write into a pipe without readers fails with EPIPE.
    Epipe,
    /// SIGPIPE's default action, restored.
    Sigpipe,
    /// Opening a FIFO waits for its other side.
    Fifo,
    /// Removing the FIFO whatever happens.
    Cleanup,
    /// Waiting on several pipes with poll.
    Poll,
    /// A hang-up: a read that returns 0 at the other side's close.
    HangUp,
}

/// One clause of an exercise's contract: words of labs.md, the checks that enforce them, and
/// the corpus programs that prove those checks (see `judging::contract`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// The clause, word for word as the contract in labs.md says it.
    pub says: String,
    /// What enforces it: `rule NAME` (a wiring rule), `case KIND` (the cases of one kind) or
    /// a check of the judge (`judging::contract::CHECKS`).
    #[serde(default)]
    pub checked_by: Vec<String>,
    /// Corpus programs (`checker/tests/corpus/<exercise>/<stem>.rs`) that break this clause
    /// alone and fail for it.
    #[serde(default)]
    pub broken_by: Vec<String>,
    /// For a freedom the contract grants: corpus programs that use it and pass.
    #[serde(default)]
    pub passed_by: Vec<String>,
    /// Why nothing checks it: a promise about the input, or words that explain and oblige
    /// nothing.
    pub given: Option<String>,
    /// What no check sees yet, said openly: the checks above (if any) catch only part of it.
    pub gap: Option<String>,
    /// For a gap: corpus programs that break the clause and still pass (`expect: pass`), so
    /// that the check that closes the gap turns them into `broken_by`.
    #[serde(default)]
    pub escaped_by: Vec<String>,
}

/// The expected wiring: the processes and links the X-ray draws next to what a run built,
/// and the structural checks (`judging::wiring::rules`) every run must pass.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WiringSpec {
    /// `ID: what it is`, the program first (`P1: the program`, `P2: child of P1`).
    pub processes: Vec<String>,
    /// `FROM -> TO: what flows`.
    pub links: Vec<String>,
    /// Rule names of `judging::wiring::rules::RULES`, checked in order.
    pub checks: Vec<String>,
    /// How the lines that report data received begin: each must be printed by a process that
    /// read from a pipe, FIFO or socket (rule `readers_print`).
    #[serde(default)]
    pub printed_by_readers: Vec<String>,
    /// Those of them whose rest must be bytes the printer read from a channel (rule
    /// `readers_print`): the line reports what came through, not what the printer knew.
    #[serde(default)]
    pub quoted_by_readers: Vec<String>,
    /// The program may fill a pipe a byte at a time: the X-ray lets its writes of one byte
    /// through without a stop (it would stop 65,536 times per fill) and infers their writers
    /// from the bytes read.
    #[serde(default)]
    pub fill_loop: bool,
}

impl WiringSpec {
    /// Whether the X-ray must see every read's result: a rule judges the ends-of-file.
    pub fn awaits_reads(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c == "stops_after_end" || c == "hang_up_found")
    }
}

#[derive(Debug, Deserialize)]
struct Manifest {
    exercise: Vec<Exercise>,
}

impl Exercise {
    /// The first hint on `topic`, with its number (from 1), if the exercise has one.
    pub fn hint_on(&self, topic: Topic) -> Option<(usize, &str)> {
        let i = self.hint_topics.iter().position(|t| t.contains(&topic))?;
        Some((i + 1, self.hints.get(i)?.as_str()))
    }

    /// The number in the name (`1` for `01_raw_pipe`).
    pub fn number(&self) -> u32 {
        self.name
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// The name without its number (`raw_pipe`).
    pub fn short_name(&self) -> &str {
        self.name
            .split_once('_')
            .map_or(&self.name, |(_, rest)| rest)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// Where the student's file is, relative to the workbook's root.
    pub fn exercise_path(&self) -> String {
        format!("exercises/src/bin/{}.rs", self.name)
    }

    /// Where the reference solution is, relative to the workbook's root.
    pub fn solution_path(&self) -> String {
        format!("solutions/src/bin/{}.rs", self.name)
    }

    /// The reference solution's binary (see solutions/Cargo.toml).
    pub fn solution_bin(&self) -> String {
        format!("{}_solution", self.name)
    }
}

/// All exercises, in order (a command reads them once, through `Workbook`). The manifest is
/// part of the checker's source, so a broken one is a bug caught by the tests, not something a
/// student can cause.
pub fn exercises() -> Vec<Exercise> {
    let manifest: Manifest = toml::from_str(MANIFEST)
        .unwrap_or_else(|e| panic!("checker/exercises.toml is not a valid manifest: {e}"));
    manifest.exercise
}

/// Picks exercises by number (`1`, `01`) or name (`raw_pipe`, `01_raw_pipe`); none means all.
pub fn select<'a>(all: &'a [Exercise], wanted: &[String]) -> Result<Vec<&'a Exercise>, String> {
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    let mut picked: Vec<usize> = Vec::new();
    for want in wanted {
        let number = want.parse::<u32>().ok();
        let found = all
            .iter()
            .position(|e| Some(e.number()) == number || e.name == *want || e.short_name() == want);
        match found {
            Some(i) if !picked.contains(&i) => picked.push(i),
            Some(_) => {}
            None => {
                let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
                return Err(format!(
                    "no exercise called `{want}`: use a number (1, 01) or a name ({})",
                    names.join(", ")
                ));
            }
        }
    }
    picked.sort_unstable();
    Ok(picked.into_iter().map(|i| &all[i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_parses_and_numbers_run_in_order() {
        let all = exercises();
        assert!(all.len() >= 4);
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.number() as usize, i + 1, "{} is out of order", e.name);
            assert!(!e.hints.is_empty(), "{} has no hint", e.name);
            assert_eq!(
                e.hint_topics.len(),
                e.hints.len(),
                "{}: one list of topics per hint",
                e.name
            );
            assert!(
                e.hint_topics.iter().all(|t| !t.is_empty()),
                "{}: a hint without a topic is never shown in a report",
                e.name
            );
            assert!(e.points > 0 && e.timeout_secs > 0);
            let shared: f64 = e.case_points.values().sum();
            assert_eq!(
                shared, e.points as f64,
                "{}: case_points must add up to points",
                e.name
            );
            assert!(
                !e.wiring.checks.is_empty(),
                "{} has no wiring checks",
                e.name
            );
            for check in &e.wiring.checks {
                assert!(
                    crate::judging::wiring::rules::find(check).is_some(),
                    "{}: no wiring rule called {check}",
                    e.name
                );
            }
            for link in &e.wiring.links {
                let (ends, _) = link.split_once(": ").expect("a link is `FROM -> TO: what`");
                let (from, to) = ends
                    .split_once(" -> ")
                    .expect("a link is `FROM -> TO: what`");
                for id in [from, to] {
                    assert!(
                        e.wiring
                            .processes
                            .iter()
                            .any(|p| p.starts_with(&format!("{id}: "))),
                        "{}: link {link} names an unknown process {id}",
                        e.name
                    );
                }
            }
        }
    }

    #[test]
    fn selects_by_number_or_name() {
        let pick = |w: &[&str]| {
            let w: Vec<String> = w.iter().map(|s| s.to_string()).collect();
            select(&exercises(), &w)
                .map(|v| v.into_iter().map(|e| e.name.clone()).collect::<Vec<_>>())
        };
        assert_eq!(pick(&["1"]).unwrap(), ["01_raw_pipe"]);
        assert_eq!(pick(&["02"]).unwrap(), ["02_duplex_pipe"]);
        assert_eq!(
            pick(&["duplex_pipe", "01_raw_pipe"]).unwrap(),
            ["01_raw_pipe", "02_duplex_pipe"]
        );
        assert_eq!(pick(&[]).unwrap().len(), exercises().len());
        assert!(
            pick(&["nope"])
                .unwrap_err()
                .contains("no exercise called `nope`")
        );
        assert!(pick(&["99"]).is_err());
    }
}
