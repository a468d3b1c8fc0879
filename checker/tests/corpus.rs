//! The corpus: classic broken programs, which the checker must fail with the diagnosis a
//! student can act on, and correct programs written independently of the reference solutions,
//! which it must pass. Each file's `//!` header says which exercise it is for, whether it
//! passes, the phrases its report must contain, and those it must not (`//! absent:`; the hint
//! beside the cause, the manifest's words, is not searched for them). A
//! `structural_cheat_*` program is right in output and must pass with the X-ray off: only its
//! wiring gives it away. Unless its header says `//! without the x-ray: fail`: a cheat that
//! something besides the X-ray must catch (forged stage records) fails with the X-ray off
//! too, with the same diagnosis. A few minutes in all: `cargo test` leaves them out, `.ci/run`
//! runs them (`cargo test -p checker --test corpus -- --ignored`).

mod common;

use common::{check_program_fast, header};
use std::path::{Path, PathBuf};

fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = common::root().join("checker/tests/corpus").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// Checks every program of a corpus directory, two at a time (builds take turns; runs overlap),
/// each worker taking the next program when it is done with one: a hang that runs out its
/// time holds up one worker, not half of the directory.
fn check_corpus(dir: &str) {
    let files = corpus(dir);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    std::iter::from_fn(|| {
                        files.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    })
                    .filter_map(|f| check_one(f).err())
                    .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn check_one(file: &Path) -> Result<(), String> {
    let h = header(file);
    let run = check_program_fast(&h.exercise, file, &[]);
    let name = file
        .strip_prefix(common::root())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut problems = Vec::new();
    let want = if h.expect_pass { 0 } else { 1 };
    if run.code != want {
        problems.push(format!("exit status {} (expected {want})", run.code));
    }
    for phrase in &h.diagnosis {
        if !run.stdout.contains(phrase.as_str()) {
            problems.push(format!("the report lacks `{phrase}`"));
        }
    }
    // The hint beside the cause is the manifest's, word for word: what must be absent is
    // the report's own words about this program.
    let own_words: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("  hint "))
        .map(|l| format!("{l}\n"))
        .collect();
    for phrase in &h.absent {
        if own_words.contains(phrase.as_str()) {
            problems.push(format!("the report says `{phrase}`"));
        }
    }
    problems.extend(cause_beyond_the_hang(&run.stdout));
    if !h.expect_pass && h.diagnosis.is_empty() {
        problems.push("a broken program needs at least one `//! diagnosis:` line".into());
    }
    // The cases run (up to the first failing one: the report is the same, sooner), each within
    // its own time limit (plus the time to stop it), twice when the X-ray's stops are what ran
    // it out of time: a hang costs its case, never the check.
    let cases = common::case_count(&run.stdout).unwrap_or(0);
    let limit = cases as f64 * (2.0 * common::timeout_secs(&h.exercise) as f64 + 2.0);
    match common::run_seconds(&run.stdout) {
        Some(secs) if secs <= limit => {}
        Some(secs) => problems.push(format!(
            "the runs took {secs} s, more than {cases} cases of twice the timeout + 2 s ({limit} s)"
        )),
        None => problems.push("the report does not say how long the runs took".into()),
    }
    if !run.left.is_empty() {
        problems.push(format!("processes left running: {:?}", run.left));
    }
    // A structural cheat is right in everything but its wiring: only the X-ray may catch it,
    // unless its header says what else does.
    let cheat = file
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("structural_cheat_"));
    if cheat {
        let blind = check_program_fast(&h.exercise, file, &[("PIPES_LAB_XRAY", "off")]);
        let skipped = blind.stdout.contains("structural checks skipped");
        if h.fails_without_xray {
            let missing: Vec<&String> = h
                .diagnosis
                .iter()
                .filter(|p| !blind.stdout.contains(p.as_str()))
                .collect();
            if blind.code != 1 || !skipped || !missing.is_empty() {
                problems.push(format!(
                    "with the X-ray off it should fail as with it (lacking {missing:?}), but:\n{}",
                    blind.stdout
                ));
            }
        } else if blind.code != 0 || !skipped {
            problems.push(format!(
                "with the X-ray off it should pass, but:\n{}",
                blind.stdout
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name} ({}): {}\n--- report ---\n{}{}",
            h.mistake,
            problems.join("; "),
            run.stdout,
            run.stderr
        ))
    }
}

/// A likely cause under a hang section names no process or descriptor the section does not:
/// the two read the same evidence.
fn cause_beyond_the_hang(report: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut hang: Option<String> = None;
    for line in report.lines() {
        let text = line.trim_start();
        if text.starts_with("hang:") {
            hang = Some(String::new());
        } else if let Some(cause) = text.strip_prefix("likely cause:") {
            if let Some(hang) = hang.take() {
                for name in numbered(cause, "pid ").chain(numbered(cause, "fd ")) {
                    if !numbered(
                        &hang,
                        if name.starts_with("pid") {
                            "pid "
                        } else {
                            "fd "
                        },
                    )
                    .any(|n| n == name)
                    {
                        problems.push(format!(
                            "the likely cause names `{name}`, which the hang section does not"
                        ));
                    }
                }
            }
            continue;
        } else if text.starts_with("case:") {
            hang = None;
        }
        if let Some(hang) = hang.as_mut() {
            hang.push_str(text);
            hang.push('\n');
        }
    }
    problems
}

/// Every `pid N` (or `fd N`, as `word`) in a text.
fn numbered<'a>(text: &'a str, word: &'a str) -> impl Iterator<Item = String> + 'a {
    text.match_indices(word).filter_map(move |(at, _)| {
        let before = text[..at].chars().next_back();
        let digits: String = text[at + word.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty() && !before.is_some_and(char::is_alphanumeric))
            .then(|| format!("{word}{digits}"))
    })
}

#[test]
fn a_cause_naming_what_the_hang_does_not_is_caught() {
    let report = "  case: x\n  hang: deadlock\n    pid 10 01 (parent) is blocked reading pipe:[7] through fd 3\n    write ends still open: pid 10 fd 4 (the reader itself)\n  likely cause: close fd 4 in pid 10\n";
    assert!(cause_beyond_the_hang(report).is_empty());
    let wrong = report.replace("close fd 4 in pid 10", "close fd 5 in pid 11");
    assert_eq!(cause_beyond_the_hang(&wrong).len(), 2, "{wrong}");
    // No hang section: nothing to compare with.
    assert!(cause_beyond_the_hang("  case: x\n  likely cause: fd 9\n").is_empty());
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_01_raw_pipe() {
    check_corpus("01_raw_pipe");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_02_duplex_pipe() {
    check_corpus("02_duplex_pipe");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_03_producer_consumer() {
    check_corpus("03_producer_consumer");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_04_three_stage_chain() {
    check_corpus("04_three_stage_chain");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_05_queue() {
    check_corpus("05_queue");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_06_pipe_capacity() {
    check_corpus("06_pipe_capacity");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_07_broken_pipe() {
    check_corpus("07_broken_pipe");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_08_named_pipe() {
    check_corpus("08_named_pipe");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn corpus_09_poll() {
    check_corpus("09_poll");
}

#[test]
#[ignore = "the corpus, a few minutes: .ci/run runs it"]
fn hostile_programs_are_stopped_and_cleaned_up() {
    check_corpus("hostile");
}
