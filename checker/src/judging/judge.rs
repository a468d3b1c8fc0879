//! Judging one run: from what the runner saw to the one failure a student should fix first.

use super::cases::{self, Case, Expected, Kind};
use super::failure::Failure;
use super::timing;
use crate::sandbox::runner::{End, RunOutcome};
use crate::sandbox::spy;
use crate::workbook::transcript;
use std::path::Path;

/// The FIFOs in a directory (08 must leave none behind).
pub fn fifos_in(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_fifo()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Judges one run, in the order a student should fix things. `records` are the stage spies'
/// (none where they cannot be heard: their checks are not made, and the report says so).
pub fn judge(
    case: &Case,
    outcome: &RunOutcome,
    records: Option<&[spy::StageRecord]>,
    fifos: &[String],
    wiring: Option<&Failure>,
) -> Option<Failure> {
    let stdout = outcome.stdout_text();
    let stderr = outcome.stderr_text();
    // Bad input must be refused at once: a program still running went on as if it were fine.
    if case.kind == Kind::Usage && outcome.end == End::TimedOut {
        return Some(Failure::Usage {
            status: None,
            stdout,
            stderr_empty: stderr.trim().is_empty(),
        });
    }
    match &outcome.end {
        End::Interrupted => return Some(Failure::Interrupted),
        End::TimedOut if outcome.hang.as_ref().is_some_and(|s| s.is_busy()) => {
            return Some(Failure::Busy(outcome.elapsed));
        }
        End::TimedOut => return Some(Failure::Hang(outcome.elapsed)),
        End::OutputLimit => return Some(Failure::OutputLimit),
        End::DiskLimit => return Some(Failure::DiskLimit),
        End::MemoryLimit => return Some(Failure::MemoryLimit),
        End::ProcessLimit => return Some(Failure::ProcessLimit),
        _ if stdout.is_empty() && stderr.contains("not yet implemented") => {
            return Some(Failure::NotStarted);
        }
        End::Signaled(sig) => return Some(Failure::Signal(sig.as_str().to_string())),
        End::Exited(_) => {}
    }
    if case.kind == Kind::Usage
        && let End::Exited(status) = outcome.end
        && (status != case.status || !stdout.is_empty() || stderr.trim().is_empty())
    {
        return Some(Failure::Usage {
            status: Some(status),
            stdout,
            stderr_empty: stderr.trim().is_empty(),
        });
    }
    if case.alone
        && let Some(Ok(trace)) = &outcome.trace
        && trace.procs.len() > 1
    {
        return Some(Failure::Contract {
            expected: "bad input refused before the first fork: the program alone, no child".into(),
            happened: format!(
                "it refused it, but only after starting {} other process(es)",
                trace.procs.len() - 1
            ),
            cause: "check every argument and variable first, before the first fork: a child that finds the input bad is too late, the processes are started already".into(),
        });
    }
    // Before the output: a parent that never waited usually also printed too little, and
    // the processes it left are the better clue.
    if !outcome.left_behind.is_empty() {
        return Some(Failure::LeftBehind(outcome.left_behind.clone()));
    }
    if let Some(queue) = &case.queue {
        // The consumers' lines come in any order: compared as a multiset.
        if let Err((expected, happened)) = cases::queue_check(queue, &stdout) {
            let cause = String::new();
            return Some(Failure::Contract {
                expected,
                happened,
                cause,
            });
        }
    }
    let mut matched = case.queue.is_some()
        || match &case.stdout {
            Expected::Pattern(p) => transcript::match_lines(p, &stdout).is_some(),
            Expected::Exact(e) => {
                *e == stdout
                    || (stdout.lines().eq(e.lines())
                        && !stdout.is_empty()
                        && !stdout.ends_with('\n'))
            }
        };
    // 09: lines the children really wrote in another order than the schedule's come in
    // that order (a busy machine wakes a child late); the X-ray's timeline says.
    if !matched && let Some(order) = timing::order(case, outcome, &stdout) {
        match order {
            Ok(()) => matched = true,
            Err(expected) => {
                return Some(Failure::Output {
                    expected,
                    actual: stdout,
                });
            }
        }
    }
    if !matched {
        let expected = match &case.stdout {
            Expected::Pattern(p) => transcript::expected_for_diff(p, &stdout),
            Expected::Exact(e) => e.clone(),
        };
        return Some(Failure::Output {
            expected,
            actual: stdout,
        });
    }
    if !stdout.is_empty() && !stdout.ends_with('\n') {
        return Some(Failure::MissingFinalNewline);
    }
    if let End::Exited(code) = outcome.end
        && code != case.status
    {
        return Some(Failure::Status {
            expected: case.status,
            actual: code,
        });
    }
    if let Some(at_least) = &case.at_least {
        let reported = stdout
            .lines()
            .find_map(|l| l.strip_prefix(at_least.prefix.as_str()))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = reported
            && n < at_least.min
        {
            return Some(Failure::Contract {
                expected: format!(
                    "{}N with N at least {}: {}",
                    at_least.prefix, at_least.min, at_least.why
                ),
                happened: format!("{}{n}", at_least.prefix),
                cause: String::new(),
            });
        }
    }
    if let Some(stage) = case.missing_stage
        && let Some(Ok(trace)) = &outcome.trace
        && let Some(failure) = failed_stage(trace, stage)
    {
        return Some(failure);
    }
    if case.refused && stderr.trim().is_empty() {
        return Some(Failure::Contract {
            expected: "a message on stderr that says what went wrong".into(),
            happened: "nothing on stderr".into(),
            cause: String::new(),
        });
    }
    if case.no_fifo_left && !fifos.is_empty() {
        return Some(Failure::Contract {
            expected: "no FIFO left in the working directory when the program ends".into(),
            happened: format!("left behind: {}", fifos.join(", ")),
            cause: String::new(),
        });
    }
    if let Some(stages) = &case.stages
        && case.kind != Kind::Usage
        && let Some(records) = records
        && let Err((problem, cause)) = cases::check_stages(stages, records)
    {
        return Some(Failure::Stages {
            problem,
            cause: cause.to_string(),
        });
    }
    // Right output from wrong wiring (no child, no pipe, a leaked end) is still wrong. Before
    // the times: what the X-ray saw is exact, while a line may come late because of it (a
    // parent that polls in a loop stops for the X-ray at every call).
    if let Some(failure) = wiring {
        return Some(failure.clone());
    }
    timing::judge(case, outcome, &stdout)
}

/// 04 with `stage` missing from PATH: the child whose execvp failed (it never became a
/// program) says why on stderr and exits with 127, or, where the child is std's own (Command
/// reports a failed exec to the parent, which says why), the program says why.
fn failed_stage(trace: &crate::sandbox::trace::Trace, stage: &str) -> Option<Failure> {
    use crate::sandbox::trace::Exit;
    let program = trace.procs.first()?.pid;
    let said = |pid: i32| {
        trace.output.get(1).is_some_and(|stderr| {
            trace
                .io
                .iter()
                .any(|io| io.pid == pid && io.writes && io.object == *stderr && io.calls > 0)
        })
    };
    let failed = trace
        .procs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.parent == Some(program) && p.execs.is_empty());
    // std's Command makes its child with posix_spawn (a vfork), or forks one that reports
    // its failed exec to the parent through a pipe: such a child cannot speak for itself.
    let std_child = |child: &crate::sandbox::trace::TracedProcess| {
        child.vforked
            || trace.io.iter().any(|io| {
                io.pid == child.pid
                    && io.writes
                    && io.bytes > 0
                    && !trace.output.contains(&io.object)
            })
    };
    for (at, child) in failed {
        let who = format!("P{}", at + 1);
        if !said(child.pid) && !std_child(child) {
            return Some(Failure::Contract {
                expected: format!("the child whose execvp of {stage} failed says why on stderr"),
                happened: format!("nothing on stderr from that child, {who}, though it was a fork of the program's own (the program's own words do not tell which stage failed, or why)"),
                cause: "if execvp returns, it failed: say why on stderr in that child (eprintln!, with the error execvp returned), then std::process::exit(127)".into(),
            });
        }
        if !said(child.pid) && !said(program) {
            return Some(Failure::Contract {
                expected: format!("the child whose execvp of {stage} failed says why on stderr"),
                happened: format!("nothing on stderr from that child, {who}, or from the program"),
                cause: "if execvp returns, it failed: say why on stderr (eprintln!, with the error execvp returned) and std::process::exit(127)".into(),
            });
        }
        let exit = match child.exit {
            Some(Exit::Code(127)) => continue,
            // std's own child (Command) ends as std decides; the program said why.
            _ if !said(child.pid) => continue,
            Some(Exit::Code(code)) => format!("exited with status {code}"),
            Some(Exit::Signal(sig)) => format!("was killed by {}", sig.as_str()),
            None => "did not end".into(),
        };
        return Some(Failure::Contract {
            expected: format!("the child whose execvp of {stage} failed exits with status 127, as a shell's does"),
            happened: format!("that child, {who}, {exit}"),
            cause: "if execvp returns, it failed: say why on stderr (eprintln!) and std::process::exit(127); never unwrap() it, which panics with 101".into(),
        });
    }
    None
}

/// `panicked at src/main.rs:3:5:\nmessage` from a Rust program's stderr, as one line.
pub fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at ")?;
    let rest = &stderr[start + "panicked at ".len()..];
    let mut lines = rest.lines();
    let location = lines.next()?.trim_end_matches(':');
    let message = lines.next().unwrap_or("").trim();
    Some(format!("{message} (at {location})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_and_location() {
        let stderr = "\nthread 'main' (12) panicked at exercises/src/bin/01_raw_pipe.rs:20:5:\nnot yet implemented\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr).unwrap(),
            "not yet implemented (at exercises/src/bin/01_raw_pipe.rs:20:5)"
        );
        assert_eq!(panic_message("all fine"), None);
    }
}
