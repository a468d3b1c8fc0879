//! The cases of each exercise: the stored transcript, and randomized cases whose expected
//! output an oracle computes from the inputs (never from a solution at grading time).

mod broken_pipe;
mod domain;
mod duplex_pipe;
mod named_pipe;
mod pipe_capacity;
mod poll;
mod producer_consumer;
mod queue;
mod raw_pipe;

/// The lecture's seven messages, sent when the command line gives none (01, 02, 03, 08).
pub use raw_pipe::DEFAULTS as LECTURE_MESSAGES;
mod three_stage_chain;

use super::cause::Cause;
use super::failure::Failure;
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::trace::Mishap;
use crate::workbook::manifest::Exercise;
use crate::workbook::transcript::{Transcript, TranscriptCase};
use rand::RngExt;
use rand::rngs::StdRng;
use std::time::Duration;

pub use domain::Domain;
pub use queue::check as queue_check;
pub use three_stage_chain::check_stages;

/// One run of an exercise and what it must produce.
#[derive(Debug, Clone)]
pub struct Case {
    /// A few words for the report: "default messages", "over 64 KiB of messages"...
    pub name: String,
    /// A stable tag the likely-cause rules look at.
    pub kind: Kind,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Files written into the run's working directory first.
    pub files: Vec<(String, Vec<u8>)>,
    pub stdout: Expected,
    pub status: i32,
    /// 03: when the lines must arrive.
    pub timing: Option<Timing>,
    /// 04: the stages the spies must see, wired cat -> grep -> wc.
    pub stages: Option<Stages>,
    /// 05: the output is a multiset of consumer lines, every record exactly once.
    pub queue: Option<queue::Queue>,
    /// 07: a number the output reports must be at least this (`writer: EPIPE after N lines`).
    pub at_least: Option<AtLeast>,
    /// 08: no FIFO may be left in the working directory afterwards.
    pub no_fifo_left: bool,
    /// An error the program must report on stderr: its run is not the wiring the exercise
    /// draws (it refuses at once, or a stage cannot start), so no wiring is judged.
    pub refused: bool,
    /// 04: this stage is not on the run's PATH, so its execvp fails.
    pub missing_stage: Option<&'static str>,
    /// Bad input refused before any fork: the X-ray must see the program alone.
    pub alone: bool,
    /// The program runs as one of its roles by itself (08's reader): the wiring the exercise
    /// draws is judged in its other runs, not in this one.
    pub one_role: bool,
    /// 09: when each stdout line is due, counted from the start.
    pub schedule: Option<Schedule>,
    /// A time limit shorter than the exercise's (bad input must be refused at once).
    pub timeout: Option<Duration>,
    /// A failure the X-ray makes happen in this run (an exec, an open, a writer that exits);
    /// without the X-ray the case is not run (`needs_xray`), and the report says so.
    pub mishap: Option<Mishap>,
}

/// How long a program may take to refuse bad input.
pub const BAD_INPUT_TIME: Duration = Duration::from_secs(3);

/// A number following `prefix` in a line of the output, with its smallest correct value.
#[derive(Debug, Clone)]
pub struct AtLeast {
    pub prefix: String,
    pub min: u64,
    pub why: String,
}

/// When each line must arrive: no earlier than its time (minus a little clock rounding), no
/// later than its time plus `slack`; with the X-ray's timeline, no later than `slack` after
/// what carried it (see `judging::timing`), and in the order the children really wrote.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub times: Vec<Duration>,
    pub slack: Duration,
    /// What carried each expected line, from its text.
    pub carried: fn(&str) -> Carried,
}

/// What carried a timed line into the program that printed it, for the X-ray's timeline to
/// find: the moment it happened is the moment from which the line may be late.
#[derive(Debug, Clone, PartialEq)]
pub enum Carried {
    /// A line (without its newline) that `writer` (the producer, child 2...) wrote into a pipe.
    Line { text: String, writer: String },
    /// The hang-up of the pipe that carried the lines beginning with `prefix`: its last write
    /// end closed.
    HangUp { prefix: String, writer: String },
    /// Nothing: the line follows the one before it.
    Nothing,
}

impl Case {
    /// A case that runs with `args` and expects `stdout` and status 0.
    pub fn new(name: &str, kind: Kind, args: Vec<String>, stdout: Expected) -> Case {
        Case {
            name: name.into(),
            kind,
            args,
            env: Vec::new(),
            files: Vec::new(),
            stdout,
            status: 0,
            timing: None,
            stages: None,
            queue: None,
            at_least: None,
            no_fifo_left: false,
            refused: false,
            missing_stage: None,
            alone: false,
            schedule: None,
            timeout: None,
            mishap: None,
            one_role: false,
        }
    }

    /// A case that passes `messages` as the arguments and expects exactly `stdout`.
    pub fn with_messages(name: &str, kind: Kind, messages: Vec<String>, stdout: String) -> Case {
        Case::new(name, kind, messages, Expected::Exact(stdout))
    }

    /// Timing matters: the case is judged on when its lines came (see `judging::timing`).
    pub fn is_timed(&self) -> bool {
        self.timing.is_some() || self.schedule.is_some()
    }

    /// How long a right program takes on this case by design: its timed lines' latest due
    /// times (pauses the X-ray shortens count for what they last), zero where none is timed.
    pub fn designed_length(&self) -> Duration {
        let length = match (&self.timing, &self.schedule) {
            (_, Some(schedule)) => schedule.times.iter().max().copied().unwrap_or_default(),
            (Some(timing), None) => timing.max * timing.lines as u32,
            (None, None) => Duration::ZERO,
        };
        match self.mishap {
            Some(Mishap::PausesShortened { by }) => length / by.max(1),
            _ => length,
        }
    }

    /// Whether only the X-ray can run the case. Pauses shortened for a case judged by its
    /// schedule are only a saving: without the X-ray they last what they ask, and the clock
    /// judges the lines as in any timed case.
    pub fn needs_xray(&self) -> bool {
        match self.mishap {
            Some(Mishap::PausesShortened { .. }) => self.schedule.is_none(),
            Some(_) => true,
            None => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    Transcript,
    Random,
    Big,
    Newlines,
    NonAscii,
    Timed,
    NoMatch,
    Usage,
    /// 05: many producers and consumers.
    Many,
    /// An error path the program must handle (06: a refused size; 08: a failing reader).
    Error,
}

impl Kind {
    /// The name the manifest's `case_points` use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Transcript => "transcript",
            Kind::Random => "random",
            Kind::Big => "big",
            Kind::Newlines => "newlines",
            Kind::NonAscii => "non_ascii",
            Kind::Timed => "timed",
            Kind::NoMatch => "no_match",
            Kind::Usage => "usage",
            Kind::Many => "many",
            Kind::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Expected {
    /// From a transcript file: may hold `[..]` and `...` placeholders.
    Pattern(String),
    /// From an oracle: compared as it is.
    Exact(String),
}

impl Expected {
    pub fn text(&self) -> &str {
        match self {
            Expected::Pattern(t) | Expected::Exact(t) => t,
        }
    }
}

/// Line k of the timed lines must arrive no earlier than k x `min` and no later than
/// k x `max` + `slack`: cumulative bounds, which hold when one line is late and the next
/// catches up. With the X-ray's timeline, a line may be late only relative to the write that
/// carried it, that write only relative to its writer's pause, and each pause may last at
/// most `max` (see `judging::timing`).
#[derive(Debug, Clone)]
pub struct Timing {
    pub lines: usize,
    pub min: Duration,
    pub max: Duration,
    pub slack: Duration,
    /// What carried each timed line, from its text.
    pub carried: fn(&str) -> Carried,
}

#[derive(Debug, Clone)]
pub struct Stages {
    pub file: String,
    pub pattern: String,
}

/// What one exercise brings to the shared machinery: its randomized cases, what every one of
/// its cases must also show (what a transcript cannot say), and the likely causes it knows.
pub struct Behaviour {
    /// The exercise's name in the manifest.
    pub name: &'static str,
    pub random_cases: fn(&mut StdRng) -> Vec<Case>,
    /// Applied to every case of the exercise but usage errors.
    pub require: fn(&mut Case),
    /// The likely cause of a failure, from the failure and the run's evidence (its trace).
    pub cause: fn(&Case, &Failure, &RunOutcome) -> Option<Cause>,
    /// A cause the run's own output proves (the first message that came out wrong, say),
    /// which says more than the hang doctor's account of who waits for whom: it comes first.
    pub evidence: fn(&Case, &Failure, &RunOutcome) -> Option<Cause>,
    /// The arguments and variables the contract restricts: its bad-input cases come from them.
    pub inputs: &'static [Input],
    /// The contract refuses bad input before the first fork: a usage case's run must be the
    /// program alone (03).
    pub refuses_before_forking: bool,
}

/// An argument or a variable a program takes, with what it may be.
#[derive(Debug, Clone, Copy)]
pub struct Input {
    /// As the contract names it: `LINES`, `PIPES_LAB_TIME_SCALE`.
    pub name: &'static str,
    pub place: Place,
    pub domain: Domain,
    /// A value inside the domain, given while another input is the bad one.
    pub fine: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// The program's argument at this position (from 0).
    Argument(usize),
    /// A variable of its environment.
    Variable,
}

/// Every exercise's behaviour, in the manifest's order (a test checks that the two agree).
const BEHAVIOURS: [&Behaviour; 9] = [
    &raw_pipe::BEHAVIOUR,
    &duplex_pipe::BEHAVIOUR,
    &producer_consumer::BEHAVIOUR,
    &three_stage_chain::BEHAVIOUR,
    &queue::BEHAVIOUR,
    &pipe_capacity::BEHAVIOUR,
    &broken_pipe::BEHAVIOUR,
    &named_pipe::BEHAVIOUR,
    &poll::BEHAVIOUR,
];

/// The behaviour of an exercise of the manifest.
pub fn behaviour(exercise: &Exercise) -> Option<&'static Behaviour> {
    BEHAVIOURS.into_iter().find(|b| b.name == exercise.name)
}

/// For exercises whose output proves nothing more than their other evidence.
fn no_evidence(_: &Case, _: &Failure, _: &RunOutcome) -> Option<Cause> {
    None
}

/// For exercises whose transcript says all there is to check.
fn nothing_more(_: &mut Case) {}

/// Every case of an exercise: its transcript's, then the random ones.
pub fn cases(exercise: &Exercise, transcript: &Transcript, rng: &mut StdRng) -> Vec<Case> {
    let mut all: Vec<Case> = transcript
        .cases
        .iter()
        .map(|t| from_transcript(exercise, t))
        .collect();
    if let Some(behaviour) = behaviour(exercise) {
        all.extend((behaviour.random_cases)(rng));
        for case in all.iter_mut().filter(|c| c.kind != Kind::Usage) {
            (behaviour.require)(case);
        }
        all.extend(bad_inputs(rng, behaviour.inputs));
        for case in all.iter_mut().filter(|c| c.kind == Kind::Usage) {
            case.alone = behaviour.refuses_before_forking;
        }
    }
    all
}

pub fn from_transcript(exercise: &Exercise, t: &TranscriptCase) -> Case {
    let name = format!(
        "`{}` from checker/transcripts/{}.txt",
        t.command, exercise.name
    );
    let kind = if t.status == 2 {
        Kind::Usage
    } else {
        Kind::Transcript
    };
    let mut case = Case::new(
        &name,
        kind,
        t.args.clone(),
        Expected::Pattern(t.stdout.clone()),
    );
    case.env = t.env.clone();
    case.status = t.status;
    case
}

/// Plain ASCII words, some with shell characters, none that `{:?}` escapes.
pub const PLAIN_WORDS: [&str; 15] = [
    "hello",
    "pipe",
    "fork",
    "read",
    "write",
    "end",
    "it's",
    "x,y",
    "(ok)",
    "100%",
    "a|b",
    "$HOME",
    "*",
    "semi;colon",
    "?!",
];
/// Words with letters beyond ASCII (more bytes than characters), none that `{:?}` escapes.
pub const NON_ASCII_WORDS: [&str; 6] = ["straße", "naïve", "café", "日本語", "🦀", "Ünïcödé"];
/// Words with a character `{:?}` escapes (a quote, a tab, a backslash).
const ESCAPED_WORDS: [&str; 3] = ["\"quoted\"", "tab\there", "back\\slash"];

/// A message of 2-5 words that always holds a non-ASCII word and a word `{:?}` escapes,
/// with letters, punctuation and shell characters: whatever the seed, every random message
/// tries the same things, so a program that mishandles one of them fails on every seed.
pub fn random_message(rng: &mut StdRng) -> String {
    let pick = |rng: &mut StdRng, words: &[&'static str]| words[rng.random_range(0..words.len())];
    let mut words = vec![pick(rng, &NON_ASCII_WORDS), pick(rng, &ESCAPED_WORDS)];
    let all: Vec<&str> = PLAIN_WORDS
        .iter()
        .chain(&NON_ASCII_WORDS)
        .chain(&ESCAPED_WORDS)
        .copied()
        .collect();
    for _ in 0..rng.random_range(0..=3) {
        words.push(pick(rng, &all));
    }
    // Shuffled, so that no place in a message is special.
    for i in (1..words.len()).rev() {
        words.swap(i, rng.random_range(0..=i));
    }
    words.join(" ")
}

/// A message of 1-5 words drawn from `words` only.
pub fn random_words(rng: &mut StdRng, words: &[&str], separator: &str) -> String {
    let n = rng.random_range(1..=5);
    (0..n)
        .map(|_| words[rng.random_range(0..words.len())])
        .collect::<Vec<_>>()
        .join(separator)
}

/// A case of bad input: the contract's answer is exit status 2, nothing on stdout and the
/// usage on stderr.
pub fn bad_input(what: &str, args: Vec<String>, env: Vec<(String, String)>) -> Case {
    let mut case = Case::new(
        &format!("bad input: {what}"),
        Kind::Usage,
        args,
        Expected::Exact(String::new()),
    );
    case.env = env;
    case.status = 2;
    case.timeout = Some(BAD_INPUT_TIME);
    case
}

/// Bad-input cases: each input in turn set to every value outside its domain (the arguments
/// around it fine), then one argument more than the program takes.
pub fn bad_inputs(rng: &mut StdRng, inputs: &[Input]) -> Vec<Case> {
    let mut fine: Vec<String> = Vec::new();
    for input in inputs {
        if let Place::Argument(at) = input.place {
            fine.resize(fine.len().max(at + 1), String::new());
            fine[at] = input.fine.to_string();
        }
    }
    let mut cases = Vec::new();
    for input in inputs {
        let not = format!("not {}", input.domain.words());
        for value in input.domain.outside(rng) {
            let shown = crate::wording::quote(&value);
            cases.push(match input.place {
                Place::Argument(at) => {
                    let mut args = fine.clone();
                    args[at] = value;
                    let what = match fine.len() {
                        1 => format!("{} {shown}, {not}", input.name),
                        _ => format!("{} {shown} in `{}`, {not}", input.name, quoted(&args)),
                    };
                    bad_input(&what, args, Vec::new())
                }
                Place::Variable => bad_input(
                    &format!("{}={shown}, {not}", input.name),
                    Vec::new(),
                    vec![(input.name.to_string(), value)],
                ),
            });
        }
    }
    if !fine.is_empty() {
        let mut args = fine;
        args.push(random_word(rng, 3));
        let what = format!("{} arguments (`{}`)", args.len(), quoted(&args));
        cases.push(bad_input(&what, args, Vec::new()));
    }
    cases
}

/// Arguments as a shell would take them.
fn quoted(args: &[String]) -> String {
    let words: Vec<String> = args.iter().map(|a| crate::wording::quote(a)).collect();
    words.join(" ")
}

/// A lowercase word of `len` letters, thirteen from each number drawn (26^13 < 2^64): a
/// draw per letter made 01's 90 KB of messages take a tenth of the time a save waits for.
pub fn random_word(rng: &mut StdRng, len: usize) -> String {
    let mut word = String::with_capacity(len);
    while word.len() < len {
        let mut n: u64 = rng.random();
        for _ in 0..(len - word.len()).min(13) {
            word.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_random_word_has_its_length_and_every_letter_in_it() {
        let mut rng = StdRng::seed_from_u64(7);
        for len in [0, 1, 12, 13, 14, 26, 228] {
            let word = random_word(&mut rng, len);
            assert_eq!(word.len(), len, "{word}");
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
        }
        let long = random_word(&mut rng, 2600);
        for letter in b'a'..=b'z' {
            let n = long.bytes().filter(|b| *b == letter).count();
            assert!(
                (50..=150).contains(&n),
                "{} {n} times in 2600",
                letter as char
            );
        }
    }

    fn arguments(seed: u64) -> Vec<Vec<String>> {
        let empty = Transcript {
            header: String::new(),
            cases: Vec::new(),
        };
        crate::workbook::manifest::exercises()
            .iter()
            .flat_map(|e| cases(e, &empty, &mut StdRng::seed_from_u64(seed)))
            .map(|c| c.args)
            .collect()
    }

    #[test]
    fn every_input_s_domain_is_said_in_the_same_words_in_labs_and_the_stub() {
        let read = |path: &str| {
            let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            // Words as read, whatever the line breaks and comment markers.
            text.replace("//!", " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let labs = read("../labs.md");
        let mut declared = 0;
        for behaviour in BEHAVIOURS {
            let heading = format!("### Exercise {}:", &behaviour.name[..2]);
            let section = labs
                .split("### ")
                .find(|s| heading.ends_with(':') && format!("### {s}").starts_with(&heading))
                .unwrap_or_else(|| panic!("labs.md has no {heading}"));
            let stub = read(&format!("stubs/{}.rs", behaviour.name));
            for input in behaviour.inputs {
                declared += 1;
                let words = input.domain.words();
                for (what, text) in [("labs.md", section), ("the stub", stub.as_str())] {
                    assert!(
                        text.contains(input.name) && text.contains(&words),
                        "{what} of {} does not say that {} is {words}",
                        behaviour.name,
                        input.name
                    );
                }
            }
        }
        assert!(declared >= 7, "only {declared} inputs are declared");
    }

    #[test]
    fn every_kind_of_case_has_points_and_every_point_a_case() {
        for e in crate::workbook::manifest::exercises() {
            let transcript = Transcript::parse(
                &std::fs::read_to_string(format!(
                    "{}/transcripts/{}.txt",
                    env!("CARGO_MANIFEST_DIR"),
                    e.name
                ))
                .unwrap_or_default(),
            )
            .expect("a valid transcript");
            let all = cases(&e, &transcript, &mut StdRng::seed_from_u64(1));
            let kinds: std::collections::BTreeSet<&str> =
                all.iter().map(|c| c.kind.name()).collect();
            let keys: std::collections::BTreeSet<&str> =
                e.case_points.keys().map(String::as_str).collect();
            assert_eq!(
                kinds, keys,
                "{}: the kinds of its cases and its case_points differ",
                e.name
            );
            let total: f64 = crate::judging::verdict::max_points(&e, &all).iter().sum();
            assert!(
                (total - e.points as f64).abs() < 1e-9,
                "{}: cases share {total} points",
                e.name
            );
        }
    }

    #[test]
    fn every_exercise_of_the_manifest_has_its_behaviour_in_order() {
        let manifest: Vec<String> = crate::workbook::manifest::exercises()
            .into_iter()
            .map(|e| e.name)
            .collect();
        let table: Vec<&str> = BEHAVIOURS.iter().map(|b| b.name).collect();
        assert_eq!(manifest, table);
    }

    #[test]
    fn the_same_seed_gives_the_same_cases_and_another_seed_others() {
        assert_eq!(arguments(42), arguments(42));
        assert_ne!(arguments(42), arguments(43));
    }

    #[test]
    fn random_messages_never_hold_a_newline_where_the_contract_forbids_it() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..500 {
            let m = random_message(&mut rng);
            assert!(
                !m.contains('\n') && !m.is_empty() && !m.starts_with('-'),
                "{m:?}"
            );
        }
    }
}
