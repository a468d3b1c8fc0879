//! 04_three_stage_chain: `cat FILE | grep PATTERN | wc -l`, wired the way a shell does it.

use super::super::cause::Cause;
use super::{Case, Failure, Kind, Stages, random_word};
use crate::sandbox::runner::RunOutcome;
use crate::sandbox::spy::{Endpoint, StageRecord};
use crate::workbook::manifest::Topic;
use rand::rngs::StdRng;
use rand::{Rng, RngExt};

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "04_three_stage_chain",
    random_cases: cases,
    require,
    cause,
    evidence: super::no_evidence,
    inputs: &[],
    refuses_before_forking: false,
};

const FILE: &str = "input.txt";

/// What `wc -l` prints for the lines of `text` that contain `pattern` (letters only, so grep
/// reads it literally): what `random_file` counts as it writes.
#[cfg(test)]
fn oracle(text: &str, pattern: &str) -> String {
    format!("{}\n", text.lines().filter(|l| l.contains(pattern)).count())
}

/// A file of `lines` lines of lowercase words, `pattern` put in about one line in `every`, and
/// how many of its lines hold `pattern` (what the `oracle` counts). A long file repeats lines
/// drawn first, and counts them as it goes: drawn letter by letter, the 100,000-line file took
/// more than a second in a debug build; one draw per line and a search of each, 85 ms.
fn random_file(rng: &mut StdRng, lines: usize, pattern: &str, every: u32) -> (String, usize) {
    let distinct = lines.min(DISTINCT_LINES);
    let plain: Vec<String> = (0..distinct).map(|_| random_line(rng, None)).collect();
    let marked: Vec<String> = match every {
        0 => Vec::new(),
        n => (0..=distinct / n as usize)
            .map(|_| random_line(rng, Some(pattern)))
            .collect(),
    };
    // A plain line may hold the pattern by chance.
    let holds =
        |pool: &[String]| -> Vec<bool> { pool.iter().map(|l| l.contains(pattern)).collect() };
    let (plain_holds, marked_holds) = (holds(&plain), holds(&marked));
    let (mut text, mut count) = (String::new(), 0);
    let mut bits = 0u64;
    for line in 0..lines {
        // One draw for four lines: of each line's 16 bits, the low 10 pick the line and the
        // high 6 whether it is marked.
        if line % 4 == 0 {
            bits = rng.next_u64();
        }
        let part = (bits >> (16 * (line % 4))) as u16;
        let (pool, holding) = match every {
            n if n > 0 && u32::from(part >> 10).is_multiple_of(n) => (&marked, &marked_holds),
            _ => (&plain, &plain_holds),
        };
        let at = usize::from(part & 0x3ff) % pool.len();
        count += usize::from(holding[at]);
        text.push_str(&pool[at]);
        text.push('\n');
    }
    (text, count)
}

/// How many different lines a random file has at most.
const DISTINCT_LINES: usize = 1024;

/// One to ten random words, with `pattern` among them when given.
fn random_line(rng: &mut StdRng, pattern: Option<&str>) -> String {
    let mut words: Vec<String> = (0..rng.random_range(1..=10))
        .map(|_| {
            let len = rng.random_range(2..=9);
            random_word(rng, len)
        })
        .collect();
    if let Some(pattern) = pattern {
        let at = rng.random_range(0..=words.len());
        words.insert(at, pattern.to_string());
    }
    words.join(" ")
}

pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    let pattern = random_word(rng, 4);
    let lines = rng.random_range(50..300);
    let small = random_file(rng, lines, &pattern, 4);
    let big_pattern = random_word(rng, 5);
    let big = random_file(rng, 100_000, &big_pattern, 7);
    // Capitals never occur in the file: grep finds nothing and exits 1, which is not an error.
    let absent = random_word(rng, 5).to_uppercase();
    let none = random_file(rng, 100, &absent, 0);
    // wc is nowhere on PATH: its child's execvp fails, says why and exits with 127, and the
    // program, whose wc did not exit with 0, exits with 1.
    let mut missing = case(
        "wc cannot be found on PATH",
        Kind::Random,
        small.clone(),
        pattern.clone(),
    );
    missing.stdout = super::Expected::Exact(String::new());
    missing.status = 1;
    missing.refused = true;
    missing.missing_stage = Some("wc");
    vec![
        case("a random file", Kind::Random, small, pattern),
        missing,
        case(
            &format!("a file of {:.1} MiB", big.0.len() as f64 / (1 << 20) as f64),
            Kind::Big,
            big,
            big_pattern,
        ),
        case("a file with no match", Kind::NoMatch, none, absent),
        super::bad_input("one argument", vec![FILE.into()], Vec::new()),
        super::bad_input(
            "three arguments",
            vec![FILE.into(), random_word(rng, 3), random_word(rng, 3)],
            Vec::new(),
        ),
    ]
}

fn case(name: &str, kind: Kind, (text, count): (String, usize), pattern: String) -> Case {
    let expected = format!("{count}\n");
    let mut case = Case::with_messages(name, kind, vec![FILE.into(), pattern], expected);
    case.files = vec![(FILE.into(), text.into_bytes())];
    case
}

/// Every run with a file and a pattern, the transcript's too, is watched by the stage spies.
fn require(case: &mut Case) {
    if case.missing_stage.is_some() {
        return;
    }
    if let [file, pattern] = case.args.as_slice() {
        case.stages = Some(Stages {
            file: file.clone(),
            pattern: pattern.clone(),
        });
    }
}

/// Checks what the spies recorded: each stage ran once, with the right arguments, wired
/// cat -> grep -> wc by two pipes, and holding no descriptor besides 0, 1 and 2.
pub fn check_stages(
    expected: &Stages,
    records: &[StageRecord],
) -> Result<(), (String, &'static str)> {
    let chain = as_a_chain(expected, records)?;
    let role = |inode: u64| match inode {
        i if i == chain.pipes[0] => " (the cat -> grep pipe)",
        i if i == chain.pipes[1] => " (the grep -> wc pipe)",
        _ => "",
    };
    for stage in chain.stages {
        if let Some((fd, what)) = stage.extra.first() {
            let pipe = match what {
                Endpoint::Pipe { inode, .. } => role(*inode),
                _ => "",
            };
            return Err((
                format!(
                    "`{}` (pid {}) started with descriptor {fd} open: {what}{pipe}",
                    stage.stage, stage.pid
                ),
                "a pipe end leaked into a stage: a stage must start with only 0, 1 and 2, so after dup2 close every pipe end in the child (or create the pipes with O_CLOEXEC). A leaked write end keeps the reader of that pipe from ever seeing end-of-file",
            ));
        }
    }
    Ok(())
}

/// cat, grep and wc as the spies saw them, each run once with its arguments, and the two
/// pipes that join them.
struct Chain<'a> {
    stages: [&'a StageRecord; 3],
    pipes: [u64; 2],
}

/// The stages as a chain, or the first thing that keeps them from being one: what makes the
/// output right, before what makes the run end.
fn as_a_chain<'a>(
    expected: &Stages,
    records: &'a [StageRecord],
) -> Result<Chain<'a>, (String, &'static str)> {
    let one = |name: &str| -> Result<&StageRecord, (String, &'static str)> {
        let runs: Vec<&StageRecord> = records.iter().filter(|r| r.stage == name).collect();
        match runs.as_slice() {
            [r] => Ok(r),
            [] => Err((
                format!("`{name}` never ran"),
                "the program does not run the stages: the count must come from the real programs, so exec `cat FILE`, `grep PATTERN` and `wc -l` (found on PATH) in three children",
            )),
            many => Err((
                format!("`{name}` ran {} times", many.len()),
                "each stage runs exactly once, in its own child",
            )),
        }
    };
    let (cat, grep, wc) = (one("cat")?, one("grep")?, one("wc")?);
    let want = [
        (cat, vec![expected.file.clone()]),
        (grep, vec![expected.pattern.clone()]),
        (wc, vec!["-l".to_string()]),
    ];
    for (stage, args) in &want {
        if stage.args() != args.as_slice() {
            return Err(wrong_arguments(stage, args));
        }
    }
    let link = |from: &StageRecord, to: &StageRecord| -> Result<u64, (String, &'static str)> {
        match (&from.stdout, &to.stdin) {
            (Endpoint::Pipe { inode: a, .. }, Endpoint::Pipe { inode: b, .. }) if a == b => Ok(*a),
            (out, input) => Err((
                format!(
                    "`{}` and `{}` are not joined by one pipe: {}'s stdout is {out}, and {}'s stdin is {input}",
                    from.stage, to.stage, from.stage, to.stage
                ),
                if matches!(out, Endpoint::File(_)) || matches!(input, Endpoint::File(_)) {
                    "the stages pass their data through files; a shell joins them with pipes: create a pipe, dup2 its write end onto the first stage's stdout (fd 1) and its read end onto the next stage's stdin (fd 0)"
                } else {
                    "create one pipe per link: dup2 its write end onto the first stage's stdout (fd 1) and its read end onto the next stage's stdin (fd 0)"
                },
            )),
        }
    };
    Ok(Chain {
        stages: [cat, grep, wc],
        pipes: [link(cat, grep)?, link(grep, wc)?],
    })
}

/// A stage that got other arguments than `expected`. An argv that is the arguments alone
/// (`execvp("grep", ["Yost"])`) lacks argv[0]: the stage then takes its first argument for
/// its own name, which is worth saying in those words.
fn wrong_arguments(stage: &StageRecord, expected: &[String]) -> (String, &'static str) {
    match stage.argv.first() {
        Some(name) if stage.argv == expected => (
            format!(
                "`{}` was started with the argv {:?}, which lacks argv[0]: {} took {name:?} for its own name and got the arguments {:?}, not {expected:?}",
                stage.stage,
                stage.argv,
                stage.stage,
                stage.args()
            ),
            "argv[0] is the program's own name and its arguments start at argv[1], so pass the name first, as a shell does: exec `cat` with [\"cat\", FILE], `grep` with [\"grep\", PATTERN] and `wc` with [\"wc\", \"-l\"]",
        ),
        _ => (
            format!(
                "`{}` got the arguments {:?}; expected {expected:?}",
                stage.stage,
                stage.args()
            ),
            "pass each stage exactly its arguments: `cat FILE`, `grep PATTERN`, `wc -l`",
        ),
    }
}

pub fn cause(case: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    Some(match failure {
        Failure::Hang(_) => Cause::on(
            Topic::Eof,
            "a stage never sees end-of-file on its stdin because a write end of its input pipe is still open: in the parent (close all four ends before waiting) or in a child (close every pipe end after dup2, or create the pipes with O_CLOEXEC)",
        ),
        Failure::Status { expected: 0, .. } if case.kind == Kind::NoMatch => Cause::on(
            Topic::Eof,
            "grep exits with 1 when no line matches; that is not an error. Exit 0 when wc -l succeeds",
        ),
        Failure::Output { .. } => return chain_cause(case, run).map(|c| Cause::on(Topic::Exec, c)),
        _ => return None,
    })
}

/// Why the output is wrong, when the spies saw stages that cannot make it right: one that
/// never ran, got other arguments, or is not joined to the next by a pipe.
fn chain_cause(case: &Case, run: &RunOutcome) -> Option<String> {
    let (Some(expected), Some(Ok(heard))) = (&case.stages, &run.spies) else {
        return None;
    };
    let (problem, cause) = as_a_chain(expected, &heard.records).err()?;
    Some(format!("{problem}. {cause}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(name: &str, args: &[&str], stdin: Endpoint, stdout: Endpoint) -> StageRecord {
        StageRecord {
            stage: name.into(),
            pid: 1,
            argv: std::iter::once(name)
                .chain(args.iter().copied())
                .map(str::to_string)
                .collect(),
            stdin,
            stdout,
            extra: Vec::new(),
        }
    }
    fn pipe(inode: u64, writes: bool) -> Endpoint {
        Endpoint::Pipe { inode, writes }
    }
    fn wired() -> Vec<StageRecord> {
        vec![
            stage(
                "cat",
                &["f"],
                Endpoint::Other("/dev/null".into()),
                pipe(1, true),
            ),
            stage("grep", &["p"], pipe(1, false), pipe(2, true)),
            stage("wc", &["-l"], pipe(2, false), pipe(9, true)),
        ]
    }
    fn expected() -> Stages {
        Stages {
            file: "f".into(),
            pattern: "p".into(),
        }
    }

    /// A case with stages, and a run of it whose spies made `records`.
    fn wrong_output_seen(records: Vec<StageRecord>) -> (Case, RunOutcome) {
        let mut case = case("a case", Kind::Random, ("p\n".into(), 1), "p".into());
        case.stages = Some(expected());
        let mut run = RunOutcome::empty(String::new());
        run.spies = Some(Ok(crate::sandbox::spy::Heard {
            records,
            refused: Vec::new(),
        }));
        (case, run)
    }
    const WRONG: Failure = Failure::Output {
        expected: String::new(),
        actual: String::new(),
    };

    #[test]
    fn a_shell_like_pipeline_passes() {
        assert_eq!(check_stages(&expected(), &wired()), Ok(()));
    }

    #[test]
    fn a_missing_stage_is_named() {
        let records: Vec<StageRecord> = wired().into_iter().filter(|r| r.stage != "grep").collect();
        assert!(
            check_stages(&expected(), &records)
                .unwrap_err()
                .0
                .contains("`grep` never ran")
        );
    }

    #[test]
    fn a_file_between_stages_is_not_a_pipe() {
        let mut records = wired();
        records[1].stdin = Endpoint::File("/tmp/x".into());
        let (err, cause) = check_stages(&expected(), &records).unwrap_err();
        assert!(err.contains("the file /tmp/x"), "{err}");
        assert!(cause.contains("through files"), "{cause}");
    }

    #[test]
    fn a_leaked_descriptor_names_stage_fd_and_pipe() {
        let mut records = wired();
        records[0].extra.push((4, pipe(2, false)));
        let (err, _) = check_stages(&expected(), &records).unwrap_err();
        assert!(err.contains("`cat` (pid 1) started with descriptor 4 open: the read end of pipe:[2] (the grep -> wc pipe)"), "{err}");
    }

    #[test]
    fn wrong_arguments_are_shown() {
        let mut records = wired();
        records[2].argv = vec!["wc".into(), "-w".into()];
        assert!(
            check_stages(&expected(), &records)
                .unwrap_err()
                .0
                .contains("`wc` got the arguments [\"-w\"]")
        );
    }

    #[test]
    fn an_argv_without_argv_0_is_named_as_such() {
        let mut records = wired();
        records[1].argv = vec!["p".into()];
        let (err, cause) = check_stages(&expected(), &records).unwrap_err();
        assert!(
            err.contains("`grep` was started with the argv [\"p\"], which lacks argv[0]"),
            "{err}"
        );
        assert!(cause.contains("[\"grep\", PATTERN]"), "{cause}");
    }

    #[test]
    fn any_argv_0_will_do() {
        let mut records = wired();
        records[1].argv[0] = "my-grep".into();
        assert_eq!(check_stages(&expected(), &records), Ok(()));
    }

    #[test]
    fn wrong_output_from_a_stage_without_argv_0_says_so() {
        let mut records = wired();
        records[1].argv = vec!["p".into()];
        let (case, mut run) = wrong_output_seen(records);
        let said = cause(&case, &WRONG, &run).expect("a cause").text;
        assert!(said.contains("lacks argv[0]"), "{said}");
        // Without the spies' records nothing more is known.
        run.spies = None;
        assert_eq!(cause(&case, &WRONG, &run), None);
    }

    #[test]
    fn a_leak_is_no_cause_of_wrong_output() {
        let mut records = wired();
        records[0].extra.push((4, pipe(2, false)));
        let (case, run) = wrong_output_seen(records);
        assert_eq!(cause(&case, &WRONG, &run), None);
    }

    #[test]
    fn oracle_counts_matching_lines() {
        assert_eq!(oracle("a Yost\nb\nYost c\n", "Yost"), "2\n");
        assert_eq!(oracle("", "x"), "0\n");
    }

    #[test]
    fn a_random_file_counts_the_lines_grep_finds() {
        let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(7);
        // Two-letter patterns turn up by chance in plain lines too.
        for (lines, pattern, every) in [(200, "ab", 4), (5_000, "qed", 7), (100, "ZZ", 0)] {
            let (text, count) = random_file(&mut rng, lines, pattern, every);
            assert_eq!(text.lines().count(), lines);
            assert_eq!(format!("{count}\n"), oracle(&text, pattern), "{pattern}");
            if every > 0 {
                assert!(count > 0, "{pattern} is in some lines");
            }
        }
    }
}
